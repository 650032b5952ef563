// The promote plan on an object store (S3, folders): main's space made equal to a branch's by
// copies inside the store and deletes — a push plan whose every "upload" is a server-side copy
// from the branch space. Pure; the Hub does the same with one state commit (hub-versions.ts).
import type { Entry } from '../listing/entry.js';
import type { Plan, PlanItem } from './plan.js';

export interface PromoteInput {
  layer: string;
  /** The branch promoted (for the reasons). */
  branch: string;
  /** The id of the space made equal (main's). */
  space: string;
  /** The branch space's files. */
  source: readonly Entry[];
  /** Main's files now. */
  target: readonly Entry[];
  /**
   * Whether equal size and change tag mean equal content (S3: the tag is the ETag). A folder's
   * tag is its size and mtime, which a copy never keeps, so there every file is copied.
   */
  tagsMeanContent: boolean;
}

export function promotePlan(input: PromoteInput): Plan {
  const targetByKey = new Map(input.target.map((e) => [e.key, e]));
  const items: PlanItem[] = [];
  let same = 0;
  for (const e of input.source) {
    const t = targetByKey.get(e.key);
    if (t && t.size === e.size && t.tag === e.tag && input.tagsMeanContent) same++;
    else items.push({ kind: 'copy', key: e.key, reason: `from branch ${input.branch}`, bytes: 0, local: e, from: e, remote: t });
  }
  const sourceKeys = new Set(input.source.map((e) => e.key));
  for (const t of input.target) if (!sourceKeys.has(t.key)) items.push({ kind: 'delete', key: t.key, reason: `not on branch ${input.branch}`, bytes: 0, remote: t });
  return { version: 1, direction: 'push', layer: input.layer, space: input.space, items, same, localFiles: input.source.length, remoteFiles: input.target.length, folders: new Map(), refused: [] };
}
