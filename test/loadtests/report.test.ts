/**
 * The load report's series: throughput smoothed over a window with the raw points kept, VUs as a step, target
 * and completed and dropped iterations per second, latency per request kind; and the chart list (one per metric).
 */
import { strict as assert } from 'node:assert';
import { chartsOf } from '../../loadtests/report/client/charts';
import { buildReport, targetRates } from '../../loadtests/report/model';
import { MetricStore } from '../../loadtests/runner/metrics';

const meta = {
  engine: 'test', profile: 'p', script: 's', startedAt: '2026-01-01T00:00:00.000Z', targets: {}, env: {} as Record<string, string>,
  throughputMetric: 'gpo_payments_final', throughputLabel: 'payments/s', latencyMetric: 'http_req_duration', thresholds: [], passed: true,
};

describe('load report series', () => {
  it('keeps the raw throughput and smooths it over about 5 s; VUs step, iterations and drops per second', () => {
    const store = new MetricStore();
    const finals = store.define('gpo_payments_final', 'counter');
    // a poll every 2 s sees 200 payments: raw 0, 200, 0, 200 ... per 1 s interval
    for (let t = 1000; t < 20_000; t += 2000) store.add(finals, t + 100, 200);
    const vus = store.define('vus', 'gauge');
    store.add(vus, 0, 2);
    store.add(vus, 10_500, 5);
    const dropped = store.define('dropped_iterations', 'counter');
    store.add(dropped, 12_200, 1);
    store.add(dropped, 12_700, 1);
    const r = buildReport(store, { ...meta, durationMs: 20_000 });
    const pts = r.series.points;
    assert.equal(r.series.bucketS, 1);
    assert.equal(r.series.smoothS, 5);
    assert.deepEqual(pts.slice(0, 4).map((p) => p.throughput), [0, 200, 0, 200], 'raw points kept');
    const middle = pts.slice(3, 17).map((p) => p.throughputSmoothed);
    assert.ok(middle.every((v) => v >= 80 && v <= 120), `smoothed near the mean of 100/s: ${middle.join(', ')}`);
    assert.deepEqual([pts[9].vus, pts[10].vus, pts[19].vus], [2, 5, 5]);
    assert.equal(pts[12].dropped, 2);
  });

  it('reads the target rate from arrival-rate scenarios, or from k6 -e RATE, and none without one', () => {
    assert.deepEqual(targetRates([{ config: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '10s', startTime:
      '2s' } }], {}), [{ perS: 50, fromMs: 2000, toMs: 12_000 }]);
    assert.deepEqual(targetRates([{ config: { executor: 'constant-arrival-rate', rate: 30, timeUnit: '1m', duration: '1m' } }], {}),
      [{ perS: 0.5, fromMs: 0, toMs: 60_000 }]);
    assert.deepEqual(targetRates(undefined, { RATE: '200', DURATION: '30s' }), [{ perS: 200, fromMs: 0, toMs: 30_000 }]);
    assert.deepEqual(targetRates([{ config: { executor: 'shared-iterations', iterations: 3 } }], {}), []);
    const store = new MetricStore();
    store.add(store.define('iterations', 'counter'), 500, 1);
    const r = buildReport(store, { ...meta, durationMs: 4000, env: { RATE: '10', DURATION: '2s' }, scenarios: undefined });
    assert.deepEqual(r.series.points.map((p) => p.targetRate), [10, 10, 10, 10, 10, 10, 10, 10, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('splits HTTP latency by request name (submit vs poll) and adds the profile\'s own latency metric', () => {
    const store = new MetricStore();
    const http = store.define('http_req_duration', 'trend', true);
    for (let i = 0; i < 10; i++) store.add(http, i * 100, 500 + i, { name: 'POST /v1/batches' });
    for (let i = 0; i < 90; i++) store.add(http, i * 10, 5, { name: 'GET /v1/batches/{id}' });
    const flow = store.define('gpo_flow_duration', 'trend', true);
    store.add(flow, 50, 42);
    const r = buildReport(store, { ...meta, latencyMetric: 'gpo_flow_duration', durationMs: 1000 });
    assert.deepEqual(r.latencyByKind.map((k) => [k.kind, k.values.count]),
      [['GET /v1/batches/{id}', 90], ['POST /v1/batches', 10], ['gpo_flow_duration', 1]]);
    const submit = r.latencyByKind[1];
    assert.equal(submit.values['p(50)'], 504.5);
    assert.equal(submit.ladder[0], 500);
    assert.equal(submit.ladder[submit.ladder.length - 1], 509);
    const ids = chartsOf(r).map((c) => c.id);
    assert.deepEqual(ids, ['throughput', 'requests', 'vus', 'arrival', 'latency-GET /v1/batches/{id}', 'latency-POST /v1/batches',
      'latency-gpo_flow_duration', 'percentiles']);
    for (const c of chartsOf(r)) for (const s of c.series) assert.equal(s.values.length, c.x.length, `${c.id} ${s.label}`);
  });
});
