// One retry rule for every request to a remote and for a file's download as a whole: at most
// TRIES tries, waiting between them what the server asked (Retry-After) or a jittered
// exponential backoff (backoff.ts). The S3 SDK is given the same number (s3-client.ts), the
// plain signed S3 requests (s3-http.ts) and the Hub's fetch (retry-fetch.ts) go through
// withRetries, and so does a download (apply/download.ts). p-retry runs the loop.
import pRetry from 'p-retry';
import { backoffMs } from './backoff.js';

/** Tries of one request: the first and four retries. */
export const TRIES = 5;
/** First backoff step and the cap of any wait, Retry-After included. */
export const BACKOFF = { baseMs: 250, maxMs: 20_000 };

export interface RetryRule {
  /** Fewer tries than TRIES, for a request whose retries are made by a caller. */
  tries?: number;
  /** Whether a failure is worth another try (a refusal or a full disk is not). */
  retryable(error: Error): boolean;
  onRetry?(info: { error: Error; attempt: number; waitMs: number }): void;
}

/**
 * withRetries calls `attempt` (with its number, from 1) until it succeeds, fails in a way
 * `rule` does not retry, or has been tried `rule.tries ?? TRIES` times; the last error is
 * thrown as it was. An error may carry the server's Retry-After (seconds) as `retryAfter`.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, rule: RetryRule): Promise<T> {
  const tries = rule.tries ?? TRIES;
  // The first try runs outside p-retry: nearly every request succeeds at once, and p-retry's
  // set-up per call (an AbortSignal, options, its loop) was 2.7 % of a cold download's CPU.
  try {
    return await attempt(1);
  } catch (error) {
    if (!(error instanceof Error) || tries <= 1 || !(await retryAfter(error, 1, rule))) throw error;
  }
  return pRetry((n) => attempt(n + 1), {
    retries: tries - 2,
    // The wait is ours (Retry-After or backoff), taken in shouldRetry; p-retry adds none.
    minTimeout: 0,
    shouldRetry: ({ error, attemptNumber }) => retryAfter(error, attemptNumber + 1, rule),
  });
}

/** retryAfter: whether the rule retries this failure of try `n`; if so, waits first. */
async function retryAfter(error: Error, n: number, rule: RetryRule): Promise<boolean> {
  if (!rule.retryable(error)) return false;
  const waitMs = backoffMs(n, retryAfterOf(error), BACKOFF);
  rule.onRetry?.({ error, attempt: n, waitMs });
  await new Promise((r) => setTimeout(r, waitMs));
  return true;
}

/** The Retry-After an error carries from the server's answer, if any. */
export function retryAfterOf(error: unknown): string | undefined {
  return (error as { retryAfter?: string } | undefined)?.retryAfter ?? undefined;
}
