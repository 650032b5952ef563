// loadConfig builds the effective configuration from, in rising precedence:
// defaults ← strata.yaml (committed) ← .env (personal) ← environment ← flags,
// remembering where each value came from (for `just config`) and listing every problem
// at once (ConfigError) before anything moves. Reading each source and checking the
// layers, URLs and folders are the jobs of the modules it imports; it composes them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { ALWAYS_EXCLUDED, DEFAULTS } from './defaults.js';
import { readEnvironment } from './env.js';
import { checkFolders } from './folders.js';
import { buildLayers, type Layer } from './layers.js';
import { readProjectFile } from './project-file.js';
import type { ProjectFile } from './schema.js';
import { endpointProblems, hubProblems, remoteProblems } from './urls.js';

type Role = 'analyst' | 'maintainer';

export interface Config {
  projectRoot: string;
  configFile: string | null;
  /** The project's remote (every layer's, unless a layer says otherwise). */
  remote: string;
  /** The Hub dataset for versioned layers, if any. */
  hub?: string;
  mainBranch: string;
  role: Role;
  user: string;
  layers: Layer[];
  excludes: string[];
  transfers: number;
  /** Hub transfers: `xet` (Xet where the Hub offers it, else LFS) or `lfs` (always LFS: a Hub or proxy that mishandles Xet). */
  hubTransfer: 'xet' | 'lfs';
  /** Idle timeout of every S3 and Hub request: silence longer than this fails the request (then retried). */
  httpTimeoutMs: number;
  deleteThreshold: number;
  recycleDir: string;
  /** Settings for the backends, read from the standard variables. */
  env: Record<string, string | undefined>;
  /** Where each reported value came from: default, strata.yaml, .env, environment, flag. */
  origins: Record<string, string>;
}

export interface ConfigFlags {
  role?: string;
}

/** loadConfig reads every source and validates; it throws ConfigError listing all problems. */
export function loadConfig(projectRoot: string, flags: ConfigFlags = {}, environment: NodeJS.ProcessEnv = process.env, projectFileText?: string): Config {
  const problems: ConfigProblem[] = [];
  const origins: Record<string, string> = {};
  const configPath = path.join(projectRoot, DEFAULTS.configFile);
  // projectFileText: another version of strata.yaml (main's, from git) read in place of the file.
  const configFile = projectFileText !== undefined || fs.existsSync(configPath) ? configPath : null;

  let file: ProjectFile = {};
  let fileValid = true;
  if (configFile) {
    const parsed = readProjectFile(configFile, problems, projectFileText);
    if (parsed) file = parsed;
    // A remote that was dropped for being invalid is reported as such, not as "not set".
    if (!parsed || ('partial' in parsed && problems.some((p) => p.key === 'remote'))) fileValid = false;
  }

  const { env, envOrigin } = readEnvironment(projectRoot, environment, problems);

  const pick = <T>(key: string, fromFlag: T | undefined, envKey: string | null, fromFile: T | undefined, fallback: T): T => {
    if (fromFlag !== undefined) {
      origins[key] = 'flag';
      return fromFlag;
    }
    if (envKey && env[envKey] !== undefined) {
      origins[key] = `${envOrigin[envKey]} (${envKey})`;
      return env[envKey] as unknown as T;
    }
    if (fromFile !== undefined) {
      origins[key] = DEFAULTS.configFile;
      return fromFile;
    }
    origins[key] = 'default';
    return fallback;
  };

  const remote = pick<string | undefined>('remote', undefined, 'STRATA_REMOTE', file.remote, undefined);
  const hub = pick<string | undefined>('hub', undefined, 'STRATA_HUB', file.hub, undefined);
  const mainBranch = pick('main_branch', undefined, 'STRATA_MAIN_BRANCH', file.main_branch, DEFAULTS.mainBranch);
  const roleRaw = pick<string>('role', flags.role, 'STRATA_ROLE', undefined, DEFAULTS.role);
  const transfersRaw = pick<number | string>('transfers', undefined, 'STRATA_TRANSFERS', file.transfers, DEFAULTS.transfers);
  const hubTransfer = pick<string>('hub_transfer', undefined, 'STRATA_HUB_TRANSFER', file.hub_transfer, DEFAULTS.hubTransfer);
  const deleteThreshold = pick('delete_threshold', undefined, null, file.delete_threshold, DEFAULTS.deleteThreshold);
  const recycleDir = pick('recycle_dir', undefined, null, file.recycle_dir, DEFAULTS.recycleDir);
  const user = pick('user', undefined, 'STRATA_USER', undefined, os.userInfo().username || 'unknown');

  const role = roleRaw === 'analyst' || roleRaw === 'maintainer' ? roleRaw : null;
  if (!role) problems.push({ key: 'role', message: `must be "analyst" or "maintainer", not "${roleRaw}"`, source: origins.role });
  const transfers = Number(transfersRaw);
  if (!Number.isInteger(transfers) || transfers < 1 || transfers > 256) {
    problems.push({ key: 'transfers', message: `must be a whole number from 1 to 256, not "${transfersRaw}"`, source: origins.transfers });
  }
  if (hubTransfer !== 'xet' && hubTransfer !== 'lfs') problems.push({ key: 'hub_transfer', message: `must be "xet" or "lfs", not "${hubTransfer}"`, source: origins.hub_transfer });
  if (!remote && fileValid) {
    // (When strata.yaml itself is invalid its problems are listed instead: it may well set remote.)
    problems.push({
      key: 'remote',
      message: `is not set. Put e.g. "remote: s3://BUCKET/projects/NAME/datastore" in ${DEFAULTS.configFile}, or STRATA_REMOTE in .env`,
    });
  } else if (remote) {
    problems.push(...remoteProblems(remote, origins.remote));
  }
  if (hub) problems.push(...hubProblems(hub, origins.hub));
  problems.push(...endpointProblems(env, envOrigin));
  const httpTimeoutMs = Number(env.STRATA_HTTP_TIMEOUT_MS ?? 120_000);
  if (!Number.isInteger(httpTimeoutMs) || httpTimeoutMs < 100) {
    problems.push({ key: 'STRATA_HTTP_TIMEOUT_MS', message: `must be a whole number of milliseconds (at least 100), not "${env.STRATA_HTTP_TIMEOUT_MS}"`, source: envOrigin.STRATA_HTTP_TIMEOUT_MS });
  }
  if (!/^[\w.\/-]+$/.test(mainBranch)) problems.push({ key: 'main_branch', message: `"${mainBranch}" is not a branch name` });
  const layers = buildLayers(file, remote, hub, problems);
  // Folders are compared as paths, after normalising (SPEC §6.14); each layer keeps the
  // normalised spelling, so every later step sees one name per folder.
  const { folders, problems: folderProblems } = checkFolders(projectRoot, [
    { key: 'recycle_dir', value: recycleDir, role: 'recycle' },
    ...layers.map((l) => ({ key: `layers.${l.name}.local`, value: l.local, role: 'layer' as const })),
  ]);
  problems.push(...folderProblems.map((p) => ({ ...p, source: p.key === 'recycle_dir' ? origins.recycle_dir : undefined })));
  for (const l of layers) l.local = folders.get(`layers.${l.name}.local`) ?? l.local;
  for (const pattern of file.exclude ?? []) {
    if (pattern.startsWith('/') || pattern.includes('..')) problems.push({ key: 'exclude', message: `pattern "${pattern}" must be relative to a layer folder` });
  }

  if (problems.length) throw new ConfigError(problems);
  return {
    projectRoot,
    configFile,
    remote: remote!,
    hub,
    mainBranch,
    role: role!,
    user,
    layers,
    excludes: [...ALWAYS_EXCLUDED, ...(file.exclude ?? [])],
    transfers,
    hubTransfer: hubTransfer as 'xet' | 'lfs',
    httpTimeoutMs,
    deleteThreshold,
    recycleDir: folders.get('recycle_dir') ?? recycleDir,
    env,
    origins,
  };
}
