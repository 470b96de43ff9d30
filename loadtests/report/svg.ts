/** Small inline-SVG chart drawing (line and bar charts) for the self-contained HTML report. Pure. */

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** 1, 2, 5 x 10^n steps: about `count` ticks from 0 to at least max. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) as number;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const fmt = (v: number): string => (Math.abs(v) >= 10_000 ? `${Math.round(v / 1000)}k` : Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1));

export interface LineSeries {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

const W = 720;
const H = 260;
const M = { l: 60, r: 16, t: 28, b: 40 };

export function lineChart(title: string, series: LineSeries[], xLabel: string, yLabel: string): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1e-9, ...xs, 0);
  const yTicks = niceTicks(Math.max(0, ...ys));
  const yMax = yTicks[yTicks.length - 1] || 1;
  const xTicks = niceTicks(xMax, 8);
  const xTop = Math.max(xTicks[xTicks.length - 1], 1e-9);
  const px = (x: number) => M.l + (x / xTop) * (W - M.l - M.r);
  const py = (y: number) => H - M.b - (y / yMax) * (H - M.t - M.b);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const t of yTicks) parts.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${py(t)}" y2="${py(t)}" stroke="#e3e3e3"/><text x="${M.l - 6}" y="${py(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  for (const t of xTicks) parts.push(`<text x="${px(t)}" y="${H - M.b + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  parts.push(`<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}" stroke="#888"/><line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#888"/>`);
  parts.push(`<text x="${(W + M.l) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(H - M.b + M.t) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    if (s.points.length) {
      const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"><title>${esc(s.name)}</title></path>`);
      if (s.points.length === 1) parts.push(`<circle cx="${px(s.points[0][0])}" cy="${py(s.points[0][1])}" r="3" fill="${s.color}"/>`);
    }
    parts.push(`<rect x="${M.l + 10 + i * 150}" y="${M.t - 2}" width="12" height="4" fill="${s.color}"/><text x="${M.l + 26 + i * 150}" y="${M.t + 3}" font-size="11">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export function barChart(title: string, bars: Array<{ label: string; value: number; color?: string }>, unit: string, empty = 'nothing to show'): string {
  const rowH = 24;
  const h = Math.max(80, M.t + 20 + bars.length * rowH);
  const left = 170;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] || 1;
  const px = (v: number) => left + (v / top) * (W - left - 80);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  if (!bars.length) parts.push(`<text x="${W / 2}" y="${h / 2 + 10}" text-anchor="middle" font-size="13" fill="#2a7a2a">${esc(empty)}</text>`);
  bars.forEach((b, i) => {
    const y = M.t + 8 + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end" font-size="12">${esc(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, px(b.value) - left).toFixed(1)}" height="${rowH - 6}" fill="${b.color ?? '#3b6fb6'}"><title>${esc(`${b.label}: ${b.value} ${unit}`)}</title></rect>`);
    parts.push(`<text x="${(px(b.value) + 6).toFixed(1)}" y="${y + 14}" font-size="12">${esc(`${fmt(b.value)} ${unit}`)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
