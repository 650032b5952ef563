// config: the effective configuration and where each value came from, secrets redacted.
import { SECRET_KEYS } from '../config/env.js';
import { loadConfig } from '../config/load.js';
import { findProjectRoot } from '../config/root.js';
import type { Args } from '../cli.js';
import { Reporter } from '../ui/reporter.js';

/** redact shows that a secret is set without showing any of it. */
export function redact(key: string, value: string | undefined): string {
  if (value === undefined) return '(not set)';
  return SECRET_KEYS.has(key) ? '•••••• (set)' : redactUrl(value);
}

export async function runConfig(args: Args): Promise<void> {
  const root = findProjectRoot(process.cwd());
  const config = loadConfig(root, { role: typeof args.role === 'string' ? args.role : undefined });
  const out = new Reporter({});
  const o = config.origins;
  out.say(`project      ${config.projectRoot}`);
  out.say(`config file  ${config.configFile ?? '(none: defaults and environment only)'}`);
  out.say(`main_branch  ${config.mainBranch}  [${o.main_branch}]`);
  out.say(`role         ${config.role}  [${o.role}]`);
  out.say(`user         ${config.user}  [${o.user}]`);
  out.say(`transfers    ${config.transfers}  [${o.transfers}]`);
  out.say(`delete_threshold  ${config.deleteThreshold}  [${o.delete_threshold}]`);
  out.say(`recycle_dir  ${config.recycleDir}  [${o.recycle_dir}]`);
  out.say(`remote       ${redactUrl(config.remote)}  [${o.remote}]`);
  out.say(`hub          ${config.hub ? redactUrl(config.hub) : '(not set: every layer on the remote)'}  [${o.hub}]`);
  if (config.hub) out.say(`hub_transfer ${config.hubTransfer}  [${o.hub_transfer}]`);
  out.say('');
  out.say('layers:');
  out.say(`  ${'name'.padEnd(10)} ${'local'.padEnd(20)} ${'remote path'.padEnd(12)} ${'kind'.padEnd(7)} ${'writers'.padEnd(12)} remote`);
  for (const l of config.layers) {
    out.say(`  ${l.name.padEnd(10)} ${l.local.padEnd(20)} ${l.path.padEnd(12)} ${l.kind.padEnd(7)} ${l.writers.padEnd(12)} ${redactUrl(l.remote)}${l.remote.startsWith('hf://') ? ' (versioned)' : ''}`);
  }
  out.say('');
  out.say('environment:');
  for (const [k, v] of Object.entries(config.env)) out.say(`  ${k.padEnd(22)} ${redact(k, v)}`);
  out.say('');
  out.say(`excluded: ${config.excludes.join(' ')}`);
}

// URLs may carry credentials in their user-info part (https://user:pass@host); never print them.
function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]+@/, '//••••@');
}
