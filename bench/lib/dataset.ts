// Lab-shaped data, the same bytes for every tool: plates of small CSV and PNG files in
// nested per-screen, per-plate folders, plus a few large parquet files. Every file's
// content is a pure function of (key, generation), so a mutation applied to two copies of
// a folder leaves them identical, and a run can be repeated byte for byte.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type FileKind = 'csv' | 'png' | 'parquet';

export interface FileSpec {
  key: string;
  size: number;
  kind: FileKind;
  /** Which generation of content the file holds (0 = as generated, n = written by mutation n). */
  gen: number;
}

/** Manifest: every file of a dataset, by key. */
export type Manifest = Map<string, FileSpec>;

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Size profiles: `lab` averages ~28 kB per small file (10,000 files ≈ 280 MB); `tiny` ~2 kB
 * (planning at 100,000 files); `small` 1–4 kB, every file within one 4 KiB filesystem block
 * (the scale group: 1,000,000 files take 4 GB a copy).
 */
const PROFILES = {
  lab: { profiles: [150 * KiB, 250 * KiB], qc: [1 * KiB, 4 * KiB], image: [10 * KiB, 40 * KiB] },
  tiny: { profiles: [2 * KiB, 8 * KiB], qc: [200, 1 * KiB], image: [500, 3 * KiB] },
  small: { profiles: [1 * KiB, 4 * KiB], qc: [1 * KiB, 4 * KiB], image: [1 * KiB, 4 * KiB] },
} as const;
export type SizeProfile = keyof typeof PROFILES;

const FILES_PER_PLATE = 50;
const PLATES_PER_SCREEN = 50;
const WELLS = ['A', 'B', 'C', 'D'].flatMap((row) => Array.from({ length: 6 }, (_, c) => `${row}${String(c + 1).padStart(2, '0')}`));

/** seeded turns a string into a small deterministic PRNG (mulberry32). */
export function seeded(seed: string): () => number {
  let a = crypto.createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rand: () => number, [lo, hi]: readonly [number, number]) => Math.floor(lo + rand() * (hi - lo));

/**
 * labLayout names `files` small files, 50 per plate folder (a profiles table, a QC table
 * and 48 well images), 50 plates per screen folder, plus `big` parquet files of about
 * `bigSize` bytes each (sizes differ by a few kB so no two are equal).
 */
export function labLayout(files: number, big: number, bigSize: number, profile: SizeProfile = 'lab'): Manifest {
  const p = PROFILES[profile];
  const out: Manifest = new Map();
  for (let i = 0; i < files; i++) {
    const plate = Math.floor(i / FILES_PER_PLATE);
    const slot = i % FILES_PER_PLATE;
    const folder = `screen-${String(Math.floor(plate / PLATES_PER_SCREEN) + 1).padStart(2, '0')}/plate-${String(plate + 1).padStart(4, '0')}`;
    let key: string;
    let kind: FileKind;
    let range: readonly [number, number];
    if (slot === 0) [key, kind, range] = [`${folder}/profiles.csv`, 'csv', p.profiles];
    else if (slot === 1) [key, kind, range] = [`${folder}/qc/summary.csv`, 'csv', p.qc];
    else {
      const n = slot - 2;
      [key, kind, range] = [`${folder}/images/${WELLS[n >> 1]}-s${(n & 1) + 1}.png`, 'png', p.image];
    }
    out.set(key, { key, size: between(seeded(key), range), kind, gen: 0 });
  }
  for (let i = 0; i < big; i++) {
    const key = `features/part-${String(i).padStart(3, '0')}.parquet`;
    out.set(key, { key, size: bigSize + i * 4099, kind: 'parquet', gen: 0 });
  }
  return out;
}

// Bytes for CSV text: digits, separators, some newlines (a rough numeric table).
const CSV_CHARS = Buffer.from('0123456789'.repeat(20) + ','.repeat(30) + '.'.repeat(20) + '-'.repeat(2) + '\n'.repeat(4));

/** contentStream yields a file's bytes in chunks of at most 8 MiB: AES-CTR keystream seeded by (key, gen). */
export function* contentChunks(spec: FileSpec): Generator<Buffer> {
  const seed = crypto.createHash('sha256').update(`strata-bench\0${spec.key}\0${spec.gen}`).digest();
  const cipher = crypto.createCipheriv('aes-128-ctr', seed.subarray(0, 16), seed.subarray(16, 32));
  const header = spec.kind === 'png' ? Buffer.from('89504e470d0a1a0a', 'hex') : spec.kind === 'parquet' ? Buffer.from('PAR1') : Buffer.from('well,site,feature_1,feature_2,feature_3\n');
  let left = spec.size;
  let first = true;
  while (left > 0) {
    const n = Math.min(left, 8 * MiB);
    const chunk = cipher.update(Buffer.alloc(n));
    if (spec.kind === 'csv') for (let i = 0; i < n; i++) chunk[i] = CSV_CHARS[chunk[i]! % CSV_CHARS.length]!;
    if (first) {
      header.copy(chunk, 0, 0, Math.min(header.length, n));
      first = false;
    }
    left -= n;
    yield chunk;
  }
}

/** writeFile writes one file of the dataset under `dir`, replacing any file there by rename (never in place: copies share inodes). */
export function writeFile(dir: string, spec: FileSpec): void {
  const dest = path.join(dir, ...spec.key.split('/'));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.bench-tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const chunk of contentChunks(spec)) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, dest);
}

export function writeDataset(dir: string, manifest: Manifest): void {
  for (const spec of manifest.values()) writeFile(dir, spec);
}

/**
 * writeSmallDataset writes many small files fast (the scale group's up to 1,000,000): one
 * pseudo-random pool made once, each file a slice of it at an offset drawn from its key,
 * behind a header naming the key (so no two files are equal), one synchronous write each
 * and each folder made once. Returns seconds taken.
 */
export function writeSmallDataset(dir: string, manifest: Manifest): number {
  const started = performance.now();
  const pool = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 9)).update(Buffer.alloc(MiB));
  const made = new Set<string>();
  for (const spec of manifest.values()) {
    const dest = path.join(dir, ...spec.key.split('/'));
    const folder = path.dirname(dest);
    if (!made.has(folder)) {
      fs.mkdirSync(folder, { recursive: true });
      made.add(folder);
    }
    let h = 2166136261;
    for (let i = 0; i < spec.key.length; i++) h = Math.imul(h ^ spec.key.charCodeAt(i), 16777619);
    const body = Buffer.allocUnsafe(spec.size);
    const head = body.write(`${spec.key}\0${spec.gen}\n`);
    const from = (h >>> 0) % (pool.length - spec.size);
    pool.copy(body, head, from, from + spec.size - head);
    fs.writeFileSync(dest, body);
  }
  return (performance.now() - started) / 1000;
}

export interface Mutation {
  gen: number;
  changed: FileSpec[];
  deleted: string[];
  added: FileSpec[];
}

/**
 * mutate picks, among the small files, 1 % to change (half keep their size, half grow),
 * 0.5 % to delete and 0.5 % new ones to add in existing plate folders — deterministically
 * from the manifest and the generation number.
 */
export function planMutation(manifest: Manifest, gen: number, fractions = { change: 0.01, remove: 0.005, add: 0.005 }): Mutation {
  const small = [...manifest.values()].filter((f) => f.kind !== 'parquet');
  const score = (k: string) => crypto.createHash('md5').update(`${gen}\0${k}`).digest().readUInt32LE(0);
  const order = small.map((f) => ({ f, s: score(f.key) })).sort((a, b) => a.s - b.s || (a.f.key < b.f.key ? -1 : 1)).map((x) => x.f);
  const nChange = Math.max(1, Math.round(small.length * fractions.change));
  const nRemove = Math.max(1, Math.round(small.length * fractions.remove));
  const nAdd = Math.max(1, Math.round(small.length * fractions.add));
  const changed = order.slice(0, nChange).map((f, i) => ({ ...f, gen, size: i % 2 === 0 ? f.size : f.size + Math.floor(f.size / 10) + 17 }));
  const deleted = order.slice(nChange, nChange + nRemove).map((f) => f.key);
  const added: FileSpec[] = [];
  const rand = seeded(`add\0${gen}`);
  for (let i = 0; i < nAdd; i++) {
    const host = order[nChange + nRemove + i] ?? order[i]!;
    const folder = host.key.split('/').slice(0, 2).join('/');
    const key = `${folder}/images/extra-g${gen}-${String(i).padStart(4, '0')}.png`;
    added.push({ key, size: between(rand, [10 * KiB, 40 * KiB]), kind: 'png', gen });
  }
  return { gen, changed, deleted, added };
}

/** applyMutation changes a folder as `m` says (writes by rename, so hard-linked copies elsewhere are untouched). */
export function applyMutation(dir: string, m: Mutation): void {
  for (const f of [...m.changed, ...m.added]) writeFile(dir, f);
  for (const key of m.deleted) fs.rmSync(path.join(dir, ...key.split('/')), { force: true });
}

/** mutated is the manifest after `m`. */
export function mutated(manifest: Manifest, m: Mutation): Manifest {
  const out: Manifest = new Map(manifest);
  for (const f of [...m.changed, ...m.added]) out.set(f.key, f);
  for (const key of m.deleted) out.delete(key);
  return out;
}

/** linkTree makes `dst` a copy of `src` made of hard links (instant, no extra disk). */
export function linkTree(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const d of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, d.name);
    const to = path.join(dst, d.name);
    if (d.isDirectory()) linkTree(from, to);
    else if (d.isFile()) fs.linkSync(from, to);
  }
}

/**
 * checkTree compares a folder with a manifest by key and size, and by content for the keys
 * in `byContent` (the files a mutation rewrote: a same-size change is invisible to sizes).
 * Returns a short description of the first differences, or null.
 */
export function checkTree(dir: string, manifest: Manifest, byContent: Iterable<string> = []): string | null {
  const seen = new Map<string, number>();
  const walk = (d: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const key = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), key);
      else if (e.isFile() && e.name !== '.gitkeep') seen.set(key, fs.statSync(path.join(d, e.name)).size);
    }
  };
  walk(dir, '');
  const problems: string[] = [];
  for (const [key, spec] of manifest) {
    const size = seen.get(key);
    if (size === undefined) problems.push(`missing ${key}`);
    else if (size !== spec.size) problems.push(`${key}: ${size} bytes, expected ${spec.size}`);
  }
  for (const key of seen.keys()) if (!manifest.has(key)) problems.push(`extra ${key}`);
  for (const key of byContent) {
    const spec = manifest.get(key);
    if (!spec || seen.get(key) !== spec.size) continue;
    const want = crypto.createHash('md5');
    for (const chunk of contentChunks(spec)) want.update(chunk);
    const got = crypto.createHash('md5').update(fs.readFileSync(path.join(dir, ...key.split('/')))).digest('hex');
    if (got !== want.digest('hex')) problems.push(`${key}: old content`);
  }
  if (!problems.length) return null;
  return `${problems.length} difference(s): ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}`;
}

export function totalBytes(manifest: Manifest): number {
  let n = 0;
  for (const f of manifest.values()) n += f.size;
  return n;
}

export function saveManifest(file: string, manifest: Manifest): void {
  fs.writeFileSync(file, JSON.stringify([...manifest.values()]));
}
