// The report: medians per workload and tool, ratios Strata ÷ peer (and ÷ the fastest peer),
// the scale group's table, the goals met or missed, and the chart. Written into the generated part of docs/performance.md
// (between the bench:begin and bench:end markers; the rest of the file is prose kept by
// hand), the chart next to it. Every sample is kept in a results file (bench/results.json
// for the docs) that holds the latest run of each workload group, so `just bench` (lab data
// and large file) and `just bench --only plan` (100,000 files) can run at different times
// and still make one report. The dedup group's samples also carry the bytes each push sent to
// the Hub emulator, shown in their own table with their goals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterListing, BROWSE_TARGET_MS, browseTable, parseBrowseId, remoteWords as browseRemoteWords, serverAfterListing, type BrowseMeasure } from './browse.js';
import { ratioChart, type ChartGroup } from './chart.js';
import { CHANGE_WORDS, DEDUP_TARGETS, dedupId, dedupTable, parseDedupId, type DedupChange, type DedupSent } from './dedup.js';
import type { Cost } from './measure.js';
import type { Options } from './options.js';
import { describeRequests, type Requests } from './requests.js';
import { parseScaleId, type ScaleStep } from './scale.js';

export interface Sample extends Cost {
  workload: string;
  tool: string;
  rep: number;
  requests: Requests;
  /** CPU seconds the Ceph daemons (mon, osd, rgw) spent during the run. */
  serverCpu: number;
  logFile: string;
  /** Why the run does not count: non-zero exit, or the synced folder differs from what it should hold. */
  problem?: string;
  /** The dedup group: what the push sent to the Hub emulator, in bytes. */
  dedup?: DedupSent;
  /** The browse group: a page's listing and load times (wall: the median page time). */
  browse?: BrowseMeasure;
}

export interface BenchResult {
  date: string;
  command: string;
  options: Options;
  labFiles: number;
  labBytes: number;
  planBytes: number;
  machine: { cpu: string; cores: number; memGB: number; kernel: string; os: string };
  versions: Record<string, string>;
  just: string;
  rusage: string;
  minutes: number;
  /** Set-up lines worth keeping (how long data took to write, seeding): not measurements. */
  notes?: string[];
  samples: Sample[];
}

const TOOLS = ['strata', 'rclone', 'rclone --checksum', 'aws', 'rclone-current', 's5cmd', 'raw'] as const;
/** The peers: every tool but Strata and the raw SDK (the physical limit, not a tool anyone syncs with). */
const PEERS = ['rclone', 'rclone --checksum', 'aws', 'rclone-current', 's5cmd'] as const;

/** A version number out of a tool's version line: "rclone v1.75.2" → 1.75.2, "v2.3.0-991c9fb" → 2.3.0. */
const versionOf = (line: string | undefined) => /v?(\d+\.\d+(?:\.\d+)?)/.exec(line ?? '')?.[1];

/** toolTitles: each tool's name in the report, with the version the latest run read from it. */
function toolTitles(versions: Record<string, string>): Record<string, string> {
  const old = versionOf(versions.rclone);
  const cur = versionOf(versions['rclone-current']);
  const s5 = versionOf(versions.s5cmd);
  return {
    strata: 'Strata',
    rclone: old ? `rclone ${old}` : 'rclone',
    'rclone --checksum': old ? `rclone ${old} --checksum` : 'rclone --checksum',
    aws: 'aws s3 sync',
    'rclone-current': cur ? `rclone ${cur} --checksum` : 'rclone (current) --checksum',
    s5cmd: s5 ? `s5cmd ${s5}` : 's5cmd',
    raw: 'raw SDK',
  };
}

interface Workload {
  id: string;
  group: 'lab' | 'big' | 'plan';
  title: (r: BenchResult) => string;
  /** Label in the chart and in the table of every measurement. */
  row: string;
}

const n = (x: number) => x.toLocaleString('en-US');
const mb = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`);
const labDesc = (r: BenchResult) => `${n(r.labFiles)} files, ${mb(r.labBytes)}`;

const WORKLOADS: Workload[] = [
  { id: 'cold-up', group: 'lab', row: '1 cold upload', title: (r) => `1. Cold upload (${labDesc(r)})` },
  { id: 'noop-up', group: 'lab', row: '2 no-op up', title: (r) => `2. No-op sync up, nothing changed (${n(r.labFiles)} files)` },
  { id: 'noop-down', group: 'lab', row: '2b no-op down', title: (r) => `2b. No-op sync down, nothing to do (${n(r.labFiles)} files; Strata: \`just get-results\`)` },
  { id: 'incr-up', group: 'lab', row: '3 incremental up', title: () => '3. Incremental up: 1 % changed, 0.5 % deleted, 0.5 % added' },
  { id: 'cold-down', group: 'lab', row: '4 cold download', title: (r) => `4. Cold download into an empty folder (${labDesc(r)})` },
  { id: 'exact-down', group: 'lab', row: '5 exact-sync down', title: () => '5. Exact-sync download: 1 % changed, 0.5 % added, 0.5 % deleted (Strata, rclone: recycled)' },
  { id: 'big-up', group: 'big', row: '6a large file up', title: (r) => `6a. One ${mb(r.options.hugeSize)} file up` },
  { id: 'big-down', group: 'big', row: '6b large file down', title: (r) => `6b. One ${mb(r.options.hugeSize)} file down` },
  { id: 'plan-up', group: 'plan', row: '7 planning, push', title: (r) => `7. Planning only (dry run), ${n(r.options.planFiles)} files, push direction, warm state` },
  { id: 'plan-down', group: 'plan', row: '7b planning, pull', title: (r) => `7b. Planning only (dry run), ${n(r.options.planFiles)} files, pull direction, warm state` },
  { id: 'first-sync', group: 'plan', row: 'first sync (planning set)', title: (r) => `First sync of a fresh working copy at ${n(r.options.planFiles)} files (no state: hashes every file; nothing to upload)` },
];

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Stat {
  wall: number;
  min: number;
  max: number;
  cpu: number;
  rss: number;
  requests: number;
  breakdown: string;
  server: number;
  runs: number;
  failed: number;
  problems: string[];
}

function stats(samples: Sample[]): Stat | undefined {
  const good = samples.filter((s) => !s.problem);
  if (!samples.length) return undefined;
  const use = good.length ? good : samples;
  const walls = use.map((s) => s.wall);
  const mid = [...use].sort((a, b) => a.wall - b.wall)[use.length >> 1]!;
  return {
    wall: median(walls),
    min: Math.min(...walls),
    max: Math.max(...walls),
    cpu: median(use.map((s) => s.user + s.sys)),
    rss: Math.max(...use.map((s) => s.rssMB)),
    requests: median(use.map((s) => s.requests.total)),
    breakdown: describeRequests(mid.requests),
    server: median(use.map((s) => s.serverCpu)),
    runs: samples.length,
    failed: samples.length - good.length,
    problems: [...new Set(samples.filter((s) => s.problem).map((s) => `${s.tool} r${s.rep}: ${s.problem}`))],
  };
}

const secs = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a?: Stat, b?: Stat) => (a && b && b.wall > 0 ? a.wall / b.wall : undefined);
const showRatio = (x?: number) => (x === undefined ? '' : `**${x.toFixed(2)}**`);

interface Goal {
  what: string;
  target: string;
  value?: number;
  shown: string;
  met?: boolean;
}

/** A report's view of its runs: the latest run of each group, and the statistics of each workload and tool. */
class View {
  private readonly cache = new Map<string, Stat | undefined>();
  private readonly by = new Map<string, Sample[]>();
  readonly titles: Record<string, string>;
  constructor(readonly runs: BenchResult[]) {
    for (const r of runs) for (const s of r.samples) this.by.set(`${s.workload}\0${s.tool}`, [...(this.by.get(`${s.workload}\0${s.tool}`) ?? []), s]);
    // A tool's version from the latest run that measured it.
    const versions: Record<string, string> = {};
    for (const r of [...runs].sort((a, b) => (a.date < b.date ? -1 : 1))) Object.assign(versions, r.versions);
    this.titles = toolTitles(versions);
  }
  st(w: string, t: string): Stat | undefined {
    const k = `${w}\0${t}`;
    if (!this.cache.has(k)) this.cache.set(k, stats(this.by.get(k) ?? []));
    return this.cache.get(k);
  }
  walls(w: string, t: string): number[] {
    return (this.by.get(`${w}\0${t}`) ?? []).filter((s) => !s.problem).map((s) => s.wall);
  }
  /** runOf: the run that measured a workload (its options name the scale). */
  runOf(workload: string): BenchResult | undefined {
    return this.runs.find((r) => r.samples.some((s) => s.workload === workload));
  }
  get latest(): BenchResult {
    return [...this.runs].sort((a, b) => (a.date < b.date ? 1 : -1))[0]!;
  }
  /** The tools any kept run measured, in the report's order. */
  get tools(): string[] {
    return TOOLS.filter((t) => this.runs.some((r) => r.samples.some((s) => s.tool === t)));
  }
  /** The scale measurements kept: remote, files, step, for each workload id. */
  get scale(): { id: string; remote: 'folder' | 's3'; files: number; step: ScaleStep }[] {
    const ids = new Set(this.runs.flatMap((r) => r.samples.map((s) => s.workload)));
    return [...ids].flatMap((id) => {
      const p = parseScaleId(id);
      return p ? [{ id, ...p }] : [];
    });
  }
  /** fastest: the peer with the shortest median on a workload, among those with at least one run that counts. */
  fastest(w: string): { tool: string; stat: Stat } | undefined {
    let best: { tool: string; stat: Stat } | undefined;
    for (const t of PEERS) {
      const s = this.st(w, t);
      if (!s || s.failed === s.runs) continue;
      if (!best || s.wall < best.stat.wall) best = { tool: t, stat: s };
    }
    return best;
  }
}

const x2 = (val: number) => `${val.toFixed(2)}×`;
const mbs = (r: number) => `${n(Math.round(r))} MB`;
const STEP_WORDS: Record<ScaleStep, string> = {
  'first-push': 'first push',
  'first-sync-over-copy': "first sync over s5cmd's copy",
  'noop-push': 'no-op push',
  'noop-pull': 'no-op pull',
  'noop-one-branch': 'no-op on a branch, after visiting one',
  'noop-many-branches': 'no-op on a branch, after visiting all',
};
const remoteWords = (r: 'folder' | 's3') => (r === 's3' ? 'S3' : 'folder remote');
/** The constant a no-op's requests may cost beyond its listing pages (the journal's head and probes). */
const REQUEST_ALLOWANCE = 20;
/**
 * A listing streamed in key ranges of about this many keys (remotes/object-backend.ts) ends
 * each range with one page more: the page that crosses into the next range.
 */
const KEYS_PER_STREAMED_RANGE = 20_000;

/** The goals of the scale work: each measured from the kept runs, "not measured" where a run is missing. */
function scaleGoals(v: View): Goal[] {
  const out: Goal[] = [];
  const g = (what: string, target: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string) =>
    out.push({ what, target, value, shown: value === undefined ? 'not measured' : show(value), met: value === undefined ? undefined : ok(value) });
  const sc = (remote: 'folder' | 's3', files: number, step: ScaleStep) => v.st(`scale/${remote}/${files}/${step}`, 'strata');
  for (const [files, limit] of [
    [10_000, 0.5],
    [100_000, 2],
    [1_000_000, 10],
  ] as const) {
    const push = sc('folder', files, 'noop-push');
    const pull = sc('folder', files, 'noop-pull');
    const worst = push && pull ? Math.max(push.wall, pull.wall) : undefined;
    g(`No-op on the folder remote, ${n(files)} files (the slower of push and pull)`, `≤ ${limit} s`, worst, (r) => r <= limit, (r) => `${secs(r)} s (push ${secs(push!.wall)} · pull ${secs(pull!.wall)})`);
  }
  {
    const files = 1_000_000;
    const ranges = Math.ceil(files / KEYS_PER_STREAMED_RANGE);
    const allowed = Math.ceil(files / 1000) + ranges + REQUEST_ALLOWANCE;
    const push = sc('s3', files, 'noop-push');
    const pull = sc('s3', files, 'noop-pull');
    g(
      `No-op on S3, ${n(files)} files: requests (the more of push and pull)`,
      `only its listing: ≤ ⌈N/1000⌉ pages + one per key range (${n(ranges)}) + ${REQUEST_ALLOWANCE} = ${n(allowed)}`,
      push && pull ? Math.max(push.requests, pull.requests) : undefined,
      (r) => r <= allowed,
      () => `push ${push!.breakdown} · pull ${pull!.breakdown}`,
    );
  }
  const worstOf = (steps: ScaleStep[], files?: number) => {
    let worst: { rss: number; where: string } | undefined;
    for (const m of v.scale) {
      if (!steps.includes(m.step) || (files !== undefined && m.files !== files)) continue;
      const s = v.st(m.id, 'strata');
      if (s && (!worst || s.rss > worst.rss)) worst = { rss: s.rss, where: `${STEP_WORDS[m.step]}, ${remoteWords(m.remote)}, ${n(m.files)} files` };
    }
    return worst;
  };
  const noopRss = worstOf(['noop-push', 'noop-pull', 'noop-one-branch', 'noop-many-branches']);
  g('Peak RSS of a no-op, any size (scale group)', '≤ 200 MB', noopRss?.rss, (r) => r <= 200, (r) => `${mbs(r)} (largest: ${noopRss!.where})`);
  const firstRss = worstOf(['first-push', 'first-sync-over-copy'], 1_000_000);
  g(`Peak RSS of a first sync of ${n(1_000_000)} files`, '≤ 300 MB', firstRss?.rss, (r) => r <= 300, (r) => `${mbs(r)} (largest: ${firstRss!.where})`);
  {
    let worst: { ratio: number; where: string } | undefined;
    const all: string[] = [];
    for (const m of v.scale.filter((m) => m.step === 'noop-many-branches').sort((a, b) => a.files - b.files || (a.remote < b.remote ? -1 : 1))) {
      const one = v.st(`scale/${m.remote}/${m.files}/noop-one-branch`, 'strata');
      const many = v.st(m.id, 'strata');
      if (!one || !many) continue;
      const ratio = many.wall / one.wall;
      const where = `${remoteWords(m.remote)}, ${n(m.files)} files`;
      // CPU moves less than wall time when other work shares the machine: shown beside it.
      all.push(`${where}: ${x2(ratio)} (CPU ${x2(many.cpu / one.cpu)})`);
      if (!worst || ratio > worst.ratio) worst = { ratio, where };
    }
    const k = v.runs.find((r) => r.options.scaleBranches)?.options.scaleBranches ?? 10;
    g(`A no-op after visiting ${k} branches ÷ one after a single branch`, '≤ 1.10×', worst?.ratio, (r) => r <= 1.1, () => all.join(' · '));
  }
  for (const [w, words, limit] of [
    ['cold-up', 'Cold upload', 1],
    ['cold-down', 'Cold download', 1],
    ['incr-up', 'Incremental 1 %', 0.3],
  ] as const) {
    const s = v.st(w, 'strata');
    const best = v.fastest(w);
    g(`${words} vs the fastest peer`, `≤ ${limit.toFixed(1)}×`, s && best ? s.wall / best.stat.wall : undefined, (r) => r <= limit, (r) => `${x2(r)} (fastest: ${v.titles[best!.tool]}, ${secs(best!.stat.wall)} s)`);
  }
  return out;
}

/** The goals of the earlier work that the scale goals do not replace. */
function earlierGoals(v: View): Goal[] {
  const out: Goal[] = [];
  const st = (w: string, t: string) => v.st(w, t);
  const g = (what: string, target: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string) =>
    out.push({ what, target, value, shown: value === undefined ? 'not measured' : show(value), met: value === undefined ? undefined : ok(value) });
  const lab = v.runOf('noop-up');
  const big = v.runOf('big-up');
  const plan = v.runOf('plan-up') ?? v.runOf('first-sync');
  const at = lab ? ` (${n(lab.labFiles)} files)` : '';
  const rc = v.titles.rclone;
  g(`No-op sync up vs ${rc} (lab flags)${at}`, '≤ 0.2×', ratio(st('noop-up', 'strata'), st('noop-up', 'rclone')), (r) => r <= 0.2, x2);
  g(`No-op sync up vs ${v.titles['rclone --checksum']}${at}`, '≤ 0.5×', ratio(st('noop-up', 'strata'), st('noop-up', 'rclone --checksum')), (r) => r <= 0.5, x2);
  g(`No-op sync up vs aws s3 sync${at}`, '≤ 0.5×', ratio(st('noop-up', 'strata'), st('noop-up', 'aws')), (r) => r <= 0.5, x2);
  g(`\`just get-results\` with nothing to do${at}, including process start`, '≤ 1 s', st('noop-down', 'strata')?.wall, (r) => r <= 1, (r) => `${r.toFixed(2)} s`);
  const frac = (w: string) => {
    const s = st(w, 'strata');
    const raw = st(w, 'raw');
    return s && raw ? raw.wall / s.wall : undefined;
  };
  const pct = (r: number) => `${Math.round(r * 100)} % of raw`;
  const huge = big ? mb(big.options.hugeSize) : 'large';
  g(`${huge} file up: throughput vs raw SDK`, '≥ 80 %', frac('big-up'), (r) => r >= 0.8, pct);
  g(`${huge} file down: throughput vs raw SDK`, '≥ 80 %', frac('big-down'), (r) => r >= 0.8, pct);
  const rssOf = (ws: string[]) => {
    const all = ws.map((w) => st(w, 'strata')?.rss).filter((r): r is number => r !== undefined);
    return all.length ? Math.max(...all) : undefined;
  };
  const planN = plan ? n(plan.options.planFiles) : '100,000';
  g(`Peak RSS at ${planN} files (dry runs, warm state)`, '≤ 250 MB', rssOf(['plan-up', 'plan-down']), (r) => r <= 250, mbs);
  g(`Peak RSS at ${planN} files (first sync: hashes every file)`, '≤ 250 MB', rssOf(['first-sync']), (r) => r <= 250, mbs);
  g(`Peak RSS with one ${huge} file`, '≤ 250 MB', rssOf(['big-up', 'big-down']), (r) => r <= 250, mbs);
  g(`Peak RSS, lab data set${at}`, '≤ 250 MB', rssOf(['cold-up', 'noop-up', 'incr-up', 'cold-down', 'noop-down', 'exact-down']), (r) => r <= 250, mbs);
  g(`Planning ${planN} files, warm state (push dry run)`, '≤ 5 s', st('plan-up', 'strata')?.wall, (r) => r <= 5, (r) => `${r.toFixed(2)} s`);
  g(`Planning ${planN} files, warm state (pull dry run)`, '≤ 5 s', st('plan-down', 'strata')?.wall, (r) => r <= 5, (r) => `${r.toFixed(2)} s`);
  return out;
}

/** The dedup goals: bytes sent over Xet for each change, as a share of the file. */
function dedupGoals(v: View): Goal[] {
  const run = v.runOf(dedupId('xet', 'first'));
  const size = run ? ` (${mb(run.samples.find((s) => s.workload === dedupId('xet', 'first'))?.dedup?.fileBytes ?? run.options.dedupSize)} parquet file)` : '';
  return (Object.entries(DEDUP_TARGETS) as [DedupChange, number][]).map(([change, limit]) => {
    const samples = v.runs.flatMap((r) => r.samples.filter((s) => s.workload === dedupId('xet', change) && s.dedup && !s.problem));
    const d = samples[0]?.dedup;
    const share = d ? d.bytes / d.fileBytes : undefined;
    return {
      what: `Bytes a push sends over Xet, ${CHANGE_WORDS[change]}${size}`,
      target: `≤ ${limit * 100} % of the file`,
      value: share,
      shown: d ? `${n(d.bytes)} B = ${(share! * 100).toFixed(share! < 0.01 ? 3 : 1)} %` : 'not measured',
      met: share === undefined ? undefined : share <= limit,
    };
  });
}

/** The dedup group's table, from the latest run that measured it. */
function dedupSection(v: View): string[] {
  const run = v.runOf(dedupId('xet', 'first')) ?? v.runOf(dedupId('lfs', 'first'));
  if (!run) return [];
  const samples = run.samples.filter((s) => parseDedupId(s.workload));
  const L: string[] = [];
  L.push('### Dedup: bytes a push sends to the Hub');
  L.push('');
  L.push(
    'One parquet file written by pyarrow with content-defined chunking, pushed with `just put-results` to a branch of the Hub emulator (in the benchmark\'s process, Xet CAS included), then changed and pushed again. ' +
      'Bytes: the sum of the request bodies (Content-Length) of the push, from the emulator\'s request log: CAS xorbs and shards, LFS uploads, the commit and the JSON calls. ' +
      'Xet: `hub_transfer: xet` (the default); LFS: `STRATA_HUB_TRANSFER=lfs`, each transfer against a fresh emulator.',
  );
  L.push('');
  L.push(...dedupTable(samples, true));
  const col = samples.find((s) => s.dedup?.addedColumnBytes);
  if (col) L.push('', `The added column itself takes ${n(col.dedup!.addedColumnBytes!)} bytes (compressed) in the file.`);
  L.push(
    '',
    "New chunks: the bytes of the file's Xet chunks (the official chunker, 64 KiB target) that no earlier push held, uncompressed: what a push needs to send when every chunk the Hub already stores is found. " +
      'The Xet client finds stored chunks through one dedup query per file, on its first chunk, and reuses the xorbs the answer lists; the emulator answers, as the Xet reference server (xet-core) does, with every xorb of the upload that chunk came from. Bytes over Xet can be fewer than the new chunks: xorbs carry chunks compressed.',
  );
  L.push('');
  L.push('| Push | Wall s | Peak RSS MB | Requests | xorbs B | shards B | LFS B | commit B | other B |');
  L.push('|---|--:|--:|---|--:|--:|--:|--:|--:|');
  for (const s of samples) {
    const d = s.dedup!;
    L.push(`| ${d.transfer.toUpperCase()}: ${CHANGE_WORDS[d.change]} | ${secs(s.wall)} | ${Math.round(s.rssMB)} | ${describeRequests(s.requests)} | ${n(d.xorbs)} | ${n(d.shards)} | ${n(d.lfs)} | ${n(d.commit)} | ${n(d.other)} |`);
  }
  const problems = samples.filter((s) => s.problem).map((s) => `${s.workload}: ${s.problem}`);
  if (problems.length) L.push('', 'Pushes that did not count:', '', ...problems.map((p) => `- ${p}`));
  const notes = (run.notes ?? []).filter((x) => x.startsWith('Dedup:'));
  if (notes.length) L.push('', ...notes.map((x) => `- ${x}`));
  L.push('');
  return L;
}

/** The browse goal: a 10,000-file space's page drawn within 1 s of its listing, the worst page and remote. */
function browseGoals(v: View): Goal[] {
  const run = v.runs.find((r) => r.samples.some((s) => s.browse));
  const all = run ? run.samples.filter((s) => s.browse && s.browse.page !== 'overview') : [];
  const files = all[0]?.browse?.files;
  let worst: { ms: number; where: string } | undefined;
  for (const s of all) {
    const ms = afterListing(s.browse!);
    const where = `${s.browse!.page === 'diff' ? 'the branch against main' : s.browse!.page === 'top' ? 'the top folder' : 'a folder'}, ${browseRemoteWords(s.browse!.remote)}`;
    if (!worst || ms > worst.ms) worst = { ms, where };
  }
  const failed = all.filter((s) => s.problem);
  return [
    {
      what: `Listing a ${files ? n(files) : '10,000'}-file space and drawing its page, after the listing arrives (the slowest of a folder, the top and the branch against main, on every remote)`,
      target: `≤ ${BROWSE_TARGET_MS} ms`,
      value: worst?.ms,
      shown: worst ? `${Math.round(worst.ms)} ms (${worst.where})${failed.length ? `; ${failed.length} page(s) wrong` : ''}` : 'not measured',
      met: worst === undefined ? undefined : worst.ms <= BROWSE_TARGET_MS && !failed.length,
    },
  ];
}

/** The browse group's table, from the latest run that measured it. */
function browseSection(v: View): string[] {
  const run = [...v.runs].reverse().find((r) => r.samples.some((s) => s.browse));
  if (!run) return [];
  const samples = run.samples.filter((s) => s.browse);
  const files = samples[0]!.browse!.files;
  const L: string[] = [];
  L.push(`### Browse: \`just browse\` pages of a ${n(files)}-file space`);
  L.push('');
  L.push(
    `A layer of ${n(files)} small files (1–4 kB, 100 to a folder) pushed to main by \`just put-results\`, and a branch that changed 1 % of them, added 0.5 % and deleted 0.5 %, pushed the same way; ` +
      "then the browse server (Strata's `startBrowse`, what `just browse` runs, in the benchmark's process) read by Debian's Chromium through playwright-core. " +
      `Listing: the browse reader's listing of the space alone, median of ${run.options.reps} (the branch against main: both spaces side by side, as its page lists them). ` +
      "Its listing in the page: the same listing timed inside each page's own request. " +
      `Page: navigation start to the load event (Navigation Timing), median of ${run.options.reps} loads after one unmeasured, in one browser tab. ` +
      "Page − listing: each load's page time less the listing inside it, median: what the goal bounds. " +
      'After the listing, server · browser: request to first byte less the listing · first byte to the load event (receiving, parsing, style and layout). ' +
      "DOM nodes and JS heap: Chromium's metrics after the load and a garbage collection (the pages run no script: the heap is the page's DOM wrappers and Chromium's own).",
  );
  L.push('');
  L.push(...browseTable(samples, true));
  L.push('');
  const of = (page: string) => samples.filter((s) => s.browse!.page === page).map((s) => s.browse!);
  const range = (xs: number[]) => (xs.length ? `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))} ms` : '–');
  const spaces = [...of('folder'), ...of('top')];
  const diffs = of('diff');
  L.push(
    'What the times are made of. ' +
      'A space page (a folder, or the top) lists the whole space whatever the folder (the reader lists a space, not one folder of it), goes once over every key to count the folder\'s subfolders and pick its files, and draws a row for each: ' +
      `here ${range(spaces.map((b) => afterListing(b)))} after the listing, of which the server's part is ${range(spaces.map((b) => serverAfterListing(b)))}; the rest is Chromium's. ` +
      'The branch against main lists both spaces, compares them key by key, has the remote hash each same-size pair its listings cannot tell apart, reads the branch\'s history as far back as it takes to name the push behind each added or changed file, and draws a row per difference; ' +
      `its server's time after the listing: ${diffs.map((b) => `${browseRemoteWords(b.remote)} ${Math.round(serverAfterListing(b))} ms`).join(', ')}. ` +
      'On S3 the listing carries each file\'s MD5 (its ETag) and the Hub\'s its blob ids, so no pair is hashed; a plain folder lists sizes and change tags (size, mtime, ctime), and a copy inside the store never keeps the ctime, so every same-size pair of the two spaces is read and hashed, both sides (small files on a local disk in synchronous reads). ' +
      'On the Hub emulator, naming the pushes takes one paths-info request per 50 files (`expand`: the emulator walks its git history once per request for the paths\' last commits); its listing re-reads the whole tree for every page of 1,000 entries. ' +
      'The overview lists nothing: per layer and branch it asks whether the space exists and reads its newest push.',
  );
  const notes = (run.notes ?? []).filter((x) => x.startsWith('Browse'));
  if (notes.length) L.push('', 'Set-up, not measured:', '', ...notes.map((x) => `- ${x}`));
  L.push('');
  return L;
}

const verdict = (g: Goal) => (g.met === undefined ? '–' : g.met ? '✅ met' : '❌ missed');

function goalTable(goals: Goal[]): string[] {
  return ['| Goal | Target | Measured | |', '|---|---|--:|---|', ...goals.map((g) => `| ${g.what} | ${g.target} | ${g.shown} | ${verdict(g)} |`)];
}

/** goalLines: the goals as plain text, for the end of a run (from every run the results file keeps). */
export function goalLines(resultsFile: string): string[] {
  const runs = fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { runs: BenchResult[] }).runs : [];
  if (!runs.length) return [];
  const v = new View(runs);
  const line = (g: Goal) => `  ${g.met === undefined ? '–     ' : g.met ? 'met   ' : 'MISSED'}  ${g.what}: ${g.shown} (goal ${g.target})`;
  return ['Goals (from the kept results):', ...scaleGoals(v).map(line), 'Dedup goals:', ...dedupGoals(v).map(line), 'Browse goal:', ...browseGoals(v).map(line), 'Earlier goals:', ...earlierGoals(v).map(line)];
}

const GROUP_NAMES: Record<string, string> = { lab: 'workloads 1–5 (lab data set)', big: 'workload 6 (one large file)', plan: 'workload 7 (planning)', dedup: 'dedup (bytes sent to the Hub)', browse: 'browse (`just browse` pages in Chromium)' };

/** groupName: words for a group id, including the scale group's scale/<remote>/<files>. */
function groupName(group: string): string {
  const m = /^scale\/(folder|s3)\/(\d+)$/.exec(group);
  return m ? `scale (${remoteWords(m[1] as 'folder' | 's3')}, ${n(Number(m[2]))} files)` : (GROUP_NAMES[group] ?? group);
}

/** The scale group's table: one row per remote and size, a cell per step (wall, RSS, and on S3 the requests). */
function scaleTable(v: View): string[] {
  const measured = v.scale;
  if (!measured.length) return [];
  const L: string[] = [];
  const run = v.runOf(measured[0]!.id)!;
  const k = run.options.scaleBranches ?? 10;
  const peers = (['rclone-current', 's5cmd'] as const).filter((t) => measured.some((m) => v.st(m.id, t)));
  L.push('### Scale: many small files');
  L.push('');
  L.push(
    `A layer of small files (1–4 kB each, 50 to a folder) synced exactly, by Strata on the folder remote and on S3; on S3 also today's peers' no-op push. ` +
      `Each cell: median wall time in seconds · peak RSS · on S3 the requests of the median run. "After ${k} branches": the same no-op on the first branch once the working copy has visited ${k} (each pushing to its own space); then the ratio of the two, of wall time (the goal) and of CPU time (which other work on the machine moves less).`,
  );
  L.push('');
  const head = ['Remote', 'Files', 'First push', 'No-op push', 'No-op pull', 'No-op after 1 branch', `No-op after ${k} branches`, `${k} ÷ 1`, ...peers.map((t) => `${v.titles[t]} no-op push`)];
  L.push(`| ${head.join(' | ')} |`);
  L.push(`|---|--:|${head.slice(2).map(() => '--:').join('|')}|`);
  const rows = [...new Set(measured.map((m) => `${m.remote}\0${m.files}`))]
    .map((k2) => k2.split('\0') as ['folder' | 's3', string])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : Number(a[1]) - Number(b[1])));
  for (const [remote, filesText] of rows) {
    const files = Number(filesText);
    const cell = (step: ScaleStep, tool = 'strata') => {
      const s = v.st(`scale/${remote}/${files}/${step}`, tool);
      if (!s) return '';
      const parts = [`${secs(s.wall)} s`, mbs(s.rss)];
      if (remote === 's3') parts.push(`${n(s.requests)} req`);
      return `${parts.join(' · ')}${s.failed ? ` (${s.failed} ✗)` : ''}`;
    };
    const one = v.st(`scale/${remote}/${files}/noop-one-branch`, 'strata');
    const many = v.st(`scale/${remote}/${files}/noop-many-branches`, 'strata');
    L.push(
      `| ${remoteWords(remote)} | ${n(files)} | ${cell('first-push') || (cell('first-sync-over-copy') && `${cell('first-sync-over-copy')} (over s5cmd's copy)`)} | ${cell('noop-push')} | ${cell('noop-pull')} | ${cell('noop-one-branch')} | ${cell('noop-many-branches')} | ${one && many ? `**${x2(many.wall / one.wall)}** (CPU ${x2(many.cpu / one.cpu)})` : ''} | ${peers.map((t) => cell('noop-push', t)).join(' | ')} |`,
    );
  }
  const notes = v.runs.filter((r) => r.samples.some((s) => parseScaleId(s.workload))).flatMap((r) => r.notes ?? []);
  if (notes.length) {
    L.push('');
    L.push('Set-up, not measured:');
    L.push('');
    for (const note of notes) L.push(`- ${note}`);
  }
  L.push('');
  return L;
}

/** renderMarkdown is the generated part of docs/performance.md. */
export function renderMarkdown(v: View, chartFile: string): string {
  const present = WORKLOADS.filter((w) => TOOLS.some((t) => v.st(w.id, t)));
  const L: string[] = [];
  for (const r of v.runs) {
    const groups = [...groupsOf(r)];
    const loads = r.samples.map((s) => s.load);
    L.push(
      `- ${groups.map(groupName).join(', ')}: measured ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`${r.command}\` ` +
        `(strata ${r.versions.strata ?? '?'}; ${r.options.reps} repetition${r.options.reps === 1 ? '' : 's'}, tools alternating, ${r.minutes.toFixed(0)} min; ` +
        `1-minute load average at run starts ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}).`,
    );
  }
  const r = v.latest;
  L.push('');
  // Runs kept from different machines name theirs, each with the groups it measured.
  const machineOf = (m: BenchResult['machine']) => `${m.cpu}, ${m.cores} cores, ${Math.round(m.memGB)} GB RAM, ${m.os}, Linux ${m.kernel}`;
  const machines = [...new Set(v.runs.map((run) => machineOf(run.machine)))];
  const machineText =
    machines.length === 1
      ? machines[0]
      : machines.map((m) => `${m} (${v.runs.filter((run) => machineOf(run.machine) === m).flatMap((run) => [...groupsOf(run)].map(groupName)).join(', ')})`).join('; ');
  L.push(
    `Machine: ${machineText}. ` +
      'Server: a single-node Ceph RGW (bluestore on a sparse file) on loopback, sharing those cores with the tool under test. ' +
      `The load average at a run's start still counts the runs just before it (the tools and the server); well above ${r.machine.cores} after a quiet pause means other work was running on the machine too.`,
  );
  L.push('');
  L.push(`Versions: ${Object.entries(r.versions).map(([k, val]) => `${k} ${val.replace(/^(rclone|aws-cli\/|just|ceph version|git version)\s*/i, '')}`).join(' · ')}.`);
  L.push(`Strata runs as \`just put-results\` / \`just get-results\` with the native \`just\` binary (\`${path.basename(path.dirname(path.dirname(r.just)))}/bin/just\`); CPU and RSS from ${r.rusage}.`);
  L.push('');

  const tools = v.tools;
  const peers = PEERS.filter((t) => tools.includes(t));
  if (present.length) {
    L.push('### Medians: wall time in seconds, and Strata ÷ the fastest peer');
    L.push('');
    L.push(`![Strata's time divided by each peer's, per workload](${chartFile})`);
    L.push('');
    const cols = tools.filter((t) => present.some((w) => v.st(w.id, t)));
    L.push(`| Workload | ${cols.map((t) => v.titles[t]).join(' | ')} | Strata ÷ fastest peer | Strata as a share of raw throughput |`);
    L.push(`|---|${cols.map(() => '--:').join('|')}|--:|--:|`);
    for (const w of present) {
      const cells = cols.map((t) => {
        const s = v.st(w.id, t);
        return s ? `${secs(s.wall)}${s.failed ? ` (${s.failed} ✗)` : ''}` : '';
      });
      const s = v.st(w.id, 'strata');
      const raw = v.st(w.id, 'raw');
      const best = v.fastest(w.id);
      const share = s && raw ? `${Math.round((raw.wall / s.wall) * 100)} %` : '';
      const vsBest = s && best ? `${showRatio(ratio(s, best.stat))} (${v.titles[best.tool]})` : '';
      L.push(`| ${w.title(v.runOf(w.id)!)} | ${cells.join(' | ')} | ${vsBest} | ${share} |`);
    }
    L.push('');
    L.push('✗: runs whose result was wrong (listed below); their times are shown but do not count as a like-for-like comparison, nor as the fastest peer.');
    L.push('');
    const ratioCols = peers.filter((t) => present.some((w) => v.st(w.id, t)));
    L.push(`| Strata ÷ | ${ratioCols.map((t) => v.titles[t]).join(' | ')} |`);
    L.push(`|---|${ratioCols.map(() => '--:').join('|')}|`);
    for (const w of present) {
      const s = v.st(w.id, 'strata');
      if (!s || !ratioCols.some((t) => v.st(w.id, t))) continue;
      L.push(`| ${w.row} | ${ratioCols.map((t) => showRatio(ratio(s, v.st(w.id, t)))).join(' | ')} |`);
    }
    L.push('');
  }

  L.push(...scaleTable(v));
  L.push(...dedupSection(v));
  L.push(...browseSection(v));

  L.push('### Goals');
  L.push('');
  L.push(...goalTable(scaleGoals(v)));
  L.push('');
  if (v.runOf(dedupId('xet', 'first'))) {
    L.push('Dedup goals:');
    L.push('');
    L.push(...goalTable(dedupGoals(v)));
    L.push('');
  }
  if (v.runs.some((r) => r.samples.some((s) => s.browse))) {
    L.push('Browse goal:');
    L.push('');
    L.push(...goalTable(browseGoals(v)));
    L.push('');
  }
  L.push('Earlier goals, still measured:');
  L.push('');
  L.push(...goalTable(earlierGoals(v)));
  L.push('');

  L.push('### Every measurement');
  L.push('');
  L.push(
    "Wall: median (min–max) over the repetitions. CPU: user + sys of the tool's whole process tree, median. RSS: the largest peak over the repetitions. " +
      'Requests: HTTP requests the server logged, median total (breakdown of the median run). Server CPU: what the Ceph daemons spent during the run, median.',
  );
  L.push('');
  L.push('| Workload | Tool | Wall s | CPU s | Peak RSS MB | Requests | Server CPU s |');
  L.push('|---|---|--:|--:|--:|---|--:|');
  const rowsOf = [
    ...present.map((w) => ({ id: w.id, row: w.row })),
    ...v.scale
      .sort((a, b) => (a.remote < b.remote ? -1 : a.remote > b.remote ? 1 : a.files - b.files || Object.keys(STEP_WORDS).indexOf(a.step) - Object.keys(STEP_WORDS).indexOf(b.step)))
      .map((m) => ({ id: m.id, row: `scale ${remoteWords(m.remote)} ${n(m.files)}: ${STEP_WORDS[m.step]}` })),
  ];
  for (const w of rowsOf) {
    for (const t of TOOLS) {
      const s = v.st(w.id, t);
      if (!s) continue;
      L.push(`| ${w.row} | ${v.titles[t]} | ${secs(s.wall)} (${secs(s.min)}–${secs(s.max)}) | ${secs(s.cpu)} | ${Math.round(s.rss)} | ${s.breakdown} | ${secs(s.server)} |`);
    }
  }
  const problems = rowsOf.flatMap((w) => TOOLS.flatMap((t) => v.st(w.id, t)?.problems ?? []).map((p) => `${w.id}: ${p}`));
  if (problems.length) {
    L.push('');
    L.push('Runs that did not count (a failed exit, or a result that differs from what the folder should hold):');
    L.push('');
    for (const p of problems) L.push(`- ${p}`);
  }
  return L.join('\n');
}

function chartGroups(v: View): ChartGroup[] {
  const groups: ChartGroup[] = [];
  // Goal ticks: the no-op's is against Debian's rclone with the lab's flags; the others against the fastest peer.
  const goalsBy: Record<string, number> = { 'noop-up': 0.2, 'incr-up': 0.3, 'cold-up': 1, 'cold-down': 1, 'big-up': 1.25, 'big-down': 1.25 };
  for (const w of WORKLOADS) {
    const s = median(v.walls(w.id, 'strata'));
    if (!Number.isFinite(s)) continue;
    const bars = (['rclone', 'rclone --checksum', 'aws', 'rclone-current', 's5cmd', 'raw'] as const)
      .map((p) => ({ peer: p, ratio: s / median(v.walls(w.id, p)) }))
      .filter((b) => Number.isFinite(b.ratio) && b.ratio > 0);
    if (bars.length) groups.push({ label: w.row, bars, goal: goalsBy[w.id] });
  }
  return groups;
}

/** groupsOf: the workload groups a run measured (a scale run: one group per remote and size, so sizes run apart add up). */
function groupsOf(r: BenchResult): Set<string> {
  return new Set(r.samples.map((s) => groupOf(s.workload)));
}

function groupOf(workload: string): string {
  const scale = parseScaleId(workload);
  if (scale) return `scale/${scale.remote}/${scale.files}`;
  if (parseDedupId(workload)) return 'dedup';
  if (parseBrowseId(workload)) return 'browse';
  return WORKLOADS.find((w) => w.id === workload)?.group ?? workload;
}

/**
 * writeReport adds run `r` to the results file (replacing older samples of the groups it
 * measured), then writes the markdown's generated part and the chart from every run kept.
 * With `r` undefined it only re-renders. Returns the paths written.
 */
export function writeReport(r: BenchResult | undefined, mdFile: string, resultsFile: string): string[] {
  let runs: BenchResult[] = fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { runs: BenchResult[] }).runs : [];
  if (r) {
    const replaced = groupsOf(r);
    runs = runs
      .map((old) => ({ ...old, samples: old.samples.filter((s) => !replaced.has(groupOf(s.workload))) }))
      .filter((old) => old.samples.length > 0);
    runs.push(r);
  }
  if (!runs.length) throw new Error(`no results in ${resultsFile}`);
  const written: string[] = [];
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  // Results and the report are committed: they name no folder of the machine they ran on.
  const repoRoot = path.resolve(path.dirname(resultsFile), '..');
  const anonymise = (text: string) => text.split(repoRoot + path.sep).join('').split(repoRoot).join('.').split(os.tmpdir() + path.sep).join('$TMPDIR/');
  if (r) {
    fs.writeFileSync(resultsFile, anonymise(JSON.stringify({ runs }, null, 1)) + '\n');
    written.push(resultsFile);
  }
  const v = new View(runs);
  fs.mkdirSync(path.dirname(mdFile), { recursive: true });
  const svgFile = mdFile.replace(/\.md$/, '') + '.svg';
  const groups = chartGroups(v);
  if (groups.length) {
    const lab = v.runOf('noop-up');
    const title = `Strata time ÷ peer time, medians${lab ? ` (lab set: ${n(lab.labFiles)} files)` : ''}`;
    fs.writeFileSync(
      svgFile,
      ratioChart(title, groups, `Measured ${v.latest.date.slice(0, 10)}, ${v.latest.machine.cores} cores, local Ceph RGW.`, v.titles, 'Left of 1 = Strata faster. Red tick = goal (no-op: vs Debian rclone; 1, 3, 4: vs the fastest peer; 6a, 6b: vs raw SDK).'),
    );
    written.push(svgFile);
  }
  const BEGIN = '<!-- bench:begin (generated by `just bench`; edits here are overwritten) -->';
  const END = '<!-- bench:end -->';
  const generated = anonymise(`${BEGIN}\n${renderMarkdown(v, path.basename(svgFile))}\n${END}`);
  const old = fs.existsSync(mdFile) ? fs.readFileSync(mdFile, 'utf8') : '';
  const md = old.includes('<!-- bench:begin') ? old.replace(/<!-- bench:begin[\s\S]*?<!-- bench:end -->/, () => generated) : `# Performance\n\n${generated}\n`;
  fs.writeFileSync(mdFile, md);
  written.push(mdFile);
  return written;
}
