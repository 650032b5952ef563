// Which spaces a working copy's state record may forget (pure): spaces of branches that no
// longer exist here, of remotes strata.yaml no longer names, past revisions read long ago, or
// ones named by hand — never the space a layer's folder holds, nor one with an unfinished push.
// Forgetting is the safe side: a forgotten space reads as never synced (its files count as
// unshared until the next sync, and a push asks for a pull first).
import type { FolderRecord } from './record.js';

export interface SpaceInfo {
  layer: string;
  name: string;
  usedAt: string;
  revision: boolean;
  pending: boolean;
}

export interface PruneRules {
  now: Date;
  /** Past revisions (get-results-at) not used for this many days are forgotten. */
  revisionDays: number;
  folders: ReadonlyMap<string, FolderRecord>;
  /** Spaces of today's branches and remotes, as `layer␀name`; without it, only age counts. */
  live?: ReadonlySet<string>;
  /** Space names asked for by hand (state-clean BRANCH). */
  named?: ReadonlySet<string>;
}

export interface Decision {
  space: SpaceInfo;
  forget: boolean;
  reason: string;
}

export const REVISION_DAYS = 30;

export const liveKey = (layer: string, name: string) => `${layer}\u0000${name}`;

export function decide(spaces: readonly SpaceInfo[], rules: PruneRules): Decision[] {
  return spaces.map((space) => ({ space, ...rule(space, rules) }));
}

function rule(s: SpaceInfo, r: PruneRules): { forget: boolean; reason: string } {
  if (r.folders.get(s.layer)?.basis === s.name) return { forget: false, reason: `data/ of ${s.layer} holds it` };
  if (s.pending) return { forget: false, reason: 'an unfinished push from here can still be continued' };
  if (r.named?.has(s.name)) return { forget: true, reason: 'asked for' };
  if (s.revision) {
    const days = (r.now.getTime() - Date.parse(s.usedAt)) / 86_400_000;
    return days >= r.revisionDays
      ? { forget: true, reason: `a past revision last read ${Math.floor(days)} day(s) ago` }
      : { forget: false, reason: `a past revision read ${Math.floor(days)} day(s) ago (kept ${r.revisionDays})` };
  }
  if (r.live && !r.live.has(liveKey(s.layer, s.name))) return { forget: true, reason: 'its branch no longer exists here, or strata.yaml no longer names its remote' };
  return { forget: false, reason: 'a branch of this working copy' };
}
