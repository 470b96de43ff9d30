/**
 * Metric samples of one run, stored per metric in columns (time, value, tag set) so a run of a million samples stays
 * small, and the aggregations k6 reports (Trend avg/min/med/max/p(N), Counter count/rate, Rate rate, Gauge value).
 * Pure: no I/O. The same store holds samples read from real k6's JSON output.
 */
export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type Tags = Record<string, string>;

export class MetricSeries {
  readonly t: number[] = [];
  readonly v: number[] = [];
  readonly tag: number[] = [];
  constructor(readonly name: string, readonly type: MetricType, readonly isTime: boolean) {}
}

export class MetricStore {
  readonly metrics = new Map<string, MetricSeries>();
  private readonly tagSets: Tags[] = [{}];
  private readonly tagIndex = new Map<string, number>([['{}', 0]]);

  define(name: string, type: MetricType, isTime = false): MetricSeries {
    const known = this.metrics.get(name);
    if (known) {
      if (known.type !== type) throw new Error(`metric ${name} is already a ${known.type}, not a ${type}`);
      return known;
    }
    const m = new MetricSeries(name, type, isTime);
    this.metrics.set(name, m);
    return m;
  }

  add(metric: MetricSeries, tMs: number, value: number, tags?: Tags): void {
    metric.t.push(tMs);
    metric.v.push(value);
    metric.tag.push(tags ? this.intern(tags) : 0);
  }

  tagsOf(index: number): Tags {
    return this.tagSets[index];
  }

  private intern(tags: Tags): number {
    const keys = Object.keys(tags);
    if (keys.length === 0) return 0;
    const key = JSON.stringify(keys.sort().map((k) => [k, String(tags[k])]));
    let i = this.tagIndex.get(key);
    if (i === undefined) {
      i = this.tagSets.length;
      this.tagSets.push(Object.fromEntries(keys.map((k) => [k, String(tags[k])])));
      this.tagIndex.set(key, i);
    }
    return i;
  }

  /** Indexes of the samples whose tags include every `filter` tag. */
  select(metric: MetricSeries, filter?: Tags): number[] | undefined {
    if (!filter || Object.keys(filter).length === 0) return undefined;
    const ok = new Set<number>();
    this.tagSets.forEach((t, i) => { if (Object.entries(filter).every(([k, v]) => t[k] === v)) ok.add(i); });
    const out: number[] = [];
    for (let i = 0; i < metric.tag.length; i++) if (ok.has(metric.tag[i])) out.push(i);
    return out;
  }
}

/** Nearest-rank-with-interpolation percentile over sorted values (k6 interpolates the same way). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (n === 1) return sorted[0];
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export interface MetricValues {
  [stat: string]: number;
}

/**
 * k6's summary values for a metric (or the samples `only` selects). `durationMs` is the test's execution time,
 * which Counter rates are per second of.
 */
export function aggregate(m: MetricSeries, durationMs: number, only?: number[], percentiles: number[] = [90, 95, 99]): MetricValues {
  const idx = only ?? null;
  const n = idx ? idx.length : m.v.length;
  const val = (i: number): number => (idx ? m.v[idx[i]] : m.v[i]);
  switch (m.type) {
    case 'counter': {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += val(i);
      return { count: sum, rate: durationMs > 0 ? sum / (durationMs / 1000) : 0 };
    }
    case 'rate': {
      let passes = 0;
      for (let i = 0; i < n; i++) if (val(i) !== 0) passes++;
      return { rate: n ? passes / n : 0, passes, fails: n - passes };
    }
    case 'gauge': {
      if (n === 0) return { value: 0, min: 0, max: 0 };
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) { min = Math.min(min, val(i)); max = Math.max(max, val(i)); }
      return { value: val(n - 1), min, max };
    }
    case 'trend': {
      const sorted = new Float64Array(n);
      let sum = 0;
      for (let i = 0; i < n; i++) { sorted[i] = val(i); sum += sorted[i]; }
      sorted.sort();
      const out: MetricValues = {
        count: n, avg: n ? sum / n : 0, min: n ? sorted[0] : 0, med: percentile(sorted, 50), max: n ? sorted[n - 1] : 0,
      };
      for (const p of percentiles) out[`p(${p})`] = percentile(sorted, p);
      return out;
    }
  }
}
