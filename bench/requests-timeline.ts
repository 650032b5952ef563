// node bench/out/bench/requests-timeline.js RUN.rgw.log… [--window MS]: what the server saw of one
// run, from the access-log lines `just bench --keep` keeps beside each run's log (RGW logs
// each request's start time, status, body bytes and latency): requests in flight over time
// (mean, peak, how long fewer than half the transfers were busy), bytes per second, latency
// percentiles, and per window the requests started, bytes and mean in flight.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { classify } from './lib/requests.js';

// 2026-…  1 beast: 0x…: 127.0.0.1 - user [01/Dec/2026:15:48:12.015 +0000] "GET /b/k HTTP/1.1" 200 318 - - - latency=0.052000001s
const LINE = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\.(\d{3}) [^\]]*\] "(\w+) (\S+) HTTP\/[\d.]+" (\d{3}) (\d+|-) .*latency=([\d.]+)s/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Req {
  start: number;
  end: number;
  kind: string;
  bytes: number;
}

function read(file: string): Req[] {
  const out: Req[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const start = Date.UTC(Number(m[3]), MONTHS.indexOf(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7]));
    out.push({ start, end: start + Number(m[12]) * 1000, kind: classify(m[8]!, m[9]!), bytes: m[11] === '-' ? 0 : Number(m[11]) });
  }
  return out.sort((a, b) => a.start - b.start);
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

function summarise(file: string, windowMs: number, transfers: number): string {
  const reqs = read(file);
  if (!reqs.length) return `${file}: no requests`;
  const t0 = reqs[0]!.start;
  const t1 = Math.max(...reqs.map((r) => r.end));
  const span = Math.max(1, t1 - t0);
  // In flight over time: a sweep over start and end events.
  const events = reqs.flatMap((r) => [
    { t: r.start, d: 1 },
    { t: r.end, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let inFlight = 0;
  let peak = 0;
  let last = t0;
  let below = 0;
  let idle = 0;
  for (const e of events) {
    if (inFlight < transfers / 2) below += e.t - last;
    if (inFlight === 0) idle += e.t - last;
    last = e.t;
    inFlight += e.d;
    peak = Math.max(peak, inFlight);
  }
  const busy = reqs.reduce((n, r) => n + (r.end - r.start), 0);
  const bytes = reqs.reduce((n, r) => n + r.bytes, 0);
  const lat = reqs.map((r) => r.end - r.start).sort((a, b) => a - b);
  const kinds = new Map<string, number>();
  for (const r of reqs) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
  const L = [
    `${file}: ${reqs.length} requests (${[...kinds].map(([k, v]) => `${k} ${v}`).join(' · ')}) over ${(span / 1000).toFixed(2)} s, first request to last answer`,
    `  in flight: mean ${(busy / span).toFixed(1)}, peak ${peak}; fewer than ${transfers / 2} in flight ${((below / span) * 100).toFixed(0)} % of the time, none ${((idle / span) * 100).toFixed(0)} %`,
    `  bytes moved (bodies, as the server logs them): ${(bytes / 1e6).toFixed(1)} MB, ${(bytes / 1e6 / (span / 1000)).toFixed(1)} MB/s; ${(reqs.length / (span / 1000)).toFixed(0)} requests/s`,
    `  latency ms: p50 ${pct(lat, 50).toFixed(1)} · p90 ${pct(lat, 90).toFixed(1)} · p99 ${pct(lat, 99).toFixed(1)} · max ${lat[lat.length - 1]!.toFixed(1)}`,
    `  per ${windowMs} ms: started, MB, mean in flight`,
  ];
  for (let w = t0; w < t1; w += windowMs) {
    const started = reqs.filter((r) => r.start >= w && r.start < w + windowMs);
    const overlap = reqs.reduce((n, r) => n + Math.max(0, Math.min(r.end, w + windowMs) - Math.max(r.start, w)), 0);
    L.push(`  ${String(w - t0).padStart(7)} ms  ${String(started.length).padStart(5)}  ${(started.reduce((n, r) => n + r.bytes, 0) / 1e6).toFixed(1).padStart(6)}  ${(overlap / windowMs).toFixed(1).padStart(5)}`);
  }
  return L.join('\n');
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { window: { type: 'string', default: '1000' }, transfers: { type: 'string', default: '16' } } });
if (!positionals.length) {
  process.stderr.write('usage: node bench/out/bench/requests-timeline.js RUN.rgw.log… [--window MS] [--transfers N]\n');
  process.exit(2);
}
for (const f of positionals) process.stdout.write(summarise(f, Number(values.window), Number(values.transfers)) + '\n\n');
