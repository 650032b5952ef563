// Key normalisation and the one key rule (SPEC §6.9, §6.13). A key is refused, never
// written, when it could escape the layer folder or could not be a file name on a lab
// laptop; and a local name that a pull would refuse is refused at push, so that nobody can
// push what a teammate cannot pull. `screen` is that rule, used by both directions.
import { byKey, type Entry } from './entry.js';

/** normaliseKey makes a key comparable across systems: NFC, forward slashes, no leading "./". */
export function normaliseKey(key: string): string {
  return key.normalize('NFC').replace(/^\.\//, '');
}

/** keyProblem says why a key must not be written to disk, or null when it is safe. */
export function keyProblem(key: string): string | null {
  if (key.length === 0) return 'empty key';
  if (key.includes('\\')) return 'contains a backslash';
  if (key.startsWith('/')) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(key)) return 'starts with a drive letter';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'contains a control character';
  const segments = key.split('/');
  if (segments.some((s) => s === '..')) return 'contains a ".." segment';
  if (segments.some((s) => s === '.' || s === '')) return 'contains an empty or "." segment';
  if (segments.some((s) => Buffer.byteLength(s) > 255)) return 'has a name longer than 255 bytes';
  if (Buffer.byteLength(key) > 1024) return 'is longer than 1,024 bytes';
  return null;
}

/** A name the key rule set aside, with why. */
export interface Refusal {
  key: string;
  reason: string;
}

const UNICODE_TWIN = 'has a Unicode twin (same name in NFC and NFD form)';
const CASE_TWIN = 'differs from another key only in letter case (they would collide on macOS and Windows disks)';

/**
 * screen applies the key rule to a listing: entries carry the normalised key and, when it
 * differs, the name as found (`name`). It keeps the safe ones and refuses, by name: names
 * with a keyProblem, NFC/NFD twins (one key, two names), case twins, and a key that is
 * also a folder of other keys. Used for remote listings (before a pull writes anything)
 * and for local folders (before a push sends anything).
 */
export function screen<T extends { key: string; name?: string }>(listing: readonly T[]): { kept: T[]; refused: Refusal[] } {
  const refused: Refusal[] = [];
  const byNormal = new Map<string, T>();
  const unicodeTwins = new Set<string>();
  for (const e of listing) {
    const problem = keyProblem(e.name ?? e.key);
    if (problem) {
      refused.push({ key: e.name ?? e.key, reason: problem });
      continue;
    }
    const twin = byNormal.get(e.key);
    if (twin) {
      if (!unicodeTwins.has(e.key)) refused.push({ key: twin.name ?? twin.key, reason: UNICODE_TWIN });
      refused.push({ key: e.name ?? e.key, reason: UNICODE_TWIN });
      unicodeTwins.add(e.key);
    } else byNormal.set(e.key, e);
  }
  const single = [...byNormal.values()].filter((e) => !unicodeTwins.has(e.key));
  const twins = new Set(caseTwins(single.map((e) => e.key)).flat());
  const safe = single.filter((e) => {
    if (!twins.has(e.key)) return true;
    refused.push({ key: e.name ?? e.key, reason: CASE_TWIN });
    return false;
  });
  // A key that is also a folder of other keys ("a" and "a/b") cannot both be files on disk.
  const keys = new Set(safe.map((e) => e.key));
  const kept = safe.filter((e) => {
    // Each folder the key lies in, by the position of its slashes (no arrays per key).
    for (let i = e.key.indexOf('/'); i > 0; i = e.key.indexOf('/', i + 1)) {
      const folder = e.key.slice(0, i);
      if (keys.has(folder)) {
        refused.push({ key: e.name ?? e.key, reason: `lies under "${folder}", which is also a file` });
        return false;
      }
    }
    return true;
  });
  return { kept, refused };
}

/** screenKeys normalises a remote listing's keys and sets aside the unsafe ones, sorted by key. */
export function screenKeys(raw: { key: string; size: number; tag: string; digests: Entry['digests']; etag?: string }[]): { entries: Entry[]; refused: Refusal[] } {
  const listing = raw.map((o) => {
    const key = normaliseKey(o.key);
    const entry: Entry = { key, size: o.size, tag: o.tag, digests: o.digests, etag: o.etag };
    if (key !== o.key) entry.name = o.key;
    return entry;
  });
  const { kept, refused } = screen(listing);
  return { entries: kept.sort(byKey), refused };
}

/** renameHint says how to fix a local name the key rule refused, in the words of its reason. */
export function renameHint(reason: string): string {
  if (reason === UNICODE_TWIN) return 'keep one of the two files (they look identical)';
  if (reason === CASE_TWIN) return 'rename one so the names differ by more than letter case';
  if (/control character/.test(reason)) return 'rename it without tabs, newlines or other control characters';
  if (/backslash/.test(reason)) return 'rename it without "\\"';
  if (/longer than|255 bytes/.test(reason)) return 'shorten the name';
  return 'rename it';
}

/** caseTwins returns groups of keys that are equal ignoring case (they collide on macOS/Windows disks). */
export function caseTwins(keys: string[]): string[][] {
  // One map entry per key and groups only for twins: at 100,000 keys a group per key was
  // megabytes of one-element arrays.
  const first = new Map<string, string>();
  const twins = new Map<string, string[]>();
  for (const k of keys) {
    const folded = k.toLowerCase();
    const seen = first.get(folded);
    if (seen === undefined) first.set(folded, k);
    else (twins.get(folded) ?? twins.set(folded, [seen]).get(folded)!).push(k);
  }
  return [...twins.values()];
}

/** atOrUnder: the key is `path` itself or lies in the folder `path` ('' is the whole layer). One rule for which and log --path. */
export function atOrUnder(key: string, path: string): boolean {
  return path === '' || key === path || key.startsWith(`${path}/`);
}
