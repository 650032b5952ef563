// The shared shell of every recipe script: parse arguments, run, and turn errors into one
// clear message and an exit code, caught in one place (changesets' errors module).
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { inFlight } from './apply/in-flight.js';
import { parseArgs as parseNodeArgs } from 'node:util';
import { LockLostError, StrataError, TransferError } from './errors.js';
import { scrub } from './ui/format.js';
import { flushOutput } from './ui/reporter.js';

export interface Args {
  /** The positional words, in order (validated against the recipe's spec). */
  _: string[];
  dryRun: boolean;
  force: boolean;
  quiet: boolean;
  yes: boolean;
  keep: boolean;
  [flag: string]: unknown;
}

/** Every option any recipe takes, described once: parsing, `--help` and error hints all read this table. */
const OPTIONS = {
  'dry-run': { type: 'boolean', short: 'n', help: 'print the plan, change nothing' },
  force: { type: 'boolean', short: 'f', help: 'go past a safety refusal (a pull still recycles, never deletes)' },
  keep: { type: 'boolean', short: 'k', help: 'keep your unshared files and deletions, take everything else' },
  quiet: { type: 'boolean', short: 'q', help: 'print only warnings and errors (no line per file, no summary)' },
  yes: { type: 'boolean', short: 'y', help: 'do not ask for confirmation' },
  all: { type: 'boolean', help: 'every recycle folder, whatever its age' },
  layer: { type: 'string', value: 'NAME', help: 'only this layer' },
  role: { type: 'string', value: 'ROLE', help: 'analyst or maintainer, for this run (like STRATA_ROLE)' },
  limit: { type: 'string', value: 'N', help: 'at most N pushes per layer (default 20)' },
  before: { type: 'string', value: 'ID', help: 'only pushes older than this one (its id in `just log`: 42 for #42, or a Hub commit id); the `older:` line gives it' },
  path: { type: 'string', value: 'PATH', help: 'only pushes that changed this file or folder (a local path, e.g. data/processed/plates)' },
  'older-than': { type: 'string', value: 'DAYS', help: 'recycle folders older than DAYS (default 30)' },
  analysts: { type: 'string', value: 'USER[,USER…]', help: 'S3 users (or ARNs) of the analysts' },
  maintainers: { type: 'string', value: 'USER[,USER…]', help: 'S3 users (or ARNs) of the maintainers' },
  account: { type: 'string', value: 'AWS-ACCOUNT-ID', help: 'AWS account of the users (not on Ceph RGW)' },
  open: { type: 'boolean', help: 'open the page in your browser' },
  port: { type: 'string', value: 'PORT', help: 'serve on this port of 127.0.0.1 (default: a free one)' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
} as const satisfies Record<string, { type: 'boolean' | 'string'; short?: string; value?: string; help: string }>;

export type OptionName = keyof typeof OPTIONS;

/** What a recipe accepts: its positional words and its options (--help is always accepted). */
export interface RecipeSpec {
  /** One line saying what the recipe does, for --help. */
  summary?: string;
  /** `rest`: the last one takes every remaining word (a title). */
  positionals?: { name: string; optional?: boolean; rest?: boolean }[];
  options: OptionName[];
  /** What ^C means for this recipe, when not "files finished so far are in place" (a server just stops). */
  interrupted?: string;
  /** Where an option means something else for this recipe (demo's --keep keeps its folder). */
  optionHelp?: Partial<Record<OptionName, string>>;
}

/** Options shared by the sync recipes. */
export const PULL_OPTIONS: OptionName[] = ['dry-run', 'force', 'keep', 'layer', 'quiet', 'role'];
export const PUSH_OPTIONS: OptionName[] = ['dry-run', 'force', 'layer', 'quiet', 'role'];

/** usageLine renders a recipe's spec: `just get-results-from BRANCH [--dry-run] …`. */
export function usageLine(name: string, spec: RecipeSpec): string {
  const words = (spec.positionals ?? []).map((p) => (p.optional ? `[${p.name}]` : p.name) + (p.rest ? '…' : ''));
  const opts = spec.options.map((o) => {
    const def = OPTIONS[o] as { value?: string };
    return `[--${o}${def.value ? ` ${def.value}` : ''}]`;
  });
  return ['just', name, ...words, ...opts].join(' ');
}

function optionList(spec: RecipeSpec): string {
  return spec.options.map((o) => `--${o}`).join(', ') || 'none';
}

/**
 * parseArgs reads a recipe's arguments strictly (node:util parseArgs): an option the
 * recipe does not take, or a word it does not expect, is an error naming it, with a hint
 * at what was probably meant (`dry-run` without dashes, `-dry-run` with one, a run folder
 * given to get-results instead of get-results-for).
 */
export function parseArgs(argv: string[], name = 'strata', spec: RecipeSpec = { options: Object.keys(OPTIONS) as OptionName[] }): Args {
  const usage = usageLine(name, spec);
  const allowed = new Set<string>([...spec.options, 'help']);
  for (const a of argv) {
    if (a === '--') break;
    // "-dry-run": one dash makes it a bundle of short options (-d -r -y …).
    if (/^-[^-]{2,}/.test(a) && a.slice(1).split('=')[0]! in OPTIONS) {
      throw new StrataError(`Unknown option ${a}: options take two dashes.`, `Did you mean --${a.slice(1)}? Usage: ${usage}`, 2);
    }
  }
  const options = Object.fromEntries(
    [...allowed].map((o) => {
      const def = OPTIONS[o as OptionName] as { type: 'boolean' | 'string'; short?: string };
      return [o, def.short ? { type: def.type, short: def.short } : { type: def.type }];
    }),
  );
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseNodeArgs({ args: argv, options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const flag = (/'(-[^']*)'/.exec((e as Error).message)?.[1] ?? '').replace(/ <value>$/, '');
    const bare = flag.replace(/^-+/, '').split('=')[0]!;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const elsewhere = bare in OPTIONS ? ` (it belongs to other recipes)` : '';
      // --dryrun, --dry_run, --Force: the option meant, spelled another way.
      const meant = spec.options.find((o) => o.replace(/-/g, '') === bare.toLowerCase().replace(/[-_]/g, '') && o !== bare);
      throw new StrataError(`Unknown option ${flag} for ${name}${elsewhere}.`, `${meant ? `Did you mean --${meant}? ` : ''}${name} takes: ${optionList(spec)}. Usage: ${usage}`, 2);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new StrataError(`Option ${flag} needs a value.`, `Usage: ${usage}`, 2);
    throw new StrataError(`Cannot read the arguments: ${(e as Error).message}`, `Usage: ${usage}`, 2);
  }
  const v = parsed.values;
  if (!v.help) checkPositionals(name, spec, parsed.positionals, usage);
  return {
    ...v,
    _: parsed.positionals,
    dryRun: !!v['dry-run'],
    force: !!v.force,
    quiet: !!v.quiet,
    yes: !!v.yes,
    keep: !!v.keep,
  };
}

function checkPositionals(name: string, spec: RecipeSpec, words: string[], usage: string) {
  const wanted = spec.positionals ?? [];
  const missing = wanted.slice(words.length).find((p) => !p.optional);
  if (missing) throw new StrataError(`Missing ${missing.name}.`, `Usage: ${usage}`, 2);
  if (wanted.at(-1)?.rest) return;
  const stray = words[wanted.length];
  if (stray === undefined) return;
  const bare = stray.replace(/^-+/, '');
  let hint = `${name} takes ${wanted.length ? wanted.map((p) => p.name).join(' ') : 'no words'}. Usage: ${usage}`;
  if (bare in OPTIONS) hint = `Options start with two dashes: just ${name} --${bare}`;
  else if (name === 'get-results' || name === 'put-results') hint = `To ${name.startsWith('get') ? 'pull' : 'push'} one run folder: just ${name}-for ${stray}. ${hint}`;
  throw new StrataError(`Unexpected word "${stray}": nothing was done.`, hint, 2);
}

export type RecipeMain = (args: Args) => Promise<void>;

/** runRecipe runs a recipe with error handling and sets process.exitCode. */
export async function runRecipe(name: string, spec: RecipeSpec, main: RecipeMain, argv = process.argv.slice(2)): Promise<void> {
  onInterrupt(name, spec.interrupted);
  quietSdkNodeWarning();
  // `just config | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  try {
    const args = parseArgs(argv, name, spec);
    if (args.help) {
      const flag = (o: OptionName) => {
        const def = OPTIONS[o] as { short?: string; value?: string };
        return `${def.short ? `-${def.short}, ` : '    '}--${o}${def.value ? ` ${def.value}` : ''}`;
      };
      const rows = [...spec.options, 'help' as const].map((o) => `  ${flag(o).padEnd(34)} ${spec.optionHelp?.[o] ?? OPTIONS[o].help}`);
      process.stdout.write(`${spec.summary ? `${spec.summary}\n\n` : ''}${usageLine(name, spec)}\n\nOptions:\n${rows.join('\n')}\n`);
      return;
    }
    await main(args);
  } catch (e) {
    process.exitCode = reportError(name, e);
    // Without its lock the run must not go on: transfers still under way would race another run.
    if (e instanceof LockLostError) {
      removeInFlight();
      process.exit();
    }
  }
}

function reportError(name: string, e: unknown): number {
  flushOutput();
  if (e instanceof StrataError) {
    process.stderr.write(`\n${name}: ${scrub(e.message)}\n`);
    if (e.hint) process.stderr.write(`→ ${scrub(e.hint)}\n`);
    if (e instanceof TransferError) process.stderr.write(`(${e.failed.length} failed)\n`);
    return e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(`\n${name}: unexpected error: ${scrub(err?.message ?? String(e))}\n`);
  if (process.env.STRATA_DEBUG) process.stderr.write(`${scrub(String(err?.stack))}\n`);
  process.stderr.write('→ This is a bug or an unhandled server answer. Run again with STRATA_DEBUG=1 for details.\n');
  return 70;
}

/** removeInFlight removes the temp files of downloads in flight, before the process ends mid-run. */
function removeInFlight() {
  for (const tmp of inFlight) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // best effort: a leftover *.strata-tmp is never synced and never carries a real name
    }
  }
}

/**
 * onInterrupt: on ^C or SIGTERM, remove the temp files of downloads in flight and say how to
 * continue. Finished files are in place; the lock is released by its exit hook (lock/run-lock.ts).
 */
function onInterrupt(name: string, said = 'Files finished so far are in place; run the recipe again to continue.') {
  const stop = (signal: NodeJS.Signals) => {
    removeInFlight();
    // A terminal's progress list hides the cursor; give it back.
    if (process.stdout.isTTY) process.stdout.write('\x1b[?25h');
    process.stderr.write(`\n${name}: interrupted (${signal}). ${said}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * quietSdkNodeWarning turns off the AWS SDK's notice that future versions will need Node 22:
 * it would print on every S3 recipe and says nothing a lab member can act on (see
 * package.json engines). The SDK reads this variable when it loads; a user's own setting wins.
 */
function quietSdkNodeWarning() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** isMain: the module was run directly (node scripts/x.js), not imported by the dispatcher. */
export function isMain(metaUrl: string): boolean {
  return !!process.argv[1] && metaUrl === pathToFileURL(process.argv[1]).href;
}
