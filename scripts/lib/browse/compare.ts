// Two listings of a layer (a branch's space and main's, or two revisions) compared by key and
// content: what the second adds, changes and deletes. Pure: the browse page asks the remote
// for the digests it lacks (`undecided`) before deciding those pairs.
import { compareKeys, type Entry } from '../listing/entry.js';
import { sameContent } from '../listing/digest.js';

export type Change = 'added' | 'changed' | 'deleted';

export interface Difference {
  key: string;
  change: Change;
  /** The file in the first listing (changed, deleted). */
  a?: Entry;
  /** The file in the second listing (added, changed). */
  b?: Entry;
}

export interface Comparison {
  differences: Difference[];
  same: number;
}

/**
 * compareListings: each key of either sorted listing, once. A pair whose digests cannot say
 * (a plain folder lists none) is the same when `equal` says so, else when size and change
 * tag agree — a copy inside the store keeps both.
 */
export function compareListings(a: readonly Entry[], b: readonly Entry[], equal?: (x: Entry, y: Entry) => boolean | undefined): Comparison {
  const differences: Difference[] = [];
  let same = 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const order = i >= a.length ? 1 : j >= b.length ? -1 : compareKeys(a[i].key, b[j].key);
    if (order < 0) differences.push({ key: a[i].key, change: 'deleted', a: a[i++] });
    else if (order > 0) differences.push({ key: b[j].key, change: 'added', b: b[j++] });
    else {
      const x = a[i++];
      const y = b[j++];
      if (equalContent(x, y, equal)) same++;
      else differences.push({ key: x.key, change: 'changed', a: x, b: y });
    }
  }
  return { differences, same };
}

function equalContent(x: Entry, y: Entry, equal?: (x: Entry, y: Entry) => boolean | undefined): boolean {
  if (x.size !== y.size) return false;
  const known = sameContent(x.digests, y.digests);
  if (known !== null) return known;
  return equal?.(x, y) ?? (x.tag !== undefined && x.tag === y.tag);
}

/** The pairs of equal size whose listings carry no digest both sides share: their content is asked for. */
export function undecided(a: readonly Entry[], b: readonly Entry[]): [Entry, Entry][] {
  const out: [Entry, Entry][] = [];
  const byKey = new Map(a.map((e) => [e.key, e]));
  for (const y of b) {
    const x = byKey.get(y.key);
    if (x && x.size === y.size && sameContent(x.digests, y.digests) === null && x.tag !== y.tag) out.push([x, y]);
  }
  return out;
}
