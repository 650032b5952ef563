// End-to-end checks of the Hub emulator with the REAL @huggingface/hub client over HTTP.
// The tests build on each other (one repo, one history), so they run in file order.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import {
  HubApiError,
  commit as hubCommit,
  countCommits,
  createBranch,
  createRepo,
  datasetInfo,
  deleteBranch,
  downloadFile,
  fileExists,
  listCommits,
  listFiles,
  pathsInfo,
  type ListFileEntry,
} from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../support/env.js';
import { assertOk, runSync } from '../support/run.js';
import { startHubEmulator, type HubEmulator } from './index.js';

const MiB = 1024 * 1024;
const REPO = { type: 'dataset' as const, name: 'lab/strata-emulator-test' };
const API = `/api/datasets/${REPO.name}`;

let emu: HubEmulator;
const creds = () => ({ hubUrl: emu.url, accessToken: emu.token });

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const gitBlobSha1 = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const blob = (b: Buffer): Blob => new Blob([new Uint8Array(b)]);
const pointer = (b: Buffer): string => `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(b)}\nsize ${b.length}\n`;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function byPath(revision: string, repo = REPO): Promise<Map<string, ListFileEntry>> {
  const entries = await collect(listFiles({ repo, recursive: true, revision, ...creds() }));
  return new Map(entries.map((e) => [e.path, e]));
}

/**
 * This file checks the LFS path (what Strata uses: `useXet: false`), so that basic and multipart
 * uploads are exercised; xet.test.ts checks the Xet path, which the client takes by default.
 */
const commit = (params: Parameters<typeof hubCommit>[0]): ReturnType<typeof hubCommit> => hubCommit({ useXet: false, ...params });

/** `commit` is typed as possibly returning nothing; a test that needs the result must get one. */
async function commitOk(params: Parameters<typeof commit>[0]): Promise<NonNullable<Awaited<ReturnType<typeof commit>>>> {
  const out = await commit(params);
  if (!out) throw new Error('commit() returned no result');
  return out;
}

/** Rejects unless `p` fails with a HubApiError of this status; returns the error. */
async function hubError(p: Promise<unknown>, status: number): Promise<HubApiError> {
  const err = await p.then(
    () => new Error('expected the call to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HubApiError);
  expect((err as HubApiError).statusCode).toBe(status);
  return err as HubApiError;
}

function git(...args: string[]): string {
  return assertOk(runSync('git', ['--git-dir', emu.gitDir(REPO), ...args], { cwd: emu.gitDir(REPO), env: childEnv() })).stdout.trim();
}

async function http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emu.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${emu.token}`,
      ...(body !== undefined ? { 'Content-Type': typeof body === 'string' ? 'application/x-ndjson' : 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const ndjson = (...lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n');

/** Requests made while `fn` runs. */
async function during(fn: () => Promise<unknown>): Promise<HubEmulator['requests']> {
  const start = emu.requests.length;
  await fn();
  return emu.requests.slice(start);
}

const text = Buffer.from('hello from strata\n');
const smallBinary = Buffer.concat([Buffer.from([0, 1, 2, 3]), randomBytes(2000)]);
const big = randomBytes(25 * MiB);
const empty = Buffer.alloc(0);

let firstCommit: string;
let mainHead: string;

beforeAll(async () => {
  emu = await startHubEmulator();
});

afterAll(async () => {
  await emu?.stop();
});

describe('hub emulator with @huggingface/hub', () => {
  it('creates a dataset repo with an initial .gitattributes commit, once', async () => {
    const out = await createRepo({ repo: REPO, ...creds() });
    expect(out.repoUrl).toBe(`${emu.url}/datasets/${REPO.name}`);
    await hubError(createRepo({ repo: REPO, ...creds() }), 409);
    expect(git('ls-tree', '--name-only', 'main')).toBe('.gitattributes');
    firstCommit = git('rev-parse', 'main');
    expect(firstCommit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('refuses reads without a token or with an unknown one, and writes with a read-only one', async () => {
    await hubError(collect(listFiles({ repo: REPO, hubUrl: emu.url })), 401);
    await hubError(collect(listFiles({ repo: REPO, hubUrl: emu.url, accessToken: 'hf_not_a_real_token' })), 401);
    const err = await hubError(
      commit({
        repo: REPO,
        hubUrl: emu.url,
        accessToken: emu.readToken,
        title: 'nope',
        operations: [{ operation: 'addOrUpdate', path: 'x.txt', content: blob(text) }],
      }),
      403,
    );
    expect(err.message).toMatch(/read-only/);
    expect(git('rev-parse', 'main')).toBe(firstCommit);
  });

  it('commits a text file, a small binary (basic LFS), a 25 MiB binary (multipart LFS) and a 0-byte file', async () => {
    let result: Awaited<ReturnType<typeof commitOk>> | undefined;
    const reqs = await during(async () => {
      result = await commitOk({
        repo: REPO,
        ...creds(),
        title: 'Add files',
        description: 'text, small binary, big binary, empty',
        operations: [
          { operation: 'addOrUpdate', path: 'notes/hello.txt', content: blob(text) },
          { operation: 'addOrUpdate', path: 'data/small.bin', content: blob(smallBinary) },
          { operation: 'addOrUpdate', path: 'data/big.bin', content: blob(big) },
          { operation: 'addOrUpdate', path: 'data/empty.txt', content: blob(empty) },
        ],
      });
    });
    mainHead = result!.commit.oid;
    expect(git('rev-parse', 'main')).toBe(mainHead);
    expect(result!.commit.url).toBe(`${emu.url}/datasets/${REPO.name}/commit/${mainHead}`);

    const count = (re: RegExp, method?: string) => reqs.filter((r) => re.test(r.path) && (!method || r.method === method)).length;
    const parts = Math.ceil(big.length / emu.config.lfsMultipartChunkSize);
    expect(parts).toBeGreaterThan(1);
    expect(count(/\/preupload\/main$/)).toBe(1);
    expect(count(/\.git\/info\/lfs\/objects\/batch$/)).toBe(1);
    expect(count(/^\/_emulator\/lfs-upload\//, 'PUT')).toBe(1); // small.bin, basic transfer
    expect(count(/^\/_emulator\/lfs-multipart\/[0-9a-f]+\/\d+$/, 'PUT')).toBe(parts);
    expect(count(/^\/_emulator\/lfs-multipart\/[0-9a-f]+\/complete$/, 'POST')).toBe(1);
    expect(count(/\/commit\/main$/, 'POST')).toBe(1);
    // Nothing else (no xet endpoints), and nothing failed.
    expect(reqs.length).toBe(1 /* preupload */ + 1 /* batch */ + 1 /* basic PUT */ + parts + 1 /* complete */ + 1 /* commit */);
    expect(reqs.every((r) => r.status === 200)).toBe(true);

    expect(statSync(emu.lfsObjectPath(REPO, sha256(big))).size).toBe(big.length);
    expect(statSync(emu.lfsObjectPath(REPO, sha256(smallBinary))).size).toBe(smallBinary.length);
    // In git: pointer files for LFS content, the content itself for regular files.
    expect(git('cat-file', '-p', 'main:data/big.bin') + '\n').toBe(pointer(big));
    expect(git('cat-file', '-p', 'main:notes/hello.txt') + '\n').toBe(text.toString());
    expect(git('log', '-1', '--format=%B', 'main')).toBe('Add files\n\ntext, small binary, big binary, empty');
  });

  it('lists files recursively with git blob ids and LFS metadata', async () => {
    const files = await byPath('main');
    expect([...files.keys()].sort()).toEqual(
      ['.gitattributes', 'data', 'data/big.bin', 'data/empty.txt', 'data/small.bin', 'notes', 'notes/hello.txt'].sort(),
    );
    expect(files.get('data')!.type).toBe('directory');

    const hello = files.get('notes/hello.txt')!;
    expect(hello).toMatchObject({ type: 'file', size: text.length, oid: gitBlobSha1(text) });
    expect(hello.lfs).toBeUndefined();

    const bigEntry = files.get('data/big.bin')!;
    const ptr = Buffer.from(pointer(big));
    expect(bigEntry.size).toBe(big.length);
    expect(bigEntry.oid).toBe(gitBlobSha1(ptr));
    expect(bigEntry.lfs).toEqual({ oid: sha256(big), size: big.length, pointerSize: ptr.length });
    expect(files.get('data/small.bin')!.lfs?.oid).toBe(sha256(smallBinary));

    const emptyEntry = files.get('data/empty.txt')!;
    expect(emptyEntry).toMatchObject({ size: 0, oid: 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391' });
    expect(emptyEntry.lfs).toBeUndefined();

    const top = await collect(listFiles({ repo: REPO, revision: 'main', ...creds() }));
    expect(top.map((e) => e.path).sort()).toEqual(['.gitattributes', 'data', 'notes']);
    const sub = await collect(listFiles({ repo: REPO, revision: 'main', path: 'data', ...creds() }));
    expect(sub.map((e) => e.path).sort()).toEqual(['data/big.bin', 'data/empty.txt', 'data/small.bin']);
  });

  it('answers pathsInfo and fileExists', async () => {
    const info = await pathsInfo({ repo: REPO, paths: ['data/big.bin', 'notes', 'missing.txt'], expand: true, ...creds() });
    expect(info.map((i) => i.path)).toEqual(['data/big.bin', 'notes']);
    expect(info[0]!.lfs?.oid).toBe(sha256(big));
    expect(info[0]!.lastCommit?.id).toBe(mainHead);
    expect(info[1]!.type).toBe('directory');
    expect(await fileExists({ repo: REPO, path: 'notes/hello.txt', ...creds() })).toBe(true);
    expect(await fileExists({ repo: REPO, path: 'notes/nope.txt', ...creds() })).toBe(false);
  });

  it('downloads files, honouring ranges', async () => {
    const t = await downloadFile({ repo: REPO, path: 'notes/hello.txt', ...creds() });
    expect(Buffer.from(await t!.arrayBuffer())).toEqual(text);

    const b = await downloadFile({ repo: REPO, path: 'data/big.bin', ...creds() });
    expect(b!.size).toBe(big.length);
    const reqs = await during(async () => {
      const slice = Buffer.from(await b!.slice(1_000_000, 1_000_100).arrayBuffer());
      expect(slice).toEqual(big.subarray(1_000_000, 1_000_100));
    });
    // An LFS file: the Hub's 302 to its download host (another port here), followed without the token.
    expect(reqs.map((r) => `${r.status}${r.cdn ? ' cdn' : ''}`)).toEqual(['302', '206 cdn']);
    expect(sha256(Buffer.from(await b!.arrayBuffer()))).toBe(sha256(big));

    const e = await downloadFile({ repo: REPO, path: 'data/empty.txt', ...creds() });
    expect(e!.size).toBe(0);
    expect(await downloadFile({ repo: REPO, path: 'data/missing.bin', ...creds() })).toBeNull();

    const head = await fetch(`${emu.url}/datasets/${REPO.name}/resolve/main/data/big.bin`, {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${emu.token}` },
      // As hf_hub_download does: the file's facts are read off the redirect itself.
      redirect: 'manual',
    });
    expect(head.status).toBe(302);
    expect(new URL(head.headers.get('location')!).port).not.toBe(new URL(emu.url).port);
    expect(head.headers.get('x-linked-size')).toBe(String(big.length));
    expect(head.headers.get('x-linked-etag')).toBe(`"${sha256(big)}"`);
    expect(head.headers.get('x-repo-commit')).toBe(mainHead);
  });

  it('reports the head sha in dataset info', async () => {
    const info = await datasetInfo({ name: REPO.name, additionalFields: ['sha'], ...creds() });
    expect(info.sha).toBe(mainHead);
    expect(info.name).toBe(REPO.name);
    const old = await datasetInfo({ name: REPO.name, revision: firstCommit, additionalFields: ['sha'], ...creds() });
    expect(old.sha).toBe(firstCommit);
    await hubError(datasetInfo({ name: REPO.name, revision: 'no-such-branch', ...creds() }), 404);
  });

  it('creates a branch with a slash, commits to it and lists it (revision encoded for listFiles)', async () => {
    await createBranch({ repo: REPO, branch: 'feat/x', revision: 'main', ...creds() });
    await hubError(createBranch({ repo: REPO, branch: 'feat/x', ...creds() }), 409);
    expect(git('rev-parse', 'refs/heads/feat/x')).toBe(mainHead);

    const res = await commitOk({
      repo: REPO,
      ...creds(),
      branch: 'feat/x',
      title: 'Add feature',
      operations: [{ operation: 'addOrUpdate', path: 'data/feature.txt', content: blob(Buffer.from('feature\n')) }],
    });
    expect(git('rev-parse', 'refs/heads/feat/x')).toBe(res.commit.oid);
    expect(git('rev-parse', 'main')).toBe(mainHead);

    expect((await byPath(encodeURIComponent('feat/x'))).has('data/feature.txt')).toBe(true);
    expect((await byPath('main')).has('data/feature.txt')).toBe(false);
    // listFiles does not encode: an unencoded 'feat/x' reads as revision 'feat', as on the Hub.
    const err = await hubError(byPath('feat/x'), 404);
    expect(err.data).toMatchObject({ error: 'Invalid rev id: feat' });

    const refs = (await (await http('GET', `${API}/refs`)).json()) as { branches: { name: string; targetCommit: string }[] };
    expect(refs.branches.find((b) => b.name === 'feat/x')?.targetCommit).toBe(res.commit.oid);
  });

  it('rejects a commit whose parentCommit is stale with 412', async () => {
    const err = await hubError(
      commit({
        repo: REPO,
        ...creds(),
        title: 'stale',
        parentCommit: firstCommit,
        operations: [{ operation: 'addOrUpdate', path: 'stale.txt', content: blob(text) }],
      }),
      412,
    );
    expect(err.message).toMatch(/A commit has happened since/);
    expect(git('rev-parse', 'main')).toBe(mainHead);
  });

  it('fails the whole commit with 404 when deleting a missing path', async () => {
    await hubError(
      commit({
        repo: REPO,
        ...creds(),
        title: 'delete missing',
        operations: [
          { operation: 'addOrUpdate', path: 'would-be-added.txt', content: blob(text) },
          { operation: 'delete', path: 'no/such/file.txt' },
        ],
      }),
      404,
    );
    expect(git('rev-parse', 'main')).toBe(mainHead);
    expect((await byPath('main')).has('would-be-added.txt')).toBe(false);
  });

  it('answers 404 for a commit to a branch that does not exist', async () => {
    const err = await hubError(
      commit({
        repo: REPO,
        ...creds(),
        branch: 'nope',
        title: 'x',
        operations: [{ operation: 'addOrUpdate', path: 'x.txt', content: blob(text) }],
      }),
      404,
    );
    expect(err.data).toMatchObject({ error: 'Invalid rev id: nope' });
  });

  it('lets exactly one of two concurrent commits with the same parent win', async () => {
    const attempt = (path: string) =>
      commitOk({
        repo: REPO,
        ...creds(),
        title: `race ${path}`,
        parentCommit: mainHead,
        operations: [{ operation: 'addOrUpdate', path, content: blob(Buffer.from(path)) }],
      });
    const results = await Promise.allSettled([attempt('race/a.txt'), attempt('race/b.txt')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(((lost[0] as PromiseRejectedResult).reason as HubApiError).statusCode).toBe(412);
    mainHead = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof commitOk>>>).value.commit.oid;
    expect(git('rev-parse', 'main')).toBe(mainHead);
    expect(git('rev-parse', 'main~1')).toBe(git('rev-parse', 'feat/x~1'));
  });

  it('lists commits newest first, paged by Link, with x-total-count', async () => {
    const all = await collect(listCommits({ repo: REPO, ...creds() }));
    expect(all.map((c) => c.title)).toEqual([expect.stringMatching(/^race race\/[ab]\.txt$/), 'Add files', 'initial commit']);
    expect(all[0]!.oid).toBe(mainHead);
    expect(all[1]!.message).toBe('text, small binary, big binary, empty');
    expect(all[2]!.oid).toBe(firstCommit);
    expect(all[0]!.authors[0]!.username).toBe(emu.user);
    expect(all[0]!.date.getTime()).toBeGreaterThan(Date.now() - 600_000);

    const reqs = await during(async () => {
      const paged = await collect(listCommits({ repo: REPO, batchSize: 2, ...creds() }));
      expect(paged.map((c) => c.oid)).toEqual(all.map((c) => c.oid));
    });
    expect(reqs.filter((r) => r.path.endsWith('/commits/main'))).toHaveLength(2);
    expect(await countCommits({ repo: REPO, ...creds() })).toBe(3);
    const onBranch = await collect(listCommits({ repo: REPO, revision: encodeURIComponent('feat/x'), ...creds() }));
    expect(onBranch[0]!.title).toBe('Add feature');
  });

  it('creates, lists and deletes a tag over HTTP', async () => {
    const created = await http('POST', `${API}/tag/main`, { tag: 'v1.0', message: 'first release' });
    expect(created.status).toBe(200);
    expect((await http('POST', `${API}/tag/main`, { tag: 'v1.0' })).status).toBe(409);
    const refs = (await (await http('GET', `${API}/refs`)).json()) as { tags: { name: string; ref: string; targetCommit: string }[] };
    expect(refs.tags).toEqual([{ name: 'v1.0', ref: 'refs/tags/v1.0', targetCommit: mainHead }]);
    expect(git('cat-file', '-t', 'refs/tags/v1.0')).toBe('tag');
    expect((await byPath('v1.0')).has('data/big.bin')).toBe(true);
    expect((await http('DELETE', `${API}/tag/v1.0`)).status).toBe(200);
    expect((await http('DELETE', `${API}/tag/v1.0`)).status).toBe(404);
    const after = (await (await http('GET', `${API}/refs`)).json()) as { tags: unknown[] };
    expect(after.tags).toEqual([]);
  });

  it('verifies uploaded LFS content and refuses lfsFile entries for objects it does not hold', async () => {
    const claimed = randomBytes(3000);
    const batch = await http(
      'POST',
      `/datasets/${REPO.name}.git/info/lfs/objects/batch`,
      { operation: 'upload', transfers: ['basic'], hash_algo: 'sha_256', objects: [{ oid: sha256(claimed), size: claimed.length }] },
    );
    const { objects } = (await batch.json()) as { objects: { actions?: { upload?: { href: string } } }[] };
    const href = objects[0]!.actions!.upload!.href;
    const wrong = randomBytes(3000);
    const put = await fetch(href, { method: 'PUT', body: new Uint8Array(wrong) });
    expect(put.status).toBe(400);
    expect(existsSync(emu.lfsObjectPath(REPO, sha256(claimed)))).toBe(false);
    const tampered = await fetch(href.replace(/sig=[^&]+/, 'sig=forged'), { method: 'PUT', body: new Uint8Array(claimed) });
    expect(tampered.status).toBe(403);

    const res = await http(
      'POST',
      `${API}/commit/main`,
      ndjson(
        { key: 'header', value: { summary: 'dangling pointer' } },
        { key: 'lfsFile', value: { path: 'data/ghost.bin', algo: 'sha256', oid: sha256(claimed), size: claimed.length } },
      ),
    );
    expect(res.status).toBe(400);
    expect(git('rev-parse', 'main')).toBe(mainHead);
  });

  it('opens a PR, commits into refs/pr/1 by sha256 without re-uploading, and merges it', async () => {
    const opened = await http('POST', `${API}/discussions`, { title: 'Sync feat/x', description: 'from strata', pullRequest: true });
    expect(opened.status).toBe(200);
    const pr = (await opened.json()) as { num: number; status: string };
    expect(pr).toMatchObject({ num: 1, status: 'draft' });
    const refs = (await (await http('GET', `${API}/refs?include_prs=1`)).json()) as { pullRequests: { ref: string; targetCommit: string }[] };
    expect(refs.pullRequests).toEqual([{ name: 'refs/pr/1', ref: 'refs/pr/1', targetCommit: mainHead }]);

    // Carry feat/x's state into the PR: reference LFS content by sha256, nothing uploaded.
    let prCommit = '';
    const raw = await during(async () => {
      const res = await http(
        'POST',
        `${API}/commit/${encodeURIComponent('refs/pr/1')}`,
        ndjson(
          { key: 'header', value: { summary: 'Carry feat/x', description: 'by reference' } },
          { key: 'lfsFile', value: { path: 'data/big-copy.bin', algo: 'sha256', oid: sha256(big), size: big.length } },
          { key: 'file', value: { path: 'data/feature.txt', content: Buffer.from('feature\n').toString('base64'), encoding: 'base64' } },
          { key: 'deletedFile', value: { path: 'notes/hello.txt' } },
        ),
      );
      expect(res.status).toBe(200);
      prCommit = ((await res.json()) as { commitOid: string }).commitOid;
    });
    expect(raw.map((r) => r.path)).toEqual([`${API}/commit/refs%2Fpr%2F1`]);
    expect(git('rev-parse', 'refs/pr/1')).toBe(prCommit);

    // The client re-sends content it is given, but the batch answer (no actions) stops the upload.
    const viaClient = await during(() =>
      commit({
        repo: REPO,
        ...creds(),
        branch: 'refs/pr/1',
        title: 'Same small binary again',
        operations: [{ operation: 'addOrUpdate', path: 'data/small-copy.bin', content: blob(smallBinary) }],
      }),
    );
    expect(viaClient.filter((r) => r.path.endsWith('/info/lfs/objects/batch'))).toHaveLength(1);
    expect(viaClient.filter((r) => r.path.startsWith('/_emulator/'))).toHaveLength(0);
    expect(viaClient.find((r) => r.path.includes('/commit/'))?.path).toBe(`${API}/commit/refs%2Fpr%2F1`);

    const details = (await (await http('GET', `${API}/discussions/1`)).json()) as { status: string; filesWithConflicts: string[] };
    expect(details.status).toBe('open');
    expect(details.filesWithConflicts).toEqual([]);
    expect(git('rev-parse', 'main')).toBe(mainHead);

    const merged = await http('POST', `${API}/discussions/1/merge`, {});
    expect(merged.status).toBe(200);
    expect(git('rev-parse', 'main^{tree}')).toBe(git('rev-parse', 'refs/pr/1^{tree}'));
    const files = await byPath('main');
    expect(files.get('data/big-copy.bin')?.lfs?.oid).toBe(sha256(big));
    expect(files.get('data/small-copy.bin')?.lfs?.oid).toBe(sha256(smallBinary));
    expect(files.has('notes/hello.txt')).toBe(false);
    expect(files.has('data/feature.txt')).toBe(true);
    const copy = await downloadFile({ repo: REPO, path: 'data/big-copy.bin', ...creds() });
    expect(sha256(Buffer.from(await copy!.arrayBuffer()))).toBe(sha256(big));

    const after = (await (await http('GET', `${API}/discussions/1`)).json()) as { status: string; changes: { mergeCommitId: string } };
    expect(after.status).toBe('merged');
    expect(after.changes.mergeCommitId).toBe(git('rev-parse', 'main'));
    expect((await http('POST', `${API}/discussions/1/merge`, {})).status).toBe(409);
    mainHead = git('rev-parse', 'main');
  });

  it('opens a PR with create_pr and merges onto a main that moved meanwhile', async () => {
    const res = await commitOk({
      repo: REPO,
      ...creds(),
      isPullRequest: true,
      title: 'PR via create_pr',
      operations: [{ operation: 'addOrUpdate', path: 'pr/note.txt', content: blob(Buffer.from('pr\n')) }],
    });
    expect(res.pullRequestUrl).toBe(`${emu.url}/datasets/${REPO.name}/discussions/2`);
    expect(git('rev-parse', 'refs/pr/2')).toBe(res.commit.oid);
    expect(git('rev-parse', 'main')).toBe(mainHead);
    await commit({
      repo: REPO,
      ...creds(),
      title: 'Unrelated change on main',
      operations: [{ operation: 'addOrUpdate', path: 'main-only.txt', content: blob(Buffer.from('main\n')) }],
    });
    expect((await http('POST', `${API}/discussions/2/merge`)).status).toBe(200);
    const files = await byPath('main');
    expect(files.has('pr/note.txt')).toBe(true);
    expect(files.has('main-only.txt')).toBe(true);
    expect(git('rev-list', '--parents', '-n1', 'main').split(' ')).toHaveLength(3);
    mainHead = git('rev-parse', 'main');
  });

  it('deletes a branch whose name contains a slash', async () => {
    await deleteBranch({ repo: REPO, branch: 'feat/x', ...creds() });
    const refs = (await (await http('GET', `${API}/refs`)).json()) as { branches: { name: string }[] };
    expect(refs.branches.map((b) => b.name)).toEqual(['main']);
    await hubError(byPath(encodeURIComponent('feat/x')), 404);
    await hubError(deleteBranch({ repo: REPO, branch: 'feat/x', ...creds() }), 404);
  });

  it('injects faults (429 with rate-limit headers, 503) for a number of matching requests', async () => {
    emu.faults.push({ match: (m, p) => m === 'GET' && p.includes('/tree/'), status: 503, times: 1 });
    await hubError(byPath('main'), 503);
    expect((await byPath('main')).has('data/big.bin')).toBe(true);
    expect(emu.faults).toHaveLength(0);

    emu.faults.push({ match: (_m, p) => p.endsWith('/refs'), status: 429, times: 2 });
    const r1 = await http('GET', `${API}/refs`);
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('1');
    expect(r1.headers.get('ratelimit')).toMatch(/r=0/);
    expect((await http('GET', `${API}/refs`)).status).toBe(429);
    expect((await http('GET', `${API}/refs`)).status).toBe(200);
  });

  it('decides upload modes in preupload by size, binary sample and .gitattributes', async () => {
    const b64 = (b: Buffer) => b.toString('base64');
    const res = await http('POST', `${API}/preupload/main`, {
      files: [
        { path: 'a.txt', size: 10, sample: b64(Buffer.from('plain text')) },
        { path: 'b.dat', size: 4, sample: b64(Buffer.from([1, 0, 2, 3])) },
        { path: 'c.txt', size: 11 * MiB, sample: b64(Buffer.from('text')) },
        { path: 'd/e.parquet', size: 4, sample: b64(Buffer.from('text')) },
        { path: 'data/big.bin', size: 1, sample: '' },
        { path: 'f.txt', size: 0, sample: '' },
      ],
    });
    const body = (await res.json()) as { files: { path: string; uploadMode: string; shouldIgnore: boolean; oid?: string }[] };
    expect(body.files.map((f) => [f.path, f.uploadMode])).toEqual([
      ['a.txt', 'regular'],
      ['b.dat', 'lfs'],
      ['c.txt', 'lfs'],
      ['d/e.parquet', 'lfs'],
      ['data/big.bin', 'lfs'],
      ['f.txt', 'regular'],
    ]);
    expect(body.files.every((f) => f.shouldIgnore === false)).toBe(true);
    // Existing files carry their remote oid (sha256 for LFS), which huggingface_hub uses to skip unchanged files.
    expect(body.files.find((f) => f.path === 'data/big.bin')?.oid).toBe(sha256(big));
    expect(body.files.find((f) => f.path === 'a.txt')?.oid).toBeUndefined();
  });

  it('serves model repos on their own URL shapes', async () => {
    const model = { type: 'model' as const, name: 'lab/tiny-model' };
    await createRepo({ repo: model, ...creds() });
    const reqs = await during(() =>
      commitOk({
        repo: model,
        ...creds(),
        title: 'weights',
        operations: [{ operation: 'addOrUpdate', path: 'w.bin', content: blob(smallBinary) }],
      }),
    );
    expect(reqs.map((r) => r.path)).toContain('/lab/tiny-model.git/info/lfs/objects/batch');
    const got = await downloadFile({ repo: model, path: 'w.bin', ...creds() });
    expect(Buffer.from(await got!.arrayBuffer())).toEqual(smallBinary);
    expect(emu.requests.at(-2)!.path).toBe('/lab/tiny-model/resolve/main/w.bin');
    expect(emu.requests.at(-1)!.cdn).toBe(true);
    const files = await collect(listFiles({ repo: model, ...creds() }));
    expect(files.find((f) => f.path === 'w.bin')?.lfs?.oid).toBe(sha256(smallBinary));
  });

  it('names the newest commit that touched each path, a file or anything under a folder', async () => {
    const repo = { type: 'dataset' as const, name: 'lab/last-commits' };
    await createRepo({ repo, ...creds() });
    const add = (path: string, text: string) => ({ operation: 'addOrUpdate' as const, path, content: blob(Buffer.from(text)) });
    const a = (await commitOk({ repo, ...creds(), title: 'a', operations: [add('x/a.txt', '1'), add('y.txt', '1'), add('w/deep/c.txt', '1')] })).commit.oid;
    const b = (await commitOk({ repo, ...creds(), title: 'b', operations: [add('x/a.txt', '2')] })).commit.oid;
    const c = (await commitOk({ repo, ...creds(), title: 'c', operations: [add('z/b.txt', '1')] })).commit.oid;
    const info = await pathsInfo({ repo, paths: ['x/a.txt', 'y.txt', 'x', 'z', 'z/b.txt', 'w', 'w/deep/c.txt'], expand: true, ...creds() });
    const last = Object.fromEntries(info.map((i) => [i.path, i.lastCommit?.id]));
    expect(last).toEqual({ 'x/a.txt': b, 'y.txt': a, x: b, z: c, 'z/b.txt': c, w: a, 'w/deep/c.txt': a });
    expect(info.find((i) => i.path === 'x')!.lastCommit?.title).toBe('b');
  });

  it('pages the tree listing by 1,000 with a Link header', async () => {
    const many = { type: 'dataset' as const, name: 'lab/many-files' };
    await createRepo({ repo: many, ...creds() });
    const operations = Array.from({ length: 1005 }, (_, i) => ({
      operation: 'addOrUpdate' as const,
      path: `rows/${String(i).padStart(4, '0')}.txt`,
      content: blob(Buffer.from(`row ${i}\n`)),
    }));
    await commit({ repo: many, ...creds(), title: '1005 files', operations });
    let entries: ListFileEntry[] = [];
    const reqs = await during(async () => {
      entries = await collect(listFiles({ repo: many, recursive: true, ...creds() }));
    });
    expect(entries).toHaveLength(1005 + 2); // + .gitattributes + the rows folder
    expect(new Set(entries.map((e) => e.path)).size).toBe(entries.length);
    expect(reqs).toHaveLength(2);
    expect(reqs[1]!.query).toMatch(/cursor=/);
  });
});
