// match merges two sorted listings in one pass (rclone's march): every key comes out once,
// with the local entry, the remote entry, or both.
import type { Entry } from '../listing/entry.js';

export interface Pair {
  key: string;
  local?: Entry;
  remote?: Entry;
}

/** match expects both listings sorted by key (byKey) and keys already normalised. */
export function match(local: readonly Entry[], remote: readonly Entry[]): Pair[] {
  const pairs: Pair[] = [];
  let i = 0;
  let j = 0;
  while (i < local.length || j < remote.length) {
    const l = local[i];
    const r = remote[j];
    if (r === undefined || (l !== undefined && l.key < r.key)) {
      pairs.push({ key: l!.key, local: l });
      i++;
    } else if (l === undefined || r.key < l.key) {
      pairs.push({ key: r.key, remote: r });
      j++;
    } else {
      pairs.push({ key: l.key, local: l, remote: r });
      i++;
      j++;
    }
  }
  return pairs;
}
