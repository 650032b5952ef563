import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../scripts/lib/config/load.js';
import { ConfigError } from '../../scripts/lib/errors.js';
import { redact } from '../../scripts/lib/recipes/config.js';
import { parseRemoteUrl } from '../../scripts/lib/remotes/url.js';
import { spaceFor } from '../../scripts/lib/space.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function project(yaml: string | null, dotenv = ''): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cfg-'));
  dirs.push(d);
  if (yaml !== null) fs.writeFileSync(path.join(d, 'strata.yaml'), yaml);
  if (dotenv) fs.writeFileSync(path.join(d, '.env'), dotenv);
  return d;
}
function problems(dir: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(dir, {}, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.key}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives the lab layer table from two URLs', () => {
    const c = loadConfig(project('remote: s3://lab-bucket/projects/x/datastore\nhub: hf://datasets/lab/x\n'), {}, {});
    expect(c.layers.map((l) => `${l.name} ${l.local} ${l.path} ${l.kind} ${l.writers} ${l.remote}`)).toEqual([
      'external data/external external input maintainers s3://lab-bucket/projects/x/datastore',
      'profiles data/raw/profiles profiles input maintainers s3://lab-bucket/projects/x/datastore',
      'interim data/interim interim result maintainers s3://lab-bucket/projects/x/datastore',
      'processed data/processed processed result everyone hf://datasets/lab/x',
    ]);
    expect(c.role).toBe('analyst');
    expect(c.origins.remote).toBe('strata.yaml');
  });

  it('puts processed on the remote when no hub is set', () => {
    const c = loadConfig(project('remote: file:///srv/share\n'), {}, {});
    expect(c.layers.find((l) => l.name === 'processed')!.remote).toBe('file:///srv/share');
  });

  it('lets the environment win over .env, and .env over strata.yaml, and says where values came from', () => {
    const dir = project('remote: s3://from-file/p\n', 'STRATA_REMOTE=s3://from-dotenv/p\nSTRATA_ROLE=maintainer\n');
    const c1 = loadConfig(dir, {}, {});
    expect(c1.layers[0].remote).toBe('s3://from-dotenv/p');
    expect(c1.origins.remote).toBe('.env (STRATA_REMOTE)');
    expect(c1.role).toBe('maintainer');
    const c2 = loadConfig(dir, {}, { STRATA_REMOTE: 's3://from-env/p' });
    expect(c2.layers[0].remote).toBe('s3://from-env/p');
    expect(c2.origins.remote).toBe('environment (STRATA_REMOTE)');
  });

  it('lists every problem at once, each with its key', () => {
    const dir = project(
      [
        'remote: ftp://nope',
        'hub: s3://not-a-hub/x',
        'transfer: 4',
        'delete_threshold: 2',
        'layers:',
        '  processed: { local: /abs/path }',
        '  extra: { local: data/extra }',
        '  interim: { path: ../up }',
      ].join('\n'),
      'STRATA_ROLE=boss\nSTRATA_TYPO=1\n',
    );
    const p = problems(dir);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^transfer: is not a setting/),
        expect.stringMatching(/^delete_threshold: /),
      ]),
    );
    // Schema errors stop before semantic checks of the same file; fix them and the rest show up.
    const dir2 = project(['remote: ftp://nope', 'hub: s3://not-a-hub/x', 'layers:', '  processed: { local: /abs/path }', '  extra: { local: data/extra }', '  interim: { path: ../up }'].join('\n'), 'STRATA_ROLE=boss\nSTRATA_TYPO=1\n');
    expect(problems(dir2).map((s) => s.split(':')[0]).sort()).toEqual(
      ['STRATA_TYPO', 'hub', 'layers.extra', 'layers.interim.path', 'layers.processed.local', 'remote', 'role'].sort(),
    );
  });

  it('refuses a missing remote with a hint', () => {
    expect(problems(project(null))).toEqual([expect.stringMatching(/^remote: is not set\. Put e\.g\./)]);
  });

  it('refuses overlapping layers', () => {
    const p = problems(project('remote: file:///x\nlayers:\n  sub: { local: data/processed/sub, path: processed/sub }\n'));
    expect(p.join('\n')).toMatch(/layers\.sub\.path: overlaps layer "processed"/);
    expect(p.join('\n')).toMatch(/layers\.sub\.local: "data\/processed\/sub" lies inside layers\.processed\.local \(data\/processed\)/);
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(problems(project('remote: [unclosed\n'))[0]).toMatch(/^strata\.yaml: /);
  });
});

describe('remote URLs and spaces', () => {
  it.each([
    ['s3://bkt/p/q/', { scheme: 's3', bucket: 'bkt', prefix: 'p/q' }],
    ['s3://Bad_Bucket/x', /not a valid S3 bucket/],
    ['file:///srv/lab', { scheme: 'file', root: '/srv/lab' }],
    ['file://relative', /absolute/],
    ['hf://datasets/lab/proj', { scheme: 'hf', repo: 'lab/proj' }],
    ['hf://models/lab/proj', /dataset/],
  ])('%s', (url, want) => {
    const got = parseRemoteUrl(url);
    if (want instanceof RegExp) expect(got).toMatch(want);
    else expect(got).toMatchObject(want);
  });

  it('keeps main in the rclone layout and puts branches under branches/', () => {
    const c = loadConfig(project('remote: s3://bucket/projects/x/datastore\n'), {}, {});
    const processed = c.layers.find((l) => l.name === 'processed')!;
    const external = c.layers.find((l) => l.name === 'external')!;
    expect(spaceFor(processed, 'main', 'main').root).toBe('projects/x/datastore/processed');
    expect(spaceFor(processed, 'ana/qc', 'main').root).toBe('projects/x/datastore/branches/ana/qc/processed');
    // Inputs live on main only.
    expect(spaceFor(external, 'ana/qc', 'main').root).toBe('projects/x/datastore/external');
    expect(spaceFor(processed, 'ana/qc', 'main').journalRoot).toBe('projects/x/datastore/.strata/journal/ana/qc/processed');
  });
});

describe('redaction', () => {
  it('never shows a secret', () => {
    expect(redact('AWS_SECRET_ACCESS_KEY', 'hunter2')).not.toContain('hunter2');
    expect(redact('HF_TOKEN', 'hf_abc')).not.toContain('hf_abc');
    expect(redact('AWS_PROFILE', 'lab')).toBe('lab');
  });
});

describe('config mistakes users make', () => {
  it('does not blame a missing remote when strata.yaml itself is invalid', () => {
    const p = problems(project('remote: file:///x\ntransfer: 8\n'));
    expect(p).toEqual([expect.stringMatching(/^transfer: is not a setting/)]);
  });
  it('refuses switching off a layer that does not exist (a typo)', () => {
    expect(problems(project('remote: file:///x\nlayers:\n  procesed: { enabled: false }\n'))).toEqual([expect.stringMatching(/^layers\.procesed: is not a layer/)]);
  });
});

describe('.env.example', () => {
  it('lists every variable Strata reads, one line each', async () => {
    const { ENV_KEYS } = await import('../../scripts/lib/config/env.js');
    const text = fs.readFileSync(path.join(__dirname, '..', '..', '.env.example'), 'utf8');
    const listed = [...text.matchAll(/^# ([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    for (const key of [...ENV_KEYS, 'STRATA_DEBUG']) expect(listed, key).toContain(key);
    expect(new Set(listed).size).toBe(listed.length);
  });
});
