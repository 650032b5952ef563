// Roles the server enforces (docs/reliability.md §T, docs/user-guide.md "Roles on S3"): the
// bucket policy printed by `strata policy` is applied to a bucket on the test Ceph RGW, and two
// real RGW users — neither of them the bucket owner — run the recipes. An analyst's keys are
// refused by the server wherever the role table says so, even with STRATA_ROLE=maintainer,
// and nothing changes; a maintainer's keys write everything.
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { s3Remote } from '../support/remote.js';
import { assertFailed, assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const users = inject('s3Users');

describe.skipIf(!users)('S3 roles enforced by the bucket policy (two real RGW users)', () => {
  it('analyst keys write only branch results; maintainer keys write everything; refusals change nothing and are explained', async () => {
    const s3 = inject('s3');
    const { analyst, maintainer } = users!;
    const remote = await s3Remote(s3); // the bucket's owner is the test's own user, never limited by a policy
    const keys = (u: { accessKeyId: string; secretAccessKey: string }) => ({ AWS_ACCESS_KEY_ID: u.accessKeyId, AWS_SECRET_ACCESS_KEY: u.secretAccessKey });

    // The policy as the recipe prints it: JSON on stdout, the set-up on stderr.
    const maya = workingCopy(remote, { user: 'maya' });
    const printed = assertOk(await maya.run(['policy', '--analysts', analyst.uid, '--maintainers', maintainer.uid], { env: keys(maintainer) }), 'policy');
    expect(printed.stderr).toMatch(/radosgw-admin user create --uid=lab-analyst/);
    expect(printed.stderr).toMatch(/put-bucket-policy --bucket/);
    const policy = JSON.parse(printed.stdout);
    await remote.client.send(new PutBucketPolicyCommand({ Bucket: remote.bucket, Policy: JSON.stringify(policy) }));

    // A maintainer seeds every layer on main.
    maya.write('data/external/plates.csv', 'plate,well\n');
    maya.write('data/raw/profiles/p1.parquet', 'profile 1\n');
    maya.write('data/interim/norm.csv', 'normalised\n');
    maya.write('data/processed/summary.csv', 'summary v1\n');
    assertOk(await maya.run(['put-inputs'], { env: keys(maintainer) }), 'maintainer put-inputs');
    assertOk(await maya.run(['put-interim'], { env: keys(maintainer) }), 'maintainer put-interim');
    assertOk(await maya.run(['put-results'], { env: keys(maintainer) }), 'maintainer put-results on main');
    const seeded = await remote.storeKeys();
    expect(seeded.some((k) => k.endsWith('/external/plates.csv'))).toBe(true);

    // An analyst reads everything…
    const ana = workingCopy(remote, { user: 'ana' });
    assertOk(await ana.run(['get-inputs'], { env: { ...keys(analyst), STRATA_ROLE: 'analyst' } }), 'analyst get-inputs');
    assertOk(await ana.run(['get-results'], { env: { ...keys(analyst), STRATA_ROLE: 'analyst' } }), 'analyst get-results');
    expect(ana.read('data/external/plates.csv')?.toString()).toBe('plate,well\n');

    // …and, claiming to be a maintainer, is refused by the server on the inputs, interim and main's results.
    ana.write('data/external/plates.csv', 'overwritten by an analyst\n');
    ana.write('data/interim/norm.csv', 'overwritten by an analyst\n');
    ana.write('data/processed/summary.csv', 'overwritten by an analyst\n');
    for (const recipe of ['put-inputs', 'put-interim', 'put-results']) {
      const r = assertFailed(await ana.run([recipe], { env: { ...keys(analyst), STRATA_ROLE: 'maintainer' } }), `analyst ${recipe} as "maintainer"`);
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/the store refused to write/i);
      expect(r.stderr).toMatch(/AccessDenied/);
      expect(r.stderr).toMatch(/bucket policy/);
      expect(r.stderr).not.toMatch(/unexpected error/);
      expect(r.stderr).not.toContain(analyst.secretAccessKey);
      expect(await remote.storeKeys(), `${recipe}: nothing may change`).toEqual(seeded);
    }

    // On a branch, the analyst's results go through (the policy lets them write branch spaces and their journal).
    ana.git('switch', '-q', '-c', 'ana-qc');
    ana.write('data/processed/qc.csv', 'qc by ana\n');
    assertOk(await ana.run(['put-results'], { env: { ...keys(analyst), STRATA_ROLE: 'analyst' } }), 'analyst put-results on a branch');
    // (Read back with a maintainer's keys: objects belong to the user who wrote them, and the
    // bucket owner is not named in the policy, so it may list them but not read them.)
    assertOk(await maya.run(['get-results-from', 'ana-qc'], { env: keys(maintainer) }), 'maintainer reads the branch');
    expect(maya.processed()).toEqual(ana.processed());
    assertOk(await maya.run(['get-results', '--force'], { env: keys(maintainer) }), 'maintainer back to main');

    // branch-clean with keys the store lets delete only part of a space (an analyst's, claiming
    // to be a maintainer, on a branch whose interim only maintainers write) reports the
    // failure by key and exit 5 — it used to say "removed".
    maya.git('switch', '-q', '-c', 'maya-x');
    maya.write('data/interim/x.csv', 'interim on a branch\n');
    assertOk(await maya.run(['put-interim'], { env: keys(maintainer) }), 'maintainer put-interim on a branch');
    assertOk(await maya.run(['put-results'], { env: keys(maintainer) }), 'maintainer put-results on a branch');
    const clean = assertFailed(await ana.run(['branch-clean', 'maya-x', '--yes'], { env: { ...keys(analyst), STRATA_ROLE: 'maintainer' } }), 'branch-clean, deletes refused');
    expect(clean.exitCode, clean.stderr).toBe(5);
    expect(clean.stderr).toMatch(/could not be removed \(the space is only partly removed\)/);
    expect(clean.stderr).toMatch(/branches\/maya-x\/interim\/x\.csv: /);
    expect(clean.stdout).not.toMatch(/interim: removed/);
    expect((await remote.storeKeys()).some((k) => k.endsWith('branches/maya-x/interim/x.csv'))).toBe(true);
    maya.git('switch', '-q', 'main');

    // A maintainer's keys still write main (inputs included) after the analyst's attempts.
    maya.write('data/external/plates.csv', 'plate,well,v2\n');
    assertOk(await maya.run(['put-inputs'], { env: keys(maintainer) }), 'maintainer put-inputs v2');
    assertOk(await ana.run(['get-inputs', '--force'], { env: { ...keys(analyst), STRATA_ROLE: 'analyst' } }), 'analyst pulls v2');
    expect(ana.read('data/external/plates.csv')?.toString()).toBe('plate,well,v2\n');
  });
});
