// The words of `just which` (pure): how a local file compares with the remote's, and the push
// that made the remote's content — its id, time, who, branch, recipe, and the full git SHA
// with "+dirty", so the line can be pasted into `git show` and kept beside a figure.
import type { PlanItem } from '../plan/plan.js';
import type { LogEntry, Origin } from '../remotes/types.js';
import { when } from './format.js';

export type Comparison = 'same' | 'differs' | 'only here' | 'only on the remote';

/** compare reads a pull plan's item as a comparison: the plan already decided it by content. */
export function compare(item: PlanItem): Comparison {
  if (item.kind === 'skip') return 'same';
  if (item.local && item.remote) return 'differs';
  return item.local ? 'only here' : 'only on the remote';
}

// The pull plan's reasons say which side changed since this working copy's last sync; here
// they are said as a state, not as what a get would do. An unknown reason is shown as it is.
const SIDE: Record<string, string> = {
  'changed here': 'changed here since your last sync',
  'changed on remote (local copy recycled)': 'changed on the remote since your last sync',
  'changed on both sides': 'changed here and on the remote since your last sync',
  'differs from the remote, never synced here': 'never synced here',
  'new on remote': 'not here',
  'deleted here since the last sync': 'deleted here since your last sync',
  'deleted here, changed on remote': 'deleted here, changed on the remote since',
  'only here, never synced': 'never pushed',
  'deleted on remote': 'deleted on the remote since your last sync',
  'changed here, deleted on remote': 'changed here, deleted on the remote since',
};

/** comparisonLine: "same as the remote", "differs: changed here since your last sync", … */
export function comparisonLine(item: PlanItem): string {
  const c = compare(item);
  return c === 'same' ? 'same as the remote' : `${c}: ${SIDE[item.reason] ?? item.reason}`;
}

/** gitLine: the full commit and whether the tree had uncommitted changes. */
export function gitLine(e: LogEntry): string {
  return e.gitSha ? `git ${e.gitSha}${e.dirty ? '+dirty (uncommitted changes in the tree)' : ''}` : 'git: no commit (the repository had none yet)';
}

/** pushLine: "push #3 · 2026-11-23 04:33:49Z · ana@lab-ws1 · branch qc · put-results" (a Hub commit: "commit 1a2b3c4d · …"). */
export function pushLine(e: LogEntry): string {
  const id = e.id.startsWith('#') ? `push ${e.id}` : `commit ${e.id}`;
  const parts = [id, when(e.time), `${e.user}@${e.host}`];
  if (e.branch) parts.push(`branch ${e.branch}`);
  parts.push(e.recipe);
  if (e.status === 'interrupted') parts.push('INTERRUPTED (a later push completed it)');
  return parts.join(' · ');
}

/** originLines: what made the remote's content, indented under the file's line. */
export function originLines(origin: Origin | undefined, comparison: Comparison): string[] {
  if (!origin) return [];
  const lines: string[] = [];
  if (origin.foreign) {
    lines.push(`not pushed by Strata: ${origin.foreign}`);
    if (origin.push) lines.push(`${pushLine(origin.push)}`);
    return lines;
  }
  if (!origin.push) return lines;
  lines.push(`${comparison === 'differs' ? "the remote's copy: " : ''}${pushLine(origin.push)}`);
  lines.push(gitLine(origin.push));
  if (origin.note) lines.push(`(${origin.note})`);
  return lines;
}
