// The run lock itself, on a thread of its own (run-lock.ts starts it). proper-lockfile takes
// the lock folder and keeps its time fresh from a timer. On the main thread that timer starves
// whenever the main thread is busy with synchronous work — a scan of a slow share, JSON.parse
// of a large record, an embedded database's queries — so after STALE_MS the lock looks like a
// dead run's and a second run takes it over while the first still works. Here the timer runs
// on this thread's own event loop, which no work on the main thread can block.
//
// NOTE: lockSync, not lock: every file-system call of the lock is then synchronous on this
// thread. Asynchronous ones would queue in libuv's thread pool, which the whole process
// shares, so a main thread with four reads hanging on a slow share would hold the refresh.
import { parentPort, workerData } from 'node:worker_threads';
import lockfile from 'proper-lockfile';
import { LockState, REFRESH_MS, RETRY_MS, STALE_MS, WAIT_MS, type MainMessage, type RefreshMessage, type RefreshSetup } from './protocol.js';

const { dir, lockPath, state } = workerData as RefreshSetup;
const port = parentPort!;
const tell = (m: RefreshMessage) => port.postMessage(m);

const options: lockfile.LockOptions = {
  lockfilePath: lockPath,
  stale: STALE_MS,
  update: REFRESH_MS,
  // proper-lockfile checks at each refresh that the folder is still there with the time it
  // last set; otherwise another run has taken it over (or someone removed it).
  onCompromised: (e) => {
    Atomics.store(state, 0, LockState.lost);
    tell({ type: 'lost', message: e.message, code: (e as NodeJS.ErrnoException).code });
  },
};

let release: (() => void) | undefined;

/** take: one try at the lock; while another run holds it, another try every RETRY_MS until `deadline`. */
function take(deadline: number, toldWaiting: boolean): void {
  try {
    release = lockfile.lockSync(dir, options);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ELOCKED') return tell({ type: 'failed', message: err.message, code: err.code });
    if (Date.now() >= deadline) return tell({ type: 'busy' });
    if (!toldWaiting) tell({ type: 'waiting' });
    setTimeout(() => take(deadline, true), RETRY_MS);
    return;
  }
  Atomics.store(state, 0, LockState.held);
  tell({ type: 'held' });
}

port.on('message', (m: MainMessage) => {
  if (m.type !== 'release') return;
  if (Atomics.load(state, 0) === LockState.held) {
    try {
      release?.();
    } catch {
      // already gone: nothing of this run's is left to remove
    }
    Atomics.store(state, 0, LockState.released);
  }
  tell({ type: 'released' });
  port.close(); // nothing keeps this thread alive now: it ends
});

take(Date.now() + WAIT_MS, false);
