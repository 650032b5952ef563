// A local Hugging Face Hub emulator that the real @huggingface/hub client can talk to over HTTP.
// See README.md in this folder for what is emulated and what is uncertain.
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCasRoutes } from './cas.js';
import { CasStore } from './cas-store.js';
import { createHandler, type FaultRule, type RecordedRequest } from './server.js';
import { RepoStore, type RepoKey, type RepoType } from './store.js';

export type { FaultRule, RecordedRequest } from './server.js';
export type { RepoKey, RepoType } from './store.js';

const MiB = 1024 * 1024;

export interface HubEmulatorOptions {
  /** Folder for the bare repos and LFS objects; a temp folder (removed by stop()) when omitted. */
  root?: string;
  /** 0 or omitted: a free port. */
  port?: number;
  log?: (line: string) => void;
  /** Write token; random `hf_…` when omitted. Must start with `hf_` (the client checks). */
  token?: string;
  /** Read-only token; random when omitted. */
  readToken?: string;
  /** User name the tokens belong to (commit author, default namespace). */
  user?: string;
  /** LFS uploads larger than this get a multipart action (default 20 MiB). */
  lfsMultipartThreshold?: number;
  /** Part size of multipart uploads (default 10 MiB). */
  lfsMultipartChunkSize?: number;
  /** Regular files larger than this must go through LFS (default 10 MiB, as on the Hub). */
  regularFileMaxSize?: number;
  /** Entries per page of the tree endpoint (default 1,000, as on the Hub). */
  treePageSize?: number;
  /**
   * Also accept revisions containing '/' without percent-encoding in tree/resolve/commit/…
   * URLs by matching existing ref names. Off by default: the Hub reads such a URL as revision =
   * first segment, so a caller that forgets to encode should fail here too.
   */
  lenientRevisions?: boolean;
}

export interface HubEmulatorConfig {
  lfsMultipartThreshold: number;
  lfsMultipartChunkSize: number;
  regularFileMaxSize: number;
  treePageSize: number;
  lenientRevisions: boolean;
}

export interface HubEmulator {
  /** `http://127.0.0.1:<port>`: pass as `hubUrl` (HF_ENDPOINT). */
  url: string;
  /** The Xet CAS (its own port, as the Hub's CAS is its own host). */
  casUrl: string;
  /** A valid write token (`hf_…`). */
  token: string;
  /** A valid read-only token (`hf_…`). */
  readToken: string;
  user: string;
  root: string;
  /** Every request received, in order (method, path as sent, query, response status). */
  requests: RecordedRequest[];
  /** Push rules to make matching requests fail (e.g. 429, 503) a number of times. */
  faults: FaultRule[];
  readonly config: HubEmulatorConfig;
  /** The bare git repository behind a repo: `'datasets/org/name'`, `'org/name'` (model) or `{type, name}`. */
  gitDir(repo: RepoDesignation): string;
  /** Where the LFS object with this sha256 is (or would be) stored for a repo. */
  lfsObjectPath(repo: RepoDesignation, oid: string): string;
  stop(): Promise<void>;
}

export type RepoDesignation = string | { type: RepoType; name: string };

function toKey(repo: RepoDesignation): RepoKey {
  if (typeof repo !== 'string') return { type: repo.type, id: repo.name };
  const m = /^(datasets|spaces|models)\/(.+)$/.exec(repo);
  if (m) return { type: m[1]!.slice(0, -1) as RepoType, id: m[2]! };
  return { type: 'model', id: repo };
}

export async function startHubEmulator(opts: HubEmulatorOptions = {}): Promise<HubEmulator> {
  const ownsRoot = !opts.root;
  const root = opts.root ? resolve(opts.root) : await mkdtemp(join(tmpdir(), 'hub-emulator-'));
  await mkdir(root, { recursive: true });
  const token = opts.token ?? `hf_emulator_${randomBytes(16).toString('hex')}`;
  const readToken = opts.readToken ?? `hf_emulator_read_${randomBytes(16).toString('hex')}`;
  if (!token.startsWith('hf_') || !readToken.startsWith('hf_')) throw new TypeError("Emulator tokens must start with 'hf_'");
  const user = opts.user ?? 'emulator-user';
  const config: HubEmulatorConfig = {
    lfsMultipartThreshold: opts.lfsMultipartThreshold ?? 20 * MiB,
    lfsMultipartChunkSize: opts.lfsMultipartChunkSize ?? 10 * MiB,
    regularFileMaxSize: opts.regularFileMaxSize ?? 10 * MiB,
    treePageSize: opts.treePageSize ?? 1000,
    lenientRevisions: opts.lenientRevisions ?? false,
  };
  let url = '';
  const cas = new CasStore(root);
  await cas.load();
  const store = new RepoStore({
    xetFileBySha256: (sha256) => cas.fileBySha256(sha256),
    root,
    baseUrl: () => url,
    lfsMultipartThreshold: config.lfsMultipartThreshold,
    lfsMultipartChunkSize: config.lfsMultipartChunkSize,
    regularFileMaxSize: config.regularFileMaxSize,
  });
  const requests: RecordedRequest[] = [];
  const faults: FaultRule[] = [];
  let cdnUrl = '';
  let cdnPort = 0;
  let casUrl = '';
  let casPort = 0;
  const handler = createHandler({
    store,
    token,
    readToken,
    user,
    treePageSize: config.treePageSize,
    lenientRevisions: config.lenientRevisions,
    url: () => url,
    cdnUrl: () => cdnUrl,
    viaCdn: (req) => req.socket.localPort === cdnPort,
    cas,
    casRoutes: createCasRoutes(cas, () => casUrl),
    casUrl: () => casUrl,
    viaCas: (req) => req.socket.localPort === casPort,
    requests,
    faults,
    log: opts.log,
  });
  // The Hub serves LFS content from another host (a CDN) by redirect: here another port.
  const server = createServer(handler);
  const cdn = createServer(handler);
  // The Xet CAS is another host too (cas-server.xethub.hf.co on the Hub).
  const casServer = createServer(handler);
  const listen = (s: typeof server, port: number) =>
    new Promise<number>((ok, fail) => {
      s.once('error', fail);
      s.listen(port, '127.0.0.1', () => ok((s.address() as AddressInfo).port));
    });
  url = `http://127.0.0.1:${await listen(server, opts.port ?? 0)}`;
  cdnPort = await listen(cdn, 0);
  cdnUrl = `http://127.0.0.1:${cdnPort}`;
  casPort = await listen(casServer, 0);
  casUrl = `http://127.0.0.1:${casPort}`;
  opts.log?.(`hub emulator listening on ${url} (root ${root})`);

  let stopped: Promise<void> | undefined;
  return {
    url,
    casUrl,
    token,
    readToken,
    user,
    root,
    requests,
    faults,
    config,
    gitDir: (repo) => store.gitDirOf(toKey(repo)),
    lfsObjectPath: (repo, oid) => store.lfsObjectPath(toKey(repo), oid),
    stop: () =>
      (stopped ??= (async () => {
        // fetch keeps connections alive; without closing them server.close() would wait for
        // their idle timeout.
        const servers = [server, cdn, casServer];
        const closed = servers.map((s) => new Promise<void>((ok) => s.close(() => ok())));
        for (const s of servers) s.closeAllConnections();
        await Promise.all(closed);
        if (ownsRoot) await rm(root, { recursive: true, force: true });
      })()),
  };
}
