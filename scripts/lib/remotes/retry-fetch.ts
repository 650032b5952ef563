// retryingFetch retries what a busy server asks us to retry (429, 503 SlowDown) and what
// cannot have changed anything (GET/HEAD/PUT/DELETE on 5xx or a dropped connection), by the
// one retry rule (retry-policy.ts: tries, backoff with jitter, Retry-After). A POST that
// failed with a plain 500 is not retried: a commit may have landed, and a retry would see a
// false conflict, unless the caller knows it to be idempotent (`idempotent`: a content-addressed
// upload, which stores the same bytes under the same name however often it is sent). On the
// last try the answer is handed back as it came (or, with `raise`, thrown for a caller that
// retries the whole transfer).
import { withRetries, TRIES } from './retry-policy.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export interface RetryOptions {
  /** Fewer tries than the rule's, for requests whose retries a caller makes. */
  tries?: number;
  /** Per-request timeout: a stalled server is given up on (and retried when safe). */
  timeoutMs?: number;
  /**
   * Throw a retryable answer left after the last try (with its status and Retry-After) instead
   * of handing it back: for a caller that retries the whole transfer itself (a download).
   */
  raise?: boolean;
  onRetry?: (info: { url: string; status: number | string; attempt: number; waitMs: number }) => void;
  /** Requests that change nothing when sent twice, besides GET, HEAD, PUT, DELETE and OPTIONS. */
  idempotent?: (method: string, url: string) => boolean;
}

/** An answer worth another try: thrown between tries, and out of retryingFetch only with `raise`. */
export class RetryableAnswer extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | undefined,
  ) {
    super(`the server answered ${status}`);
  }
}

export function retryingFetch(opts: RetryOptions = {}): typeof fetch {
  const tries = opts.tries ?? TRIES;
  const idleMs = opts.timeoutMs ?? 120_000;
  return async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const idempotent = IDEMPOTENT.has(method) || !!opts.idempotent?.(method, url);
    // A streamed body cannot be sent twice.
    const replayable = !init?.body || typeof init.body === 'string' || init.body instanceof Blob || init.body instanceof ArrayBuffer || ArrayBuffer.isView(init.body);
    const timedOut = new WeakSet<Error>();
    return withRetries(
      async (attempt) => {
        const idle = idleTimer(idleMs);
        const signal = init?.signal ? AbortSignal.any([init.signal, idle.signal]) : idle.signal;
        let res: Response;
        try {
          res = await fetch(input, { ...init, signal });
        } catch (e) {
          idle.stop();
          if (init?.signal?.aborted || !idle.signal.aborted) throw e;
          const err = new Error(`no answer from ${url} for ${idleMs / 1000} s`);
          timedOut.add(err);
          throw err;
        }
        const retryable = res.status === 429 || res.status === 503 || (idempotent && res.status >= 500);
        if (!retryable || (attempt >= tries && !opts.raise) || !replayable) return idle.watch(res);
        idle.stop();
        await res.body?.cancel().catch(() => undefined);
        throw new RetryableAnswer(res.status, res.headers.get('retry-after') ?? undefined);
      },
      {
        tries: replayable ? tries : 1,
        retryable: (e) => e instanceof RetryableAnswer || (idempotent && !init?.signal?.aborted),
        onRetry: ({ error, attempt, waitMs }) =>
          opts.onRetry?.({ url, status: error instanceof RetryableAnswer ? error.status : timedOut.has(error) ? 'timeout' : 'connection error', attempt, waitMs }),
      },
    );
  };
}

/**
 * idleTimer aborts a request after `ms` of silence: before the answer, and between chunks
 * of its body. A slow but steady transfer of any length goes on.
 */
function idleTimer(ms: number) {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new DOMException(`no data for ${ms} ms`, 'TimeoutError')), ms);
    timer.unref?.();
  };
  const stop = () => clearTimeout(timer);
  arm();
  return {
    signal: controller.signal,
    stop,
    watch(res: Response): Response {
      if (!res.body || [101, 204, 205, 304].includes(res.status)) {
        stop();
        return res;
      }
      arm();
      const body = res.body.pipeThrough(
        new TransformStream({
          transform(chunk, ctl) {
            arm();
            ctl.enqueue(chunk);
          },
          flush: stop,
        }),
      );
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    },
  };
}
