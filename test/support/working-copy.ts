// One person's git checkout of a lab project, and every way a test runs Strata in it:
//   just(…)       — a real `just` recipe, as a person types it;
//   run / start   — `node dist/scripts/strata.js RECIPE`, the command the Justfile runs (so a
//                   test can kill -9 the very process that moves the data);
//   open / pushLayer / pullLayer — Strata's library in-process, for its plans and errors.
// All three see the same settings: the cleaned environment (env.ts), a home folder of the
// working copy's own, its role and user, and what its remote needs.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigFlags } from '../../scripts/lib/config/load.js';
import type { RunContext } from '../../scripts/lib/context.js';
import { openStore, readLayers, readSnapshot, type StateSnapshot } from '../../scripts/lib/state/store.js';
import type { Prepared } from '../../scripts/lib/prepare.js';
import { childEnv } from './env.js';
import type { PullOptions, PushOptions } from './in-process.js';
import type { Remote } from './remote.js';
import { assertOk, run, runSync, start, type RunResult, type Running } from './run.js';
import { tempDir } from './scratch.js';
import { fileKeys, texts, tree } from './tree.js';

/** The Strata checkout under test (its strata.just, dist/ and node_modules/.bin/just). */
export const STRATA_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STRATA_JS = path.join(STRATA_ROOT, 'dist', 'scripts', 'strata.js');
export const JUST = path.join(STRATA_ROOT, 'node_modules', '.bin', 'just');

export type Role = 'analyst' | 'maintainer';

export interface StrataRunOptions {
  role?: Role;
  user?: string;
  /** Variables over everything else; undefined removes one. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Run as this system user (setpriv), e.g. 'nobody', so that file modes apply (tests run as root). */
  asUser?: string;
}

/** The lab's layer folders. */
export const LAYER_FOLDERS = ['data/external', 'data/raw/profiles', 'data/interim', 'data/processed'];

// Everything every Strata run printed in this test file, for the secret grep.
const captured: string[] = [];
/** Everything every Strata run (recipe or direct) printed in this test file so far. */
export function allOutput(): string {
  return captured.join('\n');
}

export class WorkingCopy {
  /** HOME of its runs: no ~/.aws, ~/.gitconfig or Hub token file of the developer's. */
  readonly home: string;

  constructor(
    readonly dir: string,
    readonly remote: Remote,
    /** STRATA_USER of its runs. */
    readonly user: string,
    /** STRATA_ROLE of its runs, unless a run says otherwise. */
    readonly role: Role = 'maintainer',
  ) {
    this.home = path.join(path.dirname(dir), `${path.basename(dir)}-home`);
    fs.mkdirSync(this.home, { recursive: true });
    fs.mkdirSync(dir, { recursive: true });
  }

  /** What Strata reads from the environment for this person: role, user, the remote's settings. */
  settings(opts: Pick<StrataRunOptions, 'role' | 'user'> = {}): Record<string, string> {
    return { STRATA_ROLE: opts.role ?? this.role, STRATA_USER: opts.user ?? this.user, ...this.remote.env };
  }

  /** The environment of a program run here. */
  env(opts: StrataRunOptions = {}): NodeJS.ProcessEnv {
    const env = childEnv({ HOME: this.home, ...this.settings(opts) });
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  // ─── Strata as a person runs it ────────────────────────────────────────────────────

  /** just RECIPE ARGS… */
  just(...args: string[]): Promise<RunResult> {
    return this.justWith({}, ...args);
  }

  /** just RECIPE ARGS… with another role, user or extra environment. */
  justWith(opts: StrataRunOptions, ...args: string[]): Promise<RunResult> {
    return this.captured(run(JUST, args, { cwd: this.dir, env: this.env(opts), timeoutMs: opts.timeoutMs }), `just ${args.join(' ')}`);
  }

  /** Starts `strata RECIPE ARGS…` (node dist/scripts/strata.js) here. */
  start(args: string[], opts: StrataRunOptions = {}): Running {
    const [cmd, argv] = opts.asUser
      ? ['setpriv', [`--reuid=${opts.asUser}`, `--regid=${opts.asUser === 'nobody' ? 'nogroup' : opts.asUser}`, '--clear-groups', process.execPath, STRATA_JS, ...args]]
      : [process.execPath, [STRATA_JS, ...args]];
    const running = start(cmd, argv, { cwd: this.dir, env: this.env(opts), timeoutMs: opts.timeoutMs });
    void this.captured(running.result, `strata ${args.join(' ')}`).catch(() => {});
    return running;
  }

  /** `strata RECIPE ARGS…` to the end. */
  run(args: string[], opts: StrataRunOptions = {}): Promise<RunResult> {
    return this.start(args, opts).result;
  }

  private captured(result: Promise<RunResult>, what: string): Promise<RunResult> {
    return result.then((r) => {
      captured.push(`$ ${what} (${this.user})\n${r.stdout}\n${r.stderr}`);
      return r;
    });
  }

  // ─── Strata's library in-process ───────────────────────────────────────────────────

  /** openProject here, with this person's settings and nothing of the developer's. */
  async open(flags: ConfigFlags = {}, opts: Pick<StrataRunOptions, 'role' | 'user'> = {}): Promise<RunContext> {
    const { openInProcess } = await import('./in-process.js');
    return openInProcess(this.dir, this.settings(opts), flags);
  }

  /** What put-results does for one layer, in-process; returns the plan. */
  async pushLayer(layer = 'processed', opts: PushOptions = {}): Promise<Prepared> {
    const { pushLayer } = await import('./in-process.js');
    return pushLayer(await this.open(), layer, opts);
  }

  /** What get-results does for one layer, in-process; returns the plan. */
  async pullLayer(layer = 'processed', opts: PullOptions = {}): Promise<Prepared> {
    const { pullLayer } = await import('./in-process.js');
    return pullLayer(await this.open(), layer, opts);
  }

  // ─── git and files ─────────────────────────────────────────────────────────────────

  /** git ARGS… here; throws on failure, returns stdout trimmed. */
  git(...args: string[]): string {
    return assertOk(runSync('git', args, { cwd: this.dir, env: this.env() }), `git ${args.join(' ')} in ${this.dir}`).stdout.trim();
  }

  path(rel: string): string {
    return path.join(this.dir, ...rel.split('/'));
  }
  write(rel: string, content: string | Buffer): void {
    const file = this.path(rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  /** The bytes of a file, or null when there is none. */
  read(rel: string): Buffer | null {
    try {
      return fs.readFileSync(this.path(rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }
  /** Removes a file or a folder (recursively); no error when it is missing. */
  remove(rel: string): void {
    fs.rmSync(this.path(rel), { recursive: true, force: true });
  }

  /** Keys under `rel`, temp files included (.gitkeep left out). */
  keys(rel: string): string[] {
    return fileKeys(this.path(rel), { withTemp: true });
  }
  /** key → sha256 under `rel`, temp files included (.gitkeep left out). */
  files(rel: string): Record<string, string> {
    return tree(this.path(rel), { withTemp: true });
  }
  /** key → text under `rel`, temp files included (.gitkeep left out). */
  texts(rel: string): Record<string, string> {
    return texts(this.path(rel), { withTemp: true });
  }
  /** key → sha256 of data/processed without temp files: what a killed run's successor will have synced. */
  processed(): Record<string, string> {
    return tree(this.path('data/processed'));
  }

  /** Everything a recipe may change here, path → sha256: the data folders (recycle folder included) and the state records. For "nothing changed" checks. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.files('data'))) out[`data/${k}`] = v;
    // The state record as what it says (a database file's bytes may change when nothing it says does).
    for (const layer of readLayers(this.dir)) out[`.strata/state/${layer}`] = createHash('sha256').update(JSON.stringify(this.state(layer))).digest('hex');
    return out;
  }
  /** The recycle folders (data/_recycle/<stamp>), sorted. */
  recycleStamps(): string[] {
    const dir = this.path('data/_recycle');
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  }
  /** Everything under data/_recycle without its stamp folder, key → sha256. */
  recycled(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(tree(this.path('data/_recycle')))) out[k.split('/').slice(1).join('/')] = v;
    return out;
  }
  /** The state record of a layer, whole (throws when the database cannot be read or fails SQLite's check); null when absent. */
  state(layer = 'processed'): StateSnapshot | null {
    const snapshot = readSnapshot(this.dir, layer);
    if (snapshot) {
      const check = openStore(this.dir).db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the state record fails SQLite's quick_check: ${String(check)}`);
    }
    return snapshot;
  }
  /** After a kill -9 the lock waits 10 s to go stale; tests of other things remove it (the lock has its own test). */
  clearStaleLock(): void {
    fs.rmSync(this.path('.strata/run.lock'), { recursive: true, force: true });
  }
}

/** The project files every working copy starts with: strata.yaml for the remote, a Justfile importing this checkout's strata.just, the layer folders, a .gitignore. */
export function writeProject(wc: WorkingCopy, yamlExtra = ''): void {
  wc.write('strata.yaml', `# Where this project's data lives.\n${wc.remote.yaml}${yamlExtra}`);
  wc.write('Justfile', `import '${path.join(STRATA_ROOT, 'strata.just')}'\n`);
  wc.write('.gitignore', 'data/**\n!data/**/\n!data/**/.gitkeep\ndata/_recycle/\n.strata/\n.env\n');
  for (const d of LAYER_FOLDERS) wc.write(`${d}/.gitkeep`, '');
}

let counter = 0;
/** A working copy of its own (a temp folder, removed by removeTemps): a git repo on `branch` with the project committed. */
export function workingCopy(remote: Remote, opts: { branch?: string; user?: string; role?: Role; yamlExtra?: string; name?: string } = {}): WorkingCopy {
  const wc = new WorkingCopy(path.join(tempDir('strata-wc-'), opts.name ?? 'project'), remote, opts.user ?? `user${++counter}`, opts.role);
  wc.git('init', '-q', '-b', 'main');
  writeProject(wc, opts.yamlExtra);
  wc.git('add', '-A');
  wc.git('commit', '-q', '-m', 'New lab project');
  if (opts.branch && opts.branch !== 'main') wc.git('switch', '-q', '-c', opts.branch);
  return wc;
}
