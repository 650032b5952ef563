// The project root: every layer folder, the state record and the lock are relative to it,
// so it is found the same way wherever in the project Strata is started.
import fs from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { DEFAULTS } from './defaults.js';

/** findProjectRoot walks up from `start` to the folder holding strata.yaml (else the git top). */
export function findProjectRoot(start: string): string {
  let dir = path.resolve(start);
  let gitTop: string | null = null;
  for (;;) {
    if (fs.existsSync(path.join(dir, DEFAULTS.configFile))) return dir;
    if (!gitTop && fs.existsSync(path.join(dir, '.git'))) gitTop = dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (gitTop) return gitTop;
  throw new StrataError(
    `No project found: neither ${DEFAULTS.configFile} nor a git repository in ${start} or any folder above it.`,
    'Run Strata from inside a lab project (a git repository with a strata.yaml).',
    2,
  );
}
