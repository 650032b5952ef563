// The Xet CAS (content-addressed storage) of the Hub emulator: another host on the Hub, here
// another port. Stores xorbs and the file reconstructions that shards register, answers dedup
// queries and v2 reconstructions, and serves ranged xorb reads by pre-signed URL.
// Routes follow xet-core's openapi/cas.openapi.yaml and what huggingface.js and hf_xet send.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { HubError } from './store.js';
import {
  XORB_MAX_BYTES,
  XetFormatError,
  asChunks,
  buildDedupShard,
  decodeChunkAt,
  fileHash,
  hashToHex,
  isXetHashHex,
  parseShard,
  parseXorb,
  verificationHash,
  xorbHash,
  hexToBytes,
  type XorbChunk,
} from './xet-format.js';

const TOKEN_TTL_MS = 60 * 60 * 1000;
const URL_TTL_MS = 60 * 60 * 1000;
/** At most this many xorbs in a dedup answer (a chunk is rarely in more than one). */
const DEDUP_MAX_XORBS = 8;

export interface XorbMeta {
  chunks: XorbChunk[];
  /** Bytes stored (the chunk records, without any footer). */
  size: number;
}

export interface XetFile {
  hash: string;
  size: number;
  sha256: string;
  terms: { xorb: string; start: number; end: number; length: number }[];
}

export interface CasToken {
  write: boolean;
  exp: number;
}

interface Reply {
  status: number;
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
}

/** The CAS's state, on disk under `<root>/xet` so that a `root` kept across runs keeps it too. */
export class CasStore {
  private readonly xorbs = new Map<string, XorbMeta>();
  private readonly files = new Map<string, XetFile>();
  private readonly bySha256 = new Map<string, string>();
  /** chunk hash → xorbs holding it, for dedup queries; filled from registered shards only. */
  private readonly chunkIndex = new Map<string, Set<string>>();
  private readonly tokens = new Map<string, CasToken>();
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'xet');
  }

  async load(): Promise<void> {
    for (const sub of ['xorbs', 'files', 'shards', 'tmp']) await mkdir(join(this.dir, sub), { recursive: true });
    for (const name of await readdir(join(this.dir, 'xorbs'))) {
      if (name.endsWith('.json')) this.xorbs.set(name.slice(0, -5), JSON.parse(await readFile(join(this.dir, 'xorbs', name), 'utf8')) as XorbMeta);
    }
    for (const name of await readdir(join(this.dir, 'files'))) {
      const f = JSON.parse(await readFile(join(this.dir, 'files', name), 'utf8')) as XetFile;
      this.files.set(f.hash, f);
      this.bySha256.set(f.sha256, f.hash);
    }
    for (const name of await readdir(join(this.dir, 'shards'))) this.indexChunks(parseShard(await readFile(join(this.dir, 'shards', name))).xorbs.map((x) => x.hash));
  }

  issueToken(write: boolean): { accessToken: string; exp: number } {
    const accessToken = `xet_emulator_${write ? 'write' : 'read'}_${randomBytes(16).toString('hex')}`;
    const exp = Date.now() + TOKEN_TTL_MS;
    this.tokens.set(accessToken, { write, exp });
    return { accessToken, exp: Math.floor(exp / 1000) };
  }

  checkToken(req: IncomingMessage, write: boolean): void {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const t = m ? this.tokens.get(m[1]!) : undefined;
    // UNCERTAIN: the CAS's exact statuses and texts for a missing, expired or read-only token.
    if (!t || t.exp < Date.now()) throw new HubError(401, 'Invalid or expired Xet access token');
    if (write && !t.write) throw new HubError(403, 'Xet access token is read-only');
  }

  hasXorb(hash: string): boolean {
    return this.xorbs.has(hash);
  }

  xorbPath(hash: string): string {
    return join(this.dir, 'xorbs', hash);
  }

  file(hash: string): XetFile | undefined {
    return this.files.get(hash);
  }

  /** The Xet file whose content has this sha256 (what an LFS pointer names), if one was registered. */
  fileBySha256(sha256: string): XetFile | undefined {
    const h = this.bySha256.get(sha256);
    return h ? this.files.get(h) : undefined;
  }

  xorbsHoldingChunk(chunk: string): string[] {
    return [...(this.chunkIndex.get(chunk) ?? [])];
  }

  xorbMeta(hash: string): XorbMeta | undefined {
    return this.xorbs.get(hash);
  }

  /** Checks a xorb against its name (the xorb hash of its chunks) and stores it; false if already stored. */
  async putXorb(hash: string, body: Buffer): Promise<boolean> {
    if (body.length > XORB_MAX_BYTES) throw new HubError(400, `Xorb is ${body.length} bytes, over the ${XORB_MAX_BYTES}-byte limit`);
    let parsed: ReturnType<typeof parseXorb>;
    try {
      parsed = parseXorb(body);
    } catch (e) {
      if (e instanceof XetFormatError) throw new HubError(400, `Invalid xorb: ${e.message}`);
      throw e;
    }
    const actual = hashToHex(xorbHash(asChunks(parsed.chunks)));
    // UNCERTAIN: status and text; the CAS refuses a xorb whose chunks do not hash to its name.
    if (actual !== hash) throw new HubError(400, `Xorb hash mismatch: the chunks hash to ${actual}, not ${hash}`);
    if (this.xorbs.has(hash)) return false;
    const tmp = join(this.dir, 'tmp', `${hash}-${randomBytes(4).toString('hex')}`);
    await writeFile(tmp, body.subarray(0, parsed.end));
    await rename(tmp, this.xorbPath(hash));
    const meta: XorbMeta = { chunks: parsed.chunks, size: parsed.end };
    await writeFile(join(this.dir, 'xorbs', `${hash}.json`), JSON.stringify(meta));
    this.xorbs.set(hash, meta);
    return true;
  }

  /**
   * Registers a shard's files after checking them: every xorb named must be stored, every term's
   * chunk range must exist with the stated length and verification hash, the file hash must be
   * the one its chunks give, and the content is rebuilt to learn (and check) its sha256.
   * Returns whether anything new was registered.
   */
  async putShard(body: Buffer): Promise<boolean> {
    let parsed: ReturnType<typeof parseShard>;
    try {
      parsed = parseShard(body);
    } catch (e) {
      if (e instanceof XetFormatError) throw new HubError(400, `Invalid shard: ${e.message}`);
      throw e;
    }
    // UNCERTAIN: status and texts of the CAS's shard validation errors.
    for (const x of parsed.xorbs) {
      const meta = this.xorbs.get(x.hash);
      if (!meta) throw new HubError(400, `Shard references xorb ${x.hash}, which is not stored`);
      if (meta.chunks.length !== x.chunks.length) throw new HubError(400, `Shard lists ${x.chunks.length} chunks for xorb ${x.hash}, which has ${meta.chunks.length}`);
    }
    const newFiles: XetFile[] = [];
    for (const f of parsed.files) {
      if (this.files.has(f.hash)) continue;
      const chunks: { hash: string; length: number }[] = [];
      let size = 0;
      for (const t of f.terms) {
        const meta = this.xorbs.get(t.xorb);
        if (!meta) throw new HubError(400, `Shard references xorb ${t.xorb}, which is not stored`);
        if (t.start >= t.end || t.end > meta.chunks.length) throw new HubError(400, `Invalid chunk range [${t.start}, ${t.end}) of xorb ${t.xorb}`);
        const termChunks = meta.chunks.slice(t.start, t.end);
        const length = termChunks.reduce((n, c) => n + c.length, 0);
        if (length !== t.length) throw new HubError(400, `Term of xorb ${t.xorb} [${t.start}, ${t.end}) is ${length} bytes, the shard says ${t.length}`);
        if (t.rangeHash !== undefined && hashToHex(verificationHash(termChunks.map((c) => hexToBytes(c.hash)))) !== t.rangeHash) {
          throw new HubError(400, `Verification hash mismatch for xorb ${t.xorb} [${t.start}, ${t.end})`);
        }
        chunks.push(...termChunks);
        size += length;
      }
      const actual = hashToHex(fileHash(asChunks(chunks)));
      if (actual !== f.hash) throw new HubError(400, `File reconstruction does not produce hash ${f.hash} (got ${actual})`);
      const file: XetFile = { hash: f.hash, size, sha256: '', terms: f.terms.map(({ xorb, start, end, length }) => ({ xorb, start, end, length })) };
      const sha = createHash('sha256');
      for await (const piece of this.read(file, 0, size)) sha.update(piece);
      file.sha256 = sha.digest('hex');
      // Both clients write the sha256 in the metadata extension word by word, like a Xet hash;
      // UNCERTAIN: whether the Hub also takes plain byte order (accepted here).
      if (f.sha256 && hashToHex(f.sha256) !== file.sha256 && f.sha256.toString('hex') !== file.sha256) {
        throw new HubError(400, `The sha256 in the shard for file ${f.hash} does not match its content (${file.sha256})`);
      }
      newFiles.push(file);
    }
    for (const file of newFiles) {
      await writeFile(join(this.dir, 'files', `${file.hash}.json`), JSON.stringify(file));
      this.files.set(file.hash, file);
      this.bySha256.set(file.sha256, file.hash);
    }
    const xorbsNamed = [...new Set([...parsed.xorbs.map((x) => x.hash), ...parsed.files.flatMap((f) => f.terms.map((t) => t.xorb))])];
    const shardName = createHash('sha256').update(body).digest('hex');
    await writeFile(join(this.dir, 'shards', shardName), body);
    this.indexChunks(xorbsNamed);
    return newFiles.length > 0 || parsed.xorbs.length > 0;
  }

  // UNCERTAIN: the Hub answers dedup queries only for the chunks it deems eligible (first chunks
  // of files and a hash-selected subset); every chunk of a registered xorb is answerable here.
  private indexChunks(xorbs: string[]): void {
    for (const x of xorbs) {
      for (const c of this.xorbs.get(x)?.chunks ?? []) {
        let set = this.chunkIndex.get(c.hash);
        if (!set) this.chunkIndex.set(c.hash, (set = new Set()));
        set.add(x);
      }
    }
  }

  /** Yields bytes [start, end) of a file, decoding the chunks of its terms. */
  async *read(file: XetFile, start: number, end: number): AsyncGenerator<Uint8Array> {
    let at = 0;
    for (const t of file.terms) {
      if (at >= end) return;
      if (at + t.length <= start) {
        at += t.length;
        continue;
      }
      const meta = this.xorbs.get(t.xorb)!;
      const xorb = await readFile(this.xorbPath(t.xorb));
      for (const c of meta.chunks.slice(t.start, t.end)) {
        if (at + c.length > start && at < end) {
          const { data } = decodeChunkAt(xorb, c.offset);
          yield data.subarray(Math.max(0, start - at), Math.min(c.length, end - at));
        }
        at += c.length;
      }
    }
  }
}

// ------------------------------------------------------------------ HTTP

/** Parses `bytes=a-b` / `bytes=a-` against a size; undefined when absent, 'invalid' when unsatisfiable. */
function parseRange(h: string | undefined, size: number): { start: number; end: number } | undefined | 'invalid' {
  if (!h) return undefined;
  const m = /^bytes=(\d+)-(\d*)$/.exec(h.trim());
  if (!m) return 'invalid';
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

export interface CasRoutes {
  handle(req: IncomingMessage, res: ServerResponse, segs: string[], u: URL, readBody: () => Promise<Buffer>): Promise<void>;
}

export function createCasRoutes(cas: CasStore, casUrl: () => string): CasRoutes {
  const secret = randomBytes(32);
  const hmacKey = randomBytes(32);
  const sign = (...parts: string[]): string => createHmac('sha256', secret).update(parts.join('\n')).digest('base64url');

  /** A pre-signed URL for bytes [start, end] of a stored xorb (the Hub hands out signed storage URLs). */
  const xorbUrl = (hash: string, start: number, end: number): string => {
    const exp = String(Date.now() + URL_TTL_MS);
    const range = `${start}-${end}`;
    return `${casUrl()}/xorb-data/${hash}?range=${range}&exp=${exp}&sig=${sign(hash, range, exp)}`;
  };

  function reconstruction(hash: string, rangeHeader: string | undefined): Reply {
    const file = cas.file(hash);
    if (!file) return { status: 404, json: { error: `File ${hash} not found` } };
    const range = parseRange(rangeHeader, file.size);
    if (range === 'invalid') return { status: 416, json: { error: 'Range not satisfiable' }, headers: { 'Content-Range': `bytes */${file.size}` } };
    const first = range?.start ?? 0;
    const last = range?.end ?? file.size - 1;
    // Terms are cut to the chunks that overlap the range, as the Hub does; the client skips
    // offset_into_first_range bytes of the first one.
    const terms: { hash: string; unpacked_length: number; range: { start: number; end: number } }[] = [];
    let offsetIntoFirst = 0;
    let at = 0;
    for (const t of file.terms) {
      const chunks = cas.xorbMeta(t.xorb)!.chunks;
      let s = -1;
      let e = -1;
      let length = 0;
      for (let i = t.start; i < t.end; i++) {
        const c = chunks[i]!;
        if (at + c.length > first && at <= last) {
          if (s < 0) {
            s = i;
            if (terms.length === 0) offsetIntoFirst = first - at;
          }
          e = i + 1;
          length += c.length;
        }
        at += c.length;
      }
      if (s >= 0) terms.push({ hash: t.xorb, unpacked_length: length, range: { start: s, end: e } });
    }
    // One fetch entry per merged chunk range: each then takes a single-range GET, so no
    // multipart/byteranges answer is needed.
    const byXorb = new Map<string, { start: number; end: number }[]>();
    for (const t of terms) {
      const list = byXorb.get(t.hash) ?? [];
      list.push({ ...t.range });
      byXorb.set(t.hash, list);
    }
    const xorbs: Record<string, { url: string; ranges: { chunks: { start: number; end: number }; bytes: { start: number; end: number } }[] }[]> = {};
    for (const [x, ranges] of byXorb) {
      ranges.sort((a, b) => a.start - b.start);
      const merged: { start: number; end: number }[] = [];
      for (const r of ranges) {
        const top = merged[merged.length - 1];
        if (top && r.start <= top.end) top.end = Math.max(top.end, r.end);
        else merged.push({ ...r });
      }
      const chunks = cas.xorbMeta(x)!.chunks;
      xorbs[x] = merged.map((r) => {
        const bytes = { start: chunks[r.start]!.offset, end: chunks[r.end - 1]!.offset + chunks[r.end - 1]!.size - 1 };
        return { url: xorbUrl(x, bytes.start, bytes.end), ranges: [{ chunks: r, bytes }] };
      });
    }
    return { status: 200, json: { offset_into_first_range: offsetIntoFirst, terms, xorbs } };
  }

  async function xorbData(req: IncomingMessage, res: ServerResponse, hash: string, u: URL): Promise<void> {
    const signed = u.searchParams.get('range') ?? '';
    const exp = u.searchParams.get('exp') ?? '';
    const want = Buffer.from(sign(hash, signed, exp));
    const got = Buffer.from(u.searchParams.get('sig') ?? '');
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw new HubError(403, 'Invalid signature');
    if (Number(exp) < Date.now()) throw new HubError(403, 'URL expired');
    const meta = cas.xorbMeta(hash);
    if (!meta) throw new HubError(404, 'Xorb not found');
    const [allowedStart, allowedEnd] = signed.split('-').map(Number) as [number, number];
    const r = parseRange(req.headers.range, meta.size) ?? { start: allowedStart, end: allowedEnd };
    // As on the Hub: a signed URL serves only the bytes it was signed for (one range; no multi-range).
    if (r === 'invalid' || r.start < allowedStart || r.end > allowedEnd) throw new HubError(416, 'Range not satisfiable for this URL');
    const data = (await readFile(cas.xorbPath(hash))).subarray(r.start, r.end + 1);
    res.writeHead(206, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(data.length),
      'Content-Range': `bytes ${r.start}-${r.end}/${meta.size}`,
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  function send(res: ServerResponse, r: Reply): void {
    const body = r.body ?? Buffer.from(JSON.stringify(r.json ?? {}));
    res.writeHead(r.status, {
      'Content-Type': r.body ? 'application/octet-stream' : 'application/json',
      'Content-Length': String(body.length),
      ...r.headers,
    });
    res.end(body);
  }

  return {
    async handle(req, res, segs, u, readBody) {
      const method = req.method ?? 'GET';
      const [version, kind, a, b] = segs;
      if (version === 'xorb-data' && kind && isXetHashHex(kind) && (method === 'GET' || method === 'HEAD')) return xorbData(req, res, kind, u);
      // xet-core names the prefix `default`, huggingface.js's dedup query `default` too,
      // the OpenAPI spec `default-merkledb` for chunks: any prefix is accepted.
      if (version === 'v1' && kind === 'xorbs' && a && b && isXetHashHex(b)) {
        if (method === 'POST') {
          cas.checkToken(req, true);
          return send(res, { status: 200, json: { was_inserted: await cas.putXorb(b, await readBody()) } });
        }
        if (method === 'HEAD') {
          cas.checkToken(req, false);
          return send(res, { status: cas.hasXorb(b) ? 200 : 404, body: Buffer.alloc(0) });
        }
      }
      if (version === 'v1' && kind === 'shards' && segs.length === 2 && method === 'POST') {
        cas.checkToken(req, true);
        // result: 0 = already known (Exists), 1 = registered (SyncPerformed), as xet-core reads it.
        return send(res, { status: 200, json: { result: (await cas.putShard(await readBody())) ? 1 : 0 } });
      }
      if (version === 'v1' && kind === 'chunks' && a && b && isXetHashHex(b) && method === 'GET') {
        cas.checkToken(req, false);
        const xorbs = cas.xorbsHoldingChunk(b).slice(0, DEDUP_MAX_XORBS);
        if (xorbs.length === 0) return send(res, { status: 404, json: { error: 'Chunk not found' } });
        const shard = buildDedupShard(
          xorbs.map((x) => ({ hash: x, chunks: cas.xorbMeta(x)!.chunks, storedSize: cas.xorbMeta(x)!.size })),
          hmacKey,
          Date.now() + TOKEN_TTL_MS,
        );
        return send(res, { status: 200, body: shard });
      }
      if (version === 'v2' && kind === 'reconstructions' && a && isXetHashHex(a) && segs.length === 3 && method === 'GET') {
        cas.checkToken(req, false);
        return send(res, reconstruction(a, req.headers.range));
      }
      // Not served: v1 reconstructions (deprecated; both clients use v2), v2 NDJSON shard
      // uploads (hf_xet falls back to v1 on a 404), batch reconstructions, file-chunk-hashes.
      throw new HubError(404, 'Not Found');
    },
  };
}
