// Pushes that go wrong (SPEC §6.5, §6.7): a failed upload must leave the remote's files
// that the plan would delete in place, and a re-run converges; two people pushing to one
// branch space at once can never both win, nor leave a mix of both.
import { describe, expect, it } from 'vitest';
import { REMOTE_KINDS, useLab } from '../support/lab.js';
import { assertFailed, assertOk } from '../support/run.js';
import { hashed } from '../support/tree.js';

describe.each(REMOTE_KINDS)('%s remote: deletes after a failed transfer', (kind) => {
  const lab = useLab(kind);

  it('one upload fails → exit non-zero, no remote deletes; a re-run after the fix converges', async () => {
    const { ana, ben, remote } = lab();
    ana.git('switch', '-q', '-c', 'tiles');
    for (const n of ['a', 'b', 'c', 'd']) ana.write(`data/processed/tiles/${n}.csv`, `${n} v1\n`);
    assertOk(await ana.just('put-results'), 'ana put-results (4 files)');
    const space = 'branches/tiles/processed';

    // One plan: change a, delete d, add bad.csv — whose upload the remote refuses.
    ana.write('data/processed/tiles/a.csv', 'a v2\n');
    ana.remove('data/processed/tiles/d.csv');
    ana.write('data/processed/tiles/bad.csv', 'the upload of this one fails\n');
    await remote.blockWrite('tiles/bad.csv', 'tiles');
    const failed = assertFailed(await ana.just('put-results'), 'put-results with a failing upload');
    expect(failed.stderr).toContain('tiles/bad.csv');
    expect(failed.stderr).toMatch(/delete/i);
    const afterFailure = await remote.files(space);
    expect(afterFailure['tiles/d.csv']).toBeDefined(); // the delete was skipped
    expect(afterFailure['tiles/bad.csv']).toBeUndefined();
    expect(await remote.get('tiles/d.csv', 'tiles')).toEqual(Buffer.from('d v1\n'));

    // Fixed: the same recipe converges to the local folder exactly.
    await remote.unblockWrites();
    assertOk(await ana.just('put-results'), 'put-results re-run after the fix');
    const want = hashed({ 'tiles/a.csv': 'a v2\n', 'tiles/b.csv': 'b v1\n', 'tiles/c.csv': 'c v1\n', 'tiles/bad.csv': 'the upload of this one fails\n' });
    expect(await remote.files(space)).toEqual(want);
    const third = assertOk(await ana.just('put-results'), 'put-results a third time');
    expect(third.stdout).toMatch(/up 0 \(0 B\).*deleted 0/);

    // And the space is consistent for the next reader.
    ben.git('switch', '-q', '-c', 'tiles');
    assertOk(await ben.just('get-results'), 'ben get-results');
    expect(ben.files('data/processed')).toEqual(want);
  });
});

describe.each(REMOTE_KINDS)('%s remote: concurrent pushes to one branch space', (kind) => {
  const lab = useLab(kind);

  it('of two pushes started at once from the same head, exactly one wins, and the remote is its set (3 rounds)', async () => {
    const { ana, ben, remote } = lab();
    const space = 'branches/shared-work/processed';
    ana.git('switch', '-q', '-c', 'shared-work');
    ana.write('data/processed/run/common.csv', 'base\n');
    ana.write('data/processed/run/base.csv', 'base\n');
    assertOk(await ana.just('put-results'), 'ana put-results (base)');
    ben.git('switch', '-q', '-c', 'shared-work');
    assertOk(await ben.just('get-results'), 'ben get-results (base)');

    const winners: string[] = [];
    for (let round = 1; round <= 3; round++) {
      // Both edit the same file and add their own, so a mix would show. (No deletes here: a
      // stale plan that deletes trips the delete threshold first — see the next test.)
      ana.write('data/processed/run/common.csv', `ana round ${round}\n`);
      ana.write(`data/processed/run/ana-${round}.csv`, `ana ${round}\n`);
      ben.write('data/processed/run/common.csv', `ben round ${round} (longer)\n`);
      ben.write(`data/processed/run/ben-${round}.csv`, `ben ${round}\n`);

      const [ra, rb] = await Promise.all([ana.just('put-results'), ben.just('put-results')]);
      const results = [
        { who: ana, r: ra },
        { who: ben, r: rb },
      ];
      const ok = results.filter((x) => x.r.exitCode === 0);
      const failed = results.filter((x) => x.r.exitCode !== 0);
      const detail = results.map((x) => `${x.who.user}: exit ${x.r.exitCode}\n${x.r.stdout}${x.r.stderr}`).join('\n');
      expect(ok.length, `round ${round}: exactly one push must win\n${detail}`).toBe(1);
      expect(failed.length, detail).toBe(1);
      const winner = ok[0]!.who;
      const loser = failed[0]!.who;
      winners.push(winner.user);
      expect(failed[0]!.r.exitCode, detail).not.toBeNull();
      expect(failed[0]!.r.stderr, detail).toMatch(/someone else pushed/i);
      expect(await remote.files(space), `round ${round}: the remote must hold exactly ${winner.user}'s files\n${detail}`).toEqual(
        winner.files('data/processed'),
      );

      // The loser pulls the winner's state (its own edits go to the recycle folder) and both
      // start the next round from the same head.
      assertOk(await loser.just('get-results', '--force'), `${loser.user} get-results --force`);
      expect(loser.files('data/processed')).toEqual(winner.files('data/processed'));
    }
    // Not a test of fairness; recorded so a failure message shows the sequence.
    expect(winners).toHaveLength(3);
  });

  it('a push from a stale working copy is refused as a conflict, not as a delete-threshold matter', async () => {
    const { ana, ben, remote } = lab();
    const space = 'branches/shared-work/processed';
    ana.git('switch', '-q', '-c', 'shared-work');
    ana.write('data/processed/run/a.csv', 'a\n');
    ana.write('data/processed/run/b.csv', 'b\n');
    assertOk(await ana.just('put-results'), 'ana put-results (a, b)');
    ben.git('switch', '-q', '-c', 'shared-work');
    assertOk(await ben.just('get-results'), 'ben get-results');

    // Ana adds two files; ben, not having pulled, removes one file of his own.
    ana.write('data/processed/run/c.csv', 'c\n');
    ana.write('data/processed/run/d.csv', 'd\n');
    assertOk(await ana.just('put-results'), 'ana put-results (c, d)');
    const before = await remote.files();
    ben.remove('data/processed/run/b.csv');
    const stale = assertFailed(await ben.just('put-results'), 'ben put-results from a stale copy');
    expect(await remote.files()).toEqual(before);
    // Ben deleted one file: the refusal must say the space moved on (someone else pushed),
    // not "would delete 3 of 4 … run again with --force" — --force would also skip the
    // conflict check and delete ana's new c.csv and d.csv.
    expect(stale.stderr).toMatch(/someone else pushed|changed since/i);
    expect(stale.exitCode).toBe(4);
    expect(stale.stderr).not.toMatch(/would delete/);
    expect(Object.keys(await remote.files(space))).toEqual(['run/a.csv', 'run/b.csv', 'run/c.csv', 'run/d.csv']);
  });
});
