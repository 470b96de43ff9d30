/**
 * The load report's charts, drawn in the browser with uPlot from the report JSON embedded in the page. Bundled
 * into loadtests/report/dist/report-client.js by `npm run build` and inlined into every HTML report: no network.
 * Each chart follows its container's width (no horizontal scroll at any window size).
 */
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css';
import type { LoadReport } from '../model';
import { chartsOf, type ChartDef } from './charts';

const HEIGHT = 260;

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (v === 0) return '0';
  return a >= 10_000 ? `${Math.round(v / 100) / 10}k` : a >= 100 ? String(Math.round(v)) : a >= 1 ? v.toFixed(1) : v.toFixed(2);
}

function draw(def: ChartDef, el: HTMLElement): uPlot {
  const opts: uPlot.Options = {
    width: Math.max(280, el.clientWidth),
    height: HEIGHT,
    scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] } },
    axes: [
      {
        label: def.xLabel, size: 44, stroke: '#5f6b7d', grid: { stroke: '#eef0f3' },
        ...(def.xTicks ? { splits: () => def.x, values: (_u: uPlot, splits: number[]) => splits.map((s) => def.xTicks?.[s] ?? '') } : {}),
      },
      { label: def.unit, size: 64, stroke: '#5f6b7d', grid: { stroke: '#eef0f3' }, values: (_u, splits) => splits.map(fmt) },
    ],
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    series: [
      { label: def.xTicks ? 'percentile' : 's', value: (_u, v) => (def.xTicks ? def.xTicks[v] ?? '' : fmt(v)) },
      ...def.series.map((s) => ({
        label: s.label, stroke: s.color, width: s.dots ? 0 : 2, dash: s.dash, value: (_u: uPlot, v: number) => fmt(v),
        ...(s.dots ? { paths: () => null, points: { show: true, size: 5, fill: s.color, stroke: s.color } }
          : s.sparse ? { spanGaps: true, points: { show: true, size: 4, fill: s.color, stroke: s.color } }
            : { points: { show: def.x.length < 3 } }),
      })),
    ],
  };
  return new uPlot(opts, [def.x, ...def.series.map((s) => s.values)] as uPlot.AlignedData, el);
}

function main(): void {
  const data = document.getElementById('gpo-report-data');
  const host = document.getElementById('gpo-charts');
  if (!data || !host) return;
  const style = document.createElement('style');
  style.textContent = uplotCss;
  document.head.appendChild(style);
  const report = JSON.parse(data.textContent ?? '{}') as LoadReport;
  const plots: Array<[uPlot, HTMLElement]> = [];
  for (const def of chartsOf(report)) {
    const fig = document.createElement('figure');
    fig.className = 'chart';
    fig.dataset.chart = def.id;
    const cap = document.createElement('figcaption');
    cap.textContent = def.title;
    fig.appendChild(cap);
    if (def.note) {
      const note = document.createElement('div');
      note.className = 'chart-note';
      note.textContent = def.note;
      fig.appendChild(note);
    }
    const plot = document.createElement('div');
    plot.className = 'plot';
    fig.appendChild(plot);
    host.appendChild(fig);
    plots.push([draw(def, plot), plot]);
  }
  const fit = () => { for (const [u, el] of plots) u.setSize({ width: Math.max(280, el.clientWidth), height: HEIGHT }); };
  new ResizeObserver(fit).observe(host);
  host.dataset.rendered = String(plots.length);
}

main();
