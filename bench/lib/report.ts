// The report: medians per workload and tool, ratios Strata ÷ peer, the goals of the issue
// met or missed, and the chart. Written into the generated part of docs/performance.md
// (between the bench:begin and bench:end markers; the rest of the file is prose kept by
// hand), the chart next to it. Every sample is kept in a results file (bench/results.json
// for the docs) that holds the latest run of each workload group, so `just bench` (lab data
// and large file) and `just bench --only plan` (100,000 files) can run at different times
// and still make one report.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ratioChart, type ChartGroup } from './chart.js';
import type { Cost } from './measure.js';
import type { Options } from './options.js';
import { describeRequests, type Requests } from './requests.js';

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
  samples: Sample[];
}

const TOOLS = ['strata', 'rclone', 'rclone --checksum', 'aws', 'raw'] as const;
const TOOL_TITLES: Record<string, string> = { strata: 'Strata', rclone: 'rclone', 'rclone --checksum': 'rclone --checksum', aws: 'aws s3 sync', raw: 'raw SDK' };

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
  constructor(readonly runs: BenchResult[]) {
    for (const r of runs) for (const s of r.samples) this.by.set(`${s.workload}\0${s.tool}`, [...(this.by.get(`${s.workload}\0${s.tool}`) ?? []), s]);
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
}

function goals(v: View): Goal[] {
  const out: Goal[] = [];
  const st = (w: string, t: string) => v.st(w, t);
  const g = (what: string, target: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string) =>
    out.push({ what, target, value, shown: value === undefined ? 'not measured' : show(value), met: value === undefined ? undefined : ok(value) });
  const x = (val: number) => `${val.toFixed(2)}×`;
  const lab = v.runOf('noop-up');
  const big = v.runOf('big-up');
  const plan = v.runOf('plan-up') ?? v.runOf('first-sync');
  const at = lab ? ` (${n(lab.labFiles)} files)` : '';
  g(`No-op sync up vs rclone (lab flags)${at}`, '≤ 0.2×', ratio(st('noop-up', 'strata'), st('noop-up', 'rclone')), (r) => r <= 0.2, x);
  g(`No-op sync up vs rclone --checksum${at}`, '≤ 0.5×', ratio(st('noop-up', 'strata'), st('noop-up', 'rclone --checksum')), (r) => r <= 0.5, x);
  g(`No-op sync up vs aws s3 sync${at}`, '≤ 0.5×', ratio(st('noop-up', 'strata'), st('noop-up', 'aws')), (r) => r <= 0.5, x);
  g(`\`just get-results\` with nothing to do${at}, including process start`, '≤ 1 s', st('noop-down', 'strata')?.wall, (r) => r <= 1, (r) => `${r.toFixed(2)} s`);
  g('Incremental 1 % vs rclone', '≤ 0.3×', ratio(st('incr-up', 'strata'), st('incr-up', 'rclone')), (r) => r <= 0.3, x);
  g('Cold upload vs rclone', '< 1.0× (aim 0.8×)', ratio(st('cold-up', 'strata'), st('cold-up', 'rclone')), (r) => r < 1, x);
  g('Cold download vs rclone', '< 1.0× (aim 0.8×)', ratio(st('cold-down', 'strata'), st('cold-down', 'rclone')), (r) => r < 1, x);
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
  const mbs = (r: number) => `${Math.round(r)} MB`;
  const planN = plan ? n(plan.options.planFiles) : '100,000';
  g(`Peak RSS at ${planN} files (dry runs, warm state)`, '≤ 250 MB', rssOf(['plan-up', 'plan-down']), (r) => r <= 250, mbs);
  g(`Peak RSS at ${planN} files (first sync: hashes every file)`, '≤ 250 MB', rssOf(['first-sync']), (r) => r <= 250, mbs);
  g(`Peak RSS with one ${huge} file`, '≤ 250 MB', rssOf(['big-up', 'big-down']), (r) => r <= 250, mbs);
  g(`Peak RSS, lab data set${at}`, '≤ 250 MB', rssOf(['cold-up', 'noop-up', 'incr-up', 'cold-down', 'noop-down', 'exact-down']), (r) => r <= 250, mbs);
  g(`Planning ${planN} files, warm state (push dry run)`, '≤ 5 s', st('plan-up', 'strata')?.wall, (r) => r <= 5, (r) => `${r.toFixed(2)} s`);
  g(`Planning ${planN} files, warm state (pull dry run)`, '≤ 5 s', st('plan-down', 'strata')?.wall, (r) => r <= 5, (r) => `${r.toFixed(2)} s`);
  return out;
}

const GROUP_NAMES = { lab: 'workloads 1–5 (lab data set)', big: 'workload 6 (one large file)', plan: 'workload 7 (planning)' } as const;

/** renderMarkdown is the generated part of docs/performance.md. */
export function renderMarkdown(v: View, chartFile: string): string {
  const present = WORKLOADS.filter((w) => TOOLS.some((t) => v.st(w.id, t)));
  const L: string[] = [];
  for (const r of v.runs) {
    const groups = [...new Set(r.samples.map((s) => WORKLOADS.find((w) => w.id === s.workload)?.group).filter((g) => g !== undefined))];
    const loads = r.samples.map((s) => s.load);
    L.push(
      `- ${groups.map((g) => GROUP_NAMES[g]).join(', ')}: measured ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`${r.command}\` ` +
        `(${r.options.reps} repetition${r.options.reps === 1 ? '' : 's'}, tools alternating, ${r.minutes.toFixed(0)} min; ` +
        `1-minute load average at run starts ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}).`,
    );
  }
  const r = v.latest;
  L.push('');
  L.push(
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${Math.round(r.machine.memGB)} GB RAM, ${r.machine.os}, Linux ${r.machine.kernel}. ` +
      'Server: a single-node Ceph RGW (bluestore on a sparse file) on loopback, sharing those cores with the tool under test. ' +
      `The load average at a run's start still counts the runs just before it (the tools and the server); well above ${r.machine.cores} after a quiet pause means other work was running on the machine too.`,
  );
  L.push('');
  L.push(`Versions: ${Object.entries(r.versions).map(([k, val]) => `${k} ${val.replace(/^(rclone|aws-cli\/|just|ceph version|git version)\s*/i, '')}`).join(' · ')}.`);
  L.push(`Strata runs as \`just put-results\` / \`just get-results\` with the native \`just\` binary (\`${path.basename(path.dirname(path.dirname(r.just)))}/bin/just\`); CPU and RSS from ${r.rusage}.`);
  L.push('');

  L.push('### Medians: wall time in seconds, and Strata ÷ peer');
  L.push('');
  L.push(`![Strata's time divided by each peer's, per workload](${chartFile})`);
  L.push('');
  L.push('| Workload | Strata | rclone | rclone --checksum | aws s3 sync | raw SDK | Strata ÷ rclone | Strata ÷ rclone --checksum | Strata ÷ aws | Strata as a share of raw throughput |');
  L.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const w of present) {
    const cells = TOOLS.map((t) => {
      const s = v.st(w.id, t);
      return s ? `${secs(s.wall)}${s.failed ? ` (${s.failed} ✗)` : ''}` : '';
    });
    const s = v.st(w.id, 'strata');
    const raw = v.st(w.id, 'raw');
    const share = s && raw ? `${Math.round((raw.wall / s.wall) * 100)} %` : '';
    L.push(
      `| ${w.title(v.runOf(w.id)!)} | ${cells.join(' | ')} | ${showRatio(ratio(s, v.st(w.id, 'rclone')))} | ${showRatio(ratio(s, v.st(w.id, 'rclone --checksum')))} | ${showRatio(ratio(s, v.st(w.id, 'aws')))} | ${share} |`,
    );
  }
  L.push('');
  L.push('✗: runs whose result was wrong (listed below); their times are shown but do not count as a like-for-like comparison.');
  L.push('');

  L.push('### Goals');
  L.push('');
  L.push('| Goal | Target | Measured | |');
  L.push('|---|---|--:|---|');
  for (const g of goals(v)) L.push(`| ${g.what} | ${g.target} | ${g.shown} | ${g.met === undefined ? '–' : g.met ? '✅ met' : '❌ missed'} |`);
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
  for (const w of present) {
    for (const t of TOOLS) {
      const s = v.st(w.id, t);
      if (!s) continue;
      L.push(`| ${w.row} | ${TOOL_TITLES[t]} | ${secs(s.wall)} (${secs(s.min)}–${secs(s.max)}) | ${secs(s.cpu)} | ${Math.round(s.rss)} | ${s.breakdown} | ${secs(s.server)} |`);
    }
  }
  const problems = present.flatMap((w) => TOOLS.flatMap((t) => v.st(w.id, t)?.problems ?? []).map((p) => `${w.id}: ${p}`));
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
  const goalsBy: Record<string, number> = { 'noop-up': 0.2, 'incr-up': 0.3, 'cold-up': 1, 'cold-down': 1, 'big-up': 1.25, 'big-down': 1.25 };
  for (const w of WORKLOADS) {
    const s = median(v.walls(w.id, 'strata'));
    if (!Number.isFinite(s)) continue;
    const bars = (['rclone', 'rclone --checksum', 'aws', 'raw'] as const)
      .map((p) => ({ peer: p, ratio: s / median(v.walls(w.id, p)) }))
      .filter((b) => Number.isFinite(b.ratio) && b.ratio > 0);
    if (bars.length) groups.push({ label: w.row, bars, goal: goalsBy[w.id] });
  }
  return groups;
}

/** groupsOf: the workload groups a run measured. */
function groupsOf(r: BenchResult): Set<string> {
  return new Set(r.samples.map((s) => WORKLOADS.find((w) => w.id === s.workload)?.group ?? s.workload));
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
      .map((old) => ({ ...old, samples: old.samples.filter((s) => !replaced.has(WORKLOADS.find((w) => w.id === s.workload)?.group ?? s.workload)) }))
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
    fs.writeFileSync(svgFile, ratioChart(title, groups, `Measured ${v.latest.date.slice(0, 10)}, ${v.latest.machine.cores} cores, local Ceph RGW.`));
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
