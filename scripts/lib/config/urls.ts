// The URL settings, each checked for what it is for: the project's remote is S3 or a
// folder (a Hub repo goes under "hub"), the hub is a Hub dataset, and the endpoint variables
// carry no credentials. (A layer's own remote may be any kind: layers.ts checks it.)
import type { ConfigProblem } from '../errors.js';
import { parseRemoteUrl } from '../remotes/url.js';

/** remoteProblems: the project's remote must be an s3:// or file:// URL. */
export function remoteProblems(remote: string, source: string | undefined): ConfigProblem[] {
  const parsed = parseRemoteUrl(remote);
  if (typeof parsed === 'string') return [{ key: 'remote', message: parsed, source }];
  if (parsed.scheme === 'hf') return [{ key: 'remote', message: 'must be s3:// or file://; put a Hub repo under "hub"', source }];
  return [];
}

/** hubProblems: the hub must be a Hub dataset URL. */
export function hubProblems(hub: string, source: string | undefined): ConfigProblem[] {
  const parsed = parseRemoteUrl(hub);
  // (parseRemoteUrl's message lists every scheme; only one is right here.)
  if (typeof parsed === 'string') return [{ key: 'hub', message: hub.startsWith('hf://') ? parsed : `must be a Hub dataset URL, hf://datasets/ORG/NAME, not "${hub}"`, source }];
  if (parsed.scheme !== 'hf') return [{ key: 'hub', message: 'must be a Hub URL, hf://datasets/ORG/NAME', source }];
  return [];
}

/** endpointProblems: no user name or password in an endpoint variable. */
export function endpointProblems(env: Record<string, string | undefined>, envOrigin: Record<string, string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of ['HF_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'] as const) {
    // Credentials go in their own variables; a password in a URL would end up in messages.
    if (env[key] && /^\w+:\/\/[^/]*@/.test(env[key]!)) problems.push({ key, message: 'must not contain a user name or password (use the token or key variables)', source: envOrigin[key] });
  }
  return problems;
}
