// The emulator's Xet side checked with the REAL @huggingface/hub client: uploads through the CAS
// (xorbs + shard, no LFS PUT), downloads by reconstruction, ranged reads, chunk dedup, and the
// CAS's refusals (a shard naming a missing xorb, a xorb whose bytes do not match its name).
// The tests build on each other (one repo), so they run in file order.
import { createHash, randomBytes } from 'node:crypto';
import { commit, createRepo, downloadFile, listFiles, type ListFileEntry } from '@huggingface/hub';
import { createChunker, hashToHex, xorbHash } from '@huggingface/xetchunk-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubEmulator, type HubEmulator } from './index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const REPO = { type: 'dataset' as const, name: 'lab/xet-test' };

let emu: HubEmulator;
const creds = () => ({ hubUrl: emu.url, accessToken: emu.token });
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const blob = (b: Buffer): Blob => new Blob([new Uint8Array(b)]);

/** Random bytes with compressible stretches, so that the client writes LZ4 chunks as well as raw ones. */
function content(size: number): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const p = i % 3 === 2 ? Buffer.from(`row ${i},value,${'abc'.repeat(20)}\n`.repeat(2000)) : randomBytes(256 * KiB);
    parts.push(p);
    n += p.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

/** A fetch that counts the bytes of the xorbs the client posts. */
function countingFetch(): { fetch: typeof fetch; xorbBytes: () => number } {
  let bytes = 0;
  return {
    fetch: (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes('/v1/xorbs/') && init?.body instanceof Uint8Array) bytes += init.body.byteLength;
      return fetch(input, init);
    },
    xorbBytes: () => bytes,
  };
}

async function entries(): Promise<Map<string, ListFileEntry>> {
  const out = new Map<string, ListFileEntry>();
  for await (const e of listFiles({ repo: REPO, recursive: true, ...creds() })) out.set(e.path, e);
  return out;
}

async function writeToken(): Promise<{ accessToken: string; casUrl: string; exp: number }> {
  const r = await fetch(`${emu.url}/api/datasets/${REPO.name}/xet-write-token/main`, { headers: { Authorization: `Bearer ${emu.token}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as { accessToken: string; casUrl: string; exp: number };
}

/** One uncompressed chunk record: the 8-byte header (version 0, sizes, scheme 0) then the bytes. */
function chunkRecord(data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUIntLE(data.length, 1, 3);
  h.writeUIntLE(data.length, 5, 3);
  return Buffer.concat([h, data]);
}

const since = (mark: number) => emu.requests.slice(mark);

const big = content(3 * MiB + 12345);
const edited = Buffer.concat([big.subarray(0, 2 * MiB), content(700 * KiB)]);

beforeAll(async () => {
  emu = await startHubEmulator();
  await createRepo({ repo: REPO, ...creds() });
});

afterAll(async () => {
  await emu?.stop();
});

describe('Xet uploads and downloads (@huggingface/hub)', () => {
  it('uploads through the CAS: token in the batch answer, xorbs, a shard, no LFS PUT', async () => {
    const mark = emu.requests.length;
    await commit({ repo: REPO, title: 'xet upload', operations: [{ operation: 'addOrUpdate', path: 'data/big.bin', content: blob(big) }], useXet: true, ...creds() });
    const reqs = since(mark);
    expect(reqs.some((r) => r.path.endsWith('.git/info/lfs/objects/batch') && r.status === 200)).toBe(true);
    const xorbs = reqs.filter((r) => r.cas && r.method === 'POST' && r.path.startsWith('/v1/xorbs/default/'));
    expect(xorbs.length).toBeGreaterThan(0);
    expect(xorbs.every((r) => r.status === 200)).toBe(true);
    expect(reqs.filter((r) => r.cas && r.method === 'POST' && r.path === '/v1/shards').map((r) => r.status)).toEqual([200]);
    expect(reqs.some((r) => r.path.startsWith('/_emulator/lfs-'))).toBe(false);
    expect(reqs.some((r) => r.path.includes('/commit/main') && r.status === 200)).toBe(true);

    // The commit references the file by its sha256 in an LFS pointer, as on the Hub.
    const e = (await entries()).get('data/big.bin')!;
    expect(e.lfs).toMatchObject({ oid: sha256(big), size: big.length });
    expect(e.size).toBe(big.length);
    expect(e.xetHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('downloads it back byte for byte through the reconstruction, and a range', async () => {
    const mark = emu.requests.length;
    const file = await downloadFile({ repo: REPO, path: 'data/big.bin', xet: true, ...creds() });
    expect(file).not.toBeNull();
    expect(sha256(Buffer.from(await file!.arrayBuffer()))).toBe(sha256(big));
    const reqs = since(mark);
    expect(reqs.some((r) => r.cas && r.path.startsWith('/v2/reconstructions/') && r.status === 200)).toBe(true);
    expect(reqs.some((r) => r.cas && r.path.startsWith('/xorb-data/') && r.status === 206)).toBe(true);
    expect(reqs.some((r) => r.path.includes('/xet-read-token/') && r.status === 200)).toBe(true);

    // A range that starts and ends inside chunks, across the compressible and random parts.
    const start = 1 * MiB + 777;
    const end = 2 * MiB + 4321;
    const part = Buffer.from(await file!.slice(start, end).arrayBuffer());
    expect(part.equals(big.subarray(start, end))).toBe(true);
  });

  it('serves the same file to a client without Xet by redirect to the download host', async () => {
    const file = await downloadFile({ repo: REPO, path: 'data/big.bin', xet: false, ...creds() });
    expect(sha256(Buffer.from(await file!.arrayBuffer()))).toBe(sha256(big));
    const head = await fetch(`${emu.url}/datasets/${REPO.name}/resolve/main/data/big.bin`, { method: 'HEAD', redirect: 'manual', headers: { Authorization: `Bearer ${emu.token}` } });
    expect(head.status).toBe(302);
    expect(head.headers.get('x-xet-hash')).toMatch(/^[0-9a-f]{64}$/);
    expect(head.headers.get('x-linked-size')).toBe(String(big.length));
    expect(head.headers.get('link')).toContain('rel="xet-auth"');
    expect(head.headers.get('link')).toContain('rel="xet-reconstruction-info"');
  });

  it('answers an LFS batch download of Xet-stored content with a link that rebuilds it', async () => {
    const r = await fetch(`${emu.url}/datasets/${REPO.name}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${emu.token}`, 'Content-Type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ operation: 'download', transfers: ['basic'], objects: [{ oid: sha256(big), size: big.length }] }),
    });
    const body = (await r.json()) as { objects: { actions: { download: { href: string } } }[] };
    const got = await fetch(body.objects[0]!.actions.download.href);
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(big));
  });

  it('dedups: the same file again sends no xorb; an edited copy sends only its new chunks', async () => {
    let mark = emu.requests.length;
    const same = countingFetch();
    await commit({ repo: REPO, title: 'same again', operations: [{ operation: 'addOrUpdate', path: 'data/copy.bin', content: blob(big) }], useXet: true, fetch: same.fetch, ...creds() });
    expect(same.xorbBytes()).toBe(0);
    expect(since(mark).some((r) => r.cas && r.method === 'POST')).toBe(false);

    mark = emu.requests.length;
    const edit = countingFetch();
    await commit({ repo: REPO, title: 'edited', operations: [{ operation: 'addOrUpdate', path: 'data/edited.bin', content: blob(edited) }], useXet: true, fetch: edit.fetch, ...creds() });
    // The client asked the CAS about a chunk it already holds, and got a shard back.
    expect(since(mark).some((r) => r.cas && r.path.startsWith('/v1/chunks/') && r.status === 200)).toBe(true);
    // The unchanged first 2 MiB are not sent again (the chunk around the edit point is).
    expect(edit.xorbBytes()).toBeGreaterThan(0);
    expect(edit.xorbBytes()).toBeLessThan(1 * MiB);
    const file = await downloadFile({ repo: REPO, path: 'data/edited.bin', xet: true, ...creds() });
    expect(sha256(Buffer.from(await file!.arrayBuffer()))).toBe(sha256(edited));
  });

  it('keeps plain LFS for a client that does not offer xet', async () => {
    const lfsOnly = content(600 * KiB);
    const mark = emu.requests.length;
    await commit({ repo: REPO, title: 'lfs', operations: [{ operation: 'addOrUpdate', path: 'data/lfs.bin', content: blob(lfsOnly) }], useXet: false, ...creds() });
    const reqs = since(mark);
    expect(reqs.some((r) => r.method === 'PUT' && r.path.startsWith('/_emulator/lfs-upload/') && r.status === 200)).toBe(true);
    expect(reqs.some((r) => r.cas)).toBe(false);
    const e = (await entries()).get('data/lfs.bin')!;
    expect(e.lfs?.oid).toBe(sha256(lfsOnly));
    expect(e.xetHash).toBeUndefined();
    const file = await downloadFile({ repo: REPO, path: 'data/lfs.bin', xet: true, ...creds() });
    expect(Buffer.from(await file!.arrayBuffer()).equals(lfsOnly)).toBe(true);
  });
});

describe('CAS checks', () => {
  it('answers the token endpoints as the Hub does, and checks tokens on CAS calls', async () => {
    const t = await writeToken();
    expect(t.casUrl).toBe(emu.casUrl);
    expect(t.exp).toBeGreaterThan(Date.now() / 1000);
    const read = await fetch(`${emu.url}/api/datasets/${REPO.name}/xet-read-token/main`, { headers: { Authorization: `Bearer ${emu.readToken}` } });
    expect(read.status).toBe(200);
    expect(read.headers.get('x-xet-access-token')).toBeTruthy();
    const readWrite = await fetch(`${emu.url}/api/datasets/${REPO.name}/xet-write-token/main`, { headers: { Authorization: `Bearer ${emu.readToken}` } });
    expect(readWrite.status).toBe(403);

    const readTok = ((await read.json()) as { accessToken: string }).accessToken;
    const data = randomBytes(1000);
    const hash = hashToHex(xorbHash(createChunker().nextBlock(data, true)));
    const post = (token: string | undefined) =>
      fetch(`${emu.casUrl}/v1/xorbs/default/${hash}`, { method: 'POST', body: new Uint8Array(chunkRecord(data)), headers: token ? { Authorization: `Bearer ${token}` } : {} });
    expect((await post(undefined)).status).toBe(401);
    expect((await post(readTok)).status).toBe(403);
    const ok = await post(t.accessToken);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ was_inserted: true });
    expect(await (await post(t.accessToken)).json()).toEqual({ was_inserted: false });
    expect((await fetch(`${emu.casUrl}/v2/reconstructions/${hash}`)).status).toBe(401);
  });

  it('refuses a xorb whose bytes do not hash to its name', async () => {
    const t = await writeToken();
    const data = randomBytes(2000);
    const wrongName = hashToHex(xorbHash(createChunker().nextBlock(randomBytes(2000), true)));
    const r = await fetch(`${emu.casUrl}/v1/xorbs/default/${wrongName}`, { method: 'POST', body: new Uint8Array(chunkRecord(data)), headers: { Authorization: `Bearer ${t.accessToken}` } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/hash mismatch/);
  });

  it('refuses a shard that references a xorb that is not stored', async () => {
    const t = await writeToken();
    const missing = randomBytes(32);
    // Header (magic, version 2, footer size), one file of one term, the two bookends, a footer.
    const magic = Buffer.concat([Buffer.from('HFRepoMetaData\0'), Buffer.from([85, 105, 103, 69, 106, 123, 129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169])]);
    const header = Buffer.alloc(48);
    magic.copy(header);
    header.writeBigUInt64LE(2n, 32);
    header.writeBigUInt64LE(200n, 40);
    const file = Buffer.alloc(48 + 48);
    randomBytes(32).copy(file, 0);
    file.writeUInt32LE(1, 36);
    missing.copy(file, 48);
    file.writeUInt32LE(1000, 48 + 36);
    file.writeUInt32LE(0, 48 + 40);
    file.writeUInt32LE(1, 48 + 44);
    const bookend = Buffer.concat([Buffer.alloc(32, 0xff), Buffer.alloc(16)]);
    const shard = Buffer.concat([header, file, bookend, bookend, Buffer.alloc(200)]);
    const r = await fetch(`${emu.casUrl}/v1/shards`, { method: 'POST', body: new Uint8Array(shard), headers: { Authorization: `Bearer ${t.accessToken}` } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/not stored/);
  });

  it('refuses a commit whose pointer names content neither in LFS nor in Xet', async () => {
    const ghost = Buffer.concat([Buffer.alloc(1), randomBytes(63)]); // a NUL: preupload says lfs
    await expect(
      commit({
        repo: REPO,
        title: 'ghost',
        operations: [{ operation: 'addOrUpdate', path: 'ghost.bin', content: blob(ghost) }],
        useXet: true,
        ...creds(),
        // Skip the upload: answer the batch with "already stored" so that the commit names unknown content.
        fetch: async (input, init) => {
          const url = String(input instanceof Request ? input.url : input);
          if (url.endsWith('/info/lfs/objects/batch')) {
            return new Response(JSON.stringify({ transfer: 'xet', objects: [{ oid: sha256(ghost), size: ghost.length }] }), { headers: { 'Content-Type': 'application/vnd.git-lfs+json' } });
          }
          return fetch(input, init);
        },
      }),
    ).rejects.toThrow(/does not exist/);
  });
});
