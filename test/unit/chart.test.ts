import { DOMParser, onWarningStopParsing, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { PEER_COLORS, ratioChart, type ChartGroup } from '../../bench/lib/chart.js';

// A strict parse: any warning, error or fatal error of the XML parser fails the test.
const parse = (svg: string) => new DOMParser({ onError: onWarningStopParsing }).parseFromString(svg, 'image/svg+xml').documentElement!;

const all = (el: Element, name: string, cls?: string) => Array.from(el.getElementsByTagName(name)).filter((e) => cls === undefined || e.getAttribute('class') === cls);
const attr = (el: Element, name: string) => Number(el.getAttribute(name));

const GROUPS: ChartGroup[] = [
  { label: '1 cold upload', bars: [{ peer: 'rclone', ratio: 0.74 }, { peer: 'aws', ratio: 0.48 }, { peer: 'raw', ratio: 1 }], goal: 1 },
  { label: '2 no-op up', bars: [{ peer: 'rclone', ratio: 0.13 }, { peer: 'rclone --checksum', ratio: 0.37 }], goal: 0.2 },
  { label: '6b large file down', bars: [{ peer: 'rclone', ratio: 1.21 }, { peer: 'aws', ratio: 0.92 }, { peer: 'raw', ratio: 3.5 }] },
];

describe('ratioChart', () => {
  const svg = parse(ratioChart('Strata time ÷ peer time', GROUPS, 'Measured today.'));
  const asFast = all(svg, 'line', 'as-fast')[0]!;
  const one = attr(asFast, 'x1');
  // Where each bar ends away from the "as fast" line: its left edge below 1, its right edge above.
  const farEnd = (bar: Element, ratio: number) => (ratio < 1 ? attr(bar, 'x') : attr(bar, 'x') + attr(bar, 'width'));

  it('is an SVG document with one group of bars per workload and one bar per peer, in the given order and colours', () => {
    expect(svg.namespaceURI).toBe('http://www.w3.org/2000/svg');
    expect(svg.tagName).toBe('svg');
    const workloads = all(svg, 'g', 'workload');
    expect(workloads).toHaveLength(GROUPS.length);
    workloads.forEach((g, i) => {
      expect(all(g, 'text')[0]!.textContent).toBe(GROUPS[i]!.label);
      const bars = all(g, 'rect', 'bar');
      expect(bars.map((b) => b.getAttribute('data-peer'))).toEqual(GROUPS[i]!.bars.map((b) => b.peer));
      expect(bars.map((b) => b.getAttribute('fill'))).toEqual(GROUPS[i]!.bars.map((b) => PEER_COLORS[b.peer]));
      expect(all(g, 'rect', 'goal')).toHaveLength(GROUPS[i]!.goal ? 1 : 0);
    });
    expect(all(svg, 'rect', 'bar')).toHaveLength(GROUPS.flatMap((g) => g.bars).length);
  });

  it('puts ratio 1 on the "as fast" line, at the axis tick labelled 1, where every bar starts', () => {
    expect(attr(asFast, 'x2')).toBe(one);
    const tick1 = all(svg, 'text', 'tick').find((t) => t.textContent === '1')!;
    expect(attr(tick1, 'x')).toBeCloseTo(one, 1);
    const bars = all(svg, 'rect', 'bar');
    GROUPS.flatMap((g) => g.bars).forEach((b, i) => {
      // The end at the line: the right edge of a bar for a faster Strata, the left edge otherwise.
      const atLine = b.ratio < 1 ? attr(bars[i]!, 'x') + attr(bars[i]!, 'width') : attr(bars[i]!, 'x');
      expect(Math.abs(atLine - one)).toBeLessThanOrEqual(0.15);
    });
  });

  it('draws bar lengths proportional to log(ratio), on the same scale as the axis ticks', () => {
    const ratios = GROUPS.flatMap((g) => g.bars.map((b) => b.ratio));
    const bars = all(svg, 'rect', 'bar');
    // Pixels per unit of ln(ratio), from the axis: the ticks 0.1 and 1.
    const tick = (label: string) => attr(all(svg, 'text', 'tick').find((t) => t.textContent === label)!, 'x');
    const perLn = (tick('1') - tick('0.1')) / Math.log(10);
    expect(perLn).toBeGreaterThan(50);
    ratios.forEach((r, i) => {
      const offset = farEnd(bars[i]!, r) - one;
      if (r === 1) expect(attr(bars[i]!, 'width')).toBeLessThanOrEqual(1);
      else expect(offset).toBeCloseTo(perLn * Math.log(r), 0);
    });
    // Widths are ordered as the ratios' distances from 1 on the log scale.
    const byDistance = ratios.map((r, i) => ({ d: Math.abs(Math.log(r)), w: attr(bars[i]!, 'width') })).sort((a, b) => a.d - b.d);
    expect(byDistance.map((x) => x.w)).toEqual([...byDistance.map((x) => x.w)].sort((a, b) => a - b));
    // Every other tick sits where the same scale puts it.
    for (const t of all(svg, 'text', 'tick')) expect(attr(t, 'x') - one).toBeCloseTo(perLn * Math.log(Number(t.textContent)), 0);
  });

  it('escapes labels, titles and attribute values: markup characters come back as the same text', () => {
    // `&amp;` as written must survive too: unescaped, it would come back as `&`.
    const label = `a <&"b"> &amp; 'c'`;
    const peer = `odd "peer" <&>`;
    const text = ratioChart(`t <&"`, [{ label, bars: [{ peer: 'rclone', ratio: 0.5 }, { peer, ratio: 2 }] }], `f & <g>`);
    expect(text).not.toContain(label);
    const doc = parse(text);
    const texts = all(doc, 'text').map((t) => t.textContent);
    expect(texts).toContain(label);
    expect(texts).toContain(`t <&"`);
    expect(texts).toContain(`f & <g>`);
    expect(all(doc, 'title').map((t) => t.textContent)).toContain(`${label}: Strata ÷ rclone = 0.50`);
    expect(all(doc, 'rect', 'bar').map((b) => b.getAttribute('data-peer'))).toEqual(['rclone', peer]);
  });
});
