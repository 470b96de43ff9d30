/**
 * k6 thresholds: `{ "metric{tag:value}": ["p(95)<1000", { threshold: "rate<0.01", abortOnFail: true }] }`,
 * parsed and evaluated against a MetricStore. Pure.
 */
import { aggregate, MetricStore, Tags } from './metrics';

export type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };
export type ThresholdsConfig = Record<string, ThresholdSpec[] | ThresholdSpec>;

export interface ParsedThreshold {
  key: string;
  metric: string;
  tags?: Tags;
  expression: string;
  stat: string;
  percentile?: number;
  op: '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';
  value: number;
  abortOnFail: boolean;
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  /** The observed value the expression was checked against (undefined when the metric has no samples). */
  actual?: number;
}

const EXPR = /^\s*(avg|min|max|med|count|rate|value|p\((\d+(?:\.\d+)?)\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

export function parseThresholdKey(key: string): { metric: string; tags?: Tags } {
  const m = /^([^{]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (!m) throw new Error(`threshold key "${key}" is not metric or metric{tag:value}`);
  if (!m[2]) return { metric: m[1].trim() };
  const tags: Tags = {};
  for (const part of m[2].split(',')) {
    const i = part.indexOf(':');
    if (i < 0) throw new Error(`threshold key "${key}": tag filter "${part}" is not tag:value`);
    tags[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return { metric: m[1].trim(), tags };
}

export function parseThresholds(config: ThresholdsConfig | undefined): ParsedThreshold[] {
  const out: ParsedThreshold[] = [];
  for (const [key, specs] of Object.entries(config ?? {})) {
    const { metric, tags } = parseThresholdKey(key);
    for (const spec of Array.isArray(specs) ? specs : [specs]) {
      const expression = typeof spec === 'string' ? spec : spec.threshold;
      const m = EXPR.exec(expression);
      if (!m) throw new Error(`threshold "${expression}" on ${key} is not of the form stat op number (e.g. p(95)<1000, rate<0.01)`);
      out.push({
        key, metric, tags, expression: expression.trim(),
        stat: m[2] ? `p(${m[2]})` : m[1], percentile: m[2] ? Number(m[2]) : undefined,
        op: m[3] as ParsedThreshold['op'], value: Number(m[4]),
        abortOnFail: typeof spec === 'object' && !!spec.abortOnFail,
      });
    }
  }
  return out;
}

function compare(a: number, op: ParsedThreshold['op'], b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': case '===': return a === b;
    case '!=': return a !== b;
  }
}

export function evaluateThresholds(store: MetricStore, thresholds: ParsedThreshold[], durationMs: number): ThresholdResult[] {
  return thresholds.map((t) => {
    const m = store.metrics.get(t.metric);
    if (!m) {
      // Built-in metric that never got a sample (e.g. dropped_iterations): its count is 0; other stats have no value.
      if (t.stat === 'count') return { metric: t.key, expression: t.expression, ok: compare(0, t.op, t.value), actual: 0 };
      return { metric: t.key, expression: t.expression, ok: true };
    }
    const only = store.select(m, t.tags);
    const values = aggregate(m, durationMs, only, t.percentile !== undefined ? [t.percentile] : []);
    const actual = values[t.stat];
    if (actual === undefined) throw new Error(`threshold "${t.expression}" on ${t.key}: a ${m.type} has no "${t.stat}" (it has ` +
      `${Object.keys(values).join(', ')})`);
    const n = only ? only.length : m.v.length;
    // A Trend or Rate with no samples has no value to pass or fail: k6 reports it as not failed.
    if (n === 0 && (m.type === 'trend' || m.type === 'rate')) return { metric: t.key, expression: t.expression, ok: true };
    return { metric: t.key, expression: t.expression, ok: compare(actual, t.op, t.value), actual };
  });
}
