// screenInOrder: the key rule (keys.ts) applied to a remote listing as its pages arrive in
// key order (S3), so that planning never holds the listing whole. Page by page it gives the
// same answer as `screenKeys` over the whole listing, or says it cannot: twins (names equal
// in NFC, or differing only in letter case) need the whole listing to be refused together,
// and a key that NFC moves before what was already given out cannot be put in order. Both
// are rare (another tool's keys); then `WholeListingNeeded` asks the caller to read the
// listing whole and screen it as before.
import { byKey, compareKeys, type Entry } from './entry.js';
import { keyProblem, normaliseKey, type Refusal } from './keys.js';

/** A raw object of a listing page: its key as stored, relative to the layer. */
export interface RawObject {
  key: string;
  size: number;
  tag: string;
  etag?: string;
  digests: Entry['digests'];
}

/** The listing cannot be screened page by page (twins, or a key NFC moves backwards): read it whole. */
export class WholeListingNeeded extends Error {
  constructor(readonly why: string) {
    super(`the listing must be read whole: ${why}`);
  }
}

/**
 * screenInOrder yields the safe entries of pages sorted by raw key (S3's order), normalised
 * and in key order, a page at a time; refused keys are added to `refused` as they are met.
 * Throws WholeListingNeeded where a page-by-page answer could differ from the whole one.
 */
export async function* screenInOrder(pages: AsyncIterable<RawObject[]>, refused: Refusal[]): AsyncGenerator<Entry[]> {
  const order = new KeyOrder();
  // Entries whose normalised key sorts after the page they came in: held until the listing passes them.
  let held: Entry[] = [];
  for await (const page of pages) {
    if (!page.length) continue;
    const last = page[page.length - 1]!.key;
    let moved = false;
    const entries: Entry[] = [];
    for (const o of page) {
      const problem = keyProblem(o.key);
      if (problem) {
        refused.push({ key: o.key, reason: problem });
        continue;
      }
      const key = normaliseKey(o.key);
      const entry: Entry = { key, size: o.size, tag: o.tag, digests: o.digests, etag: o.etag };
      if (key !== o.key) {
        entry.name = o.key;
        moved = true;
      }
      entries.push(entry);
    }
    if (!moved && !held.length) {
      // The common page: nothing renamed, so already in key order.
      const out = order.pass(entries, refused);
      if (out.length) yield out;
      continue;
    }
    const all = [...held, ...entries].sort(byKey);
    // Later pages hold raw keys after `last`: what sorts up to it is complete.
    const cut = all.findIndex((e) => compareKeys(e.key, last) > 0);
    held = cut < 0 ? [] : all.slice(cut);
    const out = order.pass(cut < 0 ? all : all.slice(0, cut), refused);
    if (out.length) yield out;
  }
  const out = order.pass(held, refused);
  if (out.length) yield out;
}

/**
 * KeyOrder checks each entry against those given out before it: strictly after the last
 * (an equal key is an NFC twin), not under a key that is a file, no case twin among the
 * names of any folder it lies in. Memory holds the folders on the current key's path and
 * their names, as a folder walk holds one directory.
 */
class KeyOrder {
  private last: string | undefined;
  /** Keys given out that are a prefix of the current one: a key under one of them lies under a file. */
  private files: string[] = [];
  /** The folders of the current key, each with its names seen so far, folded to lower case. */
  private folders: { prefix: string; names: Map<string, string> }[] = [{ prefix: '', names: new Map() }];

  pass(sorted: Entry[], refused: Refusal[]): Entry[] {
    const out: Entry[] = [];
    for (const e of sorted) {
      if (this.last !== undefined && compareKeys(e.key, this.last) <= 0) {
        throw new WholeListingNeeded(e.key === this.last ? `"${e.name ?? e.key}" has a Unicode twin` : `"${e.name ?? e.key}" sorts elsewhere once normalised (NFC)`);
      }
      const file = this.underFile(e.key);
      if (file) {
        refused.push({ key: e.name ?? e.key, reason: `lies under "${file}", which is also a file` });
        continue;
      }
      if (this.caseTwin(e.key)) throw new WholeListingNeeded(`"${e.name ?? e.key}" has a name that differs from another only in letter case`);
      this.last = e.key;
      this.files.push(e.key);
      out.push(e);
    }
    return out;
  }

  private underFile(key: string): string | undefined {
    // Every key with a given prefix sorts in one run: a file stops mattering once the run ends.
    while (this.files.length && !key.startsWith(this.files[this.files.length - 1]!)) this.files.pop();
    const top = this.files[this.files.length - 1];
    return top !== undefined && key.startsWith(`${top}/`) ? top : undefined;
  }

  private caseTwin(key: string): boolean {
    const folders = this.folders;
    while (folders.length > 1 && !key.startsWith(folders[folders.length - 1]!.prefix)) folders.pop();
    let pos = folders[folders.length - 1]!.prefix.length;
    for (;;) {
      const slash = key.indexOf('/', pos);
      const name = slash < 0 ? key.slice(pos) : key.slice(pos, slash);
      const names = folders[folders.length - 1]!.names;
      const folded = name.toLowerCase();
      const seen = names.get(folded);
      if (seen === undefined) names.set(folded, name);
      else if (seen !== name) return true;
      if (slash < 0) return false;
      folders.push({ prefix: key.slice(0, slash + 1), names: new Map() });
      pos = slash + 1;
    }
  }
}
