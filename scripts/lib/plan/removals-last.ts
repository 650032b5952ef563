// Removals last, never after a failure (rclone's rule), the same in both directions: a push
// deletes remote files and a pull recycles local ones only once every transfer of its plan
// has landed, so a re-run converges and nothing is lost. The two executors (push over an
// object store in remotes/object-push.ts, pull in apply/pull.ts) ask here; the Hub push keeps
// the rule by carrying deletions in the same commit as the uploads.

export interface RemovalWords {
  /** What a removal does: "deleting" (push) or "recycling" (pull). */
  removing: string;
  /** Whose files: "remote" or "local". */
  side: string;
  /** What a transfer is: "transfer" or "download". */
  transfer: string;
}

/** removalsMayRun: whether the plan's removals may run now; when not, says why through `info`. */
export function removalsMayRun(failedTransfers: number, removals: number, words: RemovalWords, info: (message: string) => void): boolean {
  if (!failedTransfers) return true;
  if (removals) info(`not ${words.removing} ${removals} ${words.side} file(s) because ${failedTransfers} ${words.transfer}(s) failed`);
  return false;
}
