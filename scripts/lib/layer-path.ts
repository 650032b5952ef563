// A local path as a person types it — data/processed/plates/p01.csv from the project root,
// p01.csv from inside data/processed/plates, ../data/processed from notebooks/ — mapped to
// the layer whose folder holds it and its key in that layer. Paths are read from where the
// person stands, else from the project root (as the docs spell them), through symbolic links.
import fs from 'node:fs';
import path from 'node:path';
import { realFolder } from './config/folders.js';
import type { Layer } from './config/layers.js';
import { StrataError } from './errors.js';
import { normaliseKey } from './listing/keys.js';

export interface LayerPath {
  layer: Layer;
  /** Layer-relative key of the file or folder; '' for the layer folder itself. */
  key: string;
  /** As typed, for messages. */
  given: string;
  /** A local folder is there (else a file, or nothing here). */
  folder: boolean;
}

const within = (child: string, parent: string) => child === parent || child.startsWith(parent + path.sep);

/** layerPath maps one typed path to its layer and key, or says which layer folders there are. */
export function layerPath(projectRoot: string, layers: readonly Layer[], given: string, cwd = process.cwd()): LayerPath {
  const tries = [path.resolve(cwd, given)];
  if (!path.isAbsolute(given)) tries.push(path.resolve(projectRoot, given));
  for (const abs of tries) {
    const real = realFolder(abs);
    for (const layer of layers) {
      const folder = path.join(projectRoot, layer.local);
      const rel = within(abs, folder) ? path.relative(folder, abs) : within(real, realFolder(folder)) ? path.relative(realFolder(folder), real) : null;
      if (rel === null) continue;
      let isFolder = false;
      try {
        isFolder = fs.statSync(abs).isDirectory();
      } catch {
        // not here: a file or folder only the remote has, or nothing
      }
      return { layer, key: normaliseKey(rel.split(path.sep).join('/')), given, folder: isFolder };
    }
  }
  throw new StrataError(
    `"${given}" is in no layer folder.`,
    `Name a file or folder inside one of them: ${layers.map((l) => `${l.local}/ (${l.name})`).join(', ')}.`,
    2,
  );
}
