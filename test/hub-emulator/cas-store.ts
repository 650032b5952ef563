// State of the Hub emulator's Xet CAS: the xorbs stored, the file reconstructions that shards
// registered (by Xet hash and by sha256, which commits name), the chunk index dedup queries use,
// and the CAS access tokens. Every upload is checked against its hashes before it is kept.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { HubError } from './store.js';
import {
  XORB_MAX_BYTES,
  XetFormatError,
  asChunks,
  decodeChunkAt,
  fileHash,
  hashToHex,
  hexToBytes,
  parseShard,
  parseXorb,
  verificationHash,
  xorbHash,
  type XorbChunk,
} from './xet-format.js';

export const TOKEN_TTL_MS = 60 * 60 * 1000;

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
    const parsed = parsedOr400('xorb', () => parseXorb(body));
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
    const parsed = parsedOr400('shard', () => parseShard(body));
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
  // A chunk answers with every xorb of the upload (shard) it came from, as xet-core's reference
  // server does: huggingface.js asks once per file, by its first chunk, and then reuses only
  // the xorbs the answer names, so the answer must cover the whole earlier version.
  private indexChunks(xorbs: string[]): void {
    for (const x of xorbs) {
      for (const c of this.xorbs.get(x)?.chunks ?? []) {
        let set = this.chunkIndex.get(c.hash);
        if (!set) this.chunkIndex.set(c.hash, (set = new Set()));
        for (const y of xorbs) set.add(y);
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

/** parsedOr400: what `parse` reads from a client's upload; a malformed one is the client's error, a 400 naming what it was. */
function parsedOr400<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof XetFormatError) throw new HubError(400, `Invalid ${what}: ${e.message}`);
    throw e;
  }
}
