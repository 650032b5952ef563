// The object-store promote plan as a table of tiny listings: which files main's space gets
// copied from the branch, which it keeps, which it loses. No I/O.
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../scripts/lib/listing/entry.js';
import { promotePlan } from '../../scripts/lib/plan/promote.js';

// "a:5:t" = key a, size 5, change tag t
function e(spec: string): Entry {
  const [key, size, tag] = spec.split(':');
  return { key, size: Number(size), tag, digests: {} };
}
const list = (...specs: string[]) => specs.map(e);

describe('promote plan', () => {
  it.each([
    ['nothing on either side', [], [], true, []],
    ['a new file on the branch is copied', list('a:1:x'), [], true, ['copy a']],
    ['same size and ETag on S3 is kept', list('a:1:x'), list('a:1:x'), true, ['same 1']],
    ['same size and tag on a folder is copied (a folder tag is size and mtime)', list('a:1:x'), list('a:1:x'), false, ['copy a']],
    ['a different tag is copied', list('a:1:x'), list('a:1:y'), true, ['copy a']],
    ['a different size is copied', list('a:2:x'), list('a:1:x'), true, ['copy a']],
    ['a file only on main is deleted', [], list('b:1:x'), true, ['delete b']],
    ['all at once: copies in branch order, then deletes; kept files counted', list('a:1:x', 'c:1:z'), list('a:1:x', 'b:1:y', 'c:1:w'), true, ['copy c', 'delete b', 'same 1']],
  ])('%s', (_name, source, target, tagsMeanContent, want) => {
    const plan = promotePlan({ layer: 'processed', branch: 'qc', space: 'processed@main', source, target, tagsMeanContent });
    // A plan lists its changes; the files it keeps are only counted.
    expect([...plan.items.map((i) => `${i.kind} ${i.key}`), ...(plan.same ? [`same ${plan.same}`] : [])]).toEqual(want);
    expect(plan.localFiles).toBe(source.length);
    expect(plan.remoteFiles).toBe(target.length);
  });

  it('copies come from the branch file, name what they replace, and move no local bytes', () => {
    const source = list('a:3:x');
    const target = list('a:1:y', 'gone:2:z');
    const plan = promotePlan({ layer: 'processed', branch: 'qc', space: 'processed@main', source, target, tagsMeanContent: true });
    expect(plan).toMatchObject({ version: 1, direction: 'push', layer: 'processed', space: 'processed@main', refused: [] });
    const [copy, del] = plan.items;
    expect(copy).toMatchObject({ kind: 'copy', key: 'a', reason: 'from branch qc', bytes: 0 });
    expect(copy.from).toBe(source[0]);
    expect(copy.local).toBe(source[0]);
    expect(copy.remote).toBe(target[0]);
    expect(del).toMatchObject({ kind: 'delete', key: 'gone', reason: 'not on branch qc', bytes: 0 });
    expect(del.remote).toBe(target[1]);
    expect(del.local).toBeUndefined();
  });
});
