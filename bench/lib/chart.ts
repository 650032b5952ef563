// The ratio chart as a PNG, drawn pixel by pixel and encoded with node's zlib: horizontal
// bars of Strata's time ÷ each peer's time per workload on a log scale, 1 = as fast.
import zlib from 'node:zlib';
import { GLYPH_H, GLYPH_W, glyph } from './font.js';

type RGB = [number, number, number];

class Bitmap {
  readonly px: Buffer;
  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    this.px = Buffer.alloc(w * h * 3, 255);
  }
  rect(x: number, y: number, w: number, h: number, c: RGB) {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.w, Math.round(x + w));
    const y1 = Math.min(this.h, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.px.set(c, (yy * this.w + xx) * 3);
  }
  /** text draws at (x, y) = top left, `scale` pixels per font pixel; returns the width drawn. */
  text(s: string, x: number, y: number, c: RGB, scale = 2): number {
    let cx = x;
    for (const ch of s) {
      const g = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++) for (let k = 0; k < GLYPH_W; k++) if (g[r]![k]) this.rect(cx + k * scale, y + r * scale, scale, scale, c);
      cx += (GLYPH_W + 1) * scale;
    }
    return cx - x;
  }
  static textWidth(s: string, scale = 2) {
    return [...s].length * (GLYPH_W + 1) * scale;
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** encodePng: 8-bit RGB, no interlace, filter 0 on every row. */
function encodePng(bmp: Bitmap): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(bmp.w, 0);
  ihdr.writeUInt32BE(bmp.h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((bmp.w * 3 + 1) * bmp.h);
  for (let y = 0; y < bmp.h; y++) bmp.px.copy(raw, y * (bmp.w * 3 + 1) + 1, y * bmp.w * 3, (y + 1) * bmp.w * 3);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

export interface ChartGroup {
  label: string;
  bars: { peer: string; ratio: number }[];
  /** A goal line for this group (ratio), drawn as a short red tick. */
  goal?: number;
}

export const PEER_COLORS: Record<string, RGB> = {
  rclone: [52, 101, 164],
  'rclone --checksum': [114, 159, 207],
  aws: [237, 125, 49],
  raw: [120, 120, 120],
};

/** ratioChart draws the groups as horizontal bars around 1 on a log scale and returns the PNG. */
export function ratioChart(title: string, groups: ChartGroup[], footnote: string): Buffer {
  const S = 2;
  const labelW = Math.max(...groups.map((g) => Bitmap.textWidth(g.label, S))) + 30;
  const plotW = 620;
  const barH = 16;
  const gap = 4;
  const groupGap = 18;
  const top = 70;
  const rows = groups.reduce((n, g) => n + g.bars.length * (barH + gap) - gap + groupGap, 0);
  const w = labelW + plotW + 90;
  const h = top + rows + 114;
  const bmp = new Bitmap(w, h);
  const ratios = groups.flatMap((g) => [...g.bars.map((b) => b.ratio), ...(g.goal ? [g.goal] : [])]).filter((r) => r > 0 && Number.isFinite(r));
  const lo = Math.min(0.1, ...ratios.map((r) => r / 1.3));
  const hi = Math.max(2, ...ratios.map((r) => r * 1.3));
  const x0 = labelW;
  const xOf = (r: number) => x0 + ((Math.log(r) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * plotW;
  const ink: RGB = [30, 30, 30];
  const grid: RGB = [225, 225, 225];

  bmp.text(title, 20, 16, ink, S);
  bmp.text('LEFT OF 1 = STRATA FASTER. RED TICK = GOAL (VS RCLONE; VS RAW FOR 6A, 6B).', 20, 40, [90, 90, 90], S);
  // Grid lines at 1-2-5 steps.
  const ticks: number[] = [];
  for (let e = -3; e <= 3; e++) for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  for (const t of ticks.filter((t) => t >= lo && t <= hi)) {
    const x = xOf(t);
    bmp.rect(x, top - 6, 1, rows + 6, grid);
    const label = String(Number(t.toPrecision(2)));
    bmp.text(label, x - Bitmap.textWidth(label, S) / 2, top + rows + 8, [90, 90, 90], S);
  }
  bmp.rect(xOf(1) - 1, top - 10, 2, rows + 10, ink);

  let y = top;
  for (const g of groups) {
    const gh = g.bars.length * (barH + gap) - gap;
    bmp.text(g.label, 20, y + gh / 2 - 7, ink, S);
    for (const b of g.bars) {
      const x1 = xOf(1);
      const xr = xOf(b.ratio);
      bmp.rect(Math.min(x1, xr), y, Math.max(1, Math.abs(xr - x1)), barH, PEER_COLORS[b.peer] ?? [150, 150, 150]);
      const v = b.ratio >= 10 ? b.ratio.toFixed(0) : b.ratio.toFixed(2);
      bmp.text(v, b.ratio < 1 ? xr - Bitmap.textWidth(v, S) - 6 : xr + 6, y + 1, ink, S);
      y += barH + gap;
    }
    if (g.goal) bmp.rect(xOf(g.goal) - 1, y - gap - gh - 4, 3, gh + 8, [200, 30, 30]);
    y += groupGap - gap;
  }
  // Legend, wrapped to the image's width.
  let lx = 20;
  let ly = top + rows + 40;
  for (const [peer, color] of Object.entries(PEER_COLORS)) {
    if (!groups.some((g) => g.bars.some((b) => b.peer === peer))) continue;
    const label = `STRATA ÷ ${peer === 'raw' ? 'RAW SDK' : peer}`;
    if (lx + 22 + Bitmap.textWidth(label, S) > w - 10) {
      lx = 20;
      ly += 24;
    }
    bmp.rect(lx, ly, 16, 14, color);
    lx += 22 + bmp.text(label, lx + 22, ly, ink, S) + 24;
  }
  bmp.text(footnote, 20, ly + 26, [90, 90, 90], S);
  return encodePng(bmp);
}
