// `just which PATH…` and `just log --path PATH` ("which data made this figure?"): for each
// local file, whether it equals what the remote holds and which push made the remote's
// content — who, when, the full git SHA and its dirty flag, branch and recipe; content another
// tool wrote is never credited to a Strata push. On a folder, an S3 bucket and a Hub dataset.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attempts, s3List, startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { fileRemote, hubRemote, s3Remote, type Remote } from '../support/remote.js';
import { assertFailed, assertOk, run } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { JUST, workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

// Strata reaches S3 and the Hub through a proxy that counts its requests; tests and the
// other tool (remote.put) reach them directly.
let s3Proxy: FaultProxy;
let hubProxy: FaultProxy;
beforeAll(async () => {
  s3Proxy = await startFaultProxy(inject('s3').endpoint);
  hubProxy = await startFaultProxy(inject('hub').url);
});
afterAll(async () => {
  await s3Proxy?.stop();
  await hubProxy?.stop();
});

const KINDS: { kind: 'file' | 's3' | 'hf'; remote: () => Promise<Remote>; proxy: () => FaultProxy | undefined }[] = [
  { kind: 'file', remote: async () => fileRemote(), proxy: () => undefined },
  { kind: 's3', remote: () => s3Remote(inject('s3'), { via: s3Proxy.url }), proxy: () => s3Proxy },
  { kind: 'hf', remote: async () => hubRemote(inject('hub'), { via: hubProxy.url }), proxy: () => hubProxy },
];

const P01 = 'data/processed/plates/p01.csv';
const P02 = 'data/processed/plates/p02.csv';

/** The lines `which` printed for one file: its own line and the indented ones under it. */
function block(stdout: string, file: string): string[] {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`  ${file}  `));
  expect(at, `no line for ${file} in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const out = [lines[at]!];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('    ')) break;
    out.push(l.trim());
  }
  return out;
}

/** The push ids `log` printed, newest first, with the user of each. */
function logIds(stdout: string): { id: string; user: string }[] {
  return stdout
    .split('\n')
    .map((l) => /^ {2}(\S+)\s+\d{4}-\d\d-\d\d \S+\s+(\S+)@/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ id: m[1]!, user: m[2]! }));
}

/** How `which` names a push that `log` lists as `id`. */
const pushWord = (id: string) => (id.startsWith('#') ? `push ${id}` : `commit ${id}`);

async function commitCode(wc: WorkingCopy, code: string): Promise<string> {
  wc.write('analysis.py', code);
  wc.git('add', '-A');
  wc.git('commit', '-q', '-m', 'analysis');
  return wc.git('rev-parse', 'HEAD');
}

describe.each(KINDS)('$kind remote: which push made this file', ({ kind, remote: makeRemote, proxy }) => {
  it('names the push behind each file (full SHA, +dirty, user, branch, recipe), says whether it equals the remote, and never credits another tool’s file to Strata', async () => {
    const remote = await makeRemote();

    // Ana pushes two plates from a clean tree; Ben pulls, changes one and pushes from a dirty tree.
    const ana = workingCopy(remote, { branch: 'qc', user: 'ana.lovelace' });
    ana.write(P01, 'well,count\nA01,17\n');
    ana.write(P02, 'well,count\nA02,20\n');
    const anaSha = await commitCode(ana, 'print("v1")\n');
    assertOk(await ana.just('put-results'), 'ana pushes');
    const ben = workingCopy(remote, { branch: 'qc', user: 'ben.franklin' });
    assertOk(await ben.just('get-results'), 'ben pulls');
    const benSha = await commitCode(ben, 'print("v2")\n');
    expect(benSha).not.toBe(anaSha);
    ben.write('analysis.py', 'print("v2, not committed")\n');
    ben.write(P02, 'well,count\nA02,23\n');
    expect(assertOk(await ben.just('put-results'), 'ben pushes').stderr).toMatch(/uncommitted/);
    assertOk(await ana.just('get-results'), 'ana takes ben’s push');
    const [benPush, anaPush] = logIds(assertOk(await ana.just('log', '--layer', 'processed'), 'log').stdout);
    expect([anaPush?.user, benPush?.user]).toEqual(['ana.lovelace', 'ben.franklin']);

    // Equal files: the push that made each, with the full SHA, and +dirty for Ben's.
    const both = assertOk(await ana.just('which', P01, P02), 'which on two files').stdout;
    const p01 = block(both, P01);
    expect(p01[0]).toMatch(/ {2}same as the remote$/);
    expect(p01[1]).toMatch(new RegExp(`^${pushWord(anaPush!.id)} · \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ · ana\\.lovelace@\\S+ · branch qc · put-results$`));
    expect(p01[2]).toBe(`git ${anaSha}`);
    const p02 = block(both, P02);
    expect(p02[0]).toMatch(/ {2}same as the remote$/);
    expect(p02[1]).toMatch(new RegExp(`^${pushWord(benPush!.id)} · .* · ben\\.franklin@\\S+ · branch qc · put-results$`));
    expect(p02[2]).toBe(`git ${benSha}+dirty (uncommitted changes in the tree)`);

    // From inside a layer folder, a path is read from where one stands ([no-cd]).
    const here = assertOk(await run(JUST, ['which', 'p01.csv'], { cwd: ana.path('data/processed/plates'), env: ana.env() }), 'which from inside the folder');
    expect(block(here.stdout, P01)).toEqual(p01);

    // A local edit of the same size: compared by content, it differs; the remote's copy is still Ana's.
    ana.write(P01, 'well,count\nA01,18\n');
    const edited = block(assertOk(await ana.just('which', P01)).stdout, P01);
    expect(edited[0]).toMatch(/ {2}differs: changed here since your last sync$/);
    expect(edited[1]).toMatch(new RegExp(`^the remote's copy: ${pushWord(anaPush!.id)} · .* · ana\\.lovelace@`));
    expect(edited[2]).toBe(`git ${anaSha}`);

    // Another tool writes a new file and replaces Ben's p02 with content of the same size.
    await remote.put('plates/p03.csv', 'from another tool\n', 'qc');
    await remote.put('plates/p02.csv', 'well,count\nA02,99\n', 'qc');
    ana.write('data/processed/plates/p04.csv', 'not pushed yet\n');
    const since = proxy()?.log.length ?? 0;
    const folder = assertOk(await ana.just('which', 'data/processed/plates'), 'which on a folder').stdout;
    const requests = proxy()?.log.slice(since) ?? [];
    expect(block(folder, P01)[0]).toMatch(/differs: changed here since your last sync$/);
    const replaced = block(folder, P02);
    expect(replaced[0]).toMatch(/differs: changed on the remote since your last sync$/);
    expect(replaced[1]).toMatch(/^not pushed by Strata: /);
    expect(replaced.join('\n')).not.toContain('ben.franklin');
    const added = block(folder, 'data/processed/plates/p03.csv');
    expect(added[0]).toMatch(/only on the remote: not here$/);
    expect(added[1]).toMatch(/^not pushed by Strata: /);
    expect(block(folder, 'data/processed/plates/p04.csv')).toEqual(['  data/processed/plates/p04.csv  only here: never pushed']);
    expect(folder).toMatch(/ {2}4 files: 2 differs, 1 only here, 1 only on the remote\n/);

    // The history is read once for all the files, never once per file (records and done
    // marks; the head pointer is read by the lookups of the head, not by the history).
    const isJournalRecord = (r: ProxiedRequest) => r.method === 'GET' && /\/\.strata\/journal\/.*\/\d{10}(\.done)?\.json(\?|$)/.test(r.path);
    if (kind === 's3') {
      const records = requests.filter(isJournalRecord).map((r) => r.path);
      expect(records, 'two pushes: each record and done mark read once').toHaveLength(4);
      expect(new Set(records).size).toBe(4);
      expect(attempts(s3Proxy, (r) => s3List(r) && r.path.includes('plates'), since), 'one listing of the folder').toHaveLength(1);
      expect(requests.filter((r) => r.method === 'GET' && /\.csv(\?|$)/.test(r.path)), 'no file downloaded').toEqual([]);
    }
    if (kind === 'hf') {
      expect(requests.filter((r) => r.path.includes('/paths-info/')), 'one paths-info for the folder’s files').toHaveLength(1);
      expect(requests.filter((r) => r.path.includes('/commits/')), 'one page of commits').toHaveLength(1);
      expect(requests.filter((r) => r.path.includes('/tree/')), 'one listing').toHaveLength(1);
    }

    // log --path: only the pushes that changed that file.
    const forP01 = logIds(assertOk(await ana.just('log', '--path', P01), 'log --path p01').stdout);
    expect(forP01).toEqual([anaPush]);
    const forP02 = logIds(assertOk(await ana.just('log', 'qc', '--path', P02), 'log qc --path p02').stdout);
    // On the Hub the other tool's commit changed p02 too; the journal knows Strata's pushes only.
    expect(forP02.slice(kind === 'hf' ? 1 : 0)).toEqual([benPush, anaPush]);
    if (kind === 'hf') expect(forP02).toHaveLength(3);
    // A path given where a branch goes gets a pointer to --path.
    const asBranch = assertFailed(await ana.just('log', P01), 'log with a path as BRANCH');
    expect(asBranch.stderr).toContain(`just log --path ${P01}`);

    // A path in no layer: the layers are named.
    const outside = assertFailed(await ana.just('which', 'analysis.py'), 'which outside the layers');
    expect(outside.exitCode).toBe(2);
    expect(outside.stderr).toMatch(/"analysis\.py" is in no layer folder/);
    expect(outside.stderr).toContain('data/processed/ (processed)');
  });
});

describe('folder remote: which on a branch with no space yet, and on an input layer', () => {
  it("compares with main's space, as get-results reads it, and names the pushes made there", async () => {
    const remote = fileRemote();
    const mia = workingCopy(remote, { user: 'mia.maintainer', role: 'maintainer' });
    mia.write('data/external/plate-map.csv', 'well\nA01\n');
    mia.write('data/processed/summary.csv', 'n\n3\n');
    const miaSha = mia.git('rev-parse', 'HEAD');
    assertOk(await mia.just('put-inputs'), 'mia publishes inputs');
    assertOk(await mia.just('put-results'), 'mia pushes results on main');
    const carl = workingCopy(remote, { branch: 'fresh', user: 'carl' });
    assertOk(await carl.just('get-inputs'), 'carl pulls inputs');
    assertOk(await carl.just('get-results'), 'carl pulls main’s results');

    const out = assertOk(await carl.just('which', 'data/processed/summary.csv', 'data/external/plate-map.csv'), 'which in two layers').stdout;
    expect(out).toContain(`(branch "fresh" has no processed space yet: compared with main's, as get-results reads it)`);
    expect(block(out, 'data/processed/summary.csv')).toEqual([
      '  data/processed/summary.csv  same as the remote',
      expect.stringMatching(/^push #1 · .* · mia\.maintainer@\S+ · branch main · put-results$/),
      `git ${miaSha}`,
    ]);
    expect(block(out, 'data/external/plate-map.csv')[1]).toMatch(/^push #1 · .* · mia\.maintainer@\S+ · branch main · put-inputs$/);
    // The layers in the layer table's order.
    expect(out.indexOf('external · ')).toBeLessThan(out.indexOf('processed · '));
  });
});
