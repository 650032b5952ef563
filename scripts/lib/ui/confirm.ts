// confirm asks a yes/no question on a terminal; without one (CI, pipes) the answer is no,
// so a destructive recipe never proceeds unattended without --yes.
import readline from 'node:readline/promises';

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
