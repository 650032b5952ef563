// The variables Strata reads, from the process environment and the project's .env.
// .env is personal (gitignored); the process environment wins over it, as dotenv does.
import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import type { ConfigProblem } from '../errors.js';

// Variables Strata reads. Standard ones keep their names; the rest start with STRATA_.
// .env.example at the top of the repository lists each one (a unit test keeps it so).
export const ENV_KEYS = [
  'STRATA_REMOTE',
  'STRATA_HUB',
  'STRATA_ROLE',
  'STRATA_USER',
  'STRATA_MAIN_BRANCH',
  'STRATA_TRANSFERS',
  'STRATA_HUB_TRANSFER',
  'STRATA_HTTP_TIMEOUT_MS',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CA_BUNDLE',
  'HF_TOKEN',
  'HF_ENDPOINT',
  'HF_HOME',
] as const;

/** Keys and tokens: `just config` says only whether each is set, never its value. */
export const SECRET_KEYS = new Set(['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'HF_TOKEN', 'AWS_ACCESS_KEY_ID']);

/**
 * readEnvironment gives each variable in ENV_KEYS that is set (an empty value counts as
 * unset) and where it came from: "environment" or ".env". A STRATA_ name in .env that is
 * not in ENV_KEYS is a problem (a typo would otherwise be ignored without a word).
 */
export function readEnvironment(
  projectRoot: string,
  environment: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
): { env: Record<string, string | undefined>; envOrigin: Record<string, string> } {
  const dotenvPath = path.join(projectRoot, '.env');
  let dotenvValues: Record<string, string> = {};
  if (fs.existsSync(dotenvPath)) {
    try {
      dotenvValues = dotenv.parse(fs.readFileSync(dotenvPath));
    } catch (e) {
      problems.push({ key: '.env', message: `cannot be read: ${(e as Error).message}` });
    }
  }
  const env: Record<string, string | undefined> = {};
  const envOrigin: Record<string, string> = {};
  for (const key of ENV_KEYS) {
    if (environment[key] !== undefined && environment[key] !== '') {
      env[key] = environment[key];
      envOrigin[key] = 'environment';
    } else if (dotenvValues[key] !== undefined && dotenvValues[key] !== '') {
      env[key] = dotenvValues[key];
      envOrigin[key] = '.env';
    }
  }
  for (const key of Object.keys(dotenvValues)) {
    if (!(ENV_KEYS as readonly string[]).includes(key) && key.startsWith('STRATA_')) {
      problems.push({ key, message: 'is not a setting Strata knows', source: '.env' });
    }
  }
  return { env, envOrigin };
}
