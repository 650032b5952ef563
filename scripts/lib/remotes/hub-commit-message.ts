// The words of a Strata commit on the Hub: a title naming the recipe, layer and git SHA, and a
// description of `key: value` lines that `just log` reads back. Pushes, promotes and pull
// requests all write them, and parseCommit is their one reader, so the format lives here alone.
import type { Plan } from '../plan/plan.js';
import type { ChangeRecord, LogEntry } from './types.js';

/** commitTitle names the recipe, the layer and the short git SHA (SPEC: SHA-tagged commits). */
export function commitTitle(r: ChangeRecord): string {
  return `${r.recipe} ${r.layer} @ ${r.gitSha ? r.gitSha.slice(0, 8) + (r.dirty ? '+dirty' : '') : 'no commit'}`;
}

export function commitDescription(r: ChangeRecord, plan?: Plan): string {
  const lines = [
    'Pushed with Strata.',
    '',
    `git-sha: ${r.gitSha ?? 'none'}`,
    `dirty: ${r.dirty}`,
    `branch: ${r.branch}`,
    `recipe: ${r.recipe}`,
    `layer: ${r.layer}`,
    `user: ${r.user}`,
    `host: ${r.host}`,
    `tool: ${r.tool}`,
  ];
  if (plan) {
    const w = plan.items.filter((i) => i.kind === 'upload' || i.kind === 'copy');
    lines.push(commitCounts(w.length, plan.items.filter((i) => i.kind === 'delete').length, w.reduce((n, i) => n + i.bytes, 0)));
  }
  return lines.join('\n');
}

/** commitCounts: what one commit wrote and deleted, the lines `just log` counts. */
export function commitCounts(written: number, deleted: number, bytes: number): string {
  return `written: ${written}\ndeleted: ${deleted}\nbytes: ${bytes}`;
}

/** pushIdLine marks every commit of one push, so a re-run after a lost answer knows the head is its own. */
export function pushIdLine(pushId: string): string {
  return `strata-push-id: ${pushId}`;
}

/** isStrataCommit: the message carries Strata's description (every push, promote and pull request writes one). */
export function isStrataCommit(message: string): boolean {
  return /^tool: strata\b/m.test(message);
}

/** parseCommit reads a Strata commit back into a log line; other commits keep their title and author. */
export function parseCommit(oid: string, title: string, message: string, date: Date | string, authors: string): LogEntry {
  const field = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(message)?.[1];
  const sha = field('git-sha');
  return {
    id: oid.slice(0, 8),
    time: new Date(date).toISOString(),
    title,
    status: 'done',
    recipe: field('recipe') ?? title,
    layer: field('layer') ?? '',
    branch: field('branch') ?? '',
    gitSha: sha && sha !== 'none' ? sha : null,
    dirty: field('dirty') === 'true',
    user: field('user') ?? authors,
    host: field('host') ?? 'the Hub',
    tool: field('tool') ?? '',
    uploaded: Number(field('written') ?? 0),
    deleted: Number(field('deleted') ?? 0),
    bytes: Number(field('bytes') ?? 0),
  };
}
