/**
 * GPO's k6-compatible Node runner: runs a bundled k6 script with the subset of the k6 API GPO's scripts use
 * (k6: check, sleep, group, fail; k6/http; k6/metrics; k6/execution; __ENV, __VU, __ITER; setup/teardown;
 * options.scenarios with four executors; thresholds). It is not k6 and says so in everything it prints.
 *
 * Differences from k6 a reader should know: all VUs share one JavaScript realm (module-level state is shared, k6
 * gives each VU its own); every http call returns a Promise (scripts await them; in k6 awaiting a synchronous
 * Response is harmless); sleep() returns a Promise the script awaits; http_req_duration includes connection set-up.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EXECUTORS, runExecutor, ScenarioConfig, validateScenario, Vu } from './executors';
import { HttpParams, IterationInterrupted, K6Http } from './http';
import { loadK6Script } from './loader';
import { MetricSeries, MetricStore, MetricType, Tags } from './metrics';
import { evaluateThresholds, parseThresholds, ThresholdResult, ThresholdsConfig } from './thresholds';
import { parseDuration } from './durations';

export const NODE_ENGINE = 'gpo-node-runner (k6-compatible subset), not k6';

export interface NodeRunOptions {
  bundlePath: string;
  env?: Record<string, string>;
  /** Lines for the operator (progress, iteration errors). */
  log?: (line: string) => void;
  /** Called every `tickMs` (default 500) while the scenarios run, with the metrics so far (for a progress line). */
  onTick?: (store: MetricStore, elapsedMs: number) => void;
  tickMs?: number;
}

export interface ScenarioOutcome {
  name: string;
  executor: string;
  config: ScenarioConfig;
  iterationsStarted: number;
  iterationsCompleted: number;
  dropped: number;
  interrupted: number;
  vusUsed: number;
}

export interface NodeRunResult {
  engine: string;
  startedAt: string;
  /** Execution time of the scenarios (setup and teardown excluded), the base of Counter rates. */
  durationMs: number;
  store: MetricStore;
  thresholds: ThresholdResult[];
  passed: boolean;
  aborted?: string;
  scenarios: ScenarioOutcome[];
  iterationErrors: number;
  firstIterationError?: string;
  options: Record<string, unknown>;
  summaryTrendStats: string[];
}

interface VuContext {
  vu: Vu;
  iteration: number;
  iterationInScenario: number;
  scenario: string;
  scenarioStartMs: number;
  executor: string;
}

class AbortTest extends Error {}

/** k6's rule for options without scenarios: iterations -> shared-iterations, duration -> constant-vus, else 1 iteration. */
export function scenariosOf(options: Record<string, unknown>): Record<string, ScenarioConfig> {
  const declared = options.scenarios as Record<string, ScenarioConfig> | undefined;
  if (declared && Object.keys(declared).length) return declared;
  const vus = Number(options.vus ?? 1);
  if (options.iterations !== undefined) return { default: { executor: 'shared-iterations', vus, iterations: Number(options.iterations),
    maxDuration: options.duration as string | undefined } };
  if (options.duration !== undefined) return { default: { executor: 'constant-vus', vus, duration: String(options.duration) } };
  return { default: { executor: 'per-vu-iterations', vus: 1, iterations: 1 } };
}

const BUILTIN: Array<[string, MetricType, boolean]> = [
  ['http_reqs', 'counter', false], ['http_req_duration', 'trend', true], ['http_req_waiting', 'trend', true],
  ['http_req_receiving', 'trend', true], ['http_req_failed', 'rate', false], ['iterations', 'counter', false],
  ['iteration_duration', 'trend', true], ['checks', 'rate', false], ['vus', 'gauge', false], ['vus_max', 'gauge', false],
  ['dropped_iterations', 'counter', false], ['data_sent', 'counter', false], ['data_received', 'counter', false],
];

export async function runNodeTest(opts: NodeRunOptions): Promise<NodeRunResult> {
  const log = opts.log ?? (() => undefined);
  const env: Record<string, string> = { ...opts.env };
  const store = new MetricStore();
  const builtin = new Map<string, MetricSeries>(BUILTIN.map(([n, t, time]) => [n, store.define(n, t, time)]));
  const metric = (n: string) => builtin.get(n) as MetricSeries;
  const als = new AsyncLocalStorage<VuContext>();
  let t0 = performance.now();
  const now = () => performance.now() - t0;
  let aborted: string | undefined;
  let stopped = false;
  let vuSeq = 0;
  let iterationErrors = 0;
  let firstIterationError: string | undefined;

  const baseTags = (): Tags => {
    const c = als.getStore();
    return c ? { scenario: c.scenario } : {};
  };
  const http = new K6Http((s) => {
    const tags: Tags = { ...baseTags(), ...(s.tags ?? {}), name: s.name, method: s.method, status: String(s.status), expected_response:
      String(!s.failed) };
    const t = now();
    store.add(metric('http_reqs'), t, 1, tags);
    store.add(metric('http_req_duration'), t, s.duration, tags);
    store.add(metric('http_req_waiting'), t, s.waiting, tags);
    store.add(metric('http_req_receiving'), t, Math.max(0, s.duration - s.waiting), tags);
    store.add(metric('http_req_failed'), t, s.failed ? 1 : 0, tags);
    store.add(metric('data_sent'), t, s.bytesSent);
    store.add(metric('data_received'), t, s.bytesReceived);
  }, () => stopped);

  const sleep = (seconds: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, seconds * 1000)));
  class Metric {
    protected readonly series: MetricSeries;
    constructor(readonly name: string, type: MetricType, isTime = false) {
      this.series = store.define(name, type, isTime);
    }
    add(value: number | boolean, tags?: Tags): void {
      if (stopped && ctx()?.scenario !== 'teardown') return;
      store.add(this.series, now(), typeof value === 'boolean' ? (value ? 1 : 0) : Number(value), { ...baseTags(), ...(tags ?? {}) });
    }
  }
  const withParams = (p?: HttpParams | null) => p ?? undefined;
  const k6http = {
    request: (m: string, url: string, body?: unknown, p?: HttpParams) => http.request(m, url, body, withParams(p)),
    asyncRequest: (m: string, url: string, body?: unknown, p?: HttpParams) => http.request(m, url, body, withParams(p)),
    get: (url: string, p?: HttpParams) => http.request('GET', url, null, p),
    head: (url: string, p?: HttpParams) => http.request('HEAD', url, null, p),
    post: (url: string, body?: unknown, p?: HttpParams) => http.request('POST', url, body, p),
    put: (url: string, body?: unknown, p?: HttpParams) => http.request('PUT', url, body, p),
    patch: (url: string, body?: unknown, p?: HttpParams) => http.request('PATCH', url, body, p),
    del: (url: string, body?: unknown, p?: HttpParams) => http.request('DELETE', url, body, p),
    options: (url: string, body?: unknown, p?: HttpParams) => http.request('OPTIONS', url, body, p),
    batch: (reqs: Array<{ method?: string; url: string; body?: unknown; params?: HttpParams } | [string, string, unknown?, HttpParams?]
      | string>) =>
      Promise.all(reqs.map((r) => (typeof r === 'string' ? http.request('GET', r)
        : Array.isArray(r) ? http.request(r[0], r[1], r[2], r[3]) : http.request(r.method ?? 'GET', r.url, r.body, r.params)))),
  };
  const ctx = () => als.getStore();
  const execution = {
    get scenario() {
      const c = ctx();
      return { name: c?.scenario ?? '', executor: c?.executor ?? '', startTime: c ? Math.round(c.scenarioStartMs) : 0, progress: 0,
        iterationInInstance: c?.iterationInScenario ?? 0, iterationInTest: c?.iterationInScenario ?? 0 };
    },
    get vu() {
      const c = ctx();
      return { idInInstance: c?.vu.idInTest ?? 0, idInTest: c?.vu.idInTest ?? 0, iterationInInstance: c?.iteration ?? 0,
        iterationInScenario: c?.iteration ?? 0, tags: {}, metrics: { tags: {}, metadata: {} } };
    },
    get instance() {
      return { iterationsCompleted: 0, iterationsInterrupted: 0, vusActive: 0, vusInitialized: vuSeq, currentTestRunDuration: now() };
    },
    test: {
      abort(msg?: string): never {
        aborted = msg ?? 'test.abort() called';
        throw new AbortTest(aborted);
      },
      get options() { return options; },
    },
  };
  const k6 = {
    check(val: unknown, sets: Record<string, (v: unknown) => unknown>, tags?: Tags): boolean {
      let all = true;
      for (const [name, fn] of Object.entries(sets)) {
        let ok = false;
        try { ok = !!(typeof fn === 'function' ? fn(val) : fn); } catch { ok = false; }
        store.add(metric('checks'), now(), ok ? 1 : 0, { ...baseTags(), ...(tags ?? {}), check: name });
        all = all && ok;
      }
      return all;
    },
    sleep,
    group<T>(_name: string, fn: () => T): T { return fn(); },
    fail(msg?: string): never { throw new Error(msg ?? 'fail() called'); },
    randomSeed(): void { /* Math.random is not seedable in Node */ },
  };
  // ES-module shaped (__esModule + default) and built from property descriptors, so getters such as
  // exec.scenario stay live per VU instead of being read once when the module object is made.
  const esm = (named: object): Record<string, unknown> => {
    const m = Object.defineProperties({}, Object.getOwnPropertyDescriptors(named)) as Record<string, unknown>;
    Object.defineProperty(m, '__esModule', { value: true });
    m.default = named;
    return m;
  };
  const modules: Record<string, unknown> = {
    k6: esm(k6),
    'k6/http': esm(k6http),
    'k6/metrics': esm({
      Counter: class extends Metric { constructor(n: string) { super(n, 'counter'); } },
      Gauge: class extends Metric { constructor(n: string, isTime?: boolean) { super(n, 'gauge', isTime); } },
      Rate: class extends Metric { constructor(n: string) { super(n, 'rate'); } },
      Trend: class extends Metric { constructor(n: string, isTime?: boolean) { super(n, 'trend', isTime); } },
    }),
    'k6/execution': esm(execution),
    'k6/timers': esm({ setTimeout, clearTimeout, setInterval, clearInterval }),
  };

  const g = globalThis as Record<string, unknown>;
  g.__ENV = env;
  Object.defineProperty(globalThis, '__VU', { configurable: true, get: () => ctx()?.vu.idInTest ?? 0 });
  Object.defineProperty(globalThis, '__ITER', { configurable: true, get: () => ctx()?.iteration ?? 0 });

  let options: Record<string, unknown> = {};
  const script = await loadK6Script(opts.bundlePath, modules);
  options = (script.exports.options as Record<string, unknown> | undefined) ?? {};
  const thresholds = parseThresholds(options.thresholds as ThresholdsConfig | undefined);
  for (const t of thresholds) {
    if (!store.metrics.has(t.metric)) throw new Error(`threshold on unknown metric "${t.metric}" (k6 refuses it too)`);
  }
  const scenarios = scenariosOf(options);
  for (const [name, s] of Object.entries(scenarios)) validateScenario(name, s);

  const startedAt = new Date().toISOString();
  const setupFn = script.exports.setup as ((...a: unknown[]) => unknown) | undefined;
  let data: unknown;
  if (setupFn) {
    const raw = await als.run({ vu: { idInTest: 0, iterations: 0 }, iteration: 0, iterationInScenario: 0, scenario: 'setup',
      scenarioStartMs: 0, executor: '' }, () => setupFn());
    data = raw === undefined ? undefined : JSON.parse(JSON.stringify(raw));
  }

  const abortChecks = thresholds.filter((t) => t.abortOnFail);
  t0 = performance.now();
  const abortTimer = abortChecks.length ? setInterval(() => {
    const failed = evaluateThresholds(store, abortChecks, now()).find((r) => !r.ok);
    if (failed && !aborted) {
      aborted = `threshold ${failed.metric}: ${failed.expression} crossed (abortOnFail)`;
      log(`aborting: ${aborted}`);
    }
  }, 1000) : undefined;
  const tickTimer = opts.onTick ? setInterval(() => opts.onTick!(store, now()), opts.tickMs ?? 500) : undefined;

  const outcomes: ScenarioOutcome[] = [];
  let vusMax = 0;
  try {
    await Promise.all(Object.entries(scenarios).map(async ([name, s]) => {
      const startDelay = parseDuration(s.startTime, 0);
      if (startDelay) await sleep(startDelay / 1000);
      const fnName = s.exec ?? 'default';
      const fn = script.exports[fnName] as ((d: unknown) => unknown) | undefined;
      if (typeof fn !== 'function') throw new Error(`scenario ${name}: the script exports no function "${fnName}"`);
      const scenarioStartMs = now();
      const outcome = await runExecutor(s, {
        newVu: () => ({ idInTest: ++vuSeq, iterations: 0 }),
        dropped: () => store.add(metric('dropped_iterations'), now(), 1, { scenario: name }),
        vusActive: (n) => {
          vusMax = Math.max(vusMax, n);
          store.add(metric('vus'), now(), n);
          store.add(metric('vus_max'), now(), vusMax);
        },
        aborted: () => aborted !== undefined,
        iterate: async ({ vu, iterationInScenario }) => {
          const c: VuContext = { vu, iteration: vu.iterations, iterationInScenario, scenario: name, scenarioStartMs, executor: s.executor };
          const begin = now();
          let ok = true;
          try {
            await als.run(c, () => fn(data));
          } catch (err) {
            ok = false;
            if (!(err instanceof AbortTest) && !(err instanceof IterationInterrupted)) {
              iterationErrors++;
              if (!firstIterationError) {
                firstIterationError = (err as Error).message ?? String(err);
                log(`iteration error (first of possibly many): ${firstIterationError}`);
              }
            }
          }
          if (ok) {
            store.add(metric('iterations'), now(), 1, { scenario: name });
            store.add(metric('iteration_duration'), now(), now() - begin, { scenario: name });
          }
        },
      });
      outcomes.push({ name, executor: s.executor, config: s, ...outcome });
    }));
  } finally {
    if (abortTimer) clearInterval(abortTimer);
    if (tickTimer) clearInterval(tickTimer);
  }
  const durationMs = now();
  stopped = true;
  const teardownFn = script.exports.teardown as ((d: unknown) => unknown) | undefined;
  if (teardownFn) {
    await als.run({ vu: { idInTest: 0, iterations: 0 }, iteration: 0, iterationInScenario: 0, scenario: 'teardown', scenarioStartMs: 0,
      executor: '' }, () => teardownFn(data));
  }
  await http.close();
  const results = evaluateThresholds(store, thresholds, durationMs);
  return {
    engine: NODE_ENGINE, startedAt, durationMs, store, thresholds: results,
    passed: results.every((r) => r.ok) && !aborted, aborted, scenarios: outcomes, iterationErrors, firstIterationError,
    options, summaryTrendStats: (options.summaryTrendStats as string[] | undefined) ?? ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'],
  };
}

export { EXECUTORS };
