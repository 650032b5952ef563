import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDigester, etagDigests, hashFile, hashFileSync, sameContent } from '../../scripts/lib/listing/digest.js';

const MiB = 1024 * 1024;

describe('digests', () => {
  it('computes md5, sha256, git blob sha1 and multipart ETags in one pass', async () => {
    const data = crypto.randomBytes(11 * MiB + 123);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strata-digest-')), 'f.bin');
    fs.writeFileSync(file, data);
    const d = await hashFile(file, ['md5', 'sha256', 'gitsha1', `etag:${5 * MiB}`]);
    expect(d.md5).toBe(crypto.createHash('md5').update(data).digest('hex'));
    expect(d.sha256).toBe(crypto.createHash('sha256').update(data).digest('hex'));
    expect(d.gitsha1).toBe(crypto.createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex'));
    const parts = [0, 1, 2].map((i) => crypto.createHash('md5').update(data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB)).digest());
    expect(d[`etag:${5 * MiB}`]).toBe(crypto.createHash('md5').update(Buffer.concat(parts)).digest('hex') + '-3');
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('hashFileSync gives what hashFile gives: an empty file, one byte, a file over one read buffer', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-digest-'));
    for (const size of [0, 1, 3 * MiB + 7]) {
      const file = path.join(dir, `f${size}.bin`);
      fs.writeFileSync(file, crypto.randomBytes(size));
      const names = ['md5', 'sha256', 'gitsha1', `etag:${MiB}`] as const;
      const sync = hashFileSync(file, names);
      expect(sync.md5).toBe(crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex'));
      expect(sync).toEqual(await hashFile(file, names));
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('splits parts correctly whatever the chunk boundaries', () => {
    const data = crypto.randomBytes(3000);
    const a = createDigester(['etag:1000'], data.length);
    a.update(data);
    const b = createDigester(['etag:1000'], data.length);
    for (let i = 0; i < data.length; i += 333) b.update(data.subarray(i, i + 333));
    expect(b.digests()).toEqual(a.digests());
    expect(a.digests()['etag:1000']).toMatch(/-3$/);
  });

  it('reads ETags: plain is MD5, multipart offers plausible part sizes', () => {
    expect(etagDigests('"0123456789abcdef0123456789abcdef"', 5)).toEqual({ md5: '0123456789abcdef0123456789abcdef' });
    const m = etagDigests('0123456789abcdef0123456789abcdef-3', 12 * MiB);
    expect(Object.keys(m)).toContain(`etag:${5 * MiB}`);
    expect(Object.keys(m)).not.toContain(`etag:${16 * MiB}`);
    expect(etagDigests('not-an-etag', 1)).toEqual({});
  });

  it('compares by shared digests only', () => {
    expect(sameContent({ md5: 'a' }, { md5: 'a' })).toBe(true);
    expect(sameContent({ md5: 'a' }, { md5: 'b' })).toBe(false);
    expect(sameContent({ md5: 'a' }, { sha256: 'a' })).toBeNull();
  });
});
