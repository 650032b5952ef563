// The Xet CAS (content-addressed storage) routes of the Hub emulator: another host on the Hub,
// here another port. Xorb and shard uploads, dedup queries, v2 reconstructions, and ranged xorb
// reads by pre-signed URL. Routes follow xet-core's openapi/cas.openapi.yaml and what
// huggingface.js and hf_xet send; the state and its checks are in cas-store.ts.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TOKEN_TTL_MS, type CasStore } from './cas-store.js';
import { HubError } from './store.js';
import { buildDedupShard, isXetHashHex } from './xet-format.js';

const URL_TTL_MS = 60 * 60 * 1000;
/** At most this many xorbs in a dedup answer (a chunk is rarely in more than one). */
const DEDUP_MAX_XORBS = 8;

interface Reply {
  status: number;
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
}

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
