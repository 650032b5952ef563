// HTTP routes of the Hub emulator, shaped after what @huggingface/hub 2.17.5 sends and reads.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { CasRoutes } from './cas.js';
import type { CasStore } from './cas-store.js';
import {
  DEFAULT_BRANCH,
  HubError,
  RepoStore,
  checkRepoPath,
  entryNotFound,
  repoUrlPath,
  revisionNotFound,
  type Discussion,
  type DiscussionEvent,
  type Repo,
  type RepoKey,
  type RepoType,
} from './store.js';

export interface FaultRule {
  /** `path` is the request's path as sent (still percent-encoded), without the query string. */
  match: (method: string, path: string) => boolean;
  status: 429 | 500 | 502 | 503 | 504 | number;
  /** How many matching requests fail; the rule is removed once spent. */
  times: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface RecordedRequest {
  method: string;
  /** Path as sent (percent-encoded), without the query string. */
  path: string;
  query: string;
  /** Response status, set when the response is sent. */
  status?: number;
  /** Received by the download host (LFS content after a redirect), not the Hub's API host. */
  cdn?: true;
  /** Received by the Xet CAS host. */
  cas?: true;
  /** The request's Content-Length, when it declared one (e.g. to count the xorb bytes a client sent). */
  bodySize?: number;
}

export interface ServerContext {
  store: RepoStore;
  token: string;
  readToken: string;
  user: string;
  treePageSize: number;
  lenientRevisions: boolean;
  url: () => string;
  /** The download host LFS files redirect to (another port, as the Hub's CDN is another host), and whether a request came to it. */
  cdnUrl: () => string;
  viaCdn: (req: IncomingMessage) => boolean;
  /** The Xet CAS (another host on the Hub; here another port), its routes, and whether a request came to it. */
  cas: CasStore;
  casRoutes: CasRoutes;
  casUrl: () => string;
  viaCas: (req: IncomingMessage) => boolean;
  requests: RecordedRequest[];
  faults: FaultRule[];
  log?: (line: string) => void;
}

interface Auth {
  user: string;
  write: boolean;
}

interface MultipartUpload {
  key: RepoKey;
  oid: string;
  size: number;
  chunkSize: number;
  parts: number;
  dir: string;
  received: Map<number, { etag: string; size: number }>;
}

const REPO_TYPES: Record<string, RepoType> = { models: 'model', datasets: 'dataset', spaces: 'space' };
const MAX_BODY = 1024 * 1024 * 1024;
const URL_TTL_MS = 60 * 60 * 1000;

function asciiHeader(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(data.length),
    ...headers,
  });
  res.end(data);
}

function sendError(res: ServerResponse, err: HubError): void {
  const headers: Record<string, string> = { 'X-Error-Message': asciiHeader(err.message), ...err.headers };
  if (err.code) headers['X-Error-Code'] = err.code;
  sendJson(res, err.status, { error: err.message, ...err.extra }, headers);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_BODY) throw new HubError(413, 'Payload too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function parseJson<T = Record<string, unknown>>(buf: Buffer, allowEmpty = false): T {
  if (buf.length === 0 && allowEmpty) return {} as T;
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch {
    throw new HubError(400, 'Invalid JSON body');
  }
}

const truthy = (v: string | null): boolean => v !== null && ['1', 'true', 'True'].includes(v);

export function createHandler(ctx: ServerContext): (req: IncomingMessage, res: ServerResponse) => void {
  const { store } = ctx;
  const secret = randomBytes(32);
  const multipart = new Map<string, MultipartUpload>();

  const sign = (...parts: string[]): string => createHmac('sha256', secret).update(parts.join('\n')).digest('base64url');
  /** A signed, expiring URL on the download host for an LFS object (no token: the Hub's CDN URLs are pre-signed). */
  const lfsDownloadUrl = (key: RepoKey, oid: string): { href: string; exp: string } => {
    const exp = String(Date.now() + URL_TTL_MS);
    const p = `/_emulator/lfs-download/${key.type}/${key.id}/${oid}`;
    return { href: `${ctx.cdnUrl()}${p}?exp=${exp}&sig=${sign(p, exp)}`, exp };
  };
  /** A signed URL on the download host that serves a Xet-stored file whole, as the Hub's CDN does for clients without Xet. */
  const xetDownloadUrl = (fileHash: string): string => {
    const exp = String(Date.now() + URL_TTL_MS);
    const p = `/_emulator/xet-download/${fileHash}`;
    return `${ctx.cdnUrl()}${p}?exp=${exp}&sig=${sign(p, exp)}`;
  };
  const checkSig = (sig: string | null, ...parts: string[]): void => {
    const want = Buffer.from(sign(...parts));
    const got = Buffer.from(sig ?? '');
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw new HubError(403, 'Invalid or expired signature');
  };

  function authenticate(req: IncomingMessage): Auth | null {
    const h = req.headers.authorization;
    if (!h) return null;
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (m?.[1] === ctx.token) return { user: ctx.user, write: true };
    if (m?.[1] === ctx.readToken) return { user: ctx.user, write: false };
    // UNCERTAIN: exact text of the Hub's answer to an unknown token.
    throw new HubError(401, 'Invalid credentials in Authorization header');
  }

  // Every repo is private: without a token the Hub answers 401 + RepoNotFound so that
  // the existence of private repos does not leak.
  function requireRead(auth: Auth | null): Auth {
    if (!auth) throw new HubError(401, 'Invalid username or password.', 'RepoNotFound');
    return auth;
  }

  function requireWrite(auth: Auth | null): Auth {
    const a = requireRead(auth);
    // UNCERTAIN: exact text for a read-only token.
    if (!a.write) throw new HubError(403, "You don't have the rights to perform this operation with a read-only token");
    return a;
  }

  // The real Hub routes a revision as ONE path segment: `tree/feat/x` means revision `feat`,
  // path `x` (see huggingface_hub#2879, hf-mem#68). Strict by default so that a caller who
  // forgets to encode fails here as it would there.
  async function splitRevision(repo: Repo, segs: string[], withPath: boolean): Promise<{ rev: string; path: string }> {
    if (segs.length === 0) throw revisionNotFound('');
    const joined = segs.join('/');
    if (ctx.lenientRevisions && segs.length > 1) {
      for (const name of await store.refNames(repo)) {
        if (joined === name) return { rev: name, path: '' };
        if (withPath && joined.startsWith(`${name}/`)) return { rev: name, path: joined.slice(name.length + 1) };
      }
    }
    if (!withPath && segs.length > 1) throw revisionNotFound(segs[0]!);
    return { rev: segs[0]!, path: segs.slice(1).join('/') };
  }

  function authorObj(name: string): Record<string, unknown> {
    return { name, fullname: name, type: 'user', avatarUrl: `${ctx.url()}/avatars/${encodeURIComponent(name)}.svg`, isPro: false, isHf: false };
  }

  function eventJson(e: DiscussionEvent): Record<string, unknown> {
    return { ...e, author: authorObj(e.author) };
  }

  async function discussionJson(repo: Repo, d: Discussion, withDiff: boolean): Promise<Record<string, unknown>> {
    const base: Record<string, unknown> = {
      num: d.num,
      title: d.title,
      status: d.status,
      isPullRequest: d.isPullRequest,
      author: authorObj(d.author),
      createdAt: d.createdAt,
      repo: { name: repo.key.id, type: repo.key.type },
      pinned: false,
      locked: false,
      url: `${ctx.url()}/${repoUrlPath(repo.key)}/discussions/${d.num}`,
      events: d.events.map(eventJson),
    };
    if (!d.isPullRequest) return base;
    const st = await store.pullRequestState(repo, d);
    base.changes = {
      base: d.base,
      ...(d.mergeCommitId ? { mergeCommitId: d.mergeCommitId } : {}),
      ...(st.head ? { headCommit: st.head } : {}),
    };
    base.filesWithConflicts = st.filesWithConflicts;
    base.ref = `refs/pr/${d.num}`;
    if (withDiff && st.head) base.diff = await store.diff(repo, st.mergeBase ?? st.baseHead ?? st.head, st.head);
    return base;
  }

  // ------------------------------------------------------------------ LFS transfer endpoints

  async function lfsBatch(req: IncomingMessage, res: ServerResponse, key: RepoKey): Promise<void> {
    if (req.method !== 'POST') throw new HubError(405, 'Method not allowed');
    const auth = authenticate(req);
    const body = parseJson<{ operation?: string; transfers?: string[]; hash_algo?: string; ref?: { name?: string }; objects?: { oid: string; size: number }[] }>(
      await readBody(req),
    );
    const repo = await store.getRepo(key);
    if (body.operation === 'upload') requireWrite(auth);
    else if (body.operation === 'download') requireRead(auth);
    else throw new HubError(400, `Invalid operation: ${String(body.operation)}`);
    if (body.hash_algo && !['sha256', 'sha_256'].includes(body.hash_algo)) throw new HubError(409, `Unsupported hash algorithm: ${body.hash_algo}`);
    const offersMultipart = (body.transfers ?? ['basic']).includes('multipart');
    // A client that offers `xet` uploads through the CAS, as on the Hub; one that does not
    // (huggingface.js with useXet: false, git-lfs) keeps getting basic/multipart LFS actions.
    const useXet = body.operation === 'upload' && (body.transfers ?? []).includes('xet');
    const exp = String(Date.now() + URL_TTL_MS);
    const expiresAt = new Date(Number(exp)).toISOString();
    let usedMultipart = false;
    const objects = [];
    for (const o of body.objects ?? []) {
      if (typeof o.oid !== 'string' || !/^[0-9a-f]{64}$/.test(o.oid) || !Number.isInteger(o.size) || o.size < 0) {
        objects.push({ oid: o.oid, size: o.size, error: { code: 422, message: 'Invalid object: oid must be a sha256 hex digest, size a non-negative integer' } });
        continue;
      }
      const inLfs = await store.hasLfsObject(repo, o.oid, o.size);
      const inXet = ctx.cas.fileBySha256(o.oid);
      const stored = inLfs || inXet?.size === o.size;
      if (body.operation === 'download') {
        if (!stored) objects.push({ oid: o.oid, size: o.size, error: { code: 404, message: 'Object does not exist' } });
        else {
          const href = inLfs ? lfsDownloadUrl(key, o.oid).href : xetDownloadUrl(inXet!.hash);
          objects.push({ oid: o.oid, size: o.size, authenticated: true, actions: { download: { href, expires_at: expiresAt } } });
        }
        continue;
      }
      // Already stored: no `actions`, so the client uploads nothing (git-lfs batch semantics).
      if (stored) {
        objects.push({ oid: o.oid, size: o.size, authenticated: true });
        continue;
      }
      if (useXet) {
        objects.push({ oid: o.oid, size: o.size, authenticated: true, actions: { upload: xetUploadAction(key, body.ref?.name) } });
        continue;
      }
      if (offersMultipart && o.size > store.opts.lfsMultipartThreshold) {
        usedMultipart = true;
        const chunkSize = store.opts.lfsMultipartChunkSize;
        const parts = Math.ceil(o.size / chunkSize);
        const id = randomBytes(12).toString('hex');
        multipart.set(id, { key, oid: o.oid, size: o.size, chunkSize, parts, dir: join(store.tmpDir, `mp-${id}`), received: new Map() });
        const header: Record<string, string> = { chunk_size: String(chunkSize) };
        for (let n = 1; n <= parts; n++) {
          const p = `/_emulator/lfs-multipart/${id}/${n}`;
          header[String(n)] = `${ctx.url()}${p}?sig=${sign(p)}`;
        }
        const done = `/_emulator/lfs-multipart/${id}/complete`;
        objects.push({
          oid: o.oid,
          size: o.size,
          authenticated: true,
          actions: { upload: { href: `${ctx.url()}${done}?sig=${sign(done)}`, header, expires_at: expiresAt } },
        });
      } else {
        const p = `/_emulator/lfs-upload/${key.type}/${key.id}/${o.oid}/${o.size}`;
        objects.push({
          oid: o.oid,
          size: o.size,
          authenticated: true,
          actions: { upload: { href: `${ctx.url()}${p}?exp=${exp}&sig=${sign(p, exp)}`, expires_at: expiresAt } },
        });
      }
    }
    const transfer = useXet ? 'xet' : usedMultipart ? 'multipart' : 'basic';
    sendJson(res, 200, { transfer, objects }, { 'Content-Type': 'application/vnd.git-lfs+json' });
  }

  /** The Hub's 'xet' batch action: `href` refreshes the write token, `header` carries a first one. */
  function xetUploadAction(key: RepoKey, ref: string | undefined): { href: string; header: Record<string, string> } {
    const t = ctx.cas.issueToken(true);
    return {
      href: `${ctx.url()}/api/${key.type}s/${key.id}/xet-write-token/${encodeURIComponent(ref ?? DEFAULT_BRANCH)}`,
      header: {
        'X-Xet-Cas-Url': ctx.casUrl(),
        'X-Xet-Access-Token': t.accessToken,
        'X-Xet-Token-Expiration': String(t.exp),
        'X-Xet-Session-Id': randomBytes(8).toString('hex'),
      },
    };
  }

  /** `{accessToken, casUrl, exp}` (huggingface.js reads the body), the same in X-Xet-* headers (huggingface_hub reads those). */
  function sendXetToken(res: ServerResponse, write: boolean): void {
    const t = ctx.cas.issueToken(write);
    sendJson(
      res,
      200,
      { accessToken: t.accessToken, casUrl: ctx.casUrl(), exp: t.exp },
      { 'X-Xet-Cas-Url': ctx.casUrl(), 'X-Xet-Access-Token': t.accessToken, 'X-Xet-Token-Expiration': String(t.exp) },
    );
  }

  /** Streams the request body into `file`; returns sha256, md5 and length. */
  async function receive(req: IncomingMessage, file: string): Promise<{ sha256: string; md5: string; size: number }> {
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    let size = 0;
    const ws = createWriteStream(file);
    try {
      for await (const c of req as AsyncIterable<Buffer>) {
        sha.update(c);
        md5.update(c);
        size += c.length;
        if (!ws.write(c)) await once(ws, 'drain');
      }
    } finally {
      ws.end();
      await once(ws, 'close');
    }
    return { sha256: sha.digest('hex'), md5: md5.digest('hex'), size };
  }

  async function internal(req: IncomingMessage, res: ServerResponse, segs: string[], u: URL): Promise<void> {
    const [kind, ...rest] = segs;
    if (kind === 'lfs-upload' && req.method === 'PUT' && rest.length === 5) {
      const [type, ns, name, oid, sizeStr] = rest as [RepoType, string, string, string, string];
      const exp = u.searchParams.get('exp') ?? '';
      checkSig(u.searchParams.get('sig'), u.pathname, exp);
      if (Number(exp) < Date.now()) throw new HubError(403, 'Upload URL expired');
      const repo = await store.getRepo({ type, id: `${ns}/${name}` });
      await mkdir(store.tmpDir, { recursive: true });
      const tmp = join(store.tmpDir, `upload-${randomBytes(8).toString('hex')}`);
      try {
        const got = await receive(req, tmp);
        if (got.size !== Number(sizeStr)) throw new HubError(400, `Size mismatch: expected ${sizeStr} bytes, got ${got.size}`);
        if (got.sha256 !== oid) throw new HubError(400, `Content sha256 mismatch: expected ${oid}, got ${got.sha256}`);
        if (!(await store.hasLfsObject(repo, oid, got.size))) await store.adoptLfsObject(repo, oid, tmp);
        res.writeHead(200, { ETag: `"${got.md5}"`, 'Content-Length': '0' });
        res.end();
      } finally {
        await rm(tmp, { force: true });
      }
      return;
    }
    if (kind === 'lfs-multipart' && rest.length === 2) {
      const [id, part] = rest as [string, string];
      checkSig(u.searchParams.get('sig'), u.pathname);
      const up = multipart.get(id);
      if (!up) throw new HubError(404, 'No such multipart upload');
      const repo = await store.getRepo(up.key);
      if (part === 'complete' && req.method === 'POST') {
        const body = parseJson<{ oid?: string; parts?: { partNumber: number; etag: string }[] }>(await readBody(req));
        if (body.oid !== up.oid) throw new HubError(400, 'oid does not match the multipart upload');
        const listed = new Map((body.parts ?? []).map((p) => [p.partNumber, p.etag]));
        for (let n = 1; n <= up.parts; n++) {
          const r = up.received.get(n);
          if (!r) throw new HubError(400, `Part ${n} was not uploaded`);
          if (listed.get(n) !== r.etag) throw new HubError(400, `ETag mismatch for part ${n}`);
        }
        const tmp = join(store.tmpDir, `assemble-${id}`);
        try {
          const sha = createHash('sha256');
          let size = 0;
          const out = await open(tmp, 'w');
          try {
            for (let n = 1; n <= up.parts; n++) {
              for await (const c of createReadStream(join(up.dir, String(n))) as AsyncIterable<Buffer>) {
                sha.update(c);
                size += c.length;
                await out.write(c);
              }
            }
          } finally {
            await out.close();
          }
          const digest = sha.digest('hex');
          if (size !== up.size) throw new HubError(400, `Size mismatch: expected ${up.size} bytes, got ${size}`);
          if (digest !== up.oid) throw new HubError(400, `Content sha256 mismatch: expected ${up.oid}, got ${digest}`);
          if (!(await store.hasLfsObject(repo, up.oid, size))) await store.adoptLfsObject(repo, up.oid, tmp);
          multipart.delete(id);
          await rm(up.dir, { recursive: true, force: true });
          sendJson(res, 200, {});
        } finally {
          await rm(tmp, { force: true });
        }
        return;
      }
      if (req.method === 'PUT' && /^\d+$/.test(part)) {
        const n = Number(part);
        if (n < 1 || n > up.parts) throw new HubError(400, `Invalid part number ${n}`);
        await mkdir(up.dir, { recursive: true });
        const expected = n < up.parts ? up.chunkSize : up.size - up.chunkSize * (up.parts - 1);
        const file = join(up.dir, String(n));
        const got = await receive(req, file);
        if (got.size !== expected) {
          await rm(file, { force: true });
          throw new HubError(400, `Part ${n} has ${got.size} bytes, expected ${expected}`);
        }
        const etag = `"${got.md5}"`;
        up.received.set(n, { etag, size: got.size });
        res.writeHead(200, { ETag: etag, 'Content-Length': '0' });
        res.end();
        return;
      }
    }
    if (kind === 'lfs-download' && (req.method === 'GET' || req.method === 'HEAD') && rest.length === 4) {
      const [type, ns, name, oid] = rest as [RepoType, string, string, string];
      const exp = u.searchParams.get('exp') ?? '';
      checkSig(u.searchParams.get('sig'), u.pathname, exp);
      if (Number(exp) < Date.now()) throw new HubError(403, 'Download URL expired');
      const repo = await store.getRepo({ type, id: `${ns}/${name}` });
      const file = store.lfsObjectPath(repo, oid);
      const size = (await stat(file)).size;
      await sendContent(req, res, { file, size, etag: `"${oid}"`, headers: {} });
      return;
    }
    if (kind === 'xet-download' && (req.method === 'GET' || req.method === 'HEAD') && rest.length === 1) {
      const exp = u.searchParams.get('exp') ?? '';
      checkSig(u.searchParams.get('sig'), u.pathname, exp);
      if (Number(exp) < Date.now()) throw new HubError(403, 'Download URL expired');
      const file = ctx.cas.file(rest[0]!);
      if (!file) throw new HubError(404, 'Not Found');
      // Rebuilt in memory from its chunks: test files are small.
      const pieces: Uint8Array[] = [];
      for await (const p of ctx.cas.read(file, 0, file.size)) pieces.push(p);
      await sendContent(req, res, { buffer: Buffer.concat(pieces), size: file.size, etag: `"${file.sha256}"`, headers: {} });
      return;
    }
    throw new HubError(404, 'Not Found');
  }

  // ------------------------------------------------------------------ file download

  async function sendContent(
    req: IncomingMessage,
    res: ServerResponse,
    src: { file?: string; buffer?: Buffer; size: number; etag: string; headers: Record<string, string> },
  ): Promise<void> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: src.etag,
      ...src.headers,
    };
    let start = 0;
    let end = src.size - 1;
    let status = 200;
    const range = req.headers.range;
    const m = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
    if (m && (m[1] || m[2])) {
      if (src.size === 0) {
        // UNCERTAIN: RFC 9110 would answer 416 to any range on an empty file, but the client's
        // fileDownloadInfo probes with `Range: bytes=0-0` and needs an ok status plus a size
        // in Content-Range; what the Hub does for 0-byte files is unknown.
        headers['Content-Range'] = 'bytes */0';
      } else {
        if (m[1]) {
          start = Number(m[1]);
          end = m[2] ? Math.min(Number(m[2]), src.size - 1) : src.size - 1;
        } else {
          start = Math.max(0, src.size - Number(m[2]));
        }
        if (start >= src.size || start > end) {
          res.writeHead(416, { 'Content-Range': `bytes */${src.size}`, 'Content-Length': '0' });
          res.end();
          return;
        }
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${end}/${src.size}`;
      }
    }
    const length = src.size === 0 ? 0 : end - start + 1;
    headers['Content-Length'] = String(length);
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    if (src.buffer) {
      res.end(src.buffer.subarray(start, end + 1));
      return;
    }
    await pipeline(createReadStream(src.file!, { start, end }), res);
  }

  async function resolveFile(req: IncomingMessage, res: ServerResponse, key: RepoKey, raw: boolean, segs: string[]): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HubError(405, 'Method not allowed');
    requireRead(authenticate(req));
    const repo = await store.getRepo(key);
    const { rev, path } = await splitRevision(repo, segs, true);
    const { sha } = await store.resolveRevision(repo, rev);
    if (!path) throw entryNotFound(path);
    const entry = await store.entryAt(repo, sha, path);
    if (!entry || entry.type !== 'blob') throw entryNotFound(path);
    const pointer = (await store.lfsPointers(repo, [entry])).get(entry.oid) ?? null;
    const headers: Record<string, string> = { 'X-Repo-Commit': sha };
    const xet = pointer && !raw ? await store.xetFile(repo, pointer) : undefined;
    if (pointer && xet) {
      // A Xet-stored file: the Hub's Xet headers tell a Xet client where to get a read token
      // and the reconstruction; others follow the redirect to the download host.
      const apiType = `${key.type}s`;
      const xetHeaders: Record<string, string> = {
        ...headers,
        ETag: `"${entry.oid}"`,
        'X-Linked-Size': String(pointer.size),
        'X-Linked-ETag': `"${pointer.oid}"`,
        'X-Xet-Hash': xet.hash,
        Link: [
          `<${ctx.url()}/api/${apiType}/${key.id}/xet-read-token/${sha}>; rel="xet-auth"`,
          // The Hub links the (deprecated) v1 endpoint; huggingface.js turns it into v2.
          `<${ctx.casUrl()}/v1/reconstructions/${xet.hash}>; rel="xet-reconstruction-info"`,
        ].join(', '),
      };
      if ((req.headers.accept ?? '').includes('application/vnd.xet-fileinfo+json')) {
        // UNCERTAIN: the body's fields; huggingface.js reads only the headers of this answer.
        sendJson(
          res,
          200,
          { hash: xet.hash, size: pointer.size, etag: pointer.oid, casUrl: ctx.casUrl(), refreshUrl: `${ctx.url()}/api/${apiType}/${key.id}/xet-read-token/${sha}` },
          { ...xetHeaders, 'Content-Type': 'application/vnd.xet-fileinfo+json' },
        );
        return;
      }
      res.writeHead(302, { ...xetHeaders, Location: xetDownloadUrl(xet.hash), 'Content-Length': '0' });
      res.end();
      return;
    }
    if (pointer && !raw) {
      // As the Hub does: a 302 to the download host (its CDN; here another port) with a
      // pre-signed URL, the file's size and sha256 in X-Linked-* headers. Clients follow it
      // without the token; HEAD (hf_hub_download) reads the headers off the redirect itself.
      res.writeHead(302, {
        ...headers,
        Location: lfsDownloadUrl(key, pointer.oid).href,
        ETag: `"${entry.oid}"`,
        'X-Linked-Size': String(pointer.size),
        'X-Linked-ETag': `"${pointer.oid}"`,
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    const buffer = await store.readBlob(repo, entry.oid);
    await sendContent(req, res, { buffer, size: buffer.length, etag: `"${entry.oid}"`, headers });
  }

  // ------------------------------------------------------------------ /api routes

  async function repoApi(req: IncomingMessage, res: ServerResponse, key: RepoKey, rest: string[], u: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const auth = authenticate(req);
    const [action, ...args] = rest;
    const base = ctx.url();

    if (action === undefined || action === 'revision') {
      if (method !== 'GET' && method !== 'HEAD') throw new HubError(405, 'Method not allowed');
      requireRead(auth);
      const repo = await store.getRepo(key);
      const rev = action === 'revision' ? (await splitRevision(repo, args, false)).rev : 'HEAD';
      const { sha } = await store.resolveRevision(repo, rev);
      const [ns] = key.id.split('/');
      sendJson(res, 200, {
        _id: repo.meta._id,
        id: key.id,
        ...(key.type === 'model' ? { modelId: key.id } : {}),
        author: ns,
        sha,
        lastModified: await store.commitDate(repo, sha),
        createdAt: repo.meta.createdAt,
        private: repo.meta.private,
        disabled: false,
        gated: false,
        downloads: 0,
        downloadsAllTime: 0,
        likes: 0,
        tags: [],
        cardData: {},
        siblings: (await store.siblings(repo, sha)).map((rfilename) => ({ rfilename })),
      });
      return;
    }

    const repo = await store.getRepo(key);
    switch (action) {
      case 'xet-read-token':
      case 'xet-write-token': {
        if (method !== 'GET') break;
        // The revision is not checked: huggingface_hub asks for `…/None?create_pr=1` before a
        // PR exists, and huggingface.js for buckets sends none.
        if (action === 'xet-write-token') requireWrite(auth);
        else requireRead(auth);
        sendXetToken(res, action === 'xet-write-token');
        return;
      }
      case 'tree': {
        if (method !== 'GET') break;
        requireRead(auth);
        const { rev, path } = await splitRevision(repo, args, true);
        const cursorParam = u.searchParams.get('cursor');
        let commit: string;
        let offset = 0;
        if (cursorParam) {
          let c: { c?: string; o?: number };
          try {
            c = JSON.parse(Buffer.from(cursorParam, 'base64url').toString('utf8')) as typeof c;
          } catch {
            throw new HubError(400, 'Invalid cursor');
          }
          // The cursor pins the commit, so pages stay consistent if the branch moves meanwhile.
          commit = (await store.resolveRevision(repo, String(c.c))).sha;
          offset = Number(c.o) || 0;
        } else {
          commit = (await store.resolveRevision(repo, rev)).sha;
        }
        const recursive = truthy(u.searchParams.get('recursive'));
        const expand = truthy(u.searchParams.get('expand'));
        const limit = Math.min(Number(u.searchParams.get('limit')) || ctx.treePageSize, ctx.treePageSize);
        const entries = await store.listTree(repo, commit, path, recursive);
        const page = await store.toApiEntries(repo, commit, entries.slice(offset, offset + limit), expand);
        const headers: Record<string, string> = {};
        if (offset + limit < entries.length) {
          const q = new URLSearchParams(u.searchParams);
          q.set('cursor', Buffer.from(JSON.stringify({ c: commit, o: offset + limit })).toString('base64url'));
          headers.Link = `<${base}${u.pathname}?${q.toString()}>; rel="next"`;
        }
        sendJson(res, 200, page, headers);
        return;
      }
      case 'paths-info': {
        if (method !== 'POST') break;
        requireRead(auth);
        const { rev } = await splitRevision(repo, args, false);
        const buf = await readBody(req);
        let paths: unknown;
        let expand = false;
        if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
          // huggingface_hub (Python) posts a form with repeated `paths`.
          const form = new URLSearchParams(buf.toString('utf8'));
          paths = form.getAll('paths');
          expand = truthy(form.get('expand'));
        } else {
          const body = parseJson<{ paths?: unknown; expand?: unknown }>(buf);
          paths = typeof body.paths === 'string' ? [body.paths] : body.paths;
          expand = body.expand === true;
        }
        if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) throw new HubError(400, '`paths` must be a list of strings');
        const { sha } = await store.resolveRevision(repo, rev);
        const found = [];
        for (const p of paths as string[]) {
          const e = p ? await store.entryAt(repo, sha, p.replace(/\/+$/, '')) : null;
          if (e) found.push(e);
        }
        sendJson(res, 200, await store.toApiEntries(repo, sha, found, expand));
        return;
      }
      case 'preupload': {
        if (method !== 'POST') break;
        requireWrite(auth);
        const { rev } = await splitRevision(repo, args, false);
        const body = parseJson<{ files?: { path: string; size: number; sample: string }[]; gitAttributes?: string }>(await readBody(req));
        if (!Array.isArray(body.files)) throw new HubError(400, '`files` must be a list');
        sendJson(res, 200, await store.preupload(repo, rev, body.files, body.gitAttributes));
        return;
      }
      case 'commit': {
        if (method !== 'POST') break;
        const a = requireWrite(auth);
        const { rev } = await splitRevision(repo, args, false);
        const createPr = truthy(u.searchParams.get('create_pr'));
        const out = await store.commit(repo, rev, createPr, await readBody(req), a.user);
        sendJson(res, 200, {
          success: true,
          commitOid: out.commitOid,
          commitUrl: out.commitUrl,
          hookOutput: '',
          ...(out.pullRequestUrl ? { pullRequestUrl: out.pullRequestUrl } : {}),
        });
        return;
      }
      case 'commits': {
        if (method !== 'GET') break;
        requireRead(auth);
        const { rev } = await splitRevision(repo, args, false);
        const { sha } = await store.resolveRevision(repo, rev);
        const limit = Math.max(1, Math.min(Number(u.searchParams.get('limit')) || 50, 1000));
        const page = Math.max(0, Number(u.searchParams.get('p')) || 0);
        const { items, total } = await store.listCommits(repo, sha, page, limit);
        const headers: Record<string, string> = { 'X-Total-Count': String(total) };
        if ((page + 1) * limit < total) {
          const q = new URLSearchParams(u.searchParams);
          q.set('p', String(page + 1));
          q.set('limit', String(limit));
          headers.Link = `<${base}${u.pathname}?${q.toString()}>; rel="next"`;
        }
        sendJson(res, 200, items, headers);
        return;
      }
      case 'refs': {
        if (method !== 'GET') break;
        requireRead(auth);
        sendJson(res, 200, await store.listRefs(repo, truthy(u.searchParams.get('include_prs'))));
        return;
      }
      case 'branch': {
        // UNCERTAIN: whether the Hub accepts branch names containing '/'. huggingface.js
        // encodes them (feat%2Fx) and fixed xet uploads "to a branch with a slash in it"
        // (huggingface.js#1757), which suggests they exist; accepted here encoded or not.
        const branch = args.join('/');
        if (!branch) break;
        const a = requireWrite(auth);
        if (method === 'POST') {
          const body = parseJson<{ startingPoint?: string; emptyBranch?: boolean; overwrite?: boolean }>(await readBody(req), true);
          await store.createBranch(repo, branch, {
            startingPoint: body.startingPoint ?? undefined,
            emptyBranch: body.emptyBranch === true,
            overwrite: body.overwrite === true,
            user: a.user,
          });
          sendJson(res, 200, {});
          return;
        }
        if (method === 'DELETE') {
          await store.deleteBranch(repo, branch);
          sendJson(res, 200, {});
          return;
        }
        break;
      }
      case 'tag': {
        const name = args.join('/');
        if (!name) break;
        const a = requireWrite(auth);
        if (method === 'POST') {
          const body = parseJson<{ tag?: unknown; message?: unknown }>(await readBody(req));
          if (typeof body.tag !== 'string' || !body.tag) throw new HubError(400, '`tag` is required');
          await store.createTag(repo, name, body.tag, typeof body.message === 'string' ? body.message : undefined, a.user);
          sendJson(res, 200, {});
          return;
        }
        if (method === 'DELETE') {
          await store.deleteTag(repo, name);
          sendJson(res, 200, {});
          return;
        }
        break;
      }
      case 'discussions': {
        const [numStr, sub] = args;
        if (numStr === undefined) {
          if (method === 'GET') {
            requireRead(auth);
            const list = repo.meta.discussions
              .slice()
              .reverse()
              .map((d) => ({
                num: d.num,
                title: d.title,
                status: d.status,
                isPullRequest: d.isPullRequest,
                author: authorObj(d.author),
                createdAt: d.createdAt,
                repo: { name: key.id, type: key.type },
                pinned: false,
                numComments: d.events.filter((e) => e.type === 'comment').length,
                topReactions: [],
              }));
            sendJson(res, 200, {
              discussions: list,
              count: list.length,
              start: 0,
              numClosedDiscussions: list.filter((d) => d.status === 'closed' || d.status === 'merged').length,
            });
            return;
          }
          if (method === 'POST') {
            const a = requireWrite(auth);
            const body = parseJson<{ title?: unknown; description?: unknown; pullRequest?: unknown }>(await readBody(req));
            const d = await store.createDiscussion(repo, body.title, body.description, body.pullRequest === true, a.user);
            sendJson(res, 200, await discussionJson(repo, d, false));
            return;
          }
          break;
        }
        if (!/^\d+$/.test(numStr)) break;
        const num = Number(numStr);
        if (sub === undefined && method === 'GET') {
          requireRead(auth);
          sendJson(res, 200, await discussionJson(repo, store.getDiscussion(repo, num), truthy(u.searchParams.get('diff'))));
          return;
        }
        if (method !== 'POST') break;
        const a = requireWrite(auth);
        const body = parseJson<{ comment?: unknown; status?: unknown }>(await readBody(req), true);
        const comment = typeof body.comment === 'string' && body.comment.trim() ? body.comment : undefined;
        if (sub === 'merge') {
          sendJson(res, 200, { newStatus: eventJson(await store.mergePullRequest(repo, num, a.user, comment)) });
          return;
        }
        if (sub === 'status') {
          sendJson(res, 200, { newStatus: eventJson(await store.changeStatus(repo, num, body.status, a.user, comment)) });
          return;
        }
        if (sub === 'comment') {
          sendJson(res, 200, { newMessage: eventJson(await store.comment(repo, num, body.comment, a.user)) });
          return;
        }
        break;
      }
    }
    throw new HubError(404, 'Not Found');
  }

  async function api(req: IncomingMessage, res: ServerResponse, segs: string[], u: URL): Promise<void> {
    const method = req.method ?? 'GET';
    if (segs[0] === 'whoami-v2' && method === 'GET') {
      const a = authenticate(req);
      if (!a) throw new HubError(401, 'Invalid username or password.');
      sendJson(res, 200, {
        type: 'user',
        id: createHash('sha1').update(a.user).digest('hex').slice(0, 24),
        name: a.user,
        fullname: a.user,
        email: `${a.user}@users.noreply.huggingface.co`,
        emailVerified: true,
        isPro: false,
        orgs: [],
        auth: { type: 'access_token', accessToken: { displayName: 'hub-emulator', role: a.write ? 'write' : 'read', createdAt: new Date(0).toISOString() } },
      });
      return;
    }
    if (segs[0] === 'repos' && (segs[1] === 'create' || segs[1] === 'delete')) {
      const a = authenticate(req);
      if (!a) throw new HubError(401, 'You must be authenticated to do this');
      requireWrite(a);
      const body = parseJson<{ name?: unknown; organization?: unknown; type?: unknown; private?: unknown; visibility?: unknown; files?: unknown }>(
        await readBody(req),
      );
      const type = (body.type ?? 'model') as RepoType;
      if (!['model', 'dataset', 'space'].includes(type)) throw new HubError(400, `Invalid repo type: ${String(body.type)}`);
      if (typeof body.name !== 'string') throw new HubError(400, '`name` is required');
      const ns = typeof body.organization === 'string' && body.organization ? body.organization : a.user;
      const key: RepoKey = { type, id: `${ns}/${body.name}` };
      if (segs[1] === 'delete') {
        if (method !== 'DELETE') throw new HubError(405, 'Method not allowed');
        await store.deleteRepo(key);
        sendJson(res, 200, {});
        return;
      }
      if (method !== 'POST') throw new HubError(405, 'Method not allowed');
      const files = Array.isArray(body.files)
        ? (body.files as { path: unknown; content: unknown; encoding?: unknown }[]).map((f) => ({
            path: checkRepoPath(f.path),
            content: Buffer.from(String(f.content ?? ''), f.encoding === 'base64' ? 'base64' : 'utf8'),
          }))
        : undefined;
      // Everything here is private (see README); an explicit visibility is still recorded.
      const isPrivate = body.visibility !== undefined ? body.visibility !== 'public' : body.private !== false;
      const repo = await store.createRepo(key, { private: isPrivate, user: a.user, files });
      sendJson(res, 200, { url: `${ctx.url()}/${repoUrlPath(key)}`, name: key.id, id: repo.meta._id });
      return;
    }
    const type = REPO_TYPES[segs[0] ?? ''];
    if (type && segs.length >= 3) {
      await repoApi(req, res, { type, id: `${segs[1]}/${segs[2]}` }, segs.slice(3), u);
      return;
    }
    throw new HubError(404, 'Not Found');
  }

  async function route(req: IncomingMessage, res: ServerResponse, u: URL): Promise<void> {
    let segs: string[];
    try {
      segs = u.pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
    } catch {
      throw new HubError(400, 'Malformed URL encoding');
    }
    if (ctx.viaCas(req)) return ctx.casRoutes.handle(req, res, segs, u, () => readBody(req));
    // The download host serves pre-signed downloads and nothing else, as a CDN would.
    if (ctx.viaCdn(req) && !(segs[0] === '_emulator' && (segs[1] === 'lfs-download' || segs[1] === 'xet-download'))) throw new HubError(404, 'Not Found');
    if (segs[0] === '_emulator') return internal(req, res, segs.slice(1), u);
    if (segs[0] === 'api') return api(req, res, segs.slice(1), u);
    // Non-API routes: `/{datasets|spaces}/{ns}/{name}/...` or `/{ns}/{name}/...` for models.
    const type = segs[0] === 'datasets' || segs[0] === 'spaces' ? REPO_TYPES[segs[0]]! : 'model';
    const [ns, name, ...rest] = type === 'model' ? segs : segs.slice(1);
    if (ns && name) {
      if (name.endsWith('.git') && rest.join('/') === 'info/lfs/objects/batch') {
        return lfsBatch(req, res, { type, id: `${ns}/${name.slice(0, -4)}` });
      }
      if (rest[0] === 'resolve' || rest[0] === 'raw') {
        return resolveFile(req, res, { type, id: `${ns}/${name}` }, rest[0] === 'raw', rest.slice(1));
      }
    }
    throw new HubError(404, 'Not Found');
  }

  return (req, res) => {
    const started = Date.now();
    const u = new URL(req.url ?? '/', 'http://emulator.invalid');
    const record: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query: u.search };
    if (ctx.viaCdn(req)) record.cdn = true;
    if (ctx.viaCas(req)) record.cas = true;
    if (req.headers['content-length'] !== undefined) record.bodySize = Number(req.headers['content-length']);
    ctx.requests.push(record);
    res.setHeader('X-Request-Id', randomBytes(8).toString('hex'));
    res.on('finish', () => {
      record.status = res.statusCode;
      ctx.log?.(`${record.method} ${record.path}${record.query} -> ${res.statusCode} (${Date.now() - started} ms)`);
    });

    const fault = ctx.faults.find((f) => f.times > 0 && f.match(record.method, record.path));
    if (fault) {
      fault.times -= 1;
      if (fault.times <= 0) ctx.faults.splice(ctx.faults.indexOf(fault), 1);
      req.resume();
      const headers: Record<string, string> =
        fault.status === 429
          ? {
              // UNCERTAIN: the Hub's rate-limit headers follow the IETF RateLimit draft; values invented.
              'Retry-After': '1',
              RateLimit: '"api";r=0;t=1',
              'RateLimit-Policy': '"fixed window";"api";q=1000;w=300',
            }
          : {};
      sendJson(res, fault.status, fault.body ?? { error: `Injected fault (${fault.status})` }, { ...headers, ...fault.headers });
      return;
    }

    route(req, res, u).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      req.resume();
      if (err instanceof HubError) sendError(res, err);
      else {
        ctx.log?.(`internal error on ${record.method} ${record.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        sendError(res, new HubError(500, `Internal error: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  };
}

export { DEFAULT_BRANCH };
