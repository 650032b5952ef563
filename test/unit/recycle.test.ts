// The recycle folder (SPEC §6.2): a file a pull removes is moved there; a file a download
// replaces is kept there while it stays in place until the new version is renamed over it, so
// the key is never missing, whenever the run is killed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Recycler } from '../../scripts/lib/apply/recycle.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function project() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-recycle-'));
  dirs.push(root);
  const layer = path.join(root, 'data', 'processed');
  fs.mkdirSync(path.join(layer, 'run'), { recursive: true });
  return { root, layer, recycler: new Recycler(root, 'data/_recycle', 'processed', '20261201-120000') };
}

describe('Recycler', () => {
  it('recycle moves a file out of the layer into <stamp>/<layer>/<key>', async () => {
    const { root, layer, recycler } = project();
    fs.writeFileSync(path.join(layer, 'run', 'x.csv'), 'old\n');
    const dest = await recycler.recycle(path.join(layer, 'run', 'x.csv'), 'run/x.csv');
    expect(dest).toBe(path.join(root, 'data', '_recycle', '20261201-120000', 'processed', 'run', 'x.csv'));
    expect(fs.existsSync(path.join(layer, 'run', 'x.csv'))).toBe(false);
    expect(fs.readFileSync(dest, 'utf8')).toBe('old\n');
  });

  it('keep leaves the file in place; the new version renamed over it leaves the old one in the recycle folder', async () => {
    const { layer, recycler } = project();
    const file = path.join(layer, 'run', 'x.csv');
    fs.writeFileSync(file, 'old\n');
    const dest = await recycler.keep(file, 'run/x.csv');
    // Between keep and the rename (a kill here) the file is still there, whole.
    expect(fs.readFileSync(file, 'utf8')).toBe('old\n');
    expect(fs.statSync(dest).ino, 'a hard link on the same disk: no copy of the bytes').toBe(fs.statSync(file).ino);
    const tmp = path.join(layer, 'run', '.x.csv.strata-tmp');
    fs.writeFileSync(tmp, 'new version\n');
    fs.renameSync(tmp, file);
    expect(fs.readFileSync(file, 'utf8')).toBe('new version\n');
    expect(fs.readFileSync(dest, 'utf8')).toBe('old\n');
    expect(recycler.count).toBe(1);
  });

  it('two pulls in the same second recycle into two folders', () => {
    const { root } = project();
    const a = new Recycler(root, 'data/_recycle', 'processed', '20261201-120000');
    fs.mkdirSync(a.folder, { recursive: true });
    const b = new Recycler(root, 'data/_recycle', 'processed', '20261201-120000');
    expect(b.folder).not.toBe(a.folder);
  });
});
