// Positional arguments recipes require, with a usage line when missing.
import { StrataError } from '../errors.js';
import type { Args } from '../cli.js';

export function requireArg(args: Args, name: string, usage: string): string {
  const v = args._[0];
  if (!v) throw new StrataError(`Missing ${name}.`, `Usage: ${usage}`, 2);
  return v;
}
