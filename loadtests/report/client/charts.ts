/**
 * Which charts a load report shows, from its JSON: one chart per metric, one axis per unit. Pure (no DOM), so
 * the chart list is the same in every browser and in tests.
 */
import type { LoadReport } from '../model';

export interface ChartSeries {
  label: string;
  /** null: no sample in that interval (drawn as a gap) */
  values: Array<number | null>;
  color: string;
  /** points only (raw samples behind a smoothed line) */
  dots?: boolean;
  /** sparse samples: a dot on each, joined across the intervals without one */
  sparse?: boolean;
  dash?: number[];
}

export interface ChartDef {
  id: string;
  title: string;
  /** the y axis: one unit per chart */
  unit: string;
  x: number[];
  xLabel: string;
  /** tick labels for a categorical x (percentiles) */
  xTicks?: string[];
  series: ChartSeries[];
  note?: string;
}

const KIND_COLORS = ['#1f5fae', '#c2410c', '#15803d', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f'];

export function chartsOf(r: LoadReport): ChartDef[] {
  const pts = r.series.points;
  const t = pts.map((p) => p.t);
  const xLabel = 'seconds since start';
  const charts: ChartDef[] = [
    {
      id: 'throughput', title: `Throughput: ${r.throughputLabel}`, unit: r.throughputLabel, x: t, xLabel,
      note: `dots: each ${r.series.bucketS} s interval as measured; line: ${r.series.smoothS} s moving average`,
      series: [
        { label: `per ${r.series.bucketS} s interval`, values: pts.map((p) => p.throughput), color: 'rgba(21,128,61,0.45)', dots: true },
        { label: `${r.series.smoothS} s average`, values: pts.map((p) => p.throughputSmoothed), color: '#15803d' },
      ],
    },
    {
      id: 'requests', title: 'HTTP requests per second', unit: 'requests/s', x: t, xLabel,
      series: [
        { label: 'requests/s', values: pts.map((p) => p.requests), color: '#1f5fae' },
        { label: 'failed requests/s', values: pts.map((p) => p.failed), color: '#b42318' },
      ],
    },
    {
      id: 'vus', title: 'Virtual users', unit: 'VUs', x: t, xLabel,
      series: [
        { label: 'active VUs', values: pts.map((p) => p.vus), color: '#7c3aed' },
        { label: 'max VUs so far', values: pts.map((p) => p.vusMax), color: '#a78bfa', dash: [6, 4] },
      ],
    },
    {
      id: 'arrival', title: 'Iterations per second: target, completed, dropped', unit: 'iterations/s', x: t, xLabel,
      note: pts.some((p) => p.targetRate > 0) ? undefined
        : 'no arrival-rate scenario: no target rate (iterations run as fast as the VUs go)',
      series: [
        { label: 'target rate', values: pts.map((p) => p.targetRate), color: '#687385', dash: [6, 4] },
        { label: 'completed', values: pts.map((p) => p.iterations), color: '#0e7490' },
        { label: 'dropped', values: pts.map((p) => p.dropped), color: '#b42318' },
      ],
    },
  ];
  r.latencyByKind.forEach((k) => {
    charts.push({
      id: `latency-${k.kind}`, title: `Latency over time: ${k.kind}`, unit: 'ms', x: t, xLabel,
      note: k.metric === 'http_req_duration' ? `http_req_duration of requests named "${k.kind}"`
        : `the profile's latency metric ${k.metric}`,
      series: [
        { label: 'p50', values: k.p50, color: '#1f5fae', sparse: true },
        { label: 'p95', values: k.p95, color: '#c2410c', sparse: true },
        { label: 'p99', values: k.p99, color: '#b42318', sparse: true },
      ],
    });
  });
  if (r.latencyByKind.length) {
    const ladder = [0, 10, 25, 50, 75, 90, 95, 99, 99.9, 100];
    charts.push({
      id: 'percentiles', title: 'Latency by percentile, per request kind', unit: 'ms', x: ladder.map((_, i) => i), xLabel: 'percentile',
      xTicks: ladder.map((p) => (p === 0 ? 'min' : p === 100 ? 'max' : `p${p}`)),
      series: r.latencyByKind.map((k, i) => ({ label: k.kind, values: k.ladder, color: KIND_COLORS[i % KIND_COLORS.length] })),
    });
  }
  return charts;
}
