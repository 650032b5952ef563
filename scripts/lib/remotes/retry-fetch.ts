// retryingFetch retries what a busy server asks us to retry (429, 503 SlowDown) and what
// cannot have changed anything (GET/HEAD/PUT/DELETE on 5xx or a dropped connection), with
// exponential backoff and full jitter, honouring Retry-After. A POST that failed with a
// plain 500 is not retried: a commit may have landed, and a retry would see a false conflict.

import { backoffMs } from './backoff.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  /** Per-request timeout: a stalled server is given up on (and retried when safe). */
  timeoutMs?: number;
  onRetry?: (info: { url: string; status: number | string; attempt: number; waitMs: number }) => void;
}

export function retryingFetch(opts: RetryOptions = {}): typeof fetch {
  const attempts = opts.attempts ?? 6;
  const base = opts.baseMs ?? 250;
  const max = opts.maxMs ?? 20_000;
  const idleMs = opts.timeoutMs ?? 120_000;
  return async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    // A streamed body cannot be sent twice.
    const replayable = !init?.body || typeof init.body === 'string' || init.body instanceof Blob || init.body instanceof ArrayBuffer || ArrayBuffer.isView(init.body);
    for (let attempt = 1; ; attempt++) {
      const idle = idleTimer(idleMs);
      const signal = init?.signal ? AbortSignal.any([init.signal, idle.signal]) : idle.signal;
      let status: number | string;
      let res: Response | undefined;
      try {
        res = await fetch(input, { ...init, signal });
        status = res.status;
        const retryable = status === 429 || status === 503 || (IDEMPOTENT.has(method) && status >= 500);
        if (!retryable || attempt >= attempts || !replayable) return idle.watch(res);
      } catch (e) {
        idle.stop();
        if (init?.signal?.aborted) throw e;
        status = idle.signal.aborted ? 'timeout' : 'connection error';
        if (!IDEMPOTENT.has(method) || attempt >= attempts || !replayable) throw idle.signal.aborted ? new Error(`no answer from ${url} for ${idleMs / 1000} s`) : e;
      }
      idle.stop();
      const waitMs = backoffMs(attempt, res?.headers.get('retry-after'), { baseMs: base, maxMs: max });
      await res?.body?.cancel().catch(() => undefined);
      opts.onRetry?.({ url, status, attempt, waitMs });
      await new Promise((r) => setTimeout(r, waitMs));
    }
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
