// Request counts per run, read from the RADOS Gateway's own access log: RGW logs one
// `beast:` line per HTTP request at debug level 1 (its default), so counting costs the
// data path nothing — no proxy between the tools and the server.
import fs from 'node:fs';

export type RequestKind = 'LIST' | 'HEAD' | 'GET' | 'PUT' | 'PART' | 'POST' | 'DELETE' | 'OTHER';

export interface Requests {
  total: number;
  byKind: Partial<Record<RequestKind, number>>;
  /** Answers with status ≥ 400 (404s of HEAD probes, 412 of create-only writes, …). */
  errors: number;
}

const LINE = / beast: \S+ \S+ - \S+ \[[^\]]*\] "(\w+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

/** classify names a request by method and URL: LIST is a GET on the bucket, PART an upload part. */
export function classify(method: string, url: string): RequestKind {
  const [pathPart, query = ''] = url.split('?', 2) as [string, string?];
  const onBucket = pathPart.replace(/^\/+/, '').replace(/\/+$/, '').split('/').length === 1;
  switch (method) {
    case 'GET':
      return onBucket ? 'LIST' : 'GET';
    case 'HEAD':
      return 'HEAD';
    case 'PUT':
      return /(^|&)partNumber=/.test(query) ? 'PART' : 'PUT';
    case 'POST':
      return 'POST';
    case 'DELETE':
      return 'DELETE';
    default:
      return 'OTHER';
  }
}

export class RgwLog {
  constructor(readonly file: string) {}

  /** mark: where the log ends now (a run's requests are the lines after it). */
  mark(): number {
    return fs.statSync(this.file).size;
  }

  /**
   * since counts the requests logged after `offset`. The log is written by a background
   * thread, so first wait (up to 3 s) until it has stopped growing for 200 ms.
   */
  async since(offset: number, copyTo?: string): Promise<Requests> {
    let size = this.mark();
    for (let waited = 0; waited < 3000; waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
      const now = this.mark();
      if (now === size) break;
      size = now;
    }
    const out: Requests = { total: 0, byKind: {}, errors: 0 };
    if (size <= offset) return out;
    const fd = fs.openSync(this.file, 'r');
    // copyTo keeps the run's request lines (with their times and latencies) beside its log.
    const copy = copyTo ? fs.openSync(copyTo, 'w') : undefined;
    const keep = (line: string) => {
      if (copy !== undefined && line.includes(' beast: ')) fs.writeSync(copy, `${line}\n`);
    };
    try {
      const chunk = Buffer.allocUnsafe(8 << 20);
      let pos = offset;
      let rest = '';
      while (pos < size) {
        const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
        if (n <= 0) break;
        pos += n;
        const lines = (rest + chunk.toString('utf8', 0, n)).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          count(line, out);
          keep(line);
        }
      }
      if (rest) {
        count(rest, out);
        keep(rest);
      }
    } finally {
      fs.closeSync(fd);
      if (copy !== undefined) fs.closeSync(copy);
    }
    return out;
  }
}

function count(line: string, out: Requests) {
  if (!line.includes(' beast: ')) return;
  const m = LINE.exec(line);
  if (!m) return;
  const kind = classify(m[1]!, m[2]!);
  out.total++;
  out.byKind[kind] = (out.byKind[kind] ?? 0) + 1;
  if (Number(m[3]) >= 400) out.errors++;
}

/** describe: "10,003 (PUT 10,000 · LIST 2 · HEAD 1)". */
export function describeRequests(r: Requests): string {
  const parts = Object.entries(r.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`);
  return `${r.total.toLocaleString('en-US')}${parts.length ? ` (${parts.join(' · ')})` : ''}`;
}
