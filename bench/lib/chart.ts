// The ratio chart as plain SVG text: horizontal bars of Strata's time ÷ each peer's time per
// workload on a log scale, 1 = as fast. Text is SVG <text> in the viewer's own sans-serif, so
// the chart needs no font file and no image library, and a change to it reads as a text diff.

export interface ChartGroup {
  label: string;
  bars: { peer: string; ratio: number }[];
  /** A goal line for this group (ratio), drawn as a short red tick. */
  goal?: number;
}

export const PEER_COLORS: Record<string, string> = {
  rclone: '#3465a4',
  'rclone --checksum': '#729fcf',
  aws: '#ed7d31',
  'rclone-current': '#4e9a06',
  s5cmd: '#75507b',
  raw: '#787878',
};
const OTHER_PEER = '#969696';
const INK = '#1e1e1e';
const MUTED = '#5a5a5a';
const GRID = '#e1e1e1';
const GOAL = '#c81e1e';
/** A white outline under a value's text keeps it readable where a goal tick crosses it. */
const HALO = { stroke: '#ffffff', 'stroke-width': 3, 'paint-order': 'stroke' };

/** esc makes a string safe as XML text or as a double- or single-quoted attribute value. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// One decimal is finer than a screen pixel and keeps the file small and its diffs quiet.
const num = (v: number) => String(Math.round(v * 10) / 10);

type Attrs = Record<string, string | number | undefined>;

/** tag writes one element; attribute values are escaped here, `inner` is markup already (use `esc` for text). */
function tag(name: string, attrs: Attrs, inner?: string): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : esc(v!)}"`)
    .join('');
  return inner === undefined ? `<${name}${a}/>` : `<${name}${a}>${inner}</${name}>`;
}

const text = (x: number, y: number, s: string, attrs: Attrs = {}) => tag('text', { x, y, ...attrs }, esc(s));

/**
 * Layout needs text widths before a viewer picks the font; 0.6 em per character is a
 * little wider than the common sans-serifs, so the estimate errs towards room to spare.
 */
const textWidth = (s: string, size: number) => [...s].length * size * 0.6;

/**
 * ratioChart draws the groups as horizontal bars around 1 on a log scale and returns the SVG
 * document. `names` gives a peer's words in titles and the legend (default: the peer as given;
 * `raw` is the raw SDK).
 */
export function ratioChart(title: string, groups: ChartGroup[], footnote: string, names: Record<string, string> = {}, subtitle = 'Left of 1 = Strata faster. Red tick = goal (vs rclone; vs raw SDK for 6a, 6b).'): string {
  const nameOf = (peer: string) => names[peer] ?? (peer === 'raw' ? 'raw SDK' : peer);
  const size = 14;
  const small = 13;
  const labelW = Math.max(0, ...groups.map((g) => textWidth(g.label, size))) + 40;
  const plotW = 620;
  const barH = 16;
  const gap = 4;
  const groupGap = 18;
  const top = 70;
  const rows = groups.reduce((n, g) => n + g.bars.length * (barH + gap) - gap + groupGap, 0);
  const w = Math.round(labelW + plotW + 90);
  const ratios = groups.flatMap((g) => [...g.bars.map((b) => b.ratio), ...(g.goal ? [g.goal] : [])]).filter((r) => r > 0 && Number.isFinite(r));
  const lo = Math.min(0.1, ...ratios.map((r) => r / 1.3));
  const hi = Math.max(2, ...ratios.map((r) => r * 1.3));
  const x0 = labelW;
  const xOf = (r: number) => x0 + ((Math.log(r) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * plotW;
  const x1 = xOf(1);
  // Baseline of text centred on a band at y: about a third of the font size below the middle.
  const mid = (y: number, s = size) => y + s * 0.35;

  const out: string[] = [];
  out.push(text(20, 28, title, { 'font-size': 17, 'font-weight': 'bold', fill: INK }));
  out.push(text(20, 52, subtitle, { 'font-size': small, fill: MUTED }));

  // Grid lines at 1-2-5 steps, their values under the plot.
  const ticks: number[] = [];
  for (let e = -3; e <= 3; e++) for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  const axisY = top + rows;
  for (const t of ticks.filter((t) => t >= lo && t <= hi)) {
    const x = xOf(t);
    out.push(tag('line', { class: 'grid', x1: x, y1: top - 6, x2: x, y2: axisY, stroke: GRID }));
    out.push(text(x, axisY + 20, String(Number(t.toPrecision(2))), { class: 'tick', 'text-anchor': 'middle', 'font-size': small, fill: MUTED }));
  }
  out.push(text(x0 + plotW / 2, axisY + 40, 'Strata time ÷ peer time (log scale; 1 = as fast)', { 'text-anchor': 'middle', 'font-size': small, fill: MUTED }));
  out.push(tag('line', { class: 'as-fast', x1, y1: top - 10, x2: x1, y2: axisY, stroke: INK, 'stroke-width': 2 }));

  let y = top;
  for (const g of groups) {
    const gh = g.bars.length * (barH + gap) - gap;
    const bars: string[] = [];
    const values: string[] = [];
    for (const b of g.bars) {
      const xr = xOf(b.ratio);
      const peer = nameOf(b.peer);
      const v = b.ratio >= 10 ? b.ratio.toFixed(0) : b.ratio.toFixed(2);
      bars.push(
        tag(
          'rect',
          { class: 'bar', 'data-peer': b.peer, x: Math.min(x1, xr), y, width: Math.max(1, Math.abs(xr - x1)), height: barH, fill: PEER_COLORS[b.peer] ?? OTHER_PEER },
          tag('title', {}, esc(`${g.label}: Strata ÷ ${peer} = ${v}`)),
        ),
      );
      values.push(text(b.ratio < 1 ? xr - 6 : xr + 6, mid(y + barH / 2, small), v, { 'text-anchor': b.ratio < 1 ? 'end' : 'start', 'font-size': small, fill: INK, ...HALO }));
      y += barH + gap;
    }
    // The goal tick over the bars, the values over both.
    const goal = g.goal ? [tag('rect', { class: 'goal', x: xOf(g.goal) - 1.5, y: y - gap - gh - 4, width: 3, height: gh + 8, fill: GOAL }, tag('title', {}, esc(`goal ${g.goal}`)))] : [];
    const parts = [text(20, mid(y - gap - gh / 2), g.label, { fill: INK }), ...bars, ...goal, ...values];
    out.push(tag('g', { class: 'workload' }, `\n${parts.join('\n')}\n`));
    y += groupGap - gap;
  }

  // Legend, wrapped to the chart's width.
  let lx = 20;
  let ly = axisY + 58;
  for (const [peer, color] of Object.entries(PEER_COLORS)) {
    if (!groups.some((g) => g.bars.some((b) => b.peer === peer))) continue;
    const label = `Strata ÷ ${nameOf(peer)}`;
    const entryW = 20 + textWidth(label, small);
    if (lx + entryW > w - 10) {
      lx = 20;
      ly += 22;
    }
    out.push(tag('rect', { x: lx, y: ly, width: 14, height: 14, fill: color }));
    out.push(text(lx + 20, mid(ly + 7, small), label, { 'font-size': small, fill: INK }));
    lx += entryW + 24;
  }
  out.push(text(20, ly + 40, footnote, { 'font-size': small, fill: MUTED }));
  const h = Math.round(ly + 54);

  // A white background of its own: the docs may be read in a dark theme.
  const svg = tag(
    'svg',
    { xmlns: 'http://www.w3.org/2000/svg', width: w, height: h, viewBox: `0 0 ${w} ${h}`, 'font-family': 'sans-serif', 'font-size': size, role: 'img' },
    `\n${[tag('title', {}, esc(title)), tag('rect', { width: '100%', height: '100%', fill: '#ffffff' }), ...out].join('\n')}\n`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`;
}
