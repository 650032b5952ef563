// A path as a person types it, mapped to its layer and key (`just which`, `just log --path`):
// from where they stand, else from the project root, through symbolic links; a path in no
// layer is an error naming the layer folders.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Layer } from '../../scripts/lib/config/layers.js';
import { DEFAULT_LAYERS } from '../../scripts/lib/config/defaults.js';
import { layerPath } from '../../scripts/lib/layer-path.js';
import { removeTemps, tempDir } from '../support/scratch.js';

afterAll(removeTemps);

const LAYERS: Layer[] = Object.entries(DEFAULT_LAYERS).map(([name, d]) => ({ name, ...d, remote: 'file:///srv/lab' }));

function project(): string {
  const root = fs.realpathSync(tempDir('strata-layer-path-'));
  for (const f of ['data/processed/plates/p01.csv', 'data/raw/profiles/plate-1/profiles.csv', 'notebooks/figure.py', 'data/_recycle/x.csv']) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), 'x\n');
  }
  fs.symlinkSync(path.join(root, 'data', 'processed'), path.join(root, 'results'));
  return root;
}

describe('layerPath', () => {
  const root = project();
  it.each([
    ['.', 'data/processed/plates/p01.csv', 'processed', 'plates/p01.csv', false],
    ['.', 'data/processed/plates/', 'processed', 'plates', true],
    ['.', 'data/processed', 'processed', '', true],
    ['data/processed/plates', 'p01.csv', 'processed', 'plates/p01.csv', false],
    ['data/processed/plates', '.', 'processed', 'plates', true],
    ['data/processed/plates', 'p99.csv', 'processed', 'plates/p99.csv', false],
    ['notebooks', '../data/raw/profiles/plate-1', 'profiles', 'plate-1', true],
    // Not under where one stands: read from the project root, as the docs spell paths.
    ['notebooks', 'data/raw/profiles/plate-1/profiles.csv', 'profiles', 'plate-1/profiles.csv', false],
    // Through a symbolic link to a layer folder, and from inside it.
    ['.', 'results/plates/p01.csv', 'processed', 'plates/p01.csv', false],
    ['results/plates', 'p01.csv', 'processed', 'plates/p01.csv', false],
    // A name in NFD form (as macOS spells it) becomes the NFC key every listing uses.
    ['.', 'data/processed/cafe\u0301.csv', 'processed', 'caf\u00e9.csv', false],
  ])('in %s, %s → %s %s', (cwd, given, layer, key, folder) => {
    const p = layerPath(root, LAYERS, given, path.join(root, cwd));
    expect([p.layer.name, p.key, p.folder]).toEqual([layer, key, folder]);
  });

  it.each(['notebooks/figure.py', 'data/_recycle/x.csv', 'data', '/etc/passwd'])('refuses %s, naming the layer folders', (given) => {
    expect(() => layerPath(root, LAYERS, given, root)).toThrow(/is in no layer folder/);
    try {
      layerPath(root, LAYERS, given, root);
    } catch (e) {
      expect((e as { hint: string }).hint).toBe('Name a file or folder inside one of them: data/external/ (external), data/raw/profiles/ (profiles), data/interim/ (interim), data/processed/ (processed).');
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
  });
});
