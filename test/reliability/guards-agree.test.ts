// `status` and a real run say the same thing (docs/reliability.md, N10): for every refusal
// row of the reliability matrix, a working copy is brought into that state, `status` is run,
// then the real recipe. The real run must be refused with the row's exit code, and status must
// show the very lines of its message ("put would be refused: …", details, "also: …") — the
// same rules rendered the same way (scripts/lib/guards/). A rule that only one of them knew
// would fail its row.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { fileRemote, hubRemote, type FolderRemote } from '../support/remote.js';
import { assertFailed, assertOk, type RunResult } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy, type StrataRunOptions, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

const ANALYST: StrataRunOptions = { role: 'analyst' };

/** Files for a layer that has been pushed once from `wc`. */
function fill(wc: WorkingCopy, n: number, folder = 'data/processed') {
  for (let i = 0; i < n; i++) wc.write(`${folder}/f${i}.csv`, `f${i}\n`);
}

/** The message lines of a refusal as the real run printed them (without "recipe: layer: " and the hint). */
function messageLines(r: RunResult, recipe: string, layer: string): string[] {
  const text = r.stderr.slice(r.stderr.indexOf(`${recipe}: `));
  const lines: string[] = text.split('\n');
  const end = lines.findIndex((l) => l.startsWith('→ '));
  const msg = lines.slice(0, end === -1 ? undefined : end);
  msg[0] = msg[0]!.slice(`${recipe}: `.length).replace(new RegExp(`^${layer}: `), '');
  return msg;
}

interface Row {
  /** The reliability row (docs/reliability.md) or SPEC rule this reproduces. */
  row: string;
  what: string;
  recipe: string;
  layer?: string;
  exit: 3 | 4;
  /** Puts a working copy where the recipe is refused; returns it (and how to run it). */
  setup: () => Promise<{ wc: WorkingCopy; opts?: StrataRunOptions }>;
  /** A rule the row must show (the first refusal's words). */
  shows: RegExp;
  /** Words the real run may not show. */
  notShown?: RegExp;
  /** A further refusal the row must show on an "also:" line. */
  alsoShows?: RegExp;
}

const pushed = async (opts: { branch?: string; n?: number } = {}) => {
  const wc = workingCopy(fileRemote(), { branch: opts.branch ?? 'qc', user: 'ana' });
  fill(wc, opts.n ?? 4);
  assertOk(await wc.run(['put-results']), 'first push');
  return wc;
};

const ROWS: Row[] = [
  {
    row: 'SPEC §6.8',
    what: "an analyst's put-inputs",
    recipe: 'put-inputs',
    layer: 'profiles',
    exit: 3,
    shows: /put-inputs is for maintainers: it rewrites the team's profiles on main/,
    setup: async () => {
      const wc = workingCopy(fileRemote(), { user: 'ana' });
      wc.write('data/raw/profiles/p.csv', 'p\n');
      return { wc, opts: ANALYST };
    },
  },
  {
    row: 'SPEC §6.8',
    what: "an analyst's put-results on main",
    recipe: 'put-results',
    exit: 3,
    shows: /refused on main: analysts push results from a branch/,
    setup: async () => {
      const wc = workingCopy(fileRemote(), { user: 'ana' });
      fill(wc, 1);
      return { wc, opts: ANALYST };
    },
  },
  {
    row: 'SPEC §6.8',
    what: "an analyst's put-results on a detached HEAD",
    recipe: 'put-results',
    exit: 3,
    shows: /refused on a detached HEAD/,
    setup: async () => {
      const wc = workingCopy(fileRemote(), { user: 'ana' });
      wc.git('checkout', '-q', '--detach');
      fill(wc, 1);
      return { wc, opts: ANALYST };
    },
  },
  {
    row: 'T2',
    what: 'local names a pull would refuse',
    recipe: 'put-results',
    exit: 3,
    shows: /2 local names cannot be pushed/,
    setup: async () => {
      const wc = await pushed();
      wc.write('data/processed/Plate.csv', 'upper\n');
      wc.write('data/processed/plate.csv', 'lower\n');
      return { wc };
    },
  },
  {
    row: 'E10',
    what: 'a missing layer folder',
    recipe: 'put-results',
    exit: 3,
    shows: /The local folder does not exist/,
    setup: async () => {
      const wc = await pushed();
      fs.rmSync(wc.path('data/processed'), { recursive: true });
      return { wc };
    },
  },
  {
    row: 'E11',
    what: 'an empty layer folder (also over the delete threshold)',
    recipe: 'put-results',
    exit: 3,
    shows: /The local folder is empty/,
    alsoShows: /^also: The push would delete 4 of 4 remote files/m,
    setup: async () => {
      const wc = await pushed();
      for (let i = 0; i < 4; i++) wc.remove(`data/processed/f${i}.csv`);
      return { wc };
    },
  },
  {
    row: 'N10',
    what: 'more deletes than the delete threshold',
    recipe: 'put-results',
    exit: 3,
    shows: /The push would delete 3 of 4 remote files/,
    setup: async () => {
      const wc = await pushed();
      for (let i = 0; i < 3; i++) wc.remove(`data/processed/f${i}.csv`);
      return { wc };
    },
  },
  {
    row: 'C1',
    what: 'someone else pushed (the deletes that being behind causes are not counted against the threshold)',
    recipe: 'put-results',
    exit: 4,
    shows: /changed since this working copy last synced it \(someone else pushed/,
    notShown: /also:|would delete/,
    setup: async () => {
      const wc = await pushed();
      const ben = workingCopy(wc.remote, { branch: 'qc', user: 'ben' });
      assertOk(await ben.run(['get-results']));
      ben.write('data/processed/ben.csv', 'ben\n');
      assertOk(await ben.run(['put-results']));
      for (let i = 0; i < 3; i++) wc.remove(`data/processed/f${i}.csv`);
      return { wc };
    },
  },
  {
    row: 'N1',
    what: 'a mistyped remote',
    recipe: 'get-results',
    exit: 3,
    shows: /holds no files and no Strata record/,
    setup: async () => {
      const wc = await pushed();
      const yaml = fs.readFileSync(wc.path('strata.yaml'), 'utf8');
      fs.writeFileSync(wc.path('strata.yaml'), yaml.replace(/remote: file:\/\/(\S+)/, (_m, dir: string) => `remote: file://${dir}-typo`));
      return { wc };
    },
  },
  {
    row: 'N2',
    what: 'a pull that would recycle more than the threshold',
    recipe: 'get-results',
    exit: 3,
    shows: /The pull would recycle 3 of your 4 local files/,
    setup: async () => {
      const wc = await pushed();
      const ben = workingCopy(wc.remote, { branch: 'qc', user: 'ben' });
      assertOk(await ben.run(['get-results']));
      for (let i = 0; i < 3; i++) ben.remove(`data/processed/f${i}.csv`);
      assertOk(await ben.run(['put-results', '--force']));
      return { wc };
    },
  },
  {
    row: 'N4',
    what: 'unshared work: a file changed and one deleted here, both changed on the remote',
    recipe: 'get-results',
    exit: 3,
    shows: /1 local file is unshared work/,
    setup: async () => {
      const wc = await pushed();
      const ben = workingCopy(wc.remote, { branch: 'qc', user: 'ben' });
      assertOk(await ben.run(['get-results']));
      ben.write('data/processed/f0.csv', 'ben changed f0\n');
      assertOk(await ben.run(['put-results']));
      wc.write('data/processed/f0.csv', 'ana changed f0\n');
      wc.remove('data/processed/f1.csv');
      return { wc };
    },
  },
  {
    row: 'N11',
    what: "a folder holding a teammate's branch (get-results-from), this branch empty",
    recipe: 'get-results',
    exit: 3,
    shows: /holds the files of file:\/\/\S+ branch plate-qc \(pulled with get-results-from\)/,
    setup: async () => {
      const ana = await pushed({ branch: 'plate-qc' });
      const ben = workingCopy(ana.remote, { user: 'ben' });
      assertOk(await ben.run(['get-results-from', 'plate-qc']));
      return { wc: ben };
    },
  },
];

describe('status shows what the real run says, row by row', () => {
  it.each(ROWS)('$row: $what', async (row) => {
    const { wc, opts } = await row.setup();
    const layer = row.layer ?? 'processed';
    const status = assertOk(await wc.run(['status', '--layer', layer], opts), 'status');
    const real = assertFailed(await wc.run([row.recipe, '--layer', layer], opts), row.recipe);
    expect(real.exitCode, real.stderr).toBe(row.exit);
    const lines = messageLines(real, row.recipe, layer);
    expect(lines[0]).toMatch(row.shows);
    if (row.notShown) expect(real.stderr).not.toMatch(row.notShown);
    if (row.alsoShows) expect(lines.slice(1).join('\n')).toMatch(row.alsoShows);
    const what = row.recipe.startsWith('get') ? 'get' : 'put';
    const expected = lines.map((l, i) => (i === 0 ? `  ${what} would be refused: ${l}` : `  ${l}`)).join('\n');
    expect(status.stdout, `status:\n${status.stdout}\nreal:\n${real.stderr}`).toContain(expected);
  });

  it('N7: a folder held at a past revision (Hub)', async () => {
    const remote = hubRemote(inject('hub'));
    const wc = workingCopy(remote, { branch: 'paper', user: 'ana' });
    wc.write('data/processed/fig1.csv', 'v1\n');
    assertOk(await wc.run(['put-results']));
    assertOk(await wc.run(['tag', 'paper-v1']));
    wc.write('data/processed/fig2.csv', 'new\n');
    assertOk(await wc.run(['put-results']));
    assertOk(await wc.run(['get-results-at', 'paper-v1']));
    const status = assertOk(await wc.run(['status', '--layer', 'processed']));
    const real = assertFailed(await wc.run(['put-results']));
    expect(real.exitCode).toBe(3);
    const lines = messageLines(real, 'put-results', 'processed');
    expect(lines[0]).toMatch(/holds revision paper-v1/);
    expect(status.stdout).toContain(lines.map((l, i) => (i === 0 ? `  put would be refused: ${l}` : `  ${l}`)).join('\n'));
  });

  const canDropRoot = process.getuid?.() === 0 && (() => {
    try {
      execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'true']);
      return true;
    } catch {
      return false;
    }
  })();

  it.runIf(canDropRoot)('E7: an unreadable subfolder whose remote files a push would delete (Strata as nobody)', async () => {
    const wc = workingCopy(fileRemote(), { branch: 'qc', user: 'ana' });
    fill(wc, 6);
    wc.write('data/processed/sub/a.csv', 'a\n');
    fs.chmodSync(path.dirname(wc.dir), 0o755);
    execFileSync('chown', ['-R', 'nobody:nogroup', wc.dir, wc.home, (wc.remote as FolderRemote).dir]);
    const nobody = { asUser: 'nobody' };
    assertOk(await wc.run(['put-results'], nobody));
    fs.chmodSync(wc.path('data/processed/sub'), 0o000);
    try {
      const status = assertOk(await wc.run(['status', '--layer', 'processed'], nobody));
      const real = assertFailed(await wc.run(['put-results'], nobody));
      expect(real.exitCode).toBe(3);
      const lines = messageLines(real, 'put-results', 'processed');
      expect(lines[0]).toMatch(/data\/processed\/sub cannot be read, and pushing would delete the 1 remote file/);
      expect(status.stdout).toContain(lines.map((l, i) => (i === 0 ? `  put would be refused: ${l}` : `  ${l}`)).join('\n'));
    } finally {
      fs.chmodSync(wc.path('data/processed/sub'), 0o755);
    }
  });
});
