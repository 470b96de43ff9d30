/**
 * The report of one load run, whichever engine ran it: headline figures, every metric's k6 summary values,
 * thresholds, errors by code, checks, and per-interval series for the charts (throughput raw and smoothed,
 * requests, VUs, target and achieved arrival rate, dropped iterations, latency per request kind). Built from a
 * MetricStore. Pure.
 */
import { parseDuration } from '../runner/durations';
import { aggregate, MetricSeries, MetricStore, percentile } from '../runner/metrics';
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
  /** throughput per second in this interval (raw: bursty when progress is seen by polling) */
  throughput: number;
  /** throughput per second, centred moving average over series.smoothS seconds */
  throughputSmoothed: number;
  requests: number;
  failed: number;
  /** the latency metric's percentiles in this interval (ms) */
  p50: number;
  p95: number;
  p99: number;
  /** active VUs at the end of the interval and the most seen so far */
  vus: number;
  vusMax: number;
  /** iterations completed and dropped per second; the configured arrival rate (iterations/s), 0 without one */
  iterations: number;
  dropped: number;
  targetRate: number;
}

/** Latency of one kind of request (the HTTP `name` tag: submit vs poll...), or of the profile's own latency metric. */
export interface LatencyKind {
  kind: string;
  metric: string;
  values: Record<string, number>;
  /** ms at the percentiles of PERCENTILE_LADDER */
  ladder: number[];
  /** per interval (same t as series.points); null where there was no sample (a gap, not a 0 ms latency) */
  p50: Array<number | null>;
  p95: Array<number | null>;
  p99: Array<number | null>;
}

/** Percentiles the latency-by-percentile chart shows. */
export const PERCENTILE_LADDER = [0, 10, 25, 50, 75, 90, 95, 99, 99.9, 100];

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
  series: { bucketS: number; smoothS: number; points: SeriesPoint[] };
  latencyByKind: LatencyKind[];
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
  const bucketMs = durationMs < 10_000 ? 250 * Math.max(1, Math.ceil(durationMs / 250 / 40))
    : 1000 * Math.max(1, Math.ceil(durationMs / 1000 / 120));
  const nBuckets = Math.max(1, Math.ceil(Math.max(durationMs, lastT, 1) / bucketMs));
  const perS = 1000 / bucketMs;
  const points: SeriesPoint[] = Array.from({ length: nBuckets }, (_, i) => ({
    t: round((i * bucketMs) / 1000, 2), throughput: 0, throughputSmoothed: 0, requests: 0, failed: 0, p50: 0, p95: 0, p99: 0, vus: 0,
    vusMax: 0, iterations: 0, dropped: 0, targetRate: 0,
  }));
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
  const vus = store.metrics.get('vus');
  const vusMax = store.metrics.get('vus_max');
  const dropped = store.metrics.get('dropped_iterations');
  if (iterations) for (let i = 0; i < iterations.v.length; i++) points[bucketOf(iterations.t[i])].iterations += iterations.v[i];
  if (dropped) for (let i = 0; i < dropped.v.length; i++) points[bucketOf(dropped.t[i])].dropped += dropped.v[i];
  stepGauge(vus, points, bucketOf, 'vus');
  stepGauge(vusMax, points, bucketOf, 'vusMax');
  const rates = targetRates(meta.scenarios, meta.env);
  for (const p of points) {
    const mid = (p.t + bucketMs / 2000) * 1000;
    p.targetRate = round(rates.reduce((n, r) => n + (mid >= r.fromMs && mid < r.toMs ? r.perS : 0), 0));
  }
  for (const p of points) {
    p.throughput = round(p.throughput * perS); p.requests = round(p.requests * perS); p.failed = round(p.failed * perS);
    p.iterations = round(p.iterations * perS); p.dropped = round(p.dropped * perS);
  }
  // a window of about 5 s (at least 3 intervals) smooths the bursts polling makes, without hiding the trend
  const half = Math.max(1, Math.floor(5000 / bucketMs / 2));
  points.forEach((p, i) => {
    const win = points.slice(Math.max(0, i - half), Math.min(points.length, i + half + 1));
    p.throughputSmoothed = round(win.reduce((n, q) => n + q.throughput, 0) / win.length);
  });
  const latencyByKind = latencyKinds(store, meta.latencyMetric, durationMs, nBuckets, bucketOf);

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
    series: { bucketS: bucketMs / 1000, smoothS: round(((2 * half + 1) * bucketMs) / 1000), points },
    latencyByKind,
  };
}

/** A gauge as a step function: each interval holds the last value set by its end (carried forward). */
function stepGauge(g: MetricSeries | undefined, points: SeriesPoint[], bucketOf: (t: number) => number, key: 'vus' | 'vusMax'): void {
  if (!g || g.v.length === 0) return;
  const last: Array<number | undefined> = points.map(() => undefined);
  for (let i = 0; i < g.v.length; i++) last[bucketOf(g.t[i])] = g.v[i];
  let current = 0;
  points.forEach((p, i) => {
    current = last[i] ?? current;
    p[key] = current;
  });
}

/** Configured arrival rates (iterations per second, over [fromMs, toMs)): the scenarios' own, or k6's -e RATE. */
export function targetRates(scenarios: unknown[] | undefined, env: Record<string, string>): Array<{ perS: number; fromMs: number;
  toMs: number }> {
  const configs: Array<Record<string, unknown>> = scenarios?.length
    ? scenarios.map((s) => ((s as { config?: Record<string, unknown> }).config ?? (s as Record<string, unknown>)))
    : (env.EXECUTOR === 'constant-arrival-rate' || (!env.EXECUTOR && env.RATE))
      ? [{ executor: 'constant-arrival-rate', rate: Number(env.RATE), timeUnit: '1s', duration: env.DURATION ?? '30s' }] : [];
  const out: Array<{ perS: number; fromMs: number; toMs: number }> = [];
  for (const c of configs) {
    if (c.executor !== 'constant-arrival-rate' || !(Number(c.rate) > 0)) continue;
    try {
      const fromMs = parseDuration(c.startTime as string | undefined, 0);
      out.push({ perS: (Number(c.rate) * 1000) / parseDuration(c.timeUnit as string | undefined, 1000), fromMs, toMs: fromMs
        + parseDuration(c.duration as string | undefined, 0) });
    } catch {
      // a duration the runner would have refused: no target line
    }
  }
  return out;
}

/** HTTP latency per request name (at most 6 kinds, the most frequent), then the profile's latency metric if it is another. */
function latencyKinds(store: MetricStore, latencyMetric: string, durationMs: number, nBuckets: number,
  bucketOf: (t: number) => number): LatencyKind[] {
  const out: LatencyKind[] = [];
  const kind = (name: string, metric: MetricSeries, idx: number[]) => {
    const values = aggregate(metric, durationMs, idx, [50, 90, 95, 99]);
    for (const k of Object.keys(values)) values[k] = round(values[k]);
    const sorted = Float64Array.from(idx.map((i) => metric.v[i])).sort();
    const per: number[][] = Array.from({ length: nBuckets }, () => []);
    for (const i of idx) per[bucketOf(metric.t[i])].push(metric.v[i]);
    const at = (p: number) => per.map((vals) => (vals.length ? round(percentile(Float64Array.from(vals).sort(), p)) : null));
    out.push({ kind: name, metric: metric.name, values, ladder: PERCENTILE_LADDER.map((p) => round(percentile(sorted, p))), p50: at(50),
      p95: at(95), p99: at(99) });
  };
  const http = store.metrics.get('http_req_duration');
  if (http && http.v.length) {
    const byName = new Map<string, number[]>();
    for (let i = 0; i < http.v.length; i++) {
      const tags = store.tagsOf(http.tag[i]);
      const name = tags.name ?? tags.url ?? 'request';
      let list = byName.get(name);
      if (!list) byName.set(name, (list = []));
      list.push(i);
    }
    [...byName.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, 6).forEach(([name, idx]) => kind(name, http, idx));
  }
  const own = store.metrics.get(latencyMetric);
  if (own && own.v.length && latencyMetric !== 'http_req_duration') kind(latencyMetric, own, own.v.map((_, i) => i));
  return out;
}
