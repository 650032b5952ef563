// Strict arguments: a word or option a recipe does not take is an error naming it, with a
// hint at what was probably meant — never silently ignored (`just put-results dry-run` once
// did a real push).
import { describe, expect, it } from 'vitest';
import { parseArgs, PULL_OPTIONS, PUSH_OPTIONS, usageLine, type RecipeSpec } from '../../scripts/lib/cli.js';
import { StrataError } from '../../scripts/lib/errors.js';

const specs: Record<string, RecipeSpec> = {
  'get-results': { options: PULL_OPTIONS },
  'put-results': { options: PUSH_OPTIONS },
  'get-results-from': { positionals: [{ name: 'BRANCH' }], options: PULL_OPTIONS },
  tag: { positionals: [{ name: 'NAME' }], options: ['dry-run', 'quiet', 'role'] },
  'pr-create': { positionals: [{ name: 'TITLE', rest: true }], options: ['dry-run'] },
  log: { positionals: [{ name: 'BRANCH', optional: true }], options: ['layer', 'limit', 'role'] },
};

function failure(name: string, argv: string[]): { message: string; hint: string; code: number } {
  try {
    parseArgs(argv, name, specs[name]);
  } catch (e) {
    if (e instanceof StrataError) return { message: e.message, hint: e.hint ?? '', code: e.exitCode };
    throw e;
  }
  throw new Error(`${name} ${argv.join(' ')} was accepted`);
}

describe('arguments a recipe does not take are errors', () => {
  it.each([
    ['put-results', ['dry-run'], /Unexpected word "dry-run"/, /two dashes: just put-results --dry-run/],
    ['get-results', ['plate-42'], /Unexpected word "plate-42"/, /To pull one run folder: just get-results-for plate-42/],
    ['put-results', ['plate-42'], /Unexpected word "plate-42"/, /To push one run folder: just put-results-for plate-42/],
    ['get-results-from', ['ana', 'extra'], /Unexpected word "extra"/, /takes BRANCH/],
    ['get-results-from', [], /Missing BRANCH/, /Usage: just get-results-from BRANCH/],
    ['get-results', ['-dry-run'], /Unknown option -dry-run: options take two dashes/, /Did you mean --dry-run\?/],
    ['get-results', ['--dry'], /Unknown option --dry for get-results/, /get-results takes: --dry-run, --force, --keep, --layer, --quiet, --role/],
    ['tag', ['v1', '--keep'], /Unknown option --keep for tag \(it belongs to other recipes\)/, /tag takes: --dry-run, --quiet, --role/],
    ['put-results', ['--keep'], /Unknown option --keep for put-results/, /--dry-run, --force/],
    ['get-results', ['--layer'], /Option --layer needs a value/, /Usage/],
  ])('%s %j', (name, argv, message, hint) => {
    const f = failure(name, argv);
    expect(f.code).toBe(2);
    expect(f.message).toMatch(message);
    expect(f.hint).toMatch(hint);
  });
});

describe('arguments a recipe takes', () => {
  it('reads options, short forms and positionals', () => {
    const a = parseArgs(['-n', '--layer', 'processed', '--force'], 'get-results', specs['get-results']);
    expect([a.dryRun, a.force, a.keep, a.layer, a._]).toEqual([true, true, false, 'processed', []]);
    expect(parseArgs(['ana-qc'], 'get-results-from', specs['get-results-from'])._).toEqual(['ana-qc']);
    expect(parseArgs([], 'log', specs.log)._).toEqual([]);
    expect(parseArgs(['A', 'long', 'title'], 'pr-create', specs['pr-create'])._).toEqual(['A', 'long', 'title']);
  });
  it('renders usage from the spec', () => {
    expect(usageLine('get-results-from', specs['get-results-from'])).toBe('just get-results-from BRANCH [--dry-run] [--force] [--keep] [--layer NAME] [--quiet] [--role ROLE]');
    expect(usageLine('log', specs.log)).toBe('just log [BRANCH] [--layer NAME] [--limit N] [--role ROLE]');
  });
});

describe('RUN is read where the person stands', () => {
  it.each([
    ['/p', 'plate-42', 'plate-42'],
    ['/p/notebooks', 'plate-42', 'plate-42'],
    ['/p', 'data/processed/plate-42/', 'plate-42'],
    ['/p/data/processed', 'plate-42', 'plate-42'],
    ['/p/data/processed/plates', 'plate-42', 'plates/plate-42'],
    ['/p/data/processed/plates/plate-42', '.', 'plates/plate-42'],
    ['/p/data/processed/plates', '../other', 'other'],
  ])('in %s, %s → %s', async (cwd, run, want) => {
    const { runFolder } = await import('../../scripts/lib/recipes/sync-recipes.js');
    expect(runFolder('/p', 'data/processed', run, cwd)).toBe(want);
  });
  it('refuses the layer folder itself', async () => {
    const { runFolder } = await import('../../scripts/lib/recipes/sync-recipes.js');
    expect(() => runFolder('/p', 'data/processed', '.', '/p/data/processed')).toThrow(/whole data\/processed\/ folder/);
  });
});

describe('a known option spelled another way', () => {
  it('--dryrun is told --dry-run', () => {
    const f = failure('get-results', ['--dryrun']);
    expect(f.message).toMatch(/Unknown option --dryrun for get-results/);
    expect(f.hint).toMatch(/^Did you mean --dry-run\?/);
  });
});
