// A refusal as data: what a safety rule says when it says no, and the one way a list of them
// is shown. `refuse` (the recipes, through checks.ts) throws it; `status` prints the same lines.
import { ConflictError, RefusedError } from '../errors.js';

export type Rule =
  | 'role'
  | 'remote-missing'
  | 'held-elsewhere'
  | 'unshared-work'
  | 'too-many-recycles'
  | 'held-revision'
  | 'unpushable-names'
  | 'remote-limits'
  | 'someone-pushed'
  | 'pushed-while-planning'
  | 'empty-layer'
  | 'unreadable-folder'
  | 'too-many-deletes';

export interface Refusal {
  rule: Rule;
  /** One line: what the run would do and why it does not. */
  reason: string;
  /** The files concerned, one per line (already capped), shown under the reason. */
  details: string[];
  /** What to do instead. */
  hint: string;
  /** 3: a safety rule said no; 4: someone else's push came first (a conflict). */
  exitCode: 3 | 4;
  /** --force passes this rule; with `forcedNote` said instead when it does. */
  forceable: boolean;
  forcedNote?: string;
}


const LIST_AT_MOST = 20;

export function listKeys(keys: string[]): string[] {
  const shown = keys.slice(0, LIST_AT_MOST).map((k) => `    ${k}`);
  if (keys.length > LIST_AT_MOST) shown.push(`    … and ${keys.length - LIST_AT_MOST} more`);
  return shown;
}

export function refusal(rule: Rule, reason: string, hint: string, more: Partial<Refusal> = {}): Refusal {
  return { rule, reason, details: [], hint, exitCode: 3, forceable: true, ...more };
}

/** refusalText: the reason with its details, as a message shows it. */
export function refusalText(r: Refusal): string {
  return [r.reason, ...r.details].join('\n');
}

/** refusalLines: a list of refusals as every caller shows it — the first in full, then one line for each other. */
export function refusalLines(refusals: Refusal[]): string[] {
  const [first, ...others] = refusals;
  if (!first) return [];
  return [first.reason, ...first.details, ...others.map((r) => `also: ${r.reason}`)];
}

/**
 * refuse throws the first refusal that `force` does not pass, naming the others on the
 * following lines; with --force, says each note of a refusal it passes.
 */
export function refuse(prefix: string, refusals: Refusal[], force: boolean, warn: (m: string) => void = () => undefined): void {
  const blocking = force ? refusals.filter((r) => !r.forceable) : refusals;
  if (blocking.length) {
    const first = blocking[0]!;
    const message = prefix + refusalLines(blocking).join('\n');
    throw first.exitCode === 4 ? new ConflictError(message, first.hint) : new RefusedError(message, first.hint);
  }
  for (const r of refusals) if (r.forcedNote) warn(r.forcedNote);
}
