// A throwaway single-node Ceph cluster (monitor + one OSD + RADOS Gateway) for tests and
// benchmarks: a real S3 server, since the npm emulators (s3rver and the like) get
// conditional writes, delimiters and streaming uploads wrong.
//
// Every daemon runs in the foreground as a child of this process, with every path inside
// one scratch folder and its own free loopback ports, so two runs on one machine never
// share anything. Nothing here kills by process name: only the PIDs recorded at spawn.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { assertOk, run, runSync, start, type RunResult } from './run.js';

export interface CephServer {
  /** `http://127.0.0.1:PORT` — use path-style addressing. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The scratch folder holding config, keyrings, data and logs; removed by stop(). */
  root: string;
  /** Daemon PIDs in start order (mon, osd, rgw). */
  pids: number[];
  stop(): Promise<void>;
}

export interface StartCephOptions {
  /** Scratch folder to use (created if missing, must be empty; removed by stop()). */
  root?: string;
  /** memstore (default) keeps objects in RAM and boots fastest; bluestore uses a sparse file. */
  store?: 'memstore' | 'bluestore';
  /** Progress lines, e.g. `console.log`. */
  log?: (line: string) => void;
}

// RGW ignores the region for signing checks, but the SDK needs one, and 'us-east-1'
// avoids the LocationConstraint dance on CreateBucket.
const REGION = 'us-east-1';

// Pools RGW would otherwise create lazily; each lazy creation stalls the first bucket or
// object call by ~2 s (a monitor round of osdmap epochs).
const RGW_POOLS = [
  '.rgw.root',
  'default.rgw.log',
  'default.rgw.control',
  'default.rgw.meta',
  'default.rgw.buckets.index',
  'default.rgw.buckets.data',
  'default.rgw.buckets.non-ec',
];

// Ports: mon v2 + v1, then the messenger range shared by mon and OSD (the OSD alone binds
// public, cluster and two heartbeat messengers, each v2 + v1 = 8), then RGW.
const MS_PORTS = 16;
const PORT_BLOCK = 2 + MS_PORTS + 1;

const SETUP_TIMEOUT_MS = 90_000;

// ---------------------------------------------------------------------------------------
// Orphan protection. A test run that crashes or is interrupted must not leave daemons
// holding ports and RAM. 'exit' covers normal exits and process.exit(); for signals and
// SIGKILL of the parent, daemons are started under `setpriv --pdeathsig KILL` when it
// exists (util-linux), so the kernel kills them when their parent goes away.

const livePids = new Set<number>();
const liveRoots = new Set<string>();
let exitHookInstalled = false;

function killAllSync(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  livePids.clear();
  for (const root of liveRoots) {
    try {
      rmSync(root, { recursive: true, force: true });
    } catch {
      // best effort: a tmpdir leftover is harmless
    }
  }
  liveRoots.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllSync);
  // Node runs no 'exit' handlers when a signal ends it. vitest turns SIGINT/SIGTERM into
  // process.exit(); a plain script (a benchmark) does not, so clean up here and then, if
  // nobody else handles the signal, let it end the process as it would have. Prepended so
  // that other handlers (vitest's are `once`) are still registered when we count them.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllSync();
      process.off(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.prependListener(signal, onSignal);
  }
}

let setprivChecked: boolean | undefined;
function hasSetpriv(): boolean {
  if (setprivChecked === undefined) {
    try {
      setprivChecked = runSync('setpriv', ['--help'], { cwd: tmpdir(), env: process.env }).exitCode === 0;
    } catch {
      setprivChecked = false; // not installed
    }
  }
  return setprivChecked;
}

// ---------------------------------------------------------------------------------------
// Small helpers.

/** A cephx secret in Ceph's own encoding: u16 type (1 = AES), u32 sec, u32 nsec, u16 len, key. */
function cephKey(): string {
  const b = Buffer.alloc(12 + 16);
  b.writeUInt16LE(1, 0);
  b.writeUInt32LE(Math.floor(Date.now() / 1000), 2);
  b.writeUInt32LE(0, 6);
  b.writeUInt16LE(16, 10);
  randomBytes(16).copy(b, 12);
  return b.toString('base64');
}

function randomString(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[bytes[i]! % alphabet.length];
  return s;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A block of consecutive free loopback ports. Chosen below the kernel's ephemeral range so
 * outgoing connections (the SDK's, the daemons' own) cannot take one between the check
 * and the daemon's bind; a random start keeps concurrent runs apart.
 */
async function freePortBlock(size: number): Promise<number> {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // not Linux: keep the usual default
  }
  const low = 10_000;
  const high = Math.max(low + size * 10, ephemeralLow) - size;
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    let free = true;
    for (let p = base; p < base + size && free; p++) free = await canListen(p);
    if (free) return base;
  }
  throw new Error(`startCeph: no block of ${size} free loopback ports found`);
}

function tail(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(empty)';
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------

/** Starts a single-node Ceph cluster with an S3 user; resolves once RGW answers HTTP. */
export async function startCeph(opts: StartCephOptions = {}): Promise<CephServer> {
  const store = opts.store ?? 'memstore';
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const step = (what: string) => log(`ceph: ${what} (+${Date.now() - t0} ms)`);

  let root: string;
  if (opts.root) {
    root = opts.root;
    mkdirSync(root, { recursive: true });
    // stop() deletes the folder, so refuse one that already holds something.
    if (readdirSync(root).length > 0) throw new Error(`startCeph: root ${root} is not empty`);
  } else {
    root = mkdtempSync(join(tmpdir(), 'strata-ceph-'));
  }
  installExitHook();
  liveRoots.add(root);

  const dirs = {
    log: join(root, 'log'),
    run: join(root, 'run'),
    keyring: join(root, 'keyring'),
    mon: join(root, 'mon'),
    osd: join(root, 'osd'),
    rgw: join(root, 'rgw'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const conf = join(root, 'ceph.conf');
  const monId = 'a';
  const osdId = 0;
  const osdData = join(dirs.osd, String(osdId));
  mkdirSync(osdData, { recursive: true });

  // Child environment: a CEPH_ARGS or CEPH_CONF from the user's shell must not steer our
  // daemons to a real cluster's config.
  const env: NodeJS.ProcessEnv = { ...process.env, CEPH_CONF: conf };
  delete env.CEPH_ARGS;

  const daemons: { name: string; child: ChildProcess; logFile: string; outFile: string }[] = [];
  const transient = new Set<ChildProcess>();
  let stopped = false;
  let stopping: Promise<void> | undefined;

  // Setup steps race this: a daemon that dies during setup fails the start at once,
  // instead of leaving a CLI call to hang until its timeout.
  let rejectDeath!: (e: Error) => void;
  const death = new Promise<never>((_, reject) => {
    rejectDeath = reject;
  });
  death.catch(() => {});
  let settingUp = true;
  // Stops the HTTP polling loop when setup fails for another reason.
  const setupAbort = new AbortController();

  const kill = async (): Promise<void> => {
    for (const c of transient) c.kill('SIGKILL');
    // rgw, osd, mon: reverse start order, so no daemon spends its last moments reconnecting.
    for (const d of [...daemons].reverse()) {
      const pid = d.child.pid!;
      if (d.child.exitCode === null && d.child.signalCode === null) {
        // SIGKILL rather than SIGTERM: everything is thrown away, and memstore would
        // otherwise write its whole RAM contents to disk on a clean shutdown.
        const exited = new Promise<void>((resolve) => {
          // Bounded, and cleared on exit: a pending timer would keep the test runner
          // alive for its full length after the last test.
          const timer = setTimeout(resolve, 10_000);
          d.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
      livePids.delete(pid);
    }
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      await kill();
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
      liveRoots.delete(root);
    })();
    return stopping;
  };

  function daemon(name: string, cmd: string, args: string[]): ChildProcess {
    const outFile = join(dirs.log, `${name}.out`);
    const logFile = join(dirs.log, `${name}.log`);
    // A file, not a pipe: nobody reads a daemon's stderr during a long test run, and a
    // full pipe would block it.
    const fd = openSync(outFile, 'a');
    const [file, argv] = hasSetpriv() ? ['setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
    const child = spawn(file, argv, { env, cwd: root, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    // Before any throw: a spawn failure (ENOENT) arrives as an 'error' event, which would
    // crash the process if nobody listened.
    child.once('error', (err) => {
      if (settingUp) rejectDeath(new Error(`startCeph: ${name} failed to start: ${err.message}`));
    });
    if (child.pid === undefined) throw new Error(`startCeph: could not start ${cmd}`);
    livePids.add(child.pid);
    daemons.push({ name, child, logFile, outFile });
    child.once('exit', (code, signal) => {
      livePids.delete(child.pid!);
      if (stopped) return;
      const report =
        `startCeph: ${name} exited ${settingUp ? 'during setup' : 'unexpectedly'} (code ${code}, signal ${signal})\n` +
        `--- ${logFile} (tail) ---\n${tail(logFile)}\n--- ${outFile} (tail) ---\n${tail(outFile, 20)}`;
      if (settingUp) rejectDeath(new Error(report));
      // Later, tests would only see "connection refused"; say why, once, where a person
      // reading the test output will look.
      else process.stderr.write(`${report}\n`);
    });
    step(`${name} started, pid ${child.pid}`);
    return child;
  }

  /** A set-up command, its PID recorded while it runs (a stop or an exit kills it). */
  function runTool(cmd: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    const running = start(cmd, args, { env, cwd: root, stdin: options.input, timeoutMs: options.timeoutMs ?? 60_000 });
    const pid = running.pid;
    transient.add(running.child);
    if (pid !== undefined) livePids.add(pid);
    return running.result
      .catch((err: Error) => {
        throw new Error(`startCeph: ${err.message}`);
      })
      .finally(() => {
        transient.delete(running.child);
        if (pid !== undefined) livePids.delete(pid);
      });
  }

  /** Runs a setup command; on failure, the error carries its output and the named daemons' logs. */
  async function must(
    what: string,
    cmd: string,
    args: string[],
    related: string[],
    options: { input?: string; timeoutMs?: number } = {},
  ): Promise<string> {
    const r = await Promise.race([runTool(cmd, args, options), death]);
    // The interactive `ceph` shell (commands on stdin) exits 0 even when a command fails,
    // printing "Error ..." instead.
    const failed = r.exitCode !== 0 || (options.input !== undefined && /^Error /m.test(r.stderr));
    if (failed) {
      const parts = [
        `startCeph: ${what} failed (${cmd} ${r.exitCode === null ? 'timed out / killed' : `exit ${r.exitCode}`})`,
        r.stderr.trim(),
        r.stdout.trim(),
        ...related.map((n) => join(dirs.log, `${n}.log`)).map((f) => `--- ${f} (tail) ---\n${tail(f)}`),
      ];
      throw new Error(parts.filter(Boolean).join('\n'));
    }
    step(what);
    return r.stdout;
  }

  try {
    const base = await freePortBlock(PORT_BLOCK);
    const monPort = base;
    const msMin = base + 2;
    const msMax = msMin + MS_PORTS - 1;
    const rgwPort = msMax + 1;
    const fsid = randomUUID();
    const osdUuid = randomUUID();
    const accessKeyId = randomString(20, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
    const secretAccessKey = randomString(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');

    const storeConf =
      store === 'memstore'
        ? [
            'osd_objectstore = memstore',
            // The size the OSD reports, not RAM it takes; large enough that a benchmark's
            // data never trips the near-full / full ratios.
            'memstore_device_bytes = 34359738368',
          ]
        : [
            'osd_objectstore = bluestore',
            // Outside osd_data: bluestore makes `$osd_data/block` a symlink to this path.
            `bluestore_block_path = ${join(dirs.osd, `${osdId}.block`)}`,
            'bluestore_block_create = true',
            // Sparse: only written blocks take disk space.
            'bluestore_block_size = 107374182400',
            'bluestore_fsck_on_mkfs = false',
            'bluestore_fsck_on_mount = false',
            // The default (4 GiB) lets the OSD cache grow far beyond what a CI machine has.
            'osd_memory_target = 1073741824',
          ];

    writeFileSync(
      conf,
      [
        '[global]',
        `fsid = ${fsid}`,
        `mon_host = [v2:127.0.0.1:${monPort},v1:127.0.0.1:${monPort + 1}]`,
        'public_addr = 127.0.0.1',
        'cluster_addr = 127.0.0.1',
        `ms_bind_port_min = ${msMin}`,
        `ms_bind_port_max = ${msMax}`,
        'auth_cluster_required = cephx',
        'auth_service_required = cephx',
        'auth_client_required = cephx',
        `run_dir = ${dirs.run}`,
        // $pid: every `ceph` / `radosgw-admin` call is a client.admin too, and would
        // otherwise fight over one socket path.
        `admin_socket = ${dirs.run}/$name.$pid.asok`,
        `log_file = ${dirs.log}/$name.log`,
        `crash_dir = ${join(root, 'crash')}`,
        'pid_file = ',
        // One OSD: replicate nothing, place by OSD not host.
        'osd_pool_default_size = 1',
        'osd_pool_default_min_size = 1',
        'mon_allow_pool_size_one = true',
        'mon_warn_on_pool_no_redundancy = false',
        'osd_crush_chooseleaf_type = 0',
        'osd_pool_default_pg_num = 8',
        'osd_pool_default_pgp_num = 8',
        'osd_pool_default_pg_autoscale_mode = off',
        'mon_allow_pool_delete = true',
        // The monitor shuts itself down when its disk is nearly full (default 5 % free);
        // a busy CI disk must not take the test server with it.
        'mon_data_avail_crit = 1',
        'mon_data_avail_warn = 2',
        '',
        '[mon]',
        `mon_data = ${dirs.mon}/$id`,
        'keyring = $mon_data/keyring',
        // Commits each monitor change after 0.1 s instead of 1 s: pool creation and OSD
        // boot are chains of such changes.
        'paxos_propose_interval = 0.1',
        'paxos_min_wait = 0.01',
        'mon_osd_reporter_subtree_level = osd',
        '',
        '[osd]',
        `osd_data = ${dirs.osd}/$id`,
        `keyring = ${dirs.keyring}/$name.keyring`,
        ...storeConf,
        '',
        '[client]',
        `keyring = ${dirs.keyring}/$name.keyring`,
        `rgw_data = ${dirs.rgw}`,
        '',
        '[client.admin]',
        // radosgw-admin starts while the OSD is still booting; its first op finds no OSD and
        // waits for the next objecter tick (default 5 s) to ask for a newer map.
        'objecter_tick_interval = 0.2',
        '',
        '[client.rgw]',
        // tcp_nodelay: without it Nagle's algorithm holds every small GET response for
        // ~40 ms (3–5 ms with it).
        `rgw_frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1`,
        // Beast's worker threads; the default 512 only costs memory on a test machine.
        'rgw_thread_pool_size = 64',
        // Background work a short-lived cluster never needs.
        'rgw_dynamic_resharding = false',
        'rgw_enable_usage_log = false',
        '',
      ].join('\n'),
    );

    // Keys are made here rather than with ceph-authtool (one process per key); the monitor
    // imports every entry of its mkfs keyring, so the OSD and RGW need no `ceph auth` calls.
    const keys = { mon: cephKey(), admin: cephKey(), osd: cephKey(), rgw: cephKey() };
    const entry = (name: string, key: string, caps: Record<string, string>) =>
      [`[${name}]`, `\tkey = ${key}`, ...Object.entries(caps).map(([k, v]) => `\tcaps ${k} = "${v}"`), ''].join('\n');
    const all = { mon: 'allow *', osd: 'allow *', mds: 'allow *', mgr: 'allow *' };
    const monKeyring = join(dirs.keyring, 'mkfs.keyring');
    writeFileSync(
      monKeyring,
      entry('mon.', keys.mon, { mon: 'allow *' }) +
        entry('client.admin', keys.admin, all) +
        entry(`osd.${osdId}`, keys.osd, { mon: 'allow profile osd', mgr: 'allow profile osd', osd: 'allow *' }) +
        entry('client.rgw', keys.rgw, { mon: 'allow rw', osd: 'allow rwx', mgr: 'allow rw' }),
      { mode: 0o600 },
    );
    writeFileSync(join(dirs.keyring, 'client.admin.keyring'), entry('client.admin', keys.admin, {}), { mode: 0o600 });
    writeFileSync(join(dirs.keyring, `osd.${osdId}.keyring`), entry(`osd.${osdId}`, keys.osd, {}), { mode: 0o600 });
    writeFileSync(join(dirs.keyring, 'client.rgw.keyring'), entry('client.rgw', keys.rgw, {}), { mode: 0o600 });
    step(`config written in ${root}`);

    const monmap = join(root, 'monmap');
    await must(
      'monmap',
      'monmaptool',
      ['--create', '--fsid', fsid, '--addv', monId, `[v2:127.0.0.1:${monPort},v1:127.0.0.1:${monPort + 1}]`, monmap],
      [],
    );
    await must('mon mkfs', 'ceph-mon', ['-c', conf, '--mkfs', '-i', monId, '--monmap', monmap, '--keyring', monKeyring], [
      `mon.${monId}`,
    ]);
    daemon(`mon.${monId}`, 'ceph-mon', ['-c', conf, '-f', '-i', monId]);

    // The OSD's mkfs only needs the monitor (for the monmap), so it runs alongside the
    // CLI that registers the OSD and creates the RGW pools.
    const cli = [`osd new ${osdUuid} ${osdId}`];
    for (const pool of RGW_POOLS) cli.push(`osd pool create ${pool}`, `osd pool application enable ${pool} rgw`);
    await Promise.all([
      must('osd registered, rgw pools created', 'ceph', ['-c', conf, '--connect-timeout', '30'], [`mon.${monId}`], {
        input: cli.join('\n') + '\n',
      }),
      must(
        `osd mkfs (${store})`,
        'ceph-osd',
        // -f: without it ceph-osd forks for mkfs too, and the parent may exit before the
        // child has flushed the log an error report would quote.
        ['-c', conf, '-f', '--mkfs', '-i', String(osdId), '--osd-uuid', osdUuid],
        [`osd.${osdId}`, `mon.${monId}`],
      ),
    ]);
    daemon(`osd.${osdId}`, 'ceph-osd', ['-c', conf, '-f', '-i', String(osdId)]);

    // Creates the default realm/zonegroup/zone as a side effect. Run before radosgw starts,
    // not alongside: two processes initialising the default zone at once can each write
    // their own. It blocks until the OSD is up and the pools' PGs are active.
    await must(
      'rgw user created',
      'radosgw-admin',
      [
        '-c',
        conf,
        'user',
        'create',
        '--uid=strata-ci',
        '--display-name=Strata CI',
        `--access-key=${accessKeyId}`,
        `--secret-key=${secretAccessKey}`,
      ],
      [`osd.${osdId}`, `mon.${monId}`, 'client.admin'],
      { timeoutMs: 60_000 },
    );

    daemon('client.rgw', 'radosgw', ['-c', conf, '-f', '-n', 'client.rgw']);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await Promise.race([
      waitForHttp(endpoint, Date.now() + SETUP_TIMEOUT_MS, join(dirs.log, 'client.rgw.log'), setupAbort.signal),
      death,
    ]);
    step(`rgw answers at ${endpoint}`);
    settingUp = false;

    const pids = daemons.map((d) => d.child.pid!);
    return { endpoint, region: REGION, accessKeyId, secretAccessKey, root, pids, stop };
  } catch (err) {
    settingUp = false;
    setupAbort.abort();
    await stop().catch(() => {});
    throw err;
  }
}

async function waitForHttp(endpoint: string, deadline: number, logFile: string, cancel: AbortSignal): Promise<void> {
  let last = '';
  while (Date.now() < deadline && !cancel.aborted) {
    try {
      // Any HTTP answer (an anonymous ListBuckets gives 200 with an empty list) means the
      // frontend is up and RGW has finished initialising its zone.
      const res = await fetch(endpoint, { signal: AbortSignal.any([cancel, AbortSignal.timeout(2_000)]) });
      await res.arrayBuffer();
      return;
    } catch (err) {
      last = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
    }
    await sleep(100);
  }
  throw new Error(`startCeph: RGW did not answer at ${endpoint}: ${last}\n--- ${logFile} (tail) ---\n${tail(logFile)}`);
}

/** What a test needs to reach an S3 server: a CephServer, or what globalSetup provides. */
export type S3Access = Pick<CephServer, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey'>;

/** An S3 client for the test server, with the settings RGW needs. */
export function cephS3Client(server: S3Access): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    // RGW serves buckets by path; virtual-host names would need DNS for *.127.0.0.1.
    forcePathStyle: true,
    // The SDK's default aws-chunked upload with a CRC32 trailer is refused by RGW 16 with
    // 411 MissingContentLength, and RGW returns no checksums to validate.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates a bucket on the test server. */
export async function createBucket(server: S3Access, name: string): Promise<void> {
  const s3 = cephS3Client(server);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    s3.destroy();
  }
}

/**
 * createS3User adds an RGW user with its own keys to a running cluster (the roles tests need
 * people other than the bucket owner: a policy never limits the owner).
 */
export async function createS3User(server: CephServer, uid: string): Promise<{ uid: string; accessKeyId: string; secretAccessKey: string }> {
  const { randomBytes } = await import('node:crypto');
  const accessKeyId = `${uid.replace(/[^A-Za-z0-9]/g, '').toUpperCase().slice(0, 8)}${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const conf = join(server.root, 'ceph.conf');
  const env: NodeJS.ProcessEnv = { ...process.env, CEPH_CONF: conf };
  delete env.CEPH_ARGS;
  assertOk(
    await run('radosgw-admin', ['-c', conf, 'user', 'create', `--uid=${uid}`, `--display-name=${uid}`, `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`], { env, cwd: server.root, timeoutMs: 60_000 }),
    `radosgw-admin user create ${uid}`,
  );
  return { uid, accessKeyId, secretAccessKey };
}
