// The layer table follows main. Where each layer syncs is project policy, written in the
// strata.yaml committed on main; a branch that has not merged main's latest strata.yaml
// would sync somewhere else than teammates who did. The working copy's own strata.yaml
// wins (what you see is what runs, uncommitted edits included), and Strata warns, naming
// both places, whenever main's committed file places a layer elsewhere.
import { simpleGit } from 'simple-git';
import type { Config } from './load.js';
import { loadConfig } from './load.js';
import { DEFAULTS } from './defaults.js';

export interface PlacementDifference {
  layer: string;
  here: string | null;
  onMain: string | null;
  /** The git ref main's strata.yaml was read from (origin/main when there is one). */
  ref: string;
}

const place = (l: { remote: string; path: string }) => `${l.remote.replace(/\/+$/, '')}/${l.path}`;

/**
 * placementDifferences compares where this working copy's configuration puts each layer
 * with where main's committed strata.yaml does. Empty on main itself, when main has no
 * strata.yaml, or when main's file is not valid (that is main's problem, reported there).
 */
export async function placementDifferences(config: Config, branch: string | null): Promise<PlacementDifference[]> {
  if (!branch || branch === config.mainBranch) return [];
  const git = simpleGit({ baseDir: config.projectRoot });
  let text: string | null = null;
  let ref = '';
  // The remote-tracking main is what teammates merged; a local main may be behind it.
  for (const candidate of [`origin/${config.mainBranch}`, config.mainBranch]) {
    try {
      text = await git.raw(['show', `${candidate}:${DEFAULTS.configFile}`]);
      ref = candidate;
      break;
    } catch {
      // no such ref, or no strata.yaml in it
    }
  }
  if (text === null) return [];
  let onMain: Config;
  try {
    onMain = loadConfig(config.projectRoot, {}, process.env, text);
  } catch {
    return [];
  }
  const out: PlacementDifference[] = [];
  for (const l of onMain.layers) {
    const mine = config.layers.find((x) => x.name === l.name);
    const here = mine ? place(mine) : null;
    if (here !== place(l)) out.push({ layer: l.name, here, onMain: place(l), ref });
  }
  return out;
}

/** placementWarning renders the differences as one warning, or null. */
export function placementWarning(diffs: PlacementDifference[]): string | null {
  if (!diffs.length) return null;
  const lines = diffs.map((d) => `  ${d.layer}: here ${d.here ?? '(not synced)'}; on ${d.ref} ${d.onMain}`);
  return (
    `this branch's strata.yaml places ${diffs.length === 1 ? 'a layer' : `${diffs.length} layers`} somewhere other than ${diffs[0]!.ref}'s does:\n${lines.join('\n')}\n` +
    `  This working copy follows its own strata.yaml; teammates who merged ${diffs[0]!.ref} sync with the other place. Merge it (git merge ${diffs[0]!.ref}) so everyone on this branch syncs with the same place.`
  );
}
