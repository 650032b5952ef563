// A file read for upload must be the same file at the end of the read: otherwise the remote
// would get a mix of old and new contents. Compared by size and mtime, like the state record.
import fs from 'node:fs';

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

export function stampOf(file: string): FileStamp {
  const st = fs.statSync(file);
  return { size: st.size, mtimeMs: st.mtimeMs };
}

/** assertUnchanged throws when `file` no longer has the size and mtime it had when planned or opened. */
export function assertUnchanged(file: string, before: FileStamp, when: string): void {
  const now = stampOf(file);
  if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
    throw new Error(`${file} changed ${when} (${before.size} → ${now.size} bytes); not uploaded. Run again once it is written.`);
  }
}
