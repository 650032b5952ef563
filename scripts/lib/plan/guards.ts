// The safety rules that look at a whole plan (SPEC §6.3, §6.4, §6.13). Each returns the reason to
// refuse, or null; recipes turn a reason into a RefusedError unless --force was given.
import { renameHint } from '../listing/keys.js';
import type { Plan } from './plan.js';

const LIST_AT_MOST = 20;

function listKeys(keys: string[]): string {
  const shown = keys.slice(0, LIST_AT_MOST).map((k) => `    ${k}`);
  if (keys.length > LIST_AT_MOST) shown.push(`    … and ${keys.length - LIST_AT_MOST} more`);
  return shown.join('\n');
}

/** unsharedWork: a pull would replace or remove local files changed since the last sync, or restore ones deleted here. */
export function unsharedWork(plan: Plan): string | null {
  const changed = plan.items.filter((i) => i.unshared && !i.deletedHere).map((i) => i.key);
  const deleted = plan.items.filter((i) => i.unshared && i.deletedHere).map((i) => i.key);
  const parts: string[] = [];
  if (changed.length) parts.push(`${changed.length} local file${changed.length === 1 ? ' is' : 's are'} unshared work (created or changed since the last sync) and would be replaced or removed:\n${listKeys(changed)}`);
  if (deleted.length) parts.push(`${deleted.length} file${deleted.length === 1 ? ' was' : 's were'} deleted here since the last sync (unshared work) and would be restored:\n${listKeys(deleted)}`);
  return parts.length ? parts.join('\n') : null;
}

/** emptyLocalLayer: a push from a missing or empty folder would delete the remote files. */
export function emptyLocalLayer(plan: Plan, localExists: boolean, scope = ''): string | null {
  const remoteFiles = plan.items.filter((i) => i.remote).length;
  const localFiles = plan.items.filter((i) => i.local).length;
  if (remoteFiles === 0 || localFiles > 0) return null;
  if (scope) return `The run folder ${scope}/ is empty or missing here, and pushing it would delete all ${remoteFiles} remote files in it.`;
  return localExists
    ? `The local folder is empty, and pushing it would delete all ${remoteFiles} remote files.`
    : `The local folder does not exist (unmounted share, or the wrong project?), and pushing it would delete all ${remoteFiles} remote files.`;
}

/** tooManyDeletes: the plan deletes more than `threshold` of the remote files in scope. */
export function tooManyDeletes(plan: Plan, threshold: number): string | null {
  const remoteFiles = plan.items.filter((i) => i.remote).length;
  const deletes = plan.items.filter((i) => i.kind === 'delete').length;
  if (deletes === 0 || deletes <= threshold * remoteFiles) return null;
  return `The push would delete ${deletes} of ${remoteFiles} remote files (more than ${Math.round(threshold * 100)} %, the delete_threshold).`;
}

/** unpushableNames: local names that a pull would refuse (SPEC §6.13), each with how to fix it. */
export function unpushableNames(plan: Plan, layerFolder: string): string | null {
  if (plan.direction !== 'push' || !plan.refused.length) return null;
  const n = plan.refused.length;
  const lines = plan.refused.map((r) => `${layerFolder}/${JSON.stringify(r.key).slice(1, -1)}: ${r.reason}; ${renameHint(r.reason)}`);
  return `${n} local name${n === 1 ? '' : 's'} cannot be pushed: a teammate's pull would refuse ${n === 1 ? 'it' : 'them'}.\n${listKeys(lines)}`;
}

/**
 * remoteMissing: the remote space holds nothing and has no Strata record, yet a pull would
 * recycle local files — a mistyped URL, a wrong-case prefix or dataset, an unmounted share
 * look exactly like this. A pull never empties a folder on a remote's say-so alone.
 */
export function remoteMissing(plan: Plan, remoteExists: boolean, where: string): string | null {
  const recycled = plan.items.filter((i) => i.kind === 'recycle').length;
  if (remoteExists || recycled === 0) return null;
  return `${where} holds no files and no Strata record (a mistyped remote? an unmounted share?), and pulling it would recycle all ${recycled} local file${recycled === 1 ? '' : 's'}.`;
}

/** tooManyRecycles mirrors tooManyDeletes for pulls: the plan recycles more than `threshold` of the local files in scope. */
export function tooManyRecycles(plan: Plan, threshold: number): string | null {
  const localFiles = plan.items.filter((i) => i.local).length;
  const recycled = plan.items.filter((i) => i.kind === 'recycle').length;
  if (recycled === 0 || recycled <= threshold * localFiles) return null;
  return `The pull would recycle ${recycled} of your ${localFiles} local files (more than ${Math.round(threshold * 100)} %, the delete_threshold): the remote no longer has them.`;
}
