// ^C under `just` (docs/reliability.md §N): the terminal sends SIGINT to the whole foreground
// process group — just, its shell, Strata. Strata must have stopped before just gives the
// prompt back: no file written after that moment, no temp file left, the state record
// valid, and the next run converges. (Once, just returned at once while Strata went on for
// 1.4–1.7 s and wrote 7–15 more files.)
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useLab } from '../support/lab.js';
import { assertOk, start } from '../support/run.js';
import { sizes } from '../support/tree.js';
import { JUST, type WorkingCopy } from '../support/working-copy.js';

/**
 * Starts `just ARGS` on a terminal of its own (util-linux `script` makes a pseudo-terminal),
 * so Strata draws its terminal progress as it would for a person, and ^C is the real thing:
 * the character typed on the terminal, turned into SIGINT for the foreground group by the
 * terminal driver.
 */
function startJust(wc: WorkingCopy, args: string[], env: Record<string, string>) {
  const running = start('script', ['-qfec', [JUST, ...args].join(' '), '/dev/null'], { cwd: wc.dir, env: { ...wc.env({ env }), TERM: 'xterm' }, stdin: 'open' });
  // The terminal's output: what Strata wrote to stdout and stderr both arrive through script's stdout.
  return { exited: running.exited, stderr: running.output, interrupt: () => running.child.stdin!.write('\x03') };
}

describe('^C under just', () => {
  const lab = useLab('file');

  it('Strata has stopped when just returns: nothing written after, no temp file, and the next run converges', async () => {
    const { mia, ana } = lab();
    const N = 2500;
    for (let i = 0; i < N; i++) mia.write(`data/raw/profiles/plate-${i % 25}/well-${i}.csv`, `well ${i}\n${'x'.repeat(2000)}\n`);
    assertOk(await mia.just('put-inputs'), 'mia put-inputs');

    const target = ana.path('data/raw/profiles');
    // One transfer at a time, so the pull is still going when ^C comes.
    const run = startJust(ana, ['get-inputs'], { STRATA_TRANSFERS: '1' });
    const deadline = Date.now() + 60_000;
    while (Object.keys(sizes(target)).length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const sentAt = Date.now();
    run.interrupt(); // ^C typed on the terminal
    const { exitCode: code, at } = await run.exited;
    const atPrompt = sizes(target);
    await new Promise((r) => setTimeout(r, 2000));
    const later = sizes(target);

    expect(code, run.stderr()).not.toBe(0);
    expect(at - sentAt, 'just returned promptly').toBeLessThan(3000);
    // The terminal's SIGINT, or the SIGTERM the programs around Strata (just, script) pass on
    // when theirs is handled first: on a busy machine either can reach Strata first.
    expect(run.stderr()).toMatch(/interrupted \(SIG(INT|TERM)\)/);
    expect(fs.existsSync(ana.path('.strata/run.lock')), 'the lock was released on ^C (else the next run waits 10 s)').toBe(false);
    // The progress list hides the terminal's cursor; Strata gives it back when interrupted.
    const shown = run.stderr();
    if (shown.includes('\x1b[?25l')) expect(shown.lastIndexOf('\x1b[?25h'), 'cursor shown again').toBeGreaterThan(shown.lastIndexOf('\x1b[?25l'));
    expect(Object.keys(atPrompt).length, 'the pull was interrupted part-way').toBeLessThan(N);
    expect(later, 'nothing was written after just returned').toEqual(atPrompt);
    expect(Object.keys(later).filter((k) => k.endsWith('.strata-tmp')), 'no temp file left').toEqual([]);
    // Every file under its real name is whole.
    for (const [k, size] of Object.entries(later)) expect(size, k).toBe(fs.statSync(mia.path(`data/raw/profiles/${k}`)).size);
    expect(() => ana.state('profiles'), 'the state record is readable').not.toThrow();

    const again = assertOk(await ana.just('get-inputs'), 'the next run converges');
    expect(again.stderr).not.toMatch(/unshared/);
    expect(Object.keys(sizes(target)).filter((k) => k !== '.gitkeep')).toHaveLength(N);
  });
});
