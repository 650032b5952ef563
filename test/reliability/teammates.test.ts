// Nothing one person does can break a teammate (docs/reliability.md §T): a local name that a
// pull would refuse is refused at push, before anything moves, on every backend; a key that
// another tool put on the remote is reported on every pull until the project acknowledges it
// with an exclude pattern; layer folders that would collide are refused before anything runs.
import fs from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { fileRemote, hubRemote, type Remote, s3Remote } from '../support/remote.js';
import { assertFailed, assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const KINDS: { kind: 'file' | 's3' | 'hf'; remote: () => Promise<Remote> }[] = [
  { kind: 'file', remote: async () => fileRemote() },
  { kind: 's3', remote: () => s3Remote(inject('s3')) },
  { kind: 'hf', remote: async () => hubRemote(inject('hub')) },
];

// Names a Linux disk holds happily and a teammate's pull would refuse.
const UNPULLABLE = {
  tab: 'tricky/tab\tname.txt',
  newline: 'tricky/new\nline.txt',
  backslash: 'tricky/back\\slash.txt',
  caseUpper: 'twins/Plate.csv',
  caseLower: 'twins/plate.csv',
  nfc: 'twins/caf\u00e9.csv',
  nfd: 'twins/cafe\u0301.csv',
  // 5 × 210 bytes of folders: every name fits a disk, the key is over S3's 1,024 bytes.
  long: [...Array(5)].map((_, i) => String(i).repeat(210)).join('/') + '/x.csv',
};

describe.each(KINDS)('$kind: a push refuses names a teammate could not pull', ({ kind, remote: makeRemote }) => {
  it('names each file and how to fix it, moves nothing, and pushes once they are renamed', async () => {
    const remote = await makeRemote();
    const ana = workingCopy(remote, { branch: 'ana-qc', user: 'ana' });
    ana.write('data/processed/good/a.csv', 'a\n');
    assertOk(await ana.run(['put-results']), 'first push');
    const before = await remote.layer('ana-qc');

    ana.write('data/processed/good/b.csv', 'b\n');
    for (const [i, name] of Object.values(UNPULLABLE).entries()) ana.write(`data/processed/${name}`, `file ${i}\n`);
    const dry = assertFailed(await ana.run(['put-results', '--dry-run']), 'dry run');
    expect(dry.exitCode).toBe(3);
    const r = assertFailed(await ana.run(['put-results']), 'push with unpullable names');
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/cannot be pushed: a teammate's pull would refuse them/);
    for (const name of Object.values(UNPULLABLE)) expect(r.stderr, `must name ${JSON.stringify(name)}`).toContain(JSON.stringify(name).slice(1, -1));
    expect(r.stderr).toMatch(/control character; rename it without tabs/);
    expect(r.stderr).toMatch(/letter case.*rename one so the names differ/);
    expect(r.stderr).toMatch(/Unicode twin.*keep one of the two files/);
    expect(r.stderr).toMatch(/exclude:/);
    // Nothing moved: not even the good new file.
    expect(await remote.layer('ana-qc')).toEqual(before);
    // --force does not push them either.
    expect((await ana.run(['put-results', '--force'])).exitCode).toBe(3);
    expect(await remote.layer('ana-qc')).toEqual(before);
    // status says so before anyone tries.
    const status = assertOk(await ana.run(['status', '--layer', 'processed']));
    expect(status.stdout).toMatch(/put would be refused: 8 local names cannot be pushed/);

    // Renamed (and one twin of each pair removed), the push goes through, and a teammate pulls it all.
    ana.remove('data/processed/tricky');
    ana.remove(`data/processed/${UNPULLABLE.caseUpper}`);
    ana.remove(`data/processed/${UNPULLABLE.nfd}`);
    ana.remove(`data/processed/${'0'.repeat(210)}`);
    ana.write('data/processed/tricky/tab_name.txt', 'renamed\n');
    assertOk(await ana.run(['put-results']), 'push after renaming');
    const ben = workingCopy(remote, { user: 'ben' });
    const pulled = assertOk(await ben.run(['get-results-from', 'ana-qc']), 'teammate pulls');
    expect(pulled.stderr).not.toMatch(/refused/);
    expect(ben.processed()).toEqual(ana.processed());
  });
});

describe('a key another tool put on the remote', () => {
  it('is reported on every pull until an exclude pattern in strata.yaml acknowledges it; the push then leaves it alone', async () => {
    const remote = await s3Remote(inject('s3'));
    await remote.put('ok.csv', 'ok\n');
    await remote.put('tricky/tab\tname.txt', 'from rclone\n');
    const ben = workingCopy(remote, { user: 'ben' });
    for (let i = 0; i < 2; i++) {
      const r = assertFailed(await ben.run(['get-results']), `pull ${i + 1}`);
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toContain('tricky/tab\\tname.txt');
      expect(r.stderr).toMatch(/exclude:/);
    }
    // The project acknowledges it (a committed setting: the whole team stops hearing about it).
    fs.appendFileSync(ben.path('strata.yaml'), 'exclude:\n  - "tricky/tab*name.txt"\n');
    const ok = assertOk(await ben.run(['get-results']), 'pull after the exclude');
    expect(ok.stderr).not.toMatch(/refused/);
    expect(ben.processed()).toEqual({ 'ok.csv': expect.any(String) });
    // A maintainer's push from this folder does not delete the excluded key either.
    ben.write('data/processed/new.csv', 'new\n');
    assertOk(await ben.run(['put-results']), 'push with the exclude');
    expect(await remote.get('tricky/tab\tname.txt')).not.toBeNull();
  });
});
