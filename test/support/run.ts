// The one process runner of the tests: every program a test or a test server starts for a
// result (Strata, just, git, npm, rclone, cookiecutter, Ceph's tools) runs through `start`,
// `run` or `runSync`. Output is collected, a run that outlives its time limit is killed by its
// PID, and a non-zero exit is a result to assert on, never an exception. Long-lived daemons
// (test/support/ceph.ts) are not runs and keep their own spawn.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface RunResult {
  /** The command line, for messages. */
  command: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; default two minutes. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed (default: closed at once). 'open': left open for the test to write to. */
  stdin?: string | 'open';
}

/** A program running now: kill it, or wait for it. */
export interface Running {
  child: ChildProcess;
  /** Undefined when the program could not be started (the result then rejects). */
  pid: number | undefined;
  /** Settles once the process has exited and its output is closed. */
  result: Promise<RunResult>;
  /** The moment the process exited (before its output is drained). */
  exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** stdout and stderr so far. */
  output(): string;
  /** kill -9, now; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Whether kill9() was called. */
  killed: boolean;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Starts `cmd args…`. The result never rejects for an exit code; only when the program cannot be started at all. */
export function start(cmd: string, args: string[], opts: RunOptions): Running {
  const command = [cmd, ...args].join(' ');
  const started = Date.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // A program may exit before reading all its input.
  child.stdin!.on('error', () => {});
  if (opts.stdin !== 'open') child.stdin!.end(opts.stdin ?? '');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; at: number }>((ok) =>
    child.once('exit', (exitCode, signal) => ok({ exitCode, signal, at: Date.now() })),
  );
  const result = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      stderr += `\n[run] ${command} timed out after ${timeoutMs} ms; killed\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${cmd}: ${e.message}`));
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ command, exitCode, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  const running: Running = {
    child,
    pid: child.pid,
    result,
    exited,
    killed: false,
    output: () => stdout + stderr,
    kill9: async () => {
      running.killed = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return running;
}

/** Runs `cmd args…` to the end and collects its output. */
export function run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return start(cmd, args, opts).result;
}

/** run, blocking: for quick set-up steps (git init, mount) where a test reads best without await. */
export function runSync(cmd: string, args: string[], opts: Omit<RunOptions, 'stdin'> & { stdin?: string }): RunResult {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env, input: opts.stdin ?? '', encoding: 'utf8', timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw new Error(`could not run ${cmd}: ${r.error.message}`);
  return { command: [cmd, ...args].join(' '), exitCode: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - started };
}

/** A finished run, for assertion messages. */
export function describeRun(r: RunResult, what = r.command): string {
  return `${what}: exit ${r.exitCode}${r.signal ? ` (${r.signal})` : ''} after ${r.ms} ms\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Throws (with the run's whole output) unless the run exited 0. */
export function assertOk(r: RunResult, what?: string): RunResult {
  if (r.exitCode !== 0) throw new Error(`expected success: ${describeRun(r, what)}`);
  return r;
}

/** Throws (with the run's whole output) unless the run exited non-zero. */
export function assertFailed(r: RunResult, what?: string): RunResult {
  if (r.exitCode === 0 || r.exitCode === null) throw new Error(`expected a non-zero exit: ${describeRun(r, what)}`);
  return r;
}
