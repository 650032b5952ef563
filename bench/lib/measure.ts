// measure runs one command as a child process and reports what it cost: wall time (from
// the parent, so process start is included), CPU time (user + sys) and peak RSS of the
// whole process tree, and its exit code.
//
// CPU and RSS come from the kernel's rusage of the child, read through GNU time
// (/usr/bin/time, Debian package `time`): wait4() returns the child's own times plus those
// of every descendant it waited for, and ru_maxrss is the largest resident set any one of
// them reached — for `just put-results` that is the node process, for the others the tool.
// Without /usr/bin/time, bash's `times` builtin gives the same CPU sums and RSS is sampled
// from /proc every 20 ms (VmHWM of each process in the tree), which can miss a short peak.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Cost {
  /** Seconds, measured by the parent around spawn → exit. */
  wall: number;
  /** CPU seconds (user, sys) of the child and every descendant. */
  user: number;
  sys: number;
  /** Peak resident set, MB (10^6 bytes), of the largest process in the tree. */
  rssMB: number;
  exitCode: number;
  /** 1-minute load average when the run started (other work on the machine shows here). */
  load: number;
}

export interface RunSpec {
  cmd: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where stdout and stderr go. */
  logFile: string;
  timeoutMs?: number;
}

const GNU_TIME = '/usr/bin/time';
export const rusageMethod = fs.existsSync(GNU_TIME) ? 'GNU time (wait4 rusage)' : 'bash times + /proc VmHWM sampling';

export async function measure(spec: RunSpec): Promise<Cost> {
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const log = fs.openSync(spec.logFile, 'w');
  fs.writeSync(log, `$ (cd ${spec.cwd} && ${[spec.cmd, ...spec.args].map(shellQuote).join(' ')})\n`);
  const load = os.loadavg()[0]!;
  try {
    return fs.existsSync(GNU_TIME) ? await withGnuTime(spec, log, load) : await withProcSampling(spec, log, load);
  } finally {
    fs.closeSync(log);
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function wait(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

async function withGnuTime(spec: RunSpec, log: number, load: number): Promise<Cost> {
  const out = path.join(os.tmpdir(), `strata-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const started = performance.now();
  const child = spawn(GNU_TIME, ['-o', out, '-f', '%e %U %S %M', spec.cmd, ...spec.args], { cwd: spec.cwd, env: spec.env, stdio: ['ignore', log, log] });
  const exitCode = await wait(child, spec.timeoutMs ?? 3_600_000);
  const wall = (performance.now() - started) / 1000;
  // With a non-zero exit, GNU time writes "Command exited with non-zero status N" first.
  const last = fs.readFileSync(out, 'utf8').trim().split('\n').pop()!;
  fs.rmSync(out, { force: true });
  const [, user, sys, maxKB] = last.split(' ').map(Number);
  return { wall, user: user!, sys: sys!, rssMB: (maxKB! * 1024) / 1e6, exitCode, load };
}

async function withProcSampling(spec: RunSpec, log: number, load: number): Promise<Cost> {
  const started = performance.now();
  // fd 3 carries `times` output: line 2 is the children's "user sys" (e.g. 0m1.234s 0m0.056s).
  const child = spawn('bash', ['-c', '"$@"; rc=$?; times >&3; exit $rc', 'bash', spec.cmd, ...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', log, log, 'pipe'],
  });
  let times = '';
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (d) => (times += d));
  let peakKB = 0;
  const sampler = setInterval(() => (peakKB = Math.max(peakKB, treePeakKB(child.pid!))), 20);
  const exitCode = await wait(child, spec.timeoutMs ?? 3_600_000);
  clearInterval(sampler);
  const wall = (performance.now() - started) / 1000;
  const secs = (t: string) => {
    const m = /(\d+)m([\d.]+)s/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  };
  const [u, s] = (times.trim().split('\n')[1] ?? '').split(/\s+/);
  return { wall, user: secs(u ?? ''), sys: secs(s ?? ''), rssMB: (peakKB * 1024) / 1e6, exitCode, load };
}

/** treePeakKB: the largest VmHWM among `root` and its descendants right now. */
function treePeakKB(root: number): number {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone
    }
  }
  let peak = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      // gone
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return peak;
}

/** serverCpu sums user+sys CPU seconds of the given PIDs (the Ceph daemons) from /proc. */
export function serverCpu(pids: number[]): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) / tick; // utime, stime
    } catch {
      // gone
    }
  }
  return total;
}
