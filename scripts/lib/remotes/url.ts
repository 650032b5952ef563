// Remote URLs name where a layer's data lives. Three schemes, parsed in one place so that
// config validation and the backends agree on what a URL means.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type RemoteUrl =
  | { scheme: 's3'; url: string; bucket: string; prefix: string }
  | { scheme: 'file'; url: string; root: string }
  | { scheme: 'hf'; url: string; repo: string; repoType: 'dataset' };

/** parseRemoteUrl returns the parsed URL, or a message saying what is wrong with it. */
export function parseRemoteUrl(url: string): RemoteUrl | string {
  const trimmed = url.trim();
  if (trimmed.startsWith('s3://')) {
    const rest = trimmed.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      return `"${bucket}" is not a valid S3 bucket name (3–63 lowercase letters, digits, dots, hyphens)`;
    }
    if (prefix.split('/').some((p) => p === '..' || p === '.')) return `the prefix "${prefix}" must not contain . or .. segments`;
    return { scheme: 's3', url: `s3://${bucket}${prefix ? '/' + prefix : ''}`, bucket, prefix };
  }
  if (trimmed.startsWith('file://')) {
    let root: string;
    try {
      root = fileURLToPath(trimmed);
    } catch {
      return 'a file URL must be absolute, like file:///srv/lab-share/project';
    }
    root = path.resolve(root);
    return { scheme: 'file', url: `file://${root}`, root };
  }
  if (trimmed.startsWith('hf://')) {
    const m = /^hf:\/\/datasets\/([A-Za-z0-9][\w.-]*)\/([A-Za-z0-9][\w.-]*)\/?$/.exec(trimmed);
    if (!m) return 'a Hub URL looks like hf://datasets/ORG/NAME (dataset repos only)';
    return { scheme: 'hf', url: `hf://datasets/${m[1]}/${m[2]}`, repo: `${m[1]}/${m[2]}`, repoType: 'dataset' };
  }
  return 'a remote URL starts with s3://, file:// or hf://datasets/';
}
