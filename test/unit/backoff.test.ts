import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../scripts/lib/remotes/backoff.js';

describe('backoffMs', () => {
  const opts = { baseMs: 200, maxMs: 20_000 };

  it('waits what Retry-After asks, capped', () => {
    expect(backoffMs(1, '3', opts)).toBe(3000);
    expect(backoffMs(1, '600', opts)).toBe(20_000);
  });

  it('otherwise backs off exponentially with full jitter, capped (Retry-After absent, 0 or not a number)', () => {
    for (const after of [undefined, null, '0', 'soon']) {
      for (let attempt = 1; attempt <= 12; attempt++) {
        const ms = backoffMs(attempt, after, opts);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThan(Math.min(20_000, 200 * 2 ** (attempt - 1)));
      }
    }
  });
});
