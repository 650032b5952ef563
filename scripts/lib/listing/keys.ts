// Key normalisation and the hostile-key rules (SPEC §6.9). A key is refused, never written,
// when it could escape the layer folder or could not be a file name on a lab laptop.

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

/** byteOrder compares keys as S3 lists them: by UTF-8 bytes (JavaScript compares UTF-16 units). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
