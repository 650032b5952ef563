// One analysis folder at a time (get-results-for / put-results-for RUN, SPEC §5) must not
// weaken the whole-space safety rules (SPEC §6.7): a pull of processed/RUN/ has not seen
// the rest of the space, so a later full push must still notice a teammate's changes there.
import { describe, expect, it } from 'vitest';
import { REMOTE_KINDS, useLab } from '../support/lab.js';
import { assertOk } from '../support/run.js';
import { hashed } from '../support/tree.js';

describe.each(REMOTE_KINDS)('%s remote: scoped recipes', (kind) => {
  const lab = useLab(kind);

  it('get-results-for and put-results-for touch only their run folder', async () => {
    const { ana, ben, remote } = lab();
    const space = 'branches/runs/processed';
    ana.git('switch', '-q', '-c', 'runs');
    ana.write('data/processed/run1/x.csv', 'x v1\n');
    ana.write('data/processed/run2/w.csv', 'w v1\n');
    assertOk(await ana.just('put-results'), 'ana put-results');
    ben.git('switch', '-q', '-c', 'runs');
    assertOk(await ben.just('get-results-for', 'run2'), 'ben get-results-for run2');
    expect(ben.texts('data/processed')).toEqual({ 'run2/w.csv': 'w v1\n' });

    ben.write('data/processed/run2/w.csv', 'w v2 by ben\n');
    ben.write('data/processed/run2/extra.csv', 'extra\n');
    assertOk(await ben.just('put-results-for', 'run2'), 'ben put-results-for run2');
    // run1 (which ben does not have) is untouched.
    expect(await remote.files(space)).toEqual(hashed({ 'run1/x.csv': 'x v1\n', 'run2/w.csv': 'w v2 by ben\n', 'run2/extra.csv': 'extra\n' }));
  });

  it("a full push after a scoped pull does not silently revert a teammate's change outside that run", async () => {
    const { ana, ben, remote } = lab();
    ana.git('switch', '-q', '-c', 'runs');
    ana.write('data/processed/run1/x.csv', 'x v1\n');
    ana.write('data/processed/run2/w.csv', 'w v1\n');
    assertOk(await ana.just('put-results'), 'ana put-results');
    ben.git('switch', '-q', '-c', 'runs');
    assertOk(await ben.just('get-results'), 'ben get-results');

    // Ben changes run1 and pushes; ana then pulls only run2, edits it, and pushes everything.
    ben.write('data/processed/run1/x.csv', 'x v2 by ben\n');
    assertOk(await ben.just('put-results'), 'ben put-results (run1 changed)');
    assertOk(await ana.just('get-results-for', 'run2'), 'ana get-results-for run2');
    ana.write('data/processed/run2/w.csv', 'w v2 by ana\n');
    const push = await ana.just('put-results');

    // Ana never saw ben's run1/x.csv: her stale copy must not replace it without --force.
    expect((await remote.get('run1/x.csv', 'runs'))?.toString(), `ana's push:\n${push.stdout}${push.stderr}`).toBe('x v2 by ben\n');
    expect(push.exitCode, `ana's push:\n${push.stdout}${push.stderr}`).not.toBe(0);
    expect(push.stderr).toMatch(/changed since|someone else pushed/i);
  });
});
