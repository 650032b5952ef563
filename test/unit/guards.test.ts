// How a list of refusals becomes what a user sees (scripts/lib/guards/refusal.ts): the first refusal
// that --force does not pass is thrown with its hint and exit code, the others are named on
// "also:" lines, and a refusal --force passes says its note instead.
import { describe, expect, it } from 'vitest';
import { ConflictError, RefusedError } from '../../scripts/lib/errors.js';
import { refuse, refusalLines, type Refusal } from '../../scripts/lib/guards/refusal.js';

const r = (rule: Refusal['rule'], more: Partial<Refusal> = {}): Refusal => ({ rule, reason: `${rule} reason`, details: [], hint: `${rule} hint`, exitCode: 3, forceable: true, ...more });

describe('refuse', () => {
  it.each([
    // name, refusals, force, thrown class (or null), message, notes said
    ['nothing to refuse', [], false, null, '', []],
    ['one safety rule', [r('too-many-deletes')], false, RefusedError, 'p: too-many-deletes reason', []],
    ['a conflict first: exit 4, others named', [r('someone-pushed', { exitCode: 4 }), r('too-many-deletes')], false, ConflictError, 'p: someone-pushed reason\nalso: too-many-deletes reason', []],
    ['details under the first only', [r('unshared-work', { details: ['    a', '    b'] }), r('too-many-recycles', { details: ['    x'] })], false, RefusedError, 'p: unshared-work reason\n    a\n    b\nalso: too-many-recycles reason', []],
    ['--force passes what it may, and says its note', [r('someone-pushed', { exitCode: 4, forcedNote: 'pushing anyway' }), r('empty-layer')], true, null, '', ['pushing anyway']],
    ['--force never passes names', [r('empty-layer'), r('unpushable-names', { forceable: false, details: ['    x'] })], true, RefusedError, 'p: unpushable-names reason\n    x', []],
  ] as const)('%s', (_name, refusals, force, thrown, message, notes) => {
    const said: string[] = [];
    const run = () => refuse('p: ', [...refusals], force, (m) => said.push(m));
    if (thrown) {
      expect(run).toThrow(thrown);
      try {
        run();
      } catch (e) {
        expect((e as Error).message).toBe(message);
        expect((e as RefusedError).hint).toBe(`${refusals.find((x) => !force || !x.forceable)!.rule} hint`);
        expect((e as RefusedError).exitCode).toBe(thrown === ConflictError ? 4 : 3);
      }
    } else {
      expect(run).not.toThrow();
      expect(said).toEqual(notes);
    }
  });

  it('status and a real run share one rendering', () => {
    expect(refusalLines([r('empty-layer', { details: ['    d'] }), r('too-many-deletes')])).toEqual(['empty-layer reason', '    d', 'also: too-many-deletes reason']);
    expect(refusalLines([])).toEqual([]);
  });
});
