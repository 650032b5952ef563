// node bench/out/bench/profile.js FILE.cpuprofile… [--top N] [--timeline]: where a Strata run's CPU time
// went, from `node --cpu-prof` output (`just bench --cpu-prof` writes one per Strata run):
// time by area (Strata's modules, each npm package, node's module loader, GC, idle), the
// functions with the most self time, and Strata's functions by inclusive time.
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** area names where a frame's code lives: strata:<module>, npm:<package>, node:<subsystem>, or a V8 pseudo-frame. */
function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm:${pkg[1]}`;
  const strata = /\/dist\/scripts\/(.+)\.js$/.exec(url);
  if (strata) return `strata:${strata[1]}`;
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/bootstrap')) return 'node:module loading';
  if (url.startsWith('node:')) return `node:${url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
  return url;
}

function summarise(file: string, top: number, showTimeline: boolean): string {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const leaf = byId.get(p.samples[i]!)!;
    const name = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    self.set(name(leaf), (self.get(name(leaf)) ?? 0) + dt);
    const a = area(leaf.callFrame.url, leaf.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (!n.callFrame.url.includes('/dist/scripts/')) continue;
      const k = name(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  // Timeline: per 100 ms window, how busy the main thread was and with what.
  const windows: Map<string, number>[] = [];
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    t += dt;
    const leaf = byId.get(p.samples[i]!)!;
    let label = area(leaf.callFrame.url, leaf.callFrame.functionName);
    // Attribute npm and node frames to the Strata function that called them, where there is one.
    if (!label.startsWith('strata:') && label !== '(idle)' && label !== '(garbage collector)') {
      for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
        const n = byId.get(id)!;
        if (n.callFrame.url.includes('/dist/scripts/')) {
          label = `${label} ← ${n.callFrame.functionName || '(anonymous)'}`;
          break;
        }
      }
    }
    const w = (windows[Math.floor(t / 100)] ??= new Map());
    w.set(label, (w.get(label) ?? 0) + dt);
  }
  const timeline = windows.map((w, i) => {
    const busy = [...w.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
    const idle = w.get('(idle)') ?? 0;
    return `  ${String(i * 100).padStart(5)} ms  idle ${String(Math.round(idle)).padStart(3)}  ${busy.slice(0, 3).map(([k, v]) => `${k} ${Math.round(v)}`).join(' · ')}`;
  });
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return [
    `${file}: ${((p.endTime - p.startTime) / 1000).toFixed(0)} ms profiled, ${total.toFixed(0)} ms sampled`,
    'By area (self time):',
    rows(areas, top),
    'Functions by self time:',
    rows(self, top),
    "Strata's functions by inclusive time (synchronous stacks only: time after an await is not attributed):",
    rows(inclusive, top),
    ...(showTimeline ? ['Timeline (100 ms windows: ms idle, then the busiest areas, ms):', ...timeline] : []),
    '',
  ].join('\n');
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' }, timeline: { type: 'boolean', default: false } } });
if (!positionals.length) {
  process.stderr.write('usage: node bench/out/bench/profile.js FILE.cpuprofile… [--top N]\n');
  process.exit(2);
}
for (const f of positionals) process.stdout.write(summarise(f, Number(values.top), values.timeline!) + '\n');
