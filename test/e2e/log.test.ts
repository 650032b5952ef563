// `just log` (SPEC §5, §6.8): every push is recorded with who pushed, from which git
// commit, and whether the tree was dirty.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { REMOTE_KINDS, useLab } from '../support/lab.js';
import { fileRemote, hubRemote, s3Remote, type Remote } from '../support/remote.js';
import { assertFailed, assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy } from '../support/working-copy.js';

/** The log line of one processed/ push, found by its journal number. */
function logLine(stdout: string, layer: string, id: string): string {
  const section = stdout.split(/\n(?=\S)/).find((s) => s.startsWith(`${layer} `));
  expect(section, `no "${layer}" section in:\n${stdout}`).toBeDefined();
  const line = section!.split('\n').find((l) => l.trim().startsWith(`${id} `));
  expect(line, `no ${id} line in:\n${section}`).toBeDefined();
  return line!;
}

describe.each(REMOTE_KINDS)('%s remote: log', (kind) => {
  const lab = useLab(kind);

  it('shows the pusher, the git short SHA, and +dirty for a push from a dirty tree', async () => {
    const { mia, ana } = lab();
    mia.write('data/external/plate-map.csv', 'map\n');
    assertOk(await mia.justWith({ user: 'mia.maintainer' }, 'put-inputs'), 'mia put-inputs');
    const miaSha = mia.git('rev-parse', '--short=7', 'HEAD');

    ana.git('switch', '-q', '-c', 'qc');
    ana.write('data/processed/qc/a.csv', 'a\n');
    // A tracked file in a data folder is data, not code: changing it leaves the tree clean.
    ana.write('data/processed/.gitkeep', 'placeholder edited\n');
    const clean = assertOk(await ana.justWith({ user: 'ana.lovelace' }, 'put-results'), 'ana put-results (clean tree)');
    expect(clean.stderr).not.toMatch(/uncommitted/);
    const sha1 = ana.git('rev-parse', '--short=7', 'HEAD');

    // A new commit, then an uncommitted change to a tracked file: the push is dirty.
    ana.write('analysis.py', 'print("v1")\n');
    ana.git('add', 'analysis.py');
    ana.git('commit', '-q', '-m', 'analysis');
    const sha2 = ana.git('rev-parse', '--short=7', 'HEAD');
    expect(sha2).not.toBe(sha1);
    ana.write('analysis.py', 'print("v2, not committed")\n');
    ana.write('data/processed/qc/b.csv', 'b\n');
    const dirty = assertOk(await ana.justWith({ user: 'ben.franklin' }, 'put-results'), 'put-results (dirty tree)');
    expect(dirty.stderr).toMatch(/uncommitted/);

    const log = assertOk(await ana.just('log'), 'ana log');
    const first = logLine(log.stdout, 'processed', '#1');
    expect(first).toMatch(/\bana\.lovelace@/);
    expect(first).toMatch(new RegExp(`git ${sha1}[0-9a-f]*\\s`));
    expect(first).not.toContain('+dirty');
    expect(first).toContain('put-results');
    const second = logLine(log.stdout, 'processed', '#2');
    expect(second).toMatch(/\bben\.franklin@/);
    expect(second).toMatch(new RegExp(`git ${sha2}[0-9a-f]*\\+dirty\\b`));
    // Newest first.
    expect(log.stdout.indexOf(second)).toBeLessThan(log.stdout.indexOf(first));
    // Inputs live on main: their record is shown from the branch too.
    const inputs = logLine(log.stdout, 'external', '#1');
    expect(inputs).toMatch(/\bmia\.maintainer@/);
    expect(inputs).toMatch(new RegExp(`git ${miaSha}[0-9a-f]*\\s`));
    expect(inputs).toContain('put-inputs');

    // The log reads the journal only: a second working copy sees the same records.
    lab().ben.git('switch', '-q', '-c', 'qc');
    const fromBen = assertOk(await lab().ben.just('log'), 'ben log');
    expect(logLine(fromBen.stdout, 'processed', '#2')).toMatch(new RegExp(`ben\\.franklin@.*git ${sha2}[0-9a-f]*\\+dirty`));
  });
});

// `just log` shows a page — the newest --limit pushes — and ends each layer's list with the
// command that shows the page before it; following those lines walks the whole history once.
const PAGED: { kind: 'file' | 's3' | 'hf'; remote: () => Promise<Remote> }[] = [
  { kind: 'file', remote: async () => fileRemote() },
  { kind: 's3', remote: () => s3Remote(inject('s3')) },
  { kind: 'hf', remote: async () => hubRemote(inject('hub')) },
];

/** One page of `just log` for processed/: the pushers of its lines, newest first, and its `older:` command (the words after `just`). */
function page(stdout: string): { users: string[]; older: string[] | null } {
  const section = stdout.split(/\n(?=\S)/).find((s) => s.startsWith('processed '));
  expect(section, `no processed section in:\n${stdout}`).toBeDefined();
  const lines = section!.split('\n');
  const users = lines.flatMap((l) => /^ {2}\S+\s+\S+ \S+ {2}(\S+)@/.exec(l)?.[1] ?? []);
  const older = lines.find((l) => l.startsWith('  older: just '));
  return { users, older: older ? older.slice('  older: just '.length).split(' ') : null };
}

describe.each(PAGED)('$kind remote: log pages', ({ kind, remote: makeRemote }) => {
  afterEach(removeTemps);

  it('shows the newest N, says how to see older ones, and the pages together are the whole history once', async () => {
    const remote = await makeRemote();
    const wc = workingCopy(remote, { branch: 'qc' });
    const pushers = ['ana', 'ben', 'cleo', 'dan', 'eve'];
    for (const [i, user] of pushers.entries()) {
      wc.write(`data/processed/qc/${i}.csv`, `${i}\n`);
      assertOk(await wc.justWith({ user }, 'put-results'), `${user} pushes`);
    }

    const first = page(assertOk(await wc.just('log', '--limit', '2'), 'log --limit 2').stdout);
    expect(first.users).toEqual(['eve', 'dan']);
    expect(first.older?.slice(0, 3)).toEqual(['log', '--layer', 'processed']);
    expect(first.older).toContain('--before');
    expect(first.older?.slice(-2)).toEqual(['--limit', '2']);

    // Follow the `older:` lines, each exactly as printed.
    const seen = [...first.users];
    let older = first.older;
    for (let pages = 1; older; pages++) {
      expect(pages, 'the older: lines never end').toBeLessThan(10);
      const next = page(assertOk(await wc.just(...older), `just ${older.join(' ')}`).stdout);
      seen.push(...next.users);
      older = next.older;
    }
    // A Hub branch also holds the commit it was made from (the repo's first), which is no one's push.
    expect(seen.filter((u) => pushers.includes(u))).toEqual([...pushers].reverse());
    if (kind !== 'hf') expect(seen).toEqual([...pushers].reverse());

    // --before names one layer's push: with several layers shown, it asks for --layer.
    const r = assertFailed(await wc.just('log', '--before', '2'), 'log --before without --layer');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--before continues one layer's history/);
    expect(r.stderr).toMatch(/--layer NAME/);
  });
});
