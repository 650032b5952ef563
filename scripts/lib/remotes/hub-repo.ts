// One Hugging Face Hub dataset repo as Strata talks to it: the token, a fetch that retries what
// is safe to retry, Hub errors a user can act on explained, revisions resolved to commits, and
// files listed or downloaded at a commit. The backend (hub.ts) and the versioned operations
// (hub-versions.ts) both work through it.
import { downloadFile, fileDownloadInfo, listFiles, type RepoDesignation } from '@huggingface/hub';
import type { Config } from '../config/load.js';
import { ConflictError, StrataError } from '../errors.js';
import { screenKeys } from '../listing/keys.js';
import type { Digests } from '../state/record.js';
import { backendNote } from '../ui/reporter.js';
import { hubToken } from './hub-token.js';
import { retryingFetch } from './retry-fetch.js';
import { rangeOf } from './read-range.js';
import { withRetries } from './retry-policy.js';
import type { RemoteListing } from './types.js';
import type { RemoteUrl } from './url.js';

/** Operations per commit. The Hub's HTTP commit has a 60 s budget; LFS content is uploaded before it. */
export const OPS_PER_COMMIT = 1000;

export type HubUrl = Extract<RemoteUrl, { scheme: 'hf' }>;

/** A repo path as a URL path (the client's downloadFile and listFiles do not encode it themselves). */
export const enc = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/**
 * Xet's chunk store names a xorb by the hash of its bytes and a shard by the files it
 * describes: posting one again stores nothing new, so a failed post is tried again like a PUT.
 */
export const xetUpload = (method: string, url: string) => method === 'POST' && /\/v1\/(xorbs\/|shards$)/.test(new URL(url).pathname);

export class HubRepo {
  readonly hubUrl: string;
  readonly repo: RepoDesignation;
  private readonly token: string | undefined;
  readonly fetch: typeof fetch;
  /** One try per request, for downloads: apply/download.ts retries a whole file, so its requests are not retried again. */
  private readonly fetchOnce: typeof fetch;
  /**
   * Files travel through Xet where the Hub offers it (chunks the Hub already holds are not
   * sent again), else through LFS; false when the project forces LFS (hub_transfer: lfs).
   */
  readonly xet: boolean;

  constructor(
    readonly remote: HubUrl,
    config: Config,
  ) {
    this.hubUrl = (config.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
    this.repo = { type: 'dataset', name: remote.repo };
    this.token = hubToken(config.env);
    this.fetch = retryingFetch({ timeoutMs: config.httpTimeoutMs, idempotent: xetUpload, onRetry: (r) => backendNote(`the Hub answered ${r.status}; retrying in ${(r.waitMs / 1000).toFixed(1)} s`) });
    this.fetchOnce = retryingFetch({ timeoutMs: config.httpTimeoutMs, tries: 1, raise: true });
    this.xet = config.hubTransfer === 'xet';
  }

  credentials() {
    if (!this.token) {
      throw new StrataError(`No Hugging Face token for ${this.remote.url}.`, 'Log in with `hf auth login`, or put HF_TOKEN=hf_… in .env (a token with write access to the dataset).', 2);
    }
    return { accessToken: this.token as `hf_${string}`, hubUrl: this.hubUrl, fetch: this.fetch };
  }

  /** explain turns Hub errors a user can act on into StrataErrors; never includes the token. */
  explain(what: string, e: unknown): Error {
    if (e instanceof StrataError) return e;
    const status = (e as { statusCode?: number }).statusCode;
    const msg = (e as Error).message ?? String(e);
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) {
      return new StrataError(`Cannot ${what}: the Hub at ${this.hubUrl} is not reachable (${code}).`, 'Check HF_ENDPOINT (if set) and your network; then run again.', 2);
    }
    if (status === 401) return new StrataError(`Cannot ${what}: the Hub refused the token (401).`, 'Log in again with `hf auth login`, or check HF_TOKEN in .env.', 2);
    if (status === 403) return new StrataError(`Cannot ${what}: this token may not write to ${this.remote.repo} (403).`, 'Ask a maintainer for write access, or use a token with write scope.', 2);
    if (status === 412) return new ConflictError(`Cannot ${what}: someone pushed to the Hub branch since your last sync (412). Nothing was changed.`, 'Run `just status`, take their changes with `just get-results --keep`, then push again.');
    // The status and Retry-After stay with the error, for the retry rule of a caller (a download).
    const answer = e as { status?: number; retryAfter?: string };
    return Object.assign(new Error(`${what}: ${msg}${status ? ` (HTTP ${status})` : ''}`), { status: status ?? answer.status, retryAfter: answer.retryAfter });
  }

  /** An error for a Hub answer that was not ok, explained like the client's own. */
  async failure(what: string, res: Response): Promise<Error> {
    return this.explain(what, Object.assign(new Error(await res.text()), { statusCode: res.status }));
  }

  /** api calls a route of the dataset's REST API (under /api/datasets/REPO). */
  async api(method: string, route: string, body?: unknown): Promise<Response> {
    try {
      return await this.fetch(`${this.hubUrl}/api/datasets/${this.remote.repo}${route}`, {
        method,
        headers: { Authorization: `Bearer ${this.credentials().accessToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw this.explain(`reach ${this.remote.url} (${route})`, e);
    }
  }

  /** revisionSha: the commit a branch, tag or commit id points at, or null when it does not exist. */
  async revisionSha(rev: string): Promise<string | null> {
    const res = await this.api('GET', `/revision/${encodeURIComponent(rev)}`);
    if (res.status === 404) return null;
    if (!res.ok) throw await this.failure(`read ${this.remote.url}@${rev}`, res);
    return ((await res.json()) as { sha: string }).sha;
  }

  /** listAt lists the files under `root/` (or `root/scope/`) at commit `rev`, keys relative to `root`. */
  async listAt(rev: string, root: string, scope = ''): Promise<RemoteListing> {
    const dir = scope ? `${root}/${scope}` : root;
    const raw: { key: string; size: number; tag: string; digests: Digests }[] = [];
    try {
      for await (const f of listFiles({ repo: this.repo, revision: rev, path: enc(dir), recursive: true, ...this.credentials() })) {
        if (f.type !== 'file') continue;
        const key = f.path.slice(root.length + 1);
        const digests: Digests = f.lfs ? { sha256: f.lfs.oid } : f.oid ? { gitsha1: f.oid } : {};
        raw.push({ key, size: f.size, tag: f.oid ?? '', digests });
      }
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return { entries: [], refused: [] };
      throw this.explain(`list ${this.remote.url}/${dir}`, e);
    }
    return screenKeys(raw);
  }

  /** download reads one file at a revision (whole, in memory: promote's small files); null when it is not there. */
  download(filePath: string, rev: string): Promise<Blob | null> {
    return downloadFile({ repo: this.repo, path: enc(filePath), revision: rev, xet: this.xet, ...this.credentials() });
  }

  /**
   * readOnce streams one file at a revision in one GET (the resolve URL the client's own
   * downloadFile reads), tried once: the download (apply/download.ts) retries the whole
   * file, by the same rule as every request. A busy answer keeps its status and Retry-After
   * for that rule. Null when the file is not there.
   */
  async readOnce(filePath: string, rev: string): Promise<ReadableStream<Uint8Array> | null> {
    if (this.xet) {
      // The client's own download: a file the Hub keeps in Xet is rebuilt from its chunks
      // (reconstruction, then ranged reads of the chunk stores); any other is one GET.
      const blob = await downloadFile({ repo: this.repo, path: enc(filePath), revision: rev, xet: true, ...this.credentials(), fetch: this.fetchOnce });
      return blob ? blob.stream() : null;
    }
    const url = `${this.hubUrl}/datasets/${this.remote.repo}/resolve/${encodeURIComponent(rev)}/${enc(filePath)}`;
    const res = await this.fetchOnce(url, { headers: { Authorization: `Bearer ${this.credentials().accessToken}` } });
    if (res.status === 404 && res.headers.get('X-Error-Code') === 'EntryNotFound') {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw await this.failure(`download ${filePath}`, res);
    return res.body ?? new ReadableStream({ start: (c) => c.close() });
  }

  /**
   * readRange reads bytes [start, end) of one file at a revision (end within the file), never
   * the rest of it, through the retrying fetch. With Xet on, a file the Hub keeps in Xet is
   * read as the client's own download reads it (a reconstruction of the range, then ranged
   * reads of the chunk stores); any other file is one ranged GET of the resolve URL (the
   * redirect followed to the LFS download host). Null when the file is not there.
   */
  readRange(filePath: string, rev: string, start: number, end: number): Promise<Uint8Array | null> {
    // The fetch retries each request; bytes cut off after an answer arrived are read again here.
    return withRetries(() => this.readRangeOnce(filePath, rev, start, end), { retryable: cutShort });
  }

  private async readRangeOnce(filePath: string, rev: string, start: number, end: number): Promise<Uint8Array | null> {
    const creds = this.credentials();
    if (this.xet) {
      // A one-byte probe of the resolve URL says whether the file is in Xet (and its size).
      const info = await fileDownloadInfo({ repo: this.repo, path: enc(filePath), revision: rev, ...creds });
      if (!info) return null;
      if (info.xet) {
        if (start >= info.size) return new Uint8Array(0); // it ends sooner than its listing said
        const blob = await downloadFile({ repo: this.repo, path: enc(filePath), revision: rev, xet: true, downloadInfo: info, ...creds });
        return blob ? new Uint8Array(await blob.slice(start, Math.min(end, info.size)).arrayBuffer()) : null;
      }
    }
    const url = `${this.hubUrl}/datasets/${this.remote.repo}/resolve/${encodeURIComponent(rev)}/${enc(filePath)}`;
    const res = await this.fetch(url, { headers: { Authorization: `Bearer ${creds.accessToken}`, Range: `bytes=${start}-${end - 1}` } });
    if (res.status === 404 && res.headers.get('X-Error-Code') === 'EntryNotFound') {
      await res.body?.cancel();
      return null;
    }
    if (res.status === 416) {
      await res.body?.cancel();
      return new Uint8Array(0);
    }
    if (!res.ok) throw await this.failure(`read ${filePath}`, res);
    return rangeOf(res.body as AsyncIterable<Uint8Array>, res.status === 200, start, end);
  }
}

/**
 * cutShort: an answer's bytes stopped arriving after the fetch handed it back (undici's
 * "terminated" for a dropped connection, the idle timer's TimeoutError for a stalled one),
 * where the fetch's own retries are over.
 */
const cutShort = (e: Error) => (e instanceof TypeError && e.message === 'terminated') || e.name === 'TimeoutError';

