// How long to wait before retrying a request: what the server asked for (Retry-After, in
// seconds) when it said, else exponential backoff with full jitter — so that many clients
// told "slow down" at once do not come back at once. Both capped at `maxMs`.
export function backoffMs(attempt: number, retryAfter: string | null | undefined, opts: { baseMs: number; maxMs: number }): number {
  const asked = Number(retryAfter);
  if (retryAfter && Number.isFinite(asked) && asked > 0) return Math.min(opts.maxMs, asked * 1000);
  return Math.random() * Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
}
