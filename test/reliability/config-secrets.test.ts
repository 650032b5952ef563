// Bad configuration and credentials (docs/reliability.md §F): every configuration mistake a
// user can make fails with exit 2 and a message naming the key, before anything moves; wrong
// or missing AWS keys or HF token fail before any change; and no secret ever appears in
// output, logs, errors (STRATA_DEBUG stacks included), the state record or the journal —
// checked by grepping everything captured in this file for every secret used.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { fileRemote, hubRemote, type Remote, s3Remote } from '../support/remote.js';
import { assertFailed, assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { fileKeys } from '../support/tree.js';
import { allOutput, workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

/** Every secret a test in this file used; the last test greps everything for them. */
const secrets = new Set<string>();
/** Working copies and remotes whose files (state, journal) are grepped too. */
const copies: WorkingCopy[] = [];
const remotes: Remote[] = [];

function track(wc: WorkingCopy): WorkingCopy {
  copies.push(wc);
  return wc;
}

// ─── Configuration mistakes ──────────────────────────────────────────────────────────────

interface Mistake {
  what: string;
  /** strata.yaml (REMOTE is replaced by a valid folder URL). */
  yaml: string;
  dotenv?: string;
  env?: Record<string, string | undefined>;
  /** Keys the message must name. */
  keys: string[];
  /** Also run put-results and check that nothing moved (a representative subset; every recipe loads the config the same way). */
  push?: boolean;
}

const MISTAKES: Mistake[] = [
  { what: 'no remote at all', yaml: '', keys: ['remote'], push: true },
  { what: 'an unknown scheme', yaml: 'remote: ftp://lab-server/data\n', keys: ['remote'] },
  { what: 'an invalid bucket name', yaml: 'remote: s3://Lab_Bucket/projects/x\n', keys: ['remote'] },
  { what: 'a prefix with ..', yaml: 'remote: s3://lab-bucket/projects/../other\n', keys: ['remote'] },
  { what: 'a relative file URL', yaml: 'remote: file://relative/share\n', keys: ['remote'] },
  { what: 'a Hub web URL instead of hf://', yaml: 'remote: REMOTE\nhub: https://huggingface.co/datasets/lab/x\n', keys: ['hub'] },
  { what: 'a Hub model repo', yaml: 'remote: REMOTE\nhub: hf://models/lab/x\n', keys: ['hub'] },
  { what: 'a hf:// URL as the main remote', yaml: 'remote: hf://datasets/lab/x\n', keys: ['remote'] },
  { what: 'a misspelled key', yaml: 'remtoe: REMOTE\n', keys: ['remtoe'] },
  { what: 'a misspelled key next to a valid remote', yaml: 'remote: REMOTE\ndelete_treshold: 0.2\n', keys: ['delete_treshold'], push: true },
  { what: 'transfers: 0', yaml: 'remote: REMOTE\ntransfers: 0\n', keys: ['transfers'] },
  { what: 'transfers: many', yaml: 'remote: REMOTE\ntransfers: many\n', keys: ['transfers'] },
  { what: 'transfers: 1000', yaml: 'remote: REMOTE\ntransfers: 1000\n', keys: ['transfers'] },
  { what: 'delete_threshold: 2', yaml: 'remote: REMOTE\ndelete_threshold: 2\n', keys: ['delete_threshold'] },
  { what: 'a main_branch that is not a branch name', yaml: 'remote: REMOTE\nmain_branch: "my main"\n', keys: ['main_branch'] },
  { what: 'recycle_dir outside the project', yaml: 'remote: REMOTE\nrecycle_dir: ../elsewhere\n', keys: ['recycle_dir'] },
  { what: 'a layer folder outside the project', yaml: 'remote: REMOTE\nlayers:\n  processed:\n    local: /srv/processed\n', keys: ['layers.processed.local'] },
  { what: 'a layer path with ..', yaml: 'remote: REMOTE\nlayers:\n  processed:\n    path: ../up\n', keys: ['layers.processed.path'], push: true },
  { what: 'a layer path inside .strata', yaml: 'remote: REMOTE\nlayers:\n  processed:\n    path: .strata/x\n', keys: ['layers.processed.path'] },
  { what: 'a layer name with capitals', yaml: 'remote: REMOTE\nlayers:\n  Figures:\n    local: data/figures\n    path: figures\n', keys: ['layers.Figures'] },
  { what: 'a new layer without path', yaml: 'remote: REMOTE\nlayers:\n  figures:\n    local: data/figures\n', keys: ['layers.figures'] },
  { what: 'an unknown layer kind', yaml: 'remote: REMOTE\nlayers:\n  processed:\n    kind: output\n', keys: ['layers.processed.kind'] },
  { what: 'versioned as a string', yaml: 'remote: REMOTE\nlayers:\n  processed:\n    versioned: "yes"\n', keys: ['layers.processed.versioned'] },
  { what: 'an unknown key in a layer', yaml: 'remote: REMOTE\nlayers:\n  processed:\n    locale: data/p\n', keys: ['layers.processed.locale'] },
  { what: 'two layers in one local folder', yaml: 'remote: REMOTE\nlayers:\n  interim:\n    local: data/processed/sub\n', keys: ['layers.interim.local'] },
  { what: 'two layers in one remote folder', yaml: 'remote: REMOTE\nlayers:\n  interim:\n    path: processed\n', keys: ['.path'], push: true },
  { what: 'a layer on the hub without a hub', yaml: 'remote: REMOTE\nlayers:\n  processed:\n    remote: hub\n', keys: ['layers.processed.remote'] },
  { what: 'an absolute exclude pattern', yaml: 'remote: REMOTE\nexclude:\n  - /abs/*.csv\n', keys: ['exclude'] },
  { what: 'exclude as a string, not a list', yaml: 'remote: REMOTE\nexclude: "*.csv"\n', keys: ['exclude'] },
  { what: 'a YAML syntax error', yaml: 'remote: [REMOTE\n', keys: ['strata.yaml'], push: true },
  { what: 'a list instead of a mapping', yaml: '- remote\n- REMOTE\n', keys: ['strata.yaml'] },
  { what: 'an unknown role in .env', yaml: 'remote: REMOTE\n', dotenv: 'STRATA_ROLE=admin\n', env: { STRATA_ROLE: undefined }, keys: ['role'], push: true },
  { what: 'a misspelled setting in .env', yaml: 'remote: REMOTE\n', dotenv: 'STRATA_TRANSFER=4\n', keys: ['STRATA_TRANSFER'] },
  { what: 'a bad value in the environment', yaml: 'remote: REMOTE\n', env: { STRATA_TRANSFERS: 'lots' }, keys: ['transfers'], push: true },
  { what: 'three mistakes at once: all listed', yaml: 'remote: REMOTE\ntransfers: 0\ndelete_threshold: 5\nlayers:\n  processed:\n    path: ../x\n', keys: ['transfers', 'delete_threshold', 'layers.processed.path'] },
];

describe('configuration mistakes: exit 2, the key named, nothing moved', () => {
  it.each(MISTAKES)('$what', async (m) => {
    const remote = fileRemote();
    const wc = track(workingCopy(remote));
    wc.write('strata.yaml', m.yaml.replace(/REMOTE/g, remote.url));
    if (m.dotenv) wc.write('.env', m.dotenv);
    wc.write('data/processed/result.csv', 'a result\n');
    for (const recipe of m.push ? [['config'], ['put-results']] : [['config']]) {
      const r = assertFailed(await wc.run(recipe, { env: m.env }), `${recipe.join(' ')} with ${m.what}`);
      expect(r.exitCode, `${recipe[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).not.toMatch(/unexpected error/);
      for (const key of m.keys) expect(r.stderr, `${recipe[0]} must name ${key}`).toContain(key);
    }
    expect(await remote.files()).toEqual({});
  });
});

// ─── Credentials ─────────────────────────────────────────────────────────────────────────

describe('S3 credentials: wrong or missing keys fail before any change', () => {
  async function seeded() {
    const s3 = inject('s3');
    secrets.add(s3.secretAccessKey);
    secrets.add(s3.accessKeyId);
    const remote = await s3Remote(s3);
    remotes.push(remote);
    const a = track(workingCopy(remote));
    a.write('data/processed/base.csv', 'base\n');
    assertOk(await a.run(['put-results']));
    a.write('data/processed/new.csv', 'new\n');
    a.remove('data/processed/base.csv');
    return { remote, a, before: await remote.storeKeys() };
  }

  it('a wrong secret key: push and pull stop with exit 2 naming the credentials; nothing changed on either side', async () => {
    const { remote, a, before } = await seeded();
    const wrong = 'WRONGsecretKEY0123456789abcdefghijklmnop';
    secrets.add(wrong);
    for (const recipe of ['put-results', 'get-results', 'status']) {
      const local = a.processed();
      const r = assertFailed(await a.run([recipe], { env: { AWS_SECRET_ACCESS_KEY: wrong } }), `${recipe} with a wrong secret`);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/refused the credentials|credentials/i);
      expect(await remote.storeKeys()).toEqual(before);
      expect(a.processed()).toEqual(local);
    }
  });

  it('an unknown access key id: exit 2, nothing changed', async () => {
    const { remote, a, before } = await seeded();
    secrets.add('AKIANOSUCHKEY0000000');
    const r = assertFailed(await a.run(['put-results'], { env: { AWS_ACCESS_KEY_ID: 'AKIANOSUCHKEY0000000' } }));
    expect(r.exitCode, r.stderr).toBe(2);
    expect(await remote.storeKeys()).toEqual(before);
  });

  it('no keys at all (no profile, no variables): exit 2 saying so, quickly, nothing changed', async () => {
    const { remote, a, before } = await seeded();
    const r = assertFailed(await a.run(['put-results'], { env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined } }));
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/no AWS credentials/i);
    expect(r.ms).toBeLessThan(15_000);
    expect(await remote.storeKeys()).toEqual(before);
  });

  it('an AWS_PROFILE that does not exist: exit 2 naming AWS_PROFILE, nothing changed', async () => {
    const { remote, a, before } = await seeded();
    const r = assertFailed(await a.run(['put-results'], { env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: 'no-such-profile' } }));
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('AWS_PROFILE');
    // It names the profile that is missing, not "set AWS_PROFILE" (it is set).
    expect(r.stderr).toMatch(/the AWS profile "no-such-profile" \(AWS_PROFILE\) was not found/);
    expect(r.stderr).not.toMatch(/Set AWS_PROFILE in \.env/);
    expect(await remote.storeKeys()).toEqual(before);
  });
});

describe('Hub token: wrong, missing or read-only tokens fail before any change', () => {
  async function seeded() {
    const hub = inject('hub');
    secrets.add(hub.token);
    secrets.add(hub.readToken);
    const remote = hubRemote(hub);
    remotes.push(remote);
    const a = track(workingCopy(remote));
    a.write('data/processed/base.csv', 'base\n');
    assertOk(await a.run(['put-results']));
    a.write('data/processed/new.csv', 'new\n');
    return { remote, a, before: await remote.layer() };
  }

  it('a wrong token: push and pull stop with exit 2; nothing changed', async () => {
    const { remote, a, before } = await seeded();
    const wrong = 'hf_WRONGtoken0123456789abcdefghijklmnopq';
    secrets.add(wrong);
    for (const recipe of ['put-results', 'get-results']) {
      const r = assertFailed(await a.run([recipe], { env: { HF_TOKEN: wrong } }), `${recipe} with a wrong token`);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/refused the token/i);
    }
    expect(await remote.layer()).toEqual(before);
  });

  it('no token: exit 2 saying how to log in; nothing changed', async () => {
    const { remote, a, before } = await seeded();
    const r = assertFailed(await a.run(['put-results'], { env: { HF_TOKEN: undefined } }));
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/no hugging face token/i);
    expect(await remote.layer()).toEqual(before);
  });

  it('a read-only token: the push fails naming write access, on the branch and on a new branch; nothing changed', async () => {
    const { remote, a, before } = await seeded();
    const r = assertFailed(await a.run(['put-results'], { env: { HF_TOKEN: inject('hub').readToken } }));
    expect(r.stderr).toMatch(/may not write|write access|403/i);
    expect(await remote.layer()).toEqual(before);
    a.git('switch', '-q', '-c', 'feature');
    const r2 = assertFailed(await a.run(['put-results'], { env: { HF_TOKEN: inject('hub').readToken } }));
    expect(r2.exitCode, r2.stderr).toBe(2);
    expect(await remote.layer('feature')).toEqual({});
  });
});

// ─── No secret anywhere ──────────────────────────────────────────────────────────────────

describe('no secret in output, logs, errors, state or journal', () => {
  it('endpoint URLs carrying a password are redacted, and errors with STRATA_DEBUG stacks show no secret', async () => {
    const hub = inject('hub');
    const s3 = inject('s3');
    const pw = 'hunter2-endpoint-password';
    secrets.add(pw);
    // A Hub endpoint behind an authenticating proxy, and an S3 endpoint that refuses connections.
    const remote = hubRemote(hub);
    const wc = track(workingCopy(remote));
    wc.write('data/processed/x.csv', 'x\n');
    const withPw = hub.url.replace('http://', `http://lab:${pw}@`);
    await wc.run(['config'], { env: { HF_ENDPOINT: withPw } });
    await wc.run(['put-results'], { env: { HF_ENDPOINT: withPw, STRATA_DEBUG: '1' } });
    const s3remote = await s3Remote(s3);
    const wc2 = track(workingCopy(s3remote));
    wc2.write('data/processed/x.csv', 'x\n');
    await wc2.run(['config'], { env: { AWS_ENDPOINT_URL_S3: s3.endpoint.replace('http://', `http://lab:${pw}@`) } });
    await wc2.run(['put-results'], { env: { AWS_ENDPOINT_URL_S3: `http://lab:${pw}@127.0.0.1:9`, STRATA_DEBUG: '1' } });
    await wc2.run(['get-results'], { env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', STRATA_DEBUG: '1' } });
    // Successful runs that write journals and commits, and read them back.
    assertOk(await wc2.run(['put-results']));
    await wc2.run(['log']);
    await wc2.run(['status']);
    assertOk(await wc.run(['put-results']));
    await wc.run(['log']);
    remotes.push(s3remote, remote);
  });

  it('grep: none of the secrets used in this file appears anywhere', async () => {
    expect(secrets.size).toBeGreaterThan(4);
    const haystacks: { where: string; text: string }[] = [{ where: 'output of every Strata run', text: allOutput() }];
    for (const wc of copies) {
      for (const rel of ['.strata', 'data']) {
        const base = wc.path(rel);
        for (const k of fileKeys(base, { withTemp: true })) haystacks.push({ where: `${wc.dir}/${rel}/${k}`, text: fs.readFileSync(path.join(base, k), 'latin1') });
      }
    }
    // Every store whole: a bucket, a share, a Hub remote's share for its other layers.
    for (const store of remotes.map((r) => (r.kind === 'hf' ? r.folder : r))) {
      for (const k of await store.storeKeys()) haystacks.push({ where: `${store.url} ${k}`, text: (await store.storeRead(k))!.toString('latin1') });
    }
    const leaks: string[] = [];
    for (const s of secrets) {
      for (const h of haystacks) {
        const at = h.text.indexOf(s);
        if (at >= 0) leaks.push(`${s.slice(0, 6)}… in ${h.where}: …${h.text.slice(Math.max(0, at - 80), at).replace(/\s+/g, ' ')}[SECRET]…`);
      }
    }
    expect(haystacks.length).toBeGreaterThan(20);
    expect(leaks).toEqual([]);
  });
});
