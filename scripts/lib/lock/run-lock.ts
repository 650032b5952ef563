// holdRunLock: one Strata run per working copy (SPEC §6.11), a lock folder `.strata/run.lock`
// (proper-lockfile) that a second run waits for and that a killed run leaves stale after
// STALE_MS. The lock is taken and kept fresh on a thread of its own (refresh-worker.ts), so
// that no synchronous work on this thread — a scan of a slow share, a large JSON.parse, an
// embedded database — can starve its refresh and let a second run take it over.
//
// NOTE: a worker rather than scans that yield to the event loop now and then: yielding would
// have to be built into every synchronous step, present and future (listing, the state record,
// parsing), and one missed step on a slow enough share brings the hazard back. A worker is
// indifferent to what the main thread does; it costs a thread start per run (docs/architecture.md).
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { onExit } from 'signal-exit';
import { LockLostError, StrataError } from '../errors.js';
import { LockState, type MainMessage, type RefreshMessage, type RefreshSetup } from './protocol.js';

export interface RunLock {
  /** Rejects with a LockLostError as soon as this thread hears the lock was lost; never resolves. */
  lost: Promise<never>;
  /** Throws a LockLostError when the lock was lost, even before this thread has heard why. */
  assertHeld(): void;
  /** Removes the lock (unless it was lost: then it is another run's, or nobody's) and ends its thread. */
  release(): Promise<void>;
}

/** holdRunLock takes the lock on `dir` (which must exist), waiting up to ten minutes while another run holds it; `say` is told once that it waits. */
export async function holdRunLock(dir: string, say: (m: string) => void): Promise<RunLock> {
  const lockPath = path.join(dir, 'run.lock');
  const state = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const current = () => Atomics.load(state, 0);
  // Exit, ^C (cli.ts ends the process) or a signal with no handler: this thread's hook, since a
  // worker's own exit handlers never run when the process ends.
  const removeOnExit = onExit(() => {
    if (current() !== LockState.held) return;
    try {
      fs.rmdirSync(lockPath);
    } catch {
      // gone already
    }
  });

  let held!: () => void;
  let refused!: (e: Error) => void;
  let lose!: (e: LockLostError) => void;
  let ended!: () => void;
  const acquired = new Promise<void>((ok, no) => ((held = ok), (refused = no)));
  const lost = new Promise<never>((_, no) => (lose = no));
  lost.catch(() => undefined); // awaited by whoever races it; never an unhandled rejection
  const released = new Promise<void>((ok) => (ended = ok));
  let releasing = false;

  const setup: RefreshSetup = { dir, lockPath, state };
  const worker = new Worker(new URL('./refresh-worker.js', import.meta.url), { workerData: setup });
  worker.on('message', (m: RefreshMessage) => {
    switch (m.type) {
      case 'waiting':
        return say('Another Strata run is active in this working copy; waiting for it to finish…');
      case 'held':
        return held();
      case 'busy':
        return refused(new StrataError(`Another Strata run held the lock on ${dir} for ten minutes.`, 'Wait for it to finish (or end it), then run the recipe again.'));
      case 'failed':
        return refused(Object.assign(new Error(m.message), { code: m.code }));
      case 'lost':
        return lose(lostError(lockPath, lostReason(m.message)));
      case 'released':
        return ended();
    }
  });
  // The thread ended or failed: without it nothing refreshes the lock, which goes stale.
  const stopped = (why: string) => {
    refused(new Error(`the lock's thread stopped before taking ${lockPath} (${why})`));
    if (!releasing && current() === LockState.held) lose(lostError(lockPath, `its refresh stopped: ${why}`));
    ended();
  };
  worker.on('error', (e) => stopped(e.message));
  worker.on('exit', (code) => stopped(`exit ${code}`));

  try {
    await acquired;
  } catch (e) {
    removeOnExit();
    await worker.terminate();
    throw e;
  }
  return {
    lost,
    assertHeld() {
      if (current() === LockState.lost) throw lostError(lockPath, 'noticed as the run ended');
    },
    async release() {
      releasing = true;
      removeOnExit();
      if (current() === LockState.held) {
        worker.postMessage({ type: 'release' } satisfies MainMessage);
        await released;
      }
      // A lost lock: end at once, the process is about to stop (cli.ts).
      void worker.terminate();
    },
  };
}

/** lostReason: proper-lockfile's words for a compromised lock, as a user reads them. */
function lostReason(message: string): string {
  if (message.startsWith('ENOENT')) return 'it was removed';
  // The folder's time is not the one this run set: another run found it stale and took it.
  if (message.startsWith('Unable to update lock')) return 'another run took it over';
  return `its refresh failed: ${message}`;
}

function lostError(lockPath: string, why: string): LockLostError {
  return new LockLostError(
    `The lock ${lockPath} was taken over or removed while this run held it (${why}); the run stopped so that two runs never change this working copy at once.`,
    'Files finished so far are in place. Check that no other Strata run is working in this project folder and that nothing else removes .strata/run.lock, then run the recipe again.',
  );
}
