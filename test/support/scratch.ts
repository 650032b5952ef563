// Temp folders for one test file: made under the system's temp folder, removed together by
// `removeTemps` (a test file calls it from afterAll or afterEach).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const temps: string[] = [];

/** A new empty folder, removed by the next removeTemps(). */
export function tempDir(prefix = 'strata-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** Removes every temp folder made so far. */
export function removeTemps(): void {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
