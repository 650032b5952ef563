// Interop with the official Hub clients, both ways (the lab reads the Hub from Python too):
// a branch Strata pushed reads with `hf download --local-dir` and `hf_hub_download`, byte for
// byte, at the branch and at a tag; a dataset the lab laid out with `hf upload` (the withdrawn
// proposal's prototype) is taken over without moving what is already equal.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { childEnv } from '../support/env.js';
import { hubRemote } from '../support/remote.js';
import { assertOk, run } from '../support/run.js';
import { removeTemps, tempDir } from '../support/scratch.js';
import { tree } from '../support/tree.js';
import { workingCopy, STRATA_ROOT } from '../support/working-copy.js';

const BIN = path.join(STRATA_ROOT, '.venv', 'bin');
afterEach(removeTemps);

/** The official clients' environment, as a lab member's (hf_xet installed): the emulator, its token, a home of their own. */
function hfEnv(hub: { url: string; token: string }, home: string, extra: Record<string, string> = {}) {
  return childEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: hub.token, HF_HOME: home, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1', ...extra });
}

describe('the Hub, read by the official clients', () => {
  it('a branch Strata pushed reads byte for byte with `hf download` and `hf_hub_download`, at the branch and at a tag', async () => {
    const hub = inject('hub');
    const remote = await hubRemote(hub);
    const ana = workingCopy(remote);
    ana.git('switch', '-q', '-c', 'cells-v2');
    ana.write('data/processed/summary.csv', 'plate,cells\n1,200\n');
    ana.write('data/processed/run 1/résumé+x.csv', 'a,b\n1,2\n');
    ana.write('data/processed/empty.csv', '');
    // Above the Hub's 10 MiB for a regular file: it travels and is stored through LFS.
    ana.write('data/processed/big/matrix.bin', crypto.randomBytes(11 * 1024 * 1024 + 3));
    assertOk(await ana.just('put-results'), 'ana put-results');
    assertOk(await ana.just('tag', 'cells-v2-review'), 'ana tags her branch');
    const want = tree(path.join(ana.dir, 'data', 'processed'));

    const home = tempDir('strata-hf-home-');
    for (const revision of ['cells-v2', 'cells-v2-review']) {
      const dest = tempDir('strata-hf-download-');
      assertOk(await run(path.join(BIN, 'hf'), ['download', remote.repo, '--repo-type', 'dataset', '--revision', revision, '--local-dir', dest], { cwd: dest, env: hfEnv(hub, home), timeoutMs: 120_000 }), `hf download at ${revision}`);
      expect(tree(path.join(dest, 'processed')), `hf download --local-dir at ${revision}`).toEqual(want);

      const script = [
        'import hashlib, json, sys',
        'from huggingface_hub import hf_hub_download',
        'repo, rev, keys = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])',
        'out = {}',
        'for k in keys:',
        '    p = hf_hub_download(repo, "processed/" + k, repo_type="dataset", revision=rev)',
        '    out[k] = hashlib.sha256(open(p, "rb").read()).hexdigest()',
        'print(json.dumps(out))',
      ].join('\n');
      const r = assertOk(await run(path.join(BIN, 'python'), ['-c', script, remote.repo, revision, JSON.stringify(Object.keys(want))], { cwd: home, env: hfEnv(hub, home), timeoutMs: 120_000 }), `hf_hub_download at ${revision}`);
      expect(JSON.parse(r.stdout), `hf_hub_download at ${revision}`).toEqual(want);
    }
    // The tag stays where it was when the branch moves on.
    ana.write('data/processed/summary.csv', 'plate,cells\n1,210\n');
    assertOk(await ana.just('put-results'), 'ana pushes again');
    const again = tempDir('strata-hf-download-');
    assertOk(await run(path.join(BIN, 'hf'), ['download', remote.repo, 'processed/summary.csv', '--repo-type', 'dataset', '--revision', 'cells-v2-review', '--local-dir', again], { cwd: again, env: hfEnv(hub, home), timeoutMs: 120_000 }));
    expect(fs.readFileSync(path.join(again, 'processed', 'summary.csv'), 'utf8')).toBe('plate,cells\n1,200\n');
  });

  it('takes over a dataset laid out by `hf upload`: a pull downloads only what differs, a push sends only differences, .gitattributes is left alone', async () => {
    const hub = inject('hub');
    const remote = await hubRemote(hub);
    const home = tempDir('strata-hf-home-');
    const env = hfEnv(hub, home);
    // The proposal's prototype: the four layers at the repo's root, uploaded in one go.
    const proto = tempDir('strata-hf-proto-');
    const big = crypto.randomBytes(11 * 1024 * 1024 + 5);
    const files: Record<string, string | Buffer> = {
      'external/plate-map.csv': 'well,compound\nA1,dmso\n',
      'raw/profiles/p1.csv': 'cell,area\n1,20\n',
      'interim/norm.csv': 'cell,z\n1,0.1\n',
      'processed/summary.csv': 'plate,cells\n1,200\n',
      'processed/qc/flags.csv': 'well,ok\nA1,1\n',
      'processed/big/matrix.bin': big,
    };
    for (const [k, v] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(proto, k)), { recursive: true });
      fs.writeFileSync(path.join(proto, k), v);
    }
    assertOk(await run(path.join(BIN, 'hf'), ['repos', 'create', remote.repo, '--repo-type', 'dataset', '--private'], { cwd: proto, env, timeoutMs: 60_000 }), 'hf repos create');
    assertOk(await run(path.join(BIN, 'hf'), ['upload', remote.repo, proto, '.', '--repo-type', 'dataset', '--commit-message', 'Prototype upload'], { cwd: proto, env, timeoutMs: 120_000 }), 'hf upload');
    const before = await repoTree(remote.repo, 'main', env);

    // A working copy that already holds two of processed/'s files, as they are on the Hub.
    const ana = workingCopy(remote);
    ana.write('data/processed/summary.csv', files['processed/summary.csv']!);
    ana.write('data/processed/big/matrix.bin', big);
    const pulled = await ana.pullLayer();
    expect(pulled.plan.items.map((i) => `${i.kind} ${i.key}`)).toEqual(['download qc/flags.csv']);
    expect(pulled.plan.same).toBe(2);
    expect(fs.readFileSync(path.join(ana.dir, 'data', 'processed', 'qc', 'flags.csv'), 'utf8')).toBe(files['processed/qc/flags.csv']);

    // A change on a branch: the push sends the one changed file and the one new file.
    ana.git('switch', '-q', '-c', 'qc-fix');
    ana.write('data/processed/qc/flags.csv', 'well,ok\nA1,0\n');
    ana.write('data/processed/qc/notes.txt', 'A1 out of focus\n');
    const pushed = await ana.pushLayer();
    expect(pushed.plan.items.map((i) => `${i.kind} ${i.key}`).sort()).toEqual(['upload qc/flags.csv', 'upload qc/notes.txt']);
    const after = await repoTree(remote.repo, 'qc-fix', env);
    const changed = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]).sort();
    // Strata's record of modification times is the one file of its own it adds.
    expect(changed).toEqual(['.strata/mtimes/processed.json', 'processed/qc/flags.csv', 'processed/qc/notes.txt']);
    expect(after['.gitattributes']).toBe(before['.gitattributes']);
    for (const k of ['external/plate-map.csv', 'raw/profiles/p1.csv', 'interim/norm.csv']) expect(after[k], k).toBe(before[k]);
  });
});

/** path → blob id of every file of a revision, listed by the official client. */
async function repoTree(repo: string, revision: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const script = [
    'import json, sys',
    'from huggingface_hub import HfApi',
    'files = HfApi().list_repo_tree(sys.argv[1], repo_type="dataset", revision=sys.argv[2], recursive=True)',
    'print(json.dumps({f.path: f.blob_id for f in files if f.__class__.__name__ == "RepoFile"}))',
  ].join('\n');
  const r = assertOk(await run(path.join(BIN, 'python'), ['-c', script, repo, revision], { cwd: STRATA_ROOT, env, timeoutMs: 60_000 }), `list ${revision}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}
