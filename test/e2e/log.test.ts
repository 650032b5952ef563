// `just log` (SPEC §5, §6.8): every push is recorded with who pushed, from which git
// commit, and whether the tree was dirty.
import { describe, expect, it } from 'vitest';
import { REMOTE_KINDS, useLab } from '../support/lab.js';
import { assertOk } from '../support/run.js';

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
