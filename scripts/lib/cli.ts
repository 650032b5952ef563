// The shared shell of every recipe script: parse arguments, run, and turn errors into one
// clear message and an exit code, caught in one place (changesets' errors module).
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { inFlight } from './apply/in-flight.js';
import minimist from 'minimist';
import { StrataError, TransferError } from './errors.js';
import { scrub } from './ui/format.js';
import { flushOutput } from './ui/reporter.js';

export interface Args {
  _: string[];
  dryRun: boolean;
  force: boolean;
  quiet: boolean;
  yes: boolean;
  keep: boolean;
  [flag: string]: unknown;
}

const BOOLEAN_FLAGS = ['dry-run', 'force', 'quiet', 'yes', 'help', 'all', 'keep'];

export function parseArgs(argv: string[]): Args {
  const parsed = minimist(argv, { boolean: BOOLEAN_FLAGS, string: ['layer', 'older-than', 'role', 'limit', 'analysts', 'maintainers', 'account'], alias: { n: 'dry-run', f: 'force', q: 'quiet', y: 'yes', h: 'help', k: 'keep' } });
  const known = new Set([...BOOLEAN_FLAGS, 'layer', 'older-than', 'role', 'limit', 'analysts', 'maintainers', 'account', 'n', 'f', 'q', 'y', 'h', 'k', '_', '--']);
  for (const k of Object.keys(parsed)) {
    if (!known.has(k)) throw new StrataError(`Unknown option --${k}.`, 'Options: --dry-run, --force, --keep, --quiet, --yes, --role ROLE, --layer NAME, --limit N, --older-than DAYS, --all; policy: --analysts, --maintainers, --account.', 2);
  }
  return {
    ...parsed,
    _: parsed._.map(String),
    dryRun: !!parsed['dry-run'],
    force: !!parsed.force,
    quiet: !!parsed.quiet,
    yes: !!parsed.yes,
    keep: !!parsed.keep,
  };
}

export type RecipeMain = (args: Args) => Promise<void>;

/** runRecipe runs a recipe with error handling and sets process.exitCode. */
export async function runRecipe(name: string, usage: string, main: RecipeMain, argv = process.argv.slice(2)): Promise<void> {
  onInterrupt(name);
  quietSdkNodeWarning();
  // `just config | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  try {
    const args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(`${usage}\n\nOptions: --dry-run (print the plan, change nothing), --force, --keep, --quiet, --role ROLE\n`);
      return;
    }
    await main(args);
  } catch (e) {
    process.exitCode = reportError(name, e);
  }
}

export function reportError(name: string, e: unknown): number {
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

/**
 * onInterrupt: on ^C or SIGTERM, remove the temp files of downloads in flight and say how to
 * continue. Finished files are in place; the lock is released by proper-lockfile's exit hook.
 */
function onInterrupt(name: string) {
  const stop = (signal: NodeJS.Signals) => {
    for (const tmp of inFlight) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // best effort: a leftover *.strata-tmp is never synced and never carries a real name
      }
    }
    process.stderr.write(`\n${name}: interrupted (${signal}). Files finished so far are in place; run the recipe again to continue.\n`);
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
