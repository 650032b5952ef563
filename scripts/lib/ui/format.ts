// Text for people: sizes, plan lines, summaries. Pure functions, so output is testable.
import type { Plan, PlanItem } from '../plan/plan.js';
import { changes, countKinds } from '../plan/plan.js';

export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const SYMBOL: Record<PlanItem['kind'], string> = { upload: '↑', copy: '⇉', download: '↓', delete: '✗', recycle: '♻', skip: '=' };
const VERB: Record<PlanItem['kind'], string> = { upload: 'upload', copy: 'copy', download: 'download', delete: 'delete', recycle: 'recycle', skip: 'same' };

/** showKey prints a key as it is, except control characters (a tab, a newline), which are escaped. */
function showKey(key: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(key) ? JSON.stringify(key).slice(1, -1) : key;
}

export function itemLine(layer: string, item: PlanItem): string {
  const size = item.kind === 'upload' || item.kind === 'download' ? `  ${bytes(item.bytes)}` : '';
  return `${SYMBOL[item.kind]} ${VERB[item.kind].padEnd(8)} ${layer}/${showKey(item.key)}${size}  (${item.reason}${item.unshared ? ', UNSHARED' : ''})`;
}

/** planText renders a plan for --dry-run and status: one line per change, then the counts. */
export function planText(plan: Plan, max = 200): string[] {
  const lines: string[] = [];
  const moving = changes(plan);
  for (const item of moving.slice(0, max)) lines.push('  ' + itemLine(plan.layer, item));
  if (moving.length > max) lines.push(`  … and ${moving.length - max} more`);
  for (const r of plan.refused) lines.push(`  ! refused  ${plan.layer}/${showKey(r.key)}  (${r.reason}; ${plan.direction === 'push' ? 'never pushed' : 'never written'})`);
  lines.push('  ' + countsText(plan));
  return lines;
}

export function countsText(plan: Plan): string {
  const c = countKinds(plan);
  const parts: string[] = [];
  if (plan.direction === 'push') {
    parts.push(`up ${c.upload.files} (${bytes(c.upload.bytes)})`);
    if (c.copy.files) parts.push(`copied in store ${c.copy.files}`);
    parts.push(`deleted ${c.delete.files}`);
  } else {
    parts.push(`down ${c.download.files} (${bytes(c.download.bytes)})`);
    parts.push(`recycled ${c.recycle.files + c.download.files - plan.items.filter((i) => i.kind === 'download' && !i.local).length}`);
  }
  parts.push(`unchanged ${c.skip.files}`);
  return parts.join(', ');
}

/** when shows a record's ISO time to the second: "2026-11-23 04:33:49Z". */
export function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** scrub hides the user-info part of any URL (https://user:secret@host) in a message. */
export function scrub(text: string): string {
  return text.replace(/(\w+:\/\/)[^/\s@]+@/g, '$1••••@');
}
