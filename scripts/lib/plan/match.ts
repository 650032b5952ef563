// match merges sorted streams in one pass (rclone's march): every key comes out once, with
// what each side holds for it. A sync joins four such streams — the local folder, the remote
// listing, the hash cache and the state record's rows — so that it never has to hold one of
// them in a map to look keys up.
import { compareKeys, type Entry } from '../listing/entry.js';

export interface Pair {
  key: string;
  local?: Entry;
  remote?: Entry;
}

/**
 * join yields every key of two streams sorted by compareKeys, with the item of each side that
 * has it. A stream out of order would pair the wrong items, and a plan could then download
 * and recycle the same file: it stops the sync with an error instead.
 */
export function* join<A, B>(a: Iterable<A>, b: Iterable<B>, keyA: (x: A) => string, keyB: (x: B) => string, what = 'listing'): Generator<[string, A | undefined, B | undefined]> {
  const ia = ordered(a, keyA, what);
  const ib = ordered(b, keyB, what);
  let x = ia.next();
  let y = ib.next();
  try {
    while (!x.done || !y.done) {
      const c = x.done ? 1 : y.done ? -1 : compareKeys(x.value[0], y.value[0]);
      if (c < 0) {
        yield [x.value![0], x.value![1], undefined];
        x = ia.next();
      } else if (c > 0) {
        yield [y.value![0], undefined, y.value![1]];
        y = ib.next();
      } else {
        yield [x.value![0], x.value![1], y.value![1]];
        x = ia.next();
        y = ib.next();
      }
    }
  } finally {
    // Stopped early (an error downstream): let each stream close (a database statement, a file).
    ia.return(undefined);
    ib.return(undefined);
  }
}

function* ordered<T>(items: Iterable<T>, key: (x: T) => string, what: string): Generator<[string, T]> {
  let last: string | undefined;
  for (const item of items) {
    const k = key(item);
    if (last !== undefined && compareKeys(last, k) >= 0) throw new Error(`internal error: the ${what} is not in key order (${JSON.stringify(last)} before ${JSON.stringify(k)}); nothing was changed`);
    last = k;
    yield [k, item];
  }
}

/** pairs: local and remote entries, each sorted by key (byKey) with keys already normalised, paired lazily. */
export function* pairs(local: Iterable<Entry>, remote: Iterable<Entry>): Generator<Pair> {
  for (const [key, l, r] of join(local, remote, keyOf, keyOf)) yield l && r ? { key, local: l, remote: r } : l ? { key, local: l } : { key, remote: r };
}

/** match: every pair of two sorted listings, as an array (small listings, tests). */
export function match(local: readonly Entry[], remote: readonly Entry[]): Pair[] {
  return [...pairs(local, remote)];
}

const keyOf = (e: { key: string }) => e.key;
