// Carrying over the record earlier Strata kept as one JSON file per layer
// (.strata/state/<layer>.json, format 1): store.ts imports it whole on the layer's first use,
// so nothing is re-hashed and no file Strata put there is mistaken for unshared work, then
// renames it <layer>.json.imported (kept as it was, never read again).
import fs from 'node:fs';
import type { Digests, FolderRecord, HeldRevision, RemoteRecord, StateChange } from './record.js';

interface LegacyRecord {
  version: 1;
  files: Record<string, { size: number; mtimeMs: number; digests: Digests }>;
  spaces: Record<string, { head: string | null; syncedAt: string; remote: Record<string, RemoteRecord>; pending?: { seq: number; id: string }; scopeHeads?: Record<string, string | null> }>;
  basis?: string;
  revision?: HeldRevision;
}

/** legacyChanges reads a format-1 file as the changes that rebuild it; [] (with a warning) when unreadable. */
export function legacyChanges(file: string, warn: (m: string) => void): StateChange[] {
  let record: LegacyRecord;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8')) as LegacyRecord;
    if (record.version !== 1 || !record.files || !record.spaces) throw new Error(`format ${String(record.version)} is not one this Strata knows`);
  } catch (e) {
    // NOTE: a corrupt record can only come from outside Strata (it wrote atomically); starting
    // empty makes every differing local file count as unshared, which is the safe side.
    warn(`warning: state record ${file} is unreadable (${(e as Error).message}); starting a new one`);
    return [];
  }
  const folder: FolderRecord = {};
  if (record.basis) folder.basis = record.basis;
  if (record.revision) folder.revision = record.revision;
  const out: StateChange[] = [{ folder, files: new Map(Object.entries(record.files)) }];
  for (const [name, { remote, ...meta }] of Object.entries(record.spaces)) {
    // A Hub space read at a past revision is named url@<revision>/path, like a branch's: only
    // the one the folder holds is known to be a revision.
    out.push({ space: { name, revision: record.revision !== undefined && name === record.basis, meta, remote: { put: Object.entries(remote), drop: [] } } });
  }
  return out;
}
