// What the run lock's two threads say to each other (run-lock.ts holds the lock's user side,
// refresh-worker.ts the lock itself): the settings they share, the states in a shared word,
// and the messages.

/** A lock folder whose time is older than this belongs to a run that died: it is taken over. */
export const STALE_MS = 10_000;
/** How often the holder sets the lock folder's time (well inside STALE_MS). */
export const REFRESH_MS = 3_000;
/** How often a waiting run tries again, and for how long in all. */
export const RETRY_MS = 500;
export const WAIT_MS = 600_000;

/**
 * The lock's state, one Int32 in shared memory (index 0): the main thread reads it
 * synchronously (in its exit hook, when its work ends) even while it has not yet had a
 * turn to receive the refresh thread's message.
 */
export const LockState = { acquiring: 0, held: 1, lost: 2, released: 3 } as const;

/** What the main thread hands the refresh thread. */
export interface RefreshSetup {
  /** The folder the lock protects (`.strata`). */
  dir: string;
  /** The lock folder itself (`.strata/run.lock`). */
  lockPath: string;
  /** An Int32Array over a SharedArrayBuffer holding one LockState. */
  state: Int32Array;
}

/** Refresh thread → main thread. */
export type RefreshMessage =
  | { type: 'waiting' } // another run holds the lock: this one waits
  | { type: 'held' }
  | { type: 'busy' } // still held by another run after WAIT_MS
  | { type: 'failed'; message: string; code?: string } // could not take the lock (not because it is held)
  | { type: 'lost'; message: string; code?: string } // the lock was removed or taken over while held
  | { type: 'released' };

/** Main thread → refresh thread: the run is over, remove the lock. */
export type MainMessage = { type: 'release' };
