// Prefetch: an async stream read ahead of its reader, so that several key ranges of a listing
// are fetched side by side while the planner reads the first. It holds what was read and not
// yet taken: the caller bounds that by how many it starts (s3.ts lists a few ranges at once).

export class Prefetch<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  private abandoned = false;

  constructor(source: AsyncIterable<T>) {
    void this.fill(source);
  }

  private async fill(source: AsyncIterable<T>): Promise<void> {
    try {
      for await (const item of source) {
        if (this.abandoned) return;
        this.queue.push(item);
        this.wake?.();
      }
    } catch (e) {
      // Kept for the reader, who meets it in order; an abandoned stream's error goes nowhere.
      this.error = e;
    } finally {
      this.done = true;
      this.wake?.();
    }
  }

  /** The reader stopped early: stop reading ahead after the request in flight. */
  abandon(): void {
    this.abandoned = true;
    this.queue.length = 0;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.queue.length) {
        yield this.queue.shift()!;
        continue;
      }
      if (this.done) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** collect: every page of a stream, flattened. */
export async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) for (const x of page) out.push(x);
  return out;
}
