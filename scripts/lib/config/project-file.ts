// strata.yaml, read and checked against its schema with every problem listed at once
// (SPEC §8): the keys the schema refuses are reported and dropped, and the rest is checked
// again and still used, so the layer checks run on the valid part and one mistake does not
// hide the others.
import fs from 'node:fs';
import YAML from 'yaml';
import type { ConfigProblem } from '../errors.js';
import { DEFAULTS } from './defaults.js';
import { projectFileSchema, type ProjectFile } from './schema.js';

/**
 * readProjectFile parses strata.yaml (or `text`, another version of it) and reports its
 * problems. It returns the file, the valid rest marked `partial` when the schema refused
 * some keys, or null when the file cannot be read or parsed at all.
 */
export function readProjectFile(configFile: string, problems: ConfigProblem[], text?: string): ProjectFile | null {
  let raw: unknown;
  try {
    const doc = YAML.parseDocument(text ?? fs.readFileSync(configFile, 'utf8'));
    if (doc.errors.length) {
      for (const e of doc.errors) problems.push({ key: DEFAULTS.configFile, message: e.message.split('\n')[0] });
      return null;
    }
    raw = doc.toJS() ?? {};
  } catch (e) {
    problems.push({ key: DEFAULTS.configFile, message: `cannot be read: ${(e as Error).message}` });
    return null;
  }
  const result = projectFileSchema.safeParse(raw);
  if (result.success) return result.data;
  // List every problem: report the schema's, then drop the keys at fault and check the rest.
  const partial = structuredClone(raw) as Record<string, unknown>;
  for (const issue of result.error.issues) {
    const base = issue.path.join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) problems.push({ key: base === '(top level)' ? k : `${base}.${k}`, message: 'is not a setting Strata knows (typo?)', source: DEFAULTS.configFile });
    } else {
      problems.push({ key: base, message: issue.message, source: DEFAULTS.configFile });
    }
    dropAt(partial, issue.code === 'unrecognized_keys' && issue.path.length === 0 ? issue.keys.map((k) => [k]) : [issue.path.slice(0, issue.path[0] === 'layers' ? 2 : 1)]);
  }
  const rest = projectFileSchema.safeParse(partial);
  return rest.success ? { ...rest.data, partial: true } as ProjectFile & { partial: true } : null;
}

/** dropAt deletes each key path from `obj` where it exists (a whole layer for a fault inside one: see above). */
function dropAt(obj: Record<string, unknown>, paths: PropertyKey[][]) {
  for (const p of paths) {
    if (!p.length || typeof obj !== 'object' || obj === null) continue;
    let target = obj as Record<PropertyKey, unknown>;
    for (const k of p.slice(0, -1)) target = (target?.[k] ?? {}) as Record<PropertyKey, unknown>;
    if (target && typeof target === 'object') delete target[p[p.length - 1]];
  }
}
