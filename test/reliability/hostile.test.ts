// Hostile or broken remote content (docs/reliability.md §D): keys with "..", absolute paths,
// backslashes, control characters (NUL where the store allows it), names longer than a disk
// allows, NFC/NFD twins, case twins, a key that is also a folder, symlinks on a folder
// remote; and listings whose size or hash does not match the object. Nothing may be written
// outside the layer folder; every unsafe key is refused by name; a mismatch is never kept.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { fileRemote, hubRemote, s3Remote } from '../support/remote.js';
import { assertFailed, assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { sha256, tempFiles, tree } from '../support/tree.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const LONG_OK = ['a'.repeat(200), 'b'.repeat(200), 'c'.repeat(200), 'd'.repeat(200), 'e.csv'].join('/'); // 809 bytes, every name ≤ 255
const NFC = 'caf\u00e9.csv';
const NFD = 'cafe\u0301.csv';

/** Every file under the working copy's parent folder (the test's temp root), outside data/processed and Strata's own folders. */
function strayFiles(wc: WorkingCopy): string[] {
  const root = path.dirname(wc.dir);
  return Object.keys(tree(root, { withTemp: true })).filter(
    (k) => !k.startsWith('project/data/processed/') && !k.startsWith('project/.strata/') && !k.startsWith('project/.git/') && !/^project\/(strata\.yaml|\.gitignore|Justfile)$/.test(k),
  );
}

function expectNothingEscaped(wc: WorkingCopy) {
  expect(strayFiles(wc)).toEqual([]);
  for (const p of ['/abs.csv', '/escape.csv', path.join(path.dirname(wc.dir), 'escape.csv'), path.join(wc.dir, 'data', 'escape.csv'), path.join(wc.dir, 'escape2.csv')]) {
    expect(fs.existsSync(p), `${p} must not exist`).toBe(false);
  }
}

/** The pull ends with exit 3 (refused) and names every refused key; the safe keys are synced. */
function expectRefusedByName(stderr: string, keys: string[]) {
  for (const k of keys) expect(stderr, `the refusal must name ${JSON.stringify(k)}`).toContain(JSON.stringify(k));
}

describe('S3: hostile keys written by another tool', () => {
  it('refuses each unsafe key by name, writes the safe ones, and nothing outside the layer folder', async () => {
    const remote = await s3Remote(inject('s3'));
    const hostile = ['../escape.csv', 'sub/../../escape2.csv', '/abs.csv', 'back\\slash.csv', 'ctrl\u0001.csv', 'nl\nname.csv', `long/${'x'.repeat(300)}.csv`, NFC, NFD, 'Case.csv', 'case.csv', 'dir/inner.csv'];
    const safe = ['ok.csv', LONG_OK, 'dir'];
    for (const k of [...hostile, ...safe]) await remote.put(k, `content of ${k}`);
    // NUL: S3 allows any UTF-8 in a key; a store may refuse it. If it does, there is nothing to test.
    let nul = false;
    try {
      await remote.put('nul\u0000.csv', 'nul');
      nul = true;
    } catch (e) {
      nul = false;
      console.warn(`note: the S3 server refused a key with NUL (${(e as Error).name}); that case is not exercised here`);
    }
    const wc = workingCopy(remote);
    const r = assertFailed(await wc.run(['get-results']), 'get-results with hostile keys');
    expect(r.exitCode, r.stderr).toBe(3);
    expectRefusedByName(r.stderr, [...hostile, ...(nul ? ['nul\u0000.csv'] : [])]);
    expect(Object.keys(wc.processed()).sort()).toEqual(safe.sort());
    expect(wc.read(`data/processed/${LONG_OK}`)?.toString()).toBe(`content of ${LONG_OK}`);
    expectNothingEscaped(wc);
    // And a second run does the same (the refusals are stable; nothing was half-applied).
    const again = assertFailed(await wc.run(['get-results']));
    expect(again.exitCode).toBe(3);
    expect(again.stdout).toMatch(/down 0 /);
  });
});

describe('plain folder remote: hostile names and symlinks on the share', () => {
  it('refuses unsafe names by name, never follows a symlink on the share', async () => {
    const remote = fileRemote();
    const hostile = ['back\\slash.csv', 'ctrl\u0001.csv', 'nl\nname.csv', NFC, NFD, 'Case.csv', 'case.csv'];
    for (const k of [...hostile, 'ok.csv']) await remote.put(k, `content of ${k}`);
    const base = remote.abs(remote.space());
    const outside = path.join(path.dirname(remote.dir), `outside-${path.basename(remote.dir)}`);
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside the share\n');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(base, 'link.csv'));
    fs.symlinkSync(outside, path.join(base, 'linkdir'));
    fs.symlinkSync('/etc', path.join(base, 'etc'));
    const wc = workingCopy(remote);
    const r = assertFailed(await wc.run(['get-results']), 'get-results with hostile names');
    expect(r.exitCode).toBe(3);
    expectRefusedByName(r.stderr, hostile);
    expect(Object.keys(wc.processed())).toEqual(['ok.csv']);
    expectNothingEscaped(wc);
    fs.rmSync(outside, { recursive: true, force: true });
  });
});

describe('Hub: hostile paths in a listing (injected by the proxy)', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(inject('hub').url);
  });
  afterAll(() => proxy.stop());
  afterEach(() => {
    proxy.faults.length = 0;
  });

  it('refuses each unsafe path by name and downloads none of them', async () => {
    const remote = hubRemote(inject('hub'), { via: proxy.url });
    const a = workingCopy(remote);
    a.write('data/processed/ok.csv', 'ok\n');
    assertOk(await a.run(['put-results']));
    const hostile = ['../escape.csv', 'x/../../escape2.csv', '/abs.csv', 'back\\slash.csv', 'ctrl\u0001.csv', 'nul\u0000.csv', `long/${'y'.repeat(300)}.csv`, NFC, NFD, 'Case.csv', 'case.csv', 'ok.csv/inner.csv'];
    proxy.faults.push({
      match: (r) => r.method === 'GET' && r.path.includes('/tree/'),
      times: Infinity,
      action: {
        type: 'rewrite',
        fn: (body, _req, status) => {
          if (status !== 200) return body;
          const entries = JSON.parse(body.toString()) as { type: string; oid: string; size: number; path: string }[];
          for (const k of hostile) entries.push({ type: 'file', oid: sha256(k).slice(0, 40), size: 7, path: `processed/${k}` });
          return Buffer.from(JSON.stringify(entries));
        },
      },
    });
    const mark = proxy.log.length;
    const wc = workingCopy(remote);
    const r = assertFailed(await wc.run(['get-results']), 'get-results with hostile paths');
    expect(r.exitCode).toBe(3);
    expectRefusedByName(r.stderr, hostile);
    expect(Object.keys(wc.processed())).toEqual(['ok.csv']);
    const downloads = proxy.log.slice(mark).filter((q) => q.path.includes('/resolve/')).map((q) => decodeURIComponent(q.path));
    // Besides ok.csv, only the layer's record of times (not data) is read.
    expect(downloads.filter((d) => !d.endsWith('/processed/ok.csv') && !d.endsWith('/.strata/mtimes/processed.json'))).toEqual([]);
    expectNothingEscaped(wc);
  });
});

describe('listing and object disagree (size or hash)', () => {
  let s3Proxy: FaultProxy;
  let hubProxy: FaultProxy;
  beforeAll(async () => {
    s3Proxy = await startFaultProxy(inject('s3').endpoint);
    hubProxy = await startFaultProxy(inject('hub').url);
  });
  afterAll(async () => {
    await s3Proxy.stop();
    await hubProxy.stop();
  });

  it('S3: a listed size or ETag that does not match the object → that file is refused by name, never kept', async () => {
    const remote = await s3Remote(inject('s3'), { via: s3Proxy.url });
    const a = workingCopy(remote);
    a.write('data/processed/size.csv', 'size mismatch\n');
    a.write('data/processed/hash.csv', 'hash mismatch\n');
    a.write('data/processed/fine.csv', 'fine\n');
    assertOk(await a.run(['put-results']));
    s3Proxy.faults.push({
      match: (r) => r.method === 'GET' && r.path.includes('list-type=2'),
      times: Infinity,
      action: {
        type: 'rewrite',
        fn: (body) =>
          Buffer.from(
            body
              .toString()
              // Keys may come URL-encoded (encoding-type=url): "/" as %2F.
              .replace(/(<Key>[^<]*(?:\/|%2F)size\.csv<\/Key>[\s\S]*?<Size>)(\d+)(<\/Size>)/, (_m, a1, n, a3) => `${a1}${Number(n) + 5}${a3}`)
              .replace(/(<Key>[^<]*(?:\/|%2F)hash\.csv<\/Key>[\s\S]*?<ETag>)([^<]*)(<\/ETag>)/, (_m, a1, _e, a3) => `${a1}&quot;${'0'.repeat(32)}&quot;${a3}`),
          ),
      },
    });
    const b = workingCopy(remote);
    const r = assertFailed(await b.run(['get-results']), 'get-results with a lying listing');
    s3Proxy.faults.length = 0;
    expect(r.stderr).toContain('size.csv');
    expect(r.stderr).toContain('hash.csv');
    expect(Object.keys(b.processed())).toEqual(['fine.csv']);
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
  });

  it('Hub: a listed size or blob id that does not match the file → refused by name, never kept', async () => {
    const remote = hubRemote(inject('hub'), { via: hubProxy.url });
    const a = workingCopy(remote);
    a.write('data/processed/size.csv', 'size mismatch\n');
    a.write('data/processed/hash.csv', 'hash mismatch\n');
    a.write('data/processed/fine.csv', 'fine\n');
    assertOk(await a.run(['put-results']));
    hubProxy.faults.push({
      match: (r) => r.method === 'GET' && r.path.includes('/tree/'),
      times: Infinity,
      action: {
        type: 'rewrite',
        fn: (body, _req, status) => {
          if (status !== 200) return body;
          const entries = JSON.parse(body.toString()) as { path: string; size: number; oid: string }[];
          for (const e of entries) {
            if (e.path.endsWith('/size.csv')) e.size += 5;
            if (e.path.endsWith('/hash.csv')) e.oid = '0'.repeat(40);
          }
          return Buffer.from(JSON.stringify(entries));
        },
      },
    });
    const b = workingCopy(remote);
    const r = assertFailed(await b.run(['get-results']), 'get-results with a lying listing');
    hubProxy.faults.length = 0;
    expect(r.stderr).toContain('size.csv');
    expect(r.stderr).toContain('hash.csv');
    expect(Object.keys(b.processed())).toEqual(['fine.csv']);
    expect(tempFiles(b.path('data/processed'))).toEqual([]);
  });
});
