// The dedup group (`--only dedup`): the bytes Strata sends to the Hub for each change of one
// large parquet file, through Xet (content-defined chunks: only chunks the Hub lacks travel)
// and, for comparison, through LFS (STRATA_HUB_TRANSFER=lfs: the whole file each time).
//
// A real lab project (`hub: hf://datasets/lab/NAME` in strata.yaml, HF_ENDPOINT and HF_TOKEN
// in .env) pushes with `just put-results` to a branch of a Hub emulator started in this
// process (test/hub-emulator; it implements Xet's CAS on a port of its own). The file is
// written by pyarrow with content-defined chunking (bench/lib/dedup-parquet.py, run with
// .venv's python); after the first push it is rewritten three times, each pushed:
//   append  1 % more rows after the others;
//   column  the first file with one column added (a cluster label per cell);
//   same    that file written again by pyarrow: the same bytes, a new modification time.
// Bytes sent: the sum of the Content-Length of every request the push made to the emulator
// (its request log from just before to just after the push): CAS xorbs and shards, LFS
// uploads, the commit, and the small JSON calls. Each transfer gets its own emulator, so
// the LFS pass cannot reuse what the Xet pass stored (the CAS is global, as on the Hub).
// Beside it, the floor: the bytes of the file's Xet chunks (the official chunker,
// @huggingface/xetchunk-wasm) that no earlier push held, uncompressed; what a push sends when
// every chunk already stored is found.
import { createChunker, finalize, hashToHex, nextBlock } from '@huggingface/xetchunk-wasm';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHubEmulator, type HubEmulator, type RecordedRequest } from '../../test/hub-emulator/index.js';
import { measure } from './measure.js';
import type { Options } from './options.js';
import type { Sample } from './report.js';
import type { RequestKind, Requests } from './requests.js';
import { git } from './tools.js';

export type DedupTransfer = 'xet' | 'lfs';
export type DedupChange = 'first' | 'append' | 'column' | 'same';
export const DEDUP_CHANGES: readonly DedupChange[] = ['first', 'append', 'column', 'same'];

/** What one push sent, in bytes (request bodies, by where they went), and the file it pushed. */
export interface DedupSent {
  transfer: DedupTransfer;
  change: DedupChange;
  /** The file pushed: its size and rows. */
  fileBytes: number;
  rows: number;
  /** Every request body of the push, summed. */
  bytes: number;
  xorbs: number;
  shards: number;
  lfs: number;
  commit: number;
  /** Preupload, LFS batch and other JSON calls. */
  other: number;
  /** Requests with a body but no Content-Length (their bytes could not be counted). */
  unsized: number;
  /** column: the compressed size of the added column in the file (what it adds at least). */
  addedColumnBytes?: number;
  /** Bytes of the file's Xet chunks that no earlier push of the sequence held (uncompressed). */
  newChunkBytes?: number;
}

export const dedupId = (transfer: DedupTransfer, change: DedupChange) => `dedup/${transfer}/${change}`;

export function parseDedupId(workload: string): { transfer: DedupTransfer; change: DedupChange } | undefined {
  const m = /^dedup\/(xet|lfs)\/(first|append|column|same)$/.exec(workload);
  return m ? { transfer: m[1] as DedupTransfer, change: m[2] as DedupChange } : undefined;
}

/** The goals: bytes sent over Xet as a share of the file, at most. */
export const DEDUP_TARGETS: Partial<Record<DedupChange, number>> = { append: 0.12, column: 0.03, same: 0.001 };

export const CHANGE_WORDS: Record<DedupChange, string> = {
  first: 'first push (the Hub has none of it)',
  append: '1 % rows appended',
  column: 'one column added',
  same: 'rewritten unchanged (same bytes, new mtime)',
};

export interface DedupContext {
  opts: Options;
  /** The Strata checkout (dist/, strata.just) and the native just binary. */
  strataRoot: string;
  just: string;
  /** HOME for Strata runs (a scratch folder). */
  home: string;
  work: string;
  repoRoot: string;
  say: (line: string) => void;
  note: (line: string) => void;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const BRANCH = 'profiles-v2';
const FILE = 'profiles/BR00117010.parquet';
const SEED = 20_240_917;
const LAB_GITIGNORE = 'data/**\n!data/**/\n!data/**/.gitkeep\ndata/_recycle/\n.strata/\n.env\nnode_modules/\n';
const mbText = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(part / whole < 0.01 ? 3 : 1)} %`;

interface Written {
  rows: number;
  bytes: number;
  columns: number;
  addedColumnBytes?: number;
}

/** The parquet writer (dedup-parquet.py, kept in bench/lib; the build leaves it there). */
function writerScript(repoRoot: string): string {
  return path.join(repoRoot, 'bench', 'lib', 'dedup-parquet.py');
}

function runChild(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** writeParquet runs the writer (asynchronously: the emulator in this process keeps answering). */
async function writeParquet(ctx: DedupContext, out: string, args: string[]): Promise<Written & { seconds: number }> {
  const python = path.join(ctx.repoRoot, '.venv', 'bin', 'python');
  const t0 = performance.now();
  const r = await runChild(python, [writerScript(ctx.repoRoot), out, '--seed', String(SEED), ...args], path.dirname(out), { PATH: process.env.PATH, HOME: ctx.home, LANG: 'C.UTF-8' });
  if (r.code !== 0) throw new Error(`dedup-parquet.py ${args.join(' ')} failed (exit ${r.code}):\n${r.out.slice(-3000)}`);
  const line = r.out.trim().split('\n').pop()!;
  return { ...(JSON.parse(line) as Written), seconds: (performance.now() - t0) / 1000 };
}

/** newChunkBytes: bytes of the file's Xet chunks not in `seen` (which it then joins). */
async function newChunkBytes(file: string, seen: Set<string>): Promise<number> {
  const chunker = createChunker(64 * 1024);
  let fresh = 0;
  const add = (c: { hash: Uint8Array; length: number }) => {
    const h = hashToHex(c.hash);
    if (!seen.has(h)) fresh += c.length;
    seen.add(h);
  };
  for await (const block of fs.createReadStream(file, { highWaterMark: 8 << 20 })) for (const c of nextBlock(chunker, block as Buffer)) add(c);
  const last = finalize(chunker);
  if (last) add(last);
  return fresh;
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 8 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * A lab project whose processed layer is on the emulator's dataset repo (the other layers on
 * the folder `remoteDir`), checked out on `branch` (dedup: BRANCH; the browse group: main).
 * Returns its processed folder.
 */
export function makeHubProject(strataRoot: string, root: string, hub: Pick<HubEmulator, 'url' | 'token'>, repo: string, remoteDir: string, branch = BRANCH): string {
  fs.rmSync(root, { recursive: true, force: true });
  for (const d of ['data/external', 'data/raw/profiles', 'data/interim', 'data/processed']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, d, '.gitkeep'), '');
  }
  fs.mkdirSync(remoteDir, { recursive: true });
  fs.writeFileSync(path.join(root, '.gitignore'), LAB_GITIGNORE);
  // The other layers stay on a plain folder; processed (versioned by default) goes to the Hub.
  fs.writeFileSync(path.join(root, 'strata.yaml'), `remote: file://${remoteDir}\nhub: hf://datasets/${repo}\n`);
  fs.writeFileSync(path.join(root, 'Justfile'), `import '${path.join(strataRoot, 'strata.just')}'\n`);
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['add', '-A']);
  git(root, ['commit', '-q', '-m', 'Lab project']);
  if (branch !== 'main') git(root, ['switch', '-q', '-c', branch]);
  fs.writeFileSync(path.join(root, '.env'), [`HF_ENDPOINT=${hub.url}`, `HF_TOKEN=${hub.token}`, 'STRATA_ROLE=maintainer', ''].join('\n'));
  return path.join(root, 'data', 'processed');
}

function kindOf(r: RecordedRequest): RequestKind {
  if (r.method === 'PUT' && r.path.startsWith('/_emulator/lfs-multipart/')) return 'PART';
  return (['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const).find((m) => m === r.method) ?? 'OTHER';
}

/** sentBy sums the request bodies of a push, by where they went. */
function sentBy(reqs: RecordedRequest[]): Omit<DedupSent, 'transfer' | 'change' | 'fileBytes' | 'rows'> & { requests: Requests } {
  const s = { bytes: 0, xorbs: 0, shards: 0, lfs: 0, commit: 0, other: 0, unsized: 0 };
  const requests: Requests = { total: 0, byKind: {}, errors: 0 };
  for (const r of reqs) {
    requests.total++;
    const k = kindOf(r);
    requests.byKind[k] = (requests.byKind[k] ?? 0) + 1;
    if ((r.status ?? 0) >= 400) requests.errors++;
    if (r.bodySize === undefined) {
      if (r.method === 'POST' || r.method === 'PUT') s.unsized++;
      continue;
    }
    const b = r.bodySize;
    s.bytes += b;
    if (r.cas && r.path.startsWith('/v1/xorbs/')) s.xorbs += b;
    else if (r.cas && r.path.startsWith('/v1/shards')) s.shards += b;
    else if (r.path.startsWith('/_emulator/lfs-')) s.lfs += b;
    else if (/\/commit\//.test(r.path)) s.commit += b;
    else s.other += b;
  }
  return { ...s, requests };
}

/** remoteSha256: the sha256 the Hub's listing gives for the file on the branch (its LFS/Xet pointer). */
async function remoteSha256(hub: HubEmulator, repo: string): Promise<string | undefined> {
  const dir = path.posix.dirname(FILE);
  const res = await fetch(`${hub.url}/api/datasets/${repo}/tree/${encodeURIComponent(BRANCH)}/processed/${dir}`, { headers: { Authorization: `Bearer ${hub.token}` } });
  if (!res.ok) return undefined;
  const entries = (await res.json()) as { path: string; lfs?: { oid: string }; xetHash?: string }[];
  return entries.find((e) => e.path === `processed/${FILE}`)?.lfs?.oid;
}

/** The file of each change, written once by pyarrow into `dir` and copied into each project. */
interface Variant {
  file: string;
  written: Written;
}

/**
 * runDedup measures both transfers and returns one sample per push (tool "strata",
 * workload dedup/<transfer>/<change>, the bytes in `dedup`).
 */
export async function runDedup(ctx: DedupContext): Promise<Sample[]> {
  const { opts, say, note } = ctx;
  if (!fs.existsSync(path.join(ctx.repoRoot, '.venv', 'bin', 'python'))) throw new Error('dedup: .venv/bin/python (with pyarrow) is missing — `bash .ci/install-deps.sh` makes .venv');
  const root = path.join(ctx.work, 'dedup');
  const variantsDir = path.join(root, 'files');
  fs.mkdirSync(variantsDir, { recursive: true });

  say(`bench: dedup: writing a ${mbText(opts.dedupSize)} parquet file with pyarrow (content-defined chunking) and its changes`);
  const variants = new Map<DedupChange, Variant>();
  const base = await writeParquet(ctx, path.join(variantsDir, 'first.parquet'), ['--target-bytes', String(opts.dedupSize)]);
  variants.set('first', { file: path.join(variantsDir, 'first.parquet'), written: base });
  const extra = Math.max(1, Math.round(base.rows / 100));
  const append = await writeParquet(ctx, path.join(variantsDir, 'append.parquet'), ['--rows', String(base.rows), '--append-rows', String(extra)]);
  variants.set('append', { file: path.join(variantsDir, 'append.parquet'), written: append });
  const column = await writeParquet(ctx, path.join(variantsDir, 'column.parquet'), ['--rows', String(base.rows), '--add-column']);
  variants.set('column', { file: path.join(variantsDir, 'column.parquet'), written: column });
  // The floor of each push: chunks no earlier push held (the same for both transfers; the
  // unchanged rewrite is the column file again).
  const seen = new Set<string>();
  const fresh = new Map<DedupChange, number>();
  for (const c of ['first', 'append', 'column'] as const) fresh.set(c, await newChunkBytes(variants.get(c)!.file, seen));
  fresh.set('same', await newChunkBytes(variants.get('column')!.file, seen));
  note(
    `Dedup: ${base.rows.toLocaleString('en-US')} rows × ${base.columns} columns, ${mbText(base.bytes)} (${base.seconds.toFixed(1)} s to write); ` +
      `+${extra.toLocaleString('en-US')} rows: ${mbText(append.bytes)}; +1 column: ${mbText(column.bytes)}, of which the new column ${mbText(column.addedColumnBytes ?? 0)}.`,
  );

  const samples: Sample[] = [];
  for (const transfer of ['xet', 'lfs'] as const) {
    const hub = await startHubEmulator({ root: path.join(root, `hub-${transfer}`) });
    try {
      const repo = `lab/profiles-${transfer}`;
      const project = path.join(root, `project-${transfer}`);
      const dataDir = makeHubProject(ctx.strataRoot, project, hub, repo, path.join(root, `remote-${transfer}`));
      const target = path.join(dataDir, FILE);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      let previous: string | undefined;
      for (const change of DEDUP_CHANGES) {
        let written: Written;
        if (change === 'same') {
          // A real rewrite: pyarrow writes the previous file's content again over it.
          const before = previous!;
          written = await writeParquet(ctx, target, ['--rows', String(base.rows), '--add-column']);
          const after = await sha256(target);
          if (after !== before) say(`  ✗ dedup: the rewrite is not byte-identical (${before.slice(0, 12)} → ${after.slice(0, 12)})`);
        } else {
          const v = variants.get(change)!;
          fs.copyFileSync(v.file, target);
          written = v.written;
        }
        const want = await sha256(target);
        previous = want;
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: process.env.LANG ?? 'C.UTF-8', HOME: ctx.home, TMPDIR: process.env.TMPDIR, NO_COLOR: '1' };
        for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
        if (transfer === 'lfs') env.STRATA_HUB_TRANSFER = 'lfs';
        const id = dedupId(transfer, change);
        const logFile = path.join(ctx.work, 'logs', `${id.replace(/\//g, '-')}.log`);
        const mark = hub.requests.length;
        const cpu0 = process.cpuUsage();
        const cost = await measure({ cmd: ctx.just, args: ['put-results'], cwd: project, env, logFile });
        const cpu = process.cpuUsage(cpu0);
        const sent = sentBy(hub.requests.slice(mark));
        const { requests, ...bytes } = sent;
        const sample: Sample = {
          workload: id,
          tool: 'strata',
          rep: 1,
          ...cost,
          requests,
          // The emulator runs in this process: its CPU is this process's during the push.
          serverCpu: (cpu.user + cpu.system) / 1e6,
          logFile,
          dedup: { transfer, change, fileBytes: written.bytes, rows: written.rows, ...bytes, newChunkBytes: fresh.get(change), ...(change === 'column' ? { addedColumnBytes: column.addedColumnBytes } : {}) },
        };
        if (cost.exitCode !== 0) sample.problem = `exit ${cost.exitCode}: ${fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ')}`;
        else {
          const got = await remoteSha256(hub, repo);
          if (got !== want) sample.problem = `the Hub's file on ${BRANCH} is ${got?.slice(0, 12) ?? 'missing'}, not the pushed ${want.slice(0, 12)}`;
          else if (bytes.unsized) sample.problem = `${bytes.unsized} request(s) without Content-Length: their bytes are not counted`;
        }
        samples.push(sample);
        say(
          `  ${transfer.padEnd(3)} ${change.padEnd(6)} ${cost.wall.toFixed(1).padStart(6)} s  sent ${mbText(bytes.bytes).padStart(9)} = ${pct(bytes.bytes, written.bytes).padStart(8)} of ${mbText(written.bytes)}` +
            `  (xorbs ${mbText(bytes.xorbs)} · shards ${(bytes.shards / 1e3).toFixed(1)} kB · lfs ${mbText(bytes.lfs)} · commit ${(bytes.commit / 1e3).toFixed(1)} kB · other ${(bytes.other / 1e3).toFixed(1)} kB)` +
            `${sample.problem ? `  ✗ ${sample.problem}` : ''}`,
        );
      }
    } finally {
      await hub.stop();
      fs.rmSync(path.join(root, `hub-${transfer}`), { recursive: true, force: true });
    }
  }
  fs.rmSync(variantsDir, { recursive: true, force: true });
  say('');
  for (const line of dedupTable(samples)) say(line);
  return samples;
}

/** dedupTable: the table printed at the end of the group (and, in markdown, in the report). */
export function dedupTable(samples: Sample[], markdown = false): string[] {
  const get = (t: DedupTransfer, c: DedupChange) => samples.find((s) => s.workload === dedupId(t, c));
  const cell = (s?: Sample) => (s?.dedup ? [`${s.dedup.bytes.toLocaleString('en-US')}`, pct(s.dedup.bytes, s.dedup.fileBytes)] : ['', '']);
  const rows = DEDUP_CHANGES.filter((c) => get('xet', c) || get('lfs', c)).map((c) => {
    const x = get('xet', c);
    const l = get('lfs', c);
    const file = (x ?? l)!.dedup!.fileBytes;
    const goal = DEDUP_TARGETS[c];
    const fresh = (x ?? l)!.dedup!.newChunkBytes;
    const floor = fresh === undefined ? ['', ''] : [fresh.toLocaleString('en-US'), pct(fresh, file)];
    return [CHANGE_WORDS[c], file.toLocaleString('en-US'), ...cell(x), goal === undefined ? '' : `≤ ${(goal * 100).toString()} %`, ...cell(l), ...floor];
  });
  const head = ['Change', 'File bytes', 'Bytes over Xet', '% of file', 'Target (Xet)', 'Bytes over LFS', '% of file', 'New chunks', '% of file'];
  if (markdown) return [`| ${head.join(' | ')} |`, `|---|${head.slice(1).map(() => '--:').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)];
}
