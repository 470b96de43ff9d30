/**
 * The report of one load run, whichever engine ran it: headline figures, every metric's k6 summary values,
 * thresholds, errors by code, checks, and per-interval series for the charts. Built from a MetricStore. Pure.
 */
import { aggregate, MetricStore, percentile } from '../runner/metrics';
import type { ThresholdResult } from '../runner/thresholds';

export interface ReportMeta {
  engine: string;
  profile: string;
  script: string;
  description?: string;
  startedAt: string;
  durationMs: number;
  targets: Record<string, string>;
  env: Record<string, string>;
  throughputMetric: string;
  throughputLabel: string;
  latencyMetric: string;
  thresholds: ThresholdResult[];
  passed: boolean;
  aborted?: string;
  notes?: string[];
  scenarios?: unknown[];
}

export interface SeriesPoint {
  /** seconds since the scenarios started (bucket start) */
  t: number;
  throughput: number;
  requests: number;
  failed: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface LoadReport extends Omit<ReportMeta, 'durationMs'> {
  durationS: number;
  headline: {
    throughputTotal: number;
    /** throughput total / seconds from scenario start to its last sample: from submission to the last final state */
    throughputPerSecond: number;
    throughputSpanS: number;
    latency: Record<string, number>;
    requests: number;
    requestsPerSecond: number;
    failedRequestRate: number;
    iterations: number;
  };
  metrics: Record<string, { type: string; contains: 'time' | 'default'; values: Record<string, number> }>;
  errorsByCode: Array<{ code: string; count: number }>;
  checks: Array<{ name: string; passes: number; fails: number }>;
  series: { bucketS: number; points: SeriesPoint[] };
}

const round = (n: number, d = 3): number => Math.round(n * 10 ** d) / 10 ** d;

export function buildReport(store: MetricStore, meta: ReportMeta): LoadReport {
  const { durationMs } = meta;
  const metrics: LoadReport['metrics'] = {};
  for (const m of store.metrics.values()) {
    if (m.v.length === 0) continue;
    const values = aggregate(m, durationMs);
    for (const k of Object.keys(values)) values[k] = round(values[k]);
    metrics[m.name] = { type: m.type, contains: m.isTime ? 'time' : 'default', values };
  }

  const thr = store.metrics.get(meta.throughputMetric);
  let throughputTotal = 0;
  let lastT = 0;
  if (thr) for (let i = 0; i < thr.v.length; i++) { throughputTotal += thr.v[i]; lastT = Math.max(lastT, thr.t[i]); }
  const spanS = lastT / 1000;
  const lat = store.metrics.get(meta.latencyMetric);
  const latency = lat && lat.v.length ? aggregate(lat, durationMs, undefined, [50, 90, 95, 99]) : {};
  for (const k of Object.keys(latency)) latency[k] = round(latency[k]);
  const reqs = store.metrics.get('http_reqs');
  const failedRate = store.metrics.get('http_req_failed');
  const iterations = store.metrics.get('iterations');

  // errors by code: the scripts' gpo_errors counter (tag "code"); without it, HTTP statuses of failed requests
  const errors = new Map<string, number>();
  const gpoErrors = store.metrics.get('gpo_errors');
  if (gpoErrors && gpoErrors.v.length) {
    for (let i = 0; i < gpoErrors.v.length; i++) {
      const code = store.tagsOf(gpoErrors.tag[i]).code ?? 'unknown';
      errors.set(code, (errors.get(code) ?? 0) + gpoErrors.v[i]);
    }
  } else if (failedRate) {
    for (let i = 0; i < failedRate.v.length; i++) {
      if (!failedRate.v[i]) continue;
      const s = store.tagsOf(failedRate.tag[i]).status ?? '0';
      const code = s === '0' ? 'network' : `HTTP ${s}`;
      errors.set(code, (errors.get(code) ?? 0) + 1);
    }
  }
  const checks = new Map<string, { passes: number; fails: number }>();
  const c = store.metrics.get('checks');
  if (c) {
    for (let i = 0; i < c.v.length; i++) {
      const name = store.tagsOf(c.tag[i]).check ?? '';
      const e = checks.get(name) ?? { passes: 0, fails: 0 };
      if (c.v[i]) e.passes++; else e.fails++;
      checks.set(name, e);
    }
  }

  // series: at most ~120 buckets of whole seconds (sub-second buckets for runs under 10 s)
  const bucketMs = durationMs < 10_000 ? 250 * Math.max(1, Math.ceil(durationMs / 250 / 40)) : 1000 * Math.max(1, Math.ceil(durationMs / 1000 / 120));
  const nBuckets = Math.max(1, Math.ceil(Math.max(durationMs, lastT, 1) / bucketMs));
  const perS = 1000 / bucketMs;
  const points: SeriesPoint[] = Array.from({ length: nBuckets }, (_, i) => ({ t: round((i * bucketMs) / 1000, 2), throughput: 0, requests: 0, failed: 0, p50: 0, p95: 0, p99: 0 }));
  const bucketOf = (t: number) => Math.min(nBuckets - 1, Math.max(0, Math.floor(t / bucketMs)));
  if (thr) for (let i = 0; i < thr.v.length; i++) points[bucketOf(thr.t[i])].throughput += thr.v[i];
  if (reqs) for (let i = 0; i < reqs.v.length; i++) points[bucketOf(reqs.t[i])].requests += reqs.v[i];
  if (failedRate) for (let i = 0; i < failedRate.v.length; i++) if (failedRate.v[i]) points[bucketOf(failedRate.t[i])].failed++;
  if (lat) {
    const per: number[][] = Array.from({ length: nBuckets }, () => []);
    for (let i = 0; i < lat.v.length; i++) per[bucketOf(lat.t[i])].push(lat.v[i]);
    per.forEach((vals, i) => {
      if (!vals.length) return;
      const sorted = Float64Array.from(vals).sort();
      points[i].p50 = round(percentile(sorted, 50));
      points[i].p95 = round(percentile(sorted, 95));
      points[i].p99 = round(percentile(sorted, 99));
    });
  }
  for (const p of points) { p.throughput = round(p.throughput * perS); p.requests = round(p.requests * perS); p.failed = round(p.failed * perS); }

  const requests = reqs ? reqs.v.length : 0;
  const { durationMs: _d, ...rest } = meta;
  void _d;
  return {
    ...rest,
    durationS: round(durationMs / 1000),
    headline: {
      throughputTotal,
      throughputPerSecond: spanS > 0 ? round(throughputTotal / spanS, 1) : 0,
      throughputSpanS: round(spanS),
      latency,
      requests,
      requestsPerSecond: durationMs > 0 ? round(requests / (durationMs / 1000), 1) : 0,
      failedRequestRate: failedRate && failedRate.v.length ? round(aggregate(failedRate, durationMs).rate, 5) : 0,
      iterations: iterations ? iterations.v.length : 0,
    },
    metrics,
    errorsByCode: [...errors.entries()].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count),
    checks: [...checks.entries()].map(([name, v]) => ({ name, ...v })),
    series: { bucketS: bucketMs / 1000, points },
  };
}
