// The layers of a project: the lab's default table (defaults.ts) with strata.yaml's changes
// and additions, each with the remote it syncs with. Checked here: names, remote folders
// (plain, relative, not Strata's own) and no two layers in one remote folder; local
// folders are checked as paths by folders.ts.
import { StrataError, type ConfigProblem } from '../errors.js';
import { parseRemoteUrl } from '../remotes/url.js';
import { DEFAULT_LAYERS, type LayerKind, type Writers } from './defaults.js';
import type { ProjectFile } from './schema.js';

export interface Layer {
  name: string;
  /** Local folder, relative to the project root. */
  local: string;
  /** Folder inside the remote space. */
  path: string;
  kind: LayerKind;
  writers: Writers;
  versioned: boolean;
  /** The remote URL this layer syncs with. */
  remote: string;
}

/**
 * buildLayers merges the default layers with strata.yaml's `layers`. A layer syncs with its
 * own `remote` (`hub` names the hub), else the hub when it is versioned and a hub is set,
 * else the project's remote. Every problem found is added to `problems`; a layer that
 * cannot be built is left out.
 */
export function buildLayers(
  file: ProjectFile,
  remote: string | undefined,
  hub: string | undefined,
  problems: ConfigProblem[],
): Layer[] {
  const names = new Set([...Object.keys(DEFAULT_LAYERS), ...Object.keys(file.layers ?? {})]);
  const layers: Layer[] = [];
  for (const name of names) {
    const given = file.layers?.[name];
    const base = DEFAULT_LAYERS[name];
    if (given === null || given?.enabled === false) {
      // A project may switch a default layer off; switching off a name that is no layer is a typo.
      if (!base) problems.push({ key: `layers.${name}`, message: `is not a layer; the default layers are ${Object.keys(DEFAULT_LAYERS).join(', ')}` });
      continue;
    }
    if (!base && (!given?.local || !given?.path)) {
      problems.push({ key: `layers.${name}`, message: 'a new layer needs both "local" and "path"' });
      continue;
    }
    const merged = { ...base, ...stripUndefined(given ?? {}) } as Required<NonNullable<typeof given>> & typeof base;
    const kind = merged.kind ?? 'result';
    const writers = merged.writers ?? (kind === 'input' ? 'maintainers' : 'everyone');
    const versioned = merged.versioned ?? false;
    let layerRemote: string | undefined = merged.remote ?? (versioned && hub ? hub : remote);
    if (merged.remote === 'hub') layerRemote = hub;
    if (!layerRemote) {
      if (remote) problems.push({ key: `layers.${name}.remote`, message: 'names the hub, but "hub" is not set' });
      continue;
    }
    if (merged.remote && merged.remote !== 'hub') {
      const parsed = parseRemoteUrl(merged.remote);
      if (typeof parsed === 'string') problems.push({ key: `layers.${name}.remote`, message: parsed });
    }
    if (merged.path.startsWith('/') || merged.path.split('/').some((s) => s === '..' || s === '.' || s === '') || merged.path.startsWith('.strata') || merged.path.startsWith('branches')) {
      problems.push({ key: `layers.${name}.path`, message: `"${merged.path}" must be a plain relative folder, not .strata or branches` });
    }
    layers.push({ name, local: merged.local, path: merged.path, kind, writers, versioned, remote: layerRemote });
  }
  // Two layers in one remote folder would delete each other's files on an exact sync
  // (local folders are checked as paths by checkFolders).
  for (const a of layers) {
    for (const b of layers) {
      if (a === b) continue;
      if (a.remote === b.remote && (b.path === a.path || b.path.startsWith(a.path + '/'))) {
        problems.push({ key: `layers.${b.name}.path`, message: `overlaps layer "${a.name}" (${a.path}) on the same remote` });
      }
    }
  }
  return layers;
}

/** stripUndefined keeps a key strata.yaml leaves unset from hiding the default's value. */
function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** layerByName finds a layer or explains which ones exist. */
export function layerByName(config: { layers: Layer[] }, name: string): Layer {
  const layer = config.layers.find((l) => l.name === name);
  if (!layer) throw new StrataError(`No layer named "${name}".`, `Layers in this project: ${config.layers.map((l) => l.name).join(', ')}.`, 2);
  return layer;
}
