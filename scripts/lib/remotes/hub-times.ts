// Modification times on the Hub. Files there carry no time of their own, so a push keeps one
// record per layer — `.strata/mtimes/<layer folder>.json`, each key's time in milliseconds —
// in the same commit as the data. The record lies outside the layer's folder, so no listing
// takes it for data, and `hf download` users get one small JSON file more. A file without a
// recorded time (written by another tool) gets the time of the commit that last changed it,
// never the moment its download ended.
import { pathsInfo } from '@huggingface/hub';
import type { HubRepo } from './hub-repo.js';

/** Where a layer's record of times lives in the repo. */
export function timesPath(layerRoot: string): string {
  return `.strata/mtimes/${layerRoot}.json`;
}

export type Times = Record<string, number>;

/** readTimes: the layer's record at a commit; empty when there is none or it is not one. */
export async function readTimes(hub: HubRepo, layerRoot: string, rev: string): Promise<Times> {
  const body = await hub.readOnce(timesPath(layerRoot), rev);
  if (!body) return {};
  try {
    const parsed = JSON.parse(await new Response(body).text()) as { mtimes?: unknown };
    const out: Times = {};
    for (const [k, v] of Object.entries((parsed.mtimes ?? {}) as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    return out;
  } catch {
    // A damaged record costs only times: the commit dates stand in.
    return {};
  }
}

/** timesContent: the record as committed (keys sorted, so an unchanged layer gives an unchanged file). */
export function timesContent(times: Times): string {
  const sorted = Object.fromEntries(Object.entries(times).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({ version: 1, mtimes: sorted }, null, 1) + '\n';
}

/** lastChangeMs: the date of the commit that last changed a file (for a file no record knows). */
export async function lastChangeMs(hub: HubRepo, filePath: string, rev: string): Promise<number | undefined> {
  const [info] = await pathsInfo({ repo: hub.repo, paths: [filePath], revision: rev, expand: true, ...hub.credentials() });
  const date = info?.lastCommit?.date;
  return date ? new Date(date).getTime() : undefined;
}
