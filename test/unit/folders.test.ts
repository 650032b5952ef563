// Layer folders are checked as paths (SPEC §6.14): every spelling of a bad folder is refused
// by loadConfig with the key and the path it resolves to, and good spellings are normalised.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../scripts/lib/config/load.js';
import { normaliseFolder } from '../../scripts/lib/config/folders.js';
import { ConfigError } from '../../scripts/lib/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A project folder with the default layer folders, a .git folder, and strata.yaml. */
function project(yaml: string, links: Record<string, string> = {}): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-folders-'));
  dirs.push(d);
  for (const f of ['.git', 'data/external', 'data/raw/profiles', 'data/interim', 'data/processed', 'node_modules']) fs.mkdirSync(path.join(d, f), { recursive: true });
  for (const [link, target] of Object.entries(links)) {
    fs.mkdirSync(path.dirname(path.join(d, link)), { recursive: true });
    fs.symlinkSync(target, path.join(d, link));
  }
  fs.writeFileSync(path.join(d, 'strata.yaml'), `remote: file:///srv/share\n${yaml}`);
  return d;
}

function problems(dir: string): string[] {
  try {
    loadConfig(dir, {}, {});
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.key}: ${p.message}`);
    throw e;
  }
  return [];
}

const layer = (name: string, local: string, extra = '') => `layers:\n  ${name}:\n    local: "${local}"\n${extra}`;

describe('normaliseFolder', () => {
  it.each([
    ['data/processed', 'data/processed'],
    ['./data/processed', 'data/processed'],
    ['data//processed', 'data/processed'],
    ['data/processed/', 'data/processed'],
    ['data/processed/../interim', 'data/interim'],
    ['data/./processed', 'data/processed'],
    ['./', '.'],
    ['data/..', '.'],
    ['../x', '../x'],
  ])('%j → %j', (given, want) => {
    expect(normaliseFolder(given)).toBe(want);
  });
});

describe('layer folders that are refused, each with its key and resolved path', () => {
  it.each<{ what: string; yaml: string; links?: Record<string, string>; key: string; says: RegExp }>([
    { what: '".." into another layer', yaml: layer('processed', 'data/processed/../interim'), key: 'layers.processed.local', says: /resolves to data\/interim.*same folder as layers\.interim\.local \(data\/interim\)/ },
    { what: 'a new layer spelled "./"', yaml: layer('copy', './data/processed', '    path: copy\n'), key: 'layers.copy.local', says: /"\.\/data\/processed" \(resolves to data\/processed\) is the same folder as layers\.processed\.local/ },
    { what: 'a new layer spelled with "//"', yaml: layer('copy', 'data//processed', '    path: copy\n'), key: 'layers.copy.local', says: /same folder as layers\.processed\.local/ },
    { what: 'a new layer with a trailing slash', yaml: layer('copy', 'data/processed/', '    path: copy\n'), key: 'layers.copy.local', says: /same folder as layers\.processed\.local/ },
    { what: 'a layer inside another', yaml: layer('plates', 'data/processed/plates', '    path: plates\n'), key: 'layers.plates.local', says: /lies inside layers\.processed\.local \(data\/processed\)/ },
    { what: 'a layer holding another', yaml: layer('everything', 'data', '    path: everything\n'), key: 'layers.everything.local', says: /contains layers\.processed\.local/ },
    {
      what: 'a symlinked folder that is another layer',
      yaml: layer('results', 'data/results', '    path: results\n'),
      links: { 'data/results': 'processed' },
      key: 'layers.results.local',
      says: /resolves to data\/processed.*same folder as layers\.processed\.local/,
    },
    { what: 'the project root', yaml: layer('processed', '.'), key: 'layers.processed.local', says: /project root/ },
    { what: 'the project root spelled "data/.."', yaml: layer('processed', 'data/..'), key: 'layers.processed.local', says: /resolves to \.\) is the project root/ },
    { what: 'outside the project', yaml: layer('processed', '../elsewhere'), key: 'layers.processed.local', says: /outside the project/ },
    { what: 'outside, through ".."', yaml: layer('processed', 'data/../../x'), key: 'layers.processed.local', says: /resolves to \.\.\/x\) is outside the project/ },
    { what: 'an absolute path', yaml: layer('processed', '/srv/processed'), key: 'layers.processed.local', says: /absolute path/ },
    { what: '.git', yaml: layer('processed', '.git'), key: 'layers.processed.local', says: /inside \.git\// },
    { what: 'under .git', yaml: layer('processed', './.git/objects'), key: 'layers.processed.local', says: /inside \.git\// },
    { what: 'under .strata', yaml: layer('processed', '.strata/state'), key: 'layers.processed.local', says: /inside \.strata\// },
    { what: 'node_modules', yaml: layer('processed', 'node_modules/x'), key: 'layers.processed.local', says: /inside node_modules\// },
    { what: 'a symlink into .git', yaml: layer('processed', 'data/repo'), links: { 'data/repo': '../.git' }, key: 'layers.processed.local', says: /through a symbolic link: \.git.*inside \.git\// },
    { what: 'a symlink to the project root', yaml: layer('processed', 'data/up'), links: { 'data/up': '..' }, key: 'layers.processed.local', says: /is or contains the project root/ },
    { what: 'a recycle folder inside a layer', yaml: 'recycle_dir: data/processed/_recycle\n', key: 'recycle_dir', says: /"data\/processed\/_recycle" lies inside layers\.processed\.local/ },
    { what: 'a recycle folder that is a layer', yaml: 'recycle_dir: ./data/interim/\n', key: 'recycle_dir', says: /same folder as layers\.interim\.local/ },
    { what: 'a recycle folder holding a layer', yaml: 'recycle_dir: data/raw\n', key: 'recycle_dir', says: /contains layers\.profiles\.local/ },
    { what: 'a recycle folder outside the project', yaml: 'recycle_dir: ../elsewhere\n', key: 'recycle_dir', says: /outside the project/ },
  ])('$what', ({ yaml, links, key, says }) => {
    const p = problems(project(yaml, links));
    const mine = p.filter((line) => line.startsWith(`${key}: `));
    expect(mine.length, p.join('\n')).toBeGreaterThan(0);
    expect(mine.join('\n')).toMatch(says);
    // Each pair of folders is reported once, not from both sides.
    expect(new Set(p).size).toBe(p.length);
  });
});

describe('layer folders that are fine', () => {
  it('normalises every spelling of a good folder, so later steps see one name', () => {
    const dir = project(`recycle_dir: ./data//_recycle/\n${layer('processed', './data//processed/')}`);
    const c = loadConfig(dir, {}, {});
    expect(c.layers.find((l) => l.name === 'processed')!.local).toBe('data/processed');
    expect(c.recycleDir).toBe('data/_recycle');
  });

  it('accepts a layer folder that is a symlink to a share outside the project (a mounted disk)', () => {
    const share = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-share-'));
    dirs.push(share);
    const dir = project('', { 'data/big': share });
    fs.appendFileSync(path.join(dir, 'strata.yaml'), layer('big', 'data/big', '    path: big\n'));
    expect(problems(dir)).toEqual([]);
  });
});
