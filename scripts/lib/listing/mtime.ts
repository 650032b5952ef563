// Modification times travel with the data (Snakemake decides what to re-run from them): a push
// records each file's time, a pull sets it on the file it writes. On S3 the time is rclone's
// own user metadata, `X-Amz-Meta-Mtime`: seconds since the epoch as a decimal number (rclone
// writes nine decimals), so buckets the lab's rclone recipes wrote give their times to Strata
// and rclone reads the times Strata writes.
import fs from 'node:fs';

/** The S3 user-metadata name (the header is x-amz-meta-mtime). */
export const MTIME_META = 'mtime';

/** mtimeMeta: a time in milliseconds as rclone writes it. */
export function mtimeMeta(mtimeMs: number): string {
  return (mtimeMs / 1000).toFixed(9);
}

/** parseMtimeMeta: the time in milliseconds from an rclone-style value, or undefined when there is none or it is not a time. */
export function parseMtimeMeta(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text.trim());
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** httpDateMs: a Last-Modified header as milliseconds (the time of a file no tool recorded one for). */
export function httpDateMs(value: string | Date | undefined): number | undefined {
  if (!value) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * setMtime gives a file a modification time, to the microsecond (utimes takes seconds as a
 * number; a Date would drop everything below the millisecond). The access time becomes now.
 */
export async function setMtime(file: string, mtimeMs: number): Promise<void> {
  await fs.promises.utimes(file, Date.now() / 1000, mtimeMs / 1000);
}

/** setMtimeSync: the same, for a file written synchronously on a local disk (apply/local-disk.ts). */
export function setMtimeSync(file: string, mtimeMs: number): void {
  fs.utimesSync(file, Date.now() / 1000, mtimeMs / 1000);
}
