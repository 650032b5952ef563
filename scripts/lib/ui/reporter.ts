// Reporter is the one place output is chosen (lint-staged's renderer choice): a listr2 task
// list in a terminal; in CI or a pipe one line per file changed and one summary line;
// nothing but errors with --quiet.
import type { Digests } from '../state/record.js';
import type { PlanItem } from '../plan/plan.js';
import type { TransferEvents } from '../remotes/types.js';
import { bytes, itemLine, scrub } from './format.js';

export interface Totals {
  up: { files: number; bytes: number };
  down: { files: number; bytes: number };
  copied: number;
  deleted: number;
  recycled: number;
  unchanged: number;
  failed: number;
}

const unflushed = new Set<Reporter>();

/** flushOutput writes every reporter's pending lines: error reports call it so files done before an error are listed before it. */
export function flushOutput(): void {
  for (const r of unflushed) r.flush();
}

let current: Reporter | undefined;

/**
 * backendNote is how code below the recipes (a backend retrying a request) tells the person
 * something: through the run's reporter, so that --quiet silences it like any other note.
 */
export function backendNote(line: string): void {
  if (current) current.note(line);
  else process.stderr.write(`note: ${scrub(line)}\n`);
}

export class Reporter {
  readonly tty: boolean;
  readonly started = Date.now();
  readonly totals: Totals = { up: { files: 0, bytes: 0 }, down: { files: 0, bytes: 0 }, copied: 0, deleted: 0, recycled: 0, unchanged: 0, failed: 0 };
  constructor(
    readonly opts: { quiet?: boolean; tty?: boolean } = {},
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {
    this.tty = opts.tty ?? (!!(process.stdout as { isTTY?: boolean }).isTTY && !process.env.CI);
    current = this;
  }

  // Lines are written in batches: a write to a pipe is a blocking system call in Node, and
  // one per file changed cost more than the transfers' own bookkeeping on large syncs.
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  say(line = ''): void {
    if (this.opts.quiet) return;
    if (!this.pending.length) {
      process.once('exit', this.flush);
      unflushed.add(this);
    }
    this.pending.push(line);
    if (this.pending.length >= 500) this.flush();
    else this.timer ??= setTimeout(this.flush, 200).unref();
  }
  /** flush writes the lines said so far (also done at exit, and before anything goes to stderr). */
  readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    process.removeListener('exit', this.flush);
    unflushed.delete(this);
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.out.write(text);
  };
  note(line: string): void {
    this.flush();
    if (!this.opts.quiet) this.err.write(`note: ${scrub(line)}\n`);
  }
  warn(line: string): void {
    this.flush();
    this.err.write(`warning: ${scrub(line)}\n`);
  }
  error(line: string): void {
    this.flush();
    this.err.write(scrub(line) + '\n');
  }

  /**
   * runTasks runs one task per layer: as a listr2 list in a terminal (progress in the task's
   * output line), else one after another with plain lines.
   */
  async runTasks(tasks: { title: string; layer: string; run: (events: TransferEvents) => Promise<void> }[]): Promise<void> {
    if (!this.tty || this.opts.quiet) {
      for (const t of tasks) await t.run(this.events(t.layer, () => undefined));
      return;
    }
    // Loaded only for a terminal: CI, pipes and --quiet never pay for it.
    const { Listr } = await import('listr2');
    const list = new Listr(
      tasks.map((t) => ({
        title: t.title,
        task: async (_: unknown, task: { output: string }) => {
          await t.run(this.events(t.layer, (s) => (task.output = s)));
        },
      })),
      // The error is printed once, by the recipe shell; the task list only marks the layer failed.
      // Signals are Strata's to handle (cli.ts: temp files removed, the cursor shown again,
      // "interrupted" said); listr2's own handler would exit first and say nothing.
      { concurrent: false, exitOnError: true, registerSignalListeners: false, rendererOptions: { showErrorMessage: false } },
    );
    await list.run();
  }

  /** events counts transfers and prints (or shows) each finished one. */
  events(layer: string, show: (line: string) => void): TransferEvents {
    let moved = 0;
    let done = 0;
    // The progress line is redrawn at most ten times a second: a redraw per file made a
    // 3,000-file pull in a terminal take five times as long as in a pipe.
    let latest: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const progress = (line: string) => {
      latest = line;
      timer ??= setTimeout(() => {
        timer = undefined;
        show(latest!);
      }, 100).unref();
    };
    return {
      start: () => undefined,
      bytes: (n) => {
        moved += n;
        progress(`${done} files, ${bytes(moved)}`);
      },
      done: (item: PlanItem, _d?: Digests) => {
        done++;
        this.count(item);
        if (this.tty) progress(`${done} files, ${bytes(moved)} · ${item.key}`);
        else this.say(itemLine(layer, item));
      },
      failed: (item: PlanItem, e: Error) => {
        this.totals.failed++;
        this.error(`✗ failed   ${layer}/${item.key}: ${e.message}`);
      },
      info: (m) => this.note(m),
    };
  }

  private count(item: PlanItem) {
    const t = this.totals;
    if (item.kind === 'upload') {
      t.up.files++;
      t.up.bytes += item.bytes;
    } else if (item.kind === 'download') {
      t.down.files++;
      t.down.bytes += item.bytes;
      if (item.local) t.recycled++;
    } else if (item.kind === 'copy') t.copied++;
    else if (item.kind === 'delete') t.deleted++;
    else if (item.kind === 'recycle') t.recycled++;
  }

  summary(gitDescription: string): string {
    const t = this.totals;
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    return (
      `Summary: up ${t.up.files} (${bytes(t.up.bytes)}), down ${t.down.files} (${bytes(t.down.bytes)}), ` +
      `copied ${t.copied}, deleted ${t.deleted}, recycled ${t.recycled}, unchanged ${t.unchanged}` +
      `${t.failed ? `, FAILED ${t.failed}` : ''} · ${secs} s · git ${gitDescription}`
    );
  }
}

