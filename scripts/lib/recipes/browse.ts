// browse: start the read-only browse server (browse/server.ts), print its address (and open
// it with --open), and serve until ^C.
import open from 'open';
import type { Args } from '../cli.js';
import { openProject } from '../context.js';
import { StrataError } from '../errors.js';
import { startBrowse } from '../browse/server.js';
import { Reporter } from '../ui/reporter.js';

export async function runBrowse(args: Args): Promise<void> {
  const ctx = await openProject(process.cwd());
  const out = new Reporter({});
  const port = args.port === undefined ? undefined : Number(args.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new StrataError(`--port must be a port number (1-65535), not "${args.port}".`, undefined, 2);
  const server = await startBrowse(ctx, { port, log: (line) => out.warn(line) });
  out.say(`Browsing ${ctx.config.projectRoot} at`);
  out.say(`  ${server.url}`);
  out.say('Read-only. Only you can open it: the address holds a token. ^C stops it.');
  if (args.open) await open(server.url).catch((e: Error) => out.warn(`could not open a browser (${e.message}); open the address above yourself`));
  // Served until ^C (cli.ts ends the process).
  await new Promise<never>(() => undefined);
}
