// Where a Hub token comes from, in the order the Hub's own tools read it: HF_TOKEN, else the
// file `hf auth login` writes (HF_HOME/token, by default ~/.cache/huggingface/token).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function hubToken(env: Record<string, string | undefined>): string | undefined {
  if (env.HF_TOKEN) return env.HF_TOKEN.trim();
  const home = env.HF_HOME ?? path.join(os.homedir(), '.cache', 'huggingface');
  try {
    return fs.readFileSync(path.join(home, 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
