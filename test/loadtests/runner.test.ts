import { strict as assert } from 'node:assert';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseDuration } from '../../loadtests/runner/durations';
import { aggregate, MetricStore, percentile } from '../../loadtests/runner/metrics';
import { evaluateThresholds, parseThresholds } from '../../loadtests/runner/thresholds';
import { runExecutor, ScenarioConfig, Vu } from '../../loadtests/runner/executors';
import { readK6Json } from '../../loadtests/k6-engine';
import { scriptEnv, loadProfile, listProfiles } from '../../loadtests/profiles';

function hooks(iterationMs: number) {
  let vus = 0;
  const seen = new Set<number>();
  const indexes: number[] = [];
  let dropped = 0;
  return {
    seen, indexes, get dropped() { return dropped; },
    h: {
      newVu: (): Vu => ({ idInTest: ++vus, iterations: 0 }),
      dropped: () => { dropped++; },
      vusActive: () => undefined,
      aborted: () => false,
      iterate: async ({ vu, iterationInScenario }: { vu: Vu; iterationInScenario: number }) => {
        seen.add(vu.idInTest);
        indexes.push(iterationInScenario);
        await new Promise((r) => setTimeout(r, iterationMs));
      },
    },
  };
}

describe('load runner: k6-compatible pieces', () => {
  it('parses k6 durations', () => {
    assert.equal(parseDuration('30s', 0), 30_000);
    assert.equal(parseDuration('1m30s', 0), 90_000);
    assert.equal(parseDuration('250ms', 0), 250);
    assert.equal(parseDuration(undefined, 7), 7);
    assert.throws(() => parseDuration('ten seconds', 0), /not a k6 duration/);
  });

  it('aggregates trends, rates and counters as k6 reports them', () => {
    const s = new MetricStore();
    const t = s.define('lat', 'trend', true);
    for (let i = 1; i <= 100; i++) s.add(t, i, i);
    const v = aggregate(t, 1000);
    assert.equal(v.min, 1);
    assert.equal(v.max, 100);
    assert.equal(v.avg, 50.5);
    assert.ok(Math.abs(v['p(95)'] - 95.05) < 1e-9, `p95 ${v['p(95)']}`);
    assert.equal(percentile(Float64Array.from([5]), 99), 5);
    const c = s.define('n', 'counter');
    s.add(c, 0, 30);
    s.add(c, 1, 20);
    assert.deepEqual(aggregate(c, 2000), { count: 50, rate: 25 });
    const r = s.define('ok', 'rate');
    for (let i = 0; i < 4; i++) s.add(r, i, i === 0 ? 0 : 1);
    assert.equal(aggregate(r, 1000).rate, 0.75);
  });

  it('evaluates thresholds, including tag-filtered submetrics, and refuses bad expressions', () => {
    const s = new MetricStore();
    const d = s.define('http_req_duration', 'trend', true);
    for (let i = 0; i < 100; i++) s.add(d, i, i < 90 ? 10 : 900, { name: i < 90 ? 'fast' : 'slow' });
    const f = s.define('http_req_failed', 'rate');
    s.add(f, 0, 0);
    s.add(f, 1, 1);
    const results = evaluateThresholds(s, parseThresholds({
      http_req_duration: ['p(50)<100', 'p(95)<100'],
      'http_req_duration{name:fast}': ['max<=10'],
      http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }],
    }), 1000);
    assert.deepEqual(results.map((r) => r.ok), [true, false, true, false]);
    assert.equal(results[1].actual, 900);
    assert.equal(results[3].actual, 0.5);
    assert.throws(() => parseThresholds({ x: ['p95 < 3'] }), /not of the form/);
  });

  it('constant-vus keeps exactly vus workers busy for the duration', async () => {
    const k = hooks(20);
    const t0 = performance.now();
    const out = await runExecutor({ executor: 'constant-vus', vus: 3, duration: '400ms' }, k.h);
    const took = performance.now() - t0;
    assert.equal(k.seen.size, 3);
    assert.ok(took >= 400 && took < 1500, `took ${took}`);
    // 3 VUs x 400 ms / 20 ms per iteration: about 60, never more than the time allows
    assert.ok(out.iterationsCompleted >= 30 && out.iterationsCompleted <= 66, `iterations ${out.iterationsCompleted}`);
    assert.equal(out.interrupted, 0);
  });

  it('constant-arrival-rate starts rate iterations per second and drops what no free VU can take', async () => {
    const k = hooks(5);
    const out = await runExecutor({ executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '1s', preAllocatedVUs: 2,
      maxVUs: 4 }, k.h);
    assert.equal(out.iterationsStarted + out.dropped, 100);
    assert.ok(out.iterationsStarted >= 95, `started ${out.iterationsStarted}`);
    const slow = hooks(200);
    const out2 = await runExecutor({ executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '500ms', preAllocatedVUs: 1,
      maxVUs: 2 } as ScenarioConfig, slow.h);
    assert.ok(out2.dropped > 0 && slow.dropped === out2.dropped, `dropped ${out2.dropped}`);
    assert.ok(out2.vusUsed <= 2);
  });

  it('shared-iterations and per-vu-iterations run exactly the iterations asked for', async () => {
    const shared = hooks(3);
    const a = await runExecutor({ executor: 'shared-iterations', vus: 3, iterations: 7 }, shared.h);
    assert.equal(a.iterationsCompleted, 7);
    assert.deepEqual([...shared.indexes].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6]);
    const perVu = hooks(1);
    const b = await runExecutor({ executor: 'per-vu-iterations', vus: 2, iterations: 3 }, perVu.h);
    assert.equal(b.iterationsCompleted, 6);
    assert.equal(perVu.seen.size, 2);
  });

  it('reads real k6 JSON output into the same metric store', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-k6json-'));
    try {
      const file = path.join(dir, 'out.json');
      writeFileSync(file, [
        { type: 'Metric', metric: 'http_req_duration', data: { type: 'trend', contains: 'time' } },
        { type: 'Point', metric: 'http_req_duration', data: { time: '2026-01-01T00:00:00.000Z', value: 12, tags: { status: '200' } } },
        { type: 'Point', metric: 'http_req_duration', data: { time: '2026-01-01T00:00:02.000Z', value: 30, tags: { status: '200' } } },
      ].map((l) => JSON.stringify(l)).join('\n'));
      const { store, durationMs } = await readK6Json(file);
      assert.equal(durationMs, 2000);
      const m = store.metrics.get('http_req_duration');
      assert.ok(m && m.isTime);
      assert.deepEqual(m.v, [12, 30]);
      assert.deepEqual(m.t, [0, 2000]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns profiles and flags into the script environment both engines get', () => {
    assert.deepEqual(listProfiles(), ['bulk-disbursement', 'bulk-disbursement-pil', 'fspiop-bulk', 'fspiop-e2e']);
    const bulk = scriptEnv(loadProfile('bulk-disbursement'), { payments: 500, vus: 2 }, 'http://x');
    assert.equal(bulk.PAYMENTS, '500');
    assert.equal(bulk.BATCH_SIZE, '500');
    assert.equal(bulk.VUS, '2');
    assert.equal(bulk.TARGET, 'http://x');
    assert.ok(JSON.parse(bulk.THRESHOLDS).http_req_failed);
    const e2e = scriptEnv(loadProfile('fspiop-e2e'), { payments: 300 }, 'http://y');
    assert.equal(e2e.EXECUTOR, 'shared-iterations');
    assert.equal(e2e.ITERATIONS, '300');
    assert.equal(e2e.RATE, undefined);
    const paced = scriptEnv(loadProfile('fspiop-e2e'), { payments: 300, rate: 100, thresholds: { gpo_flow_duration: ['p(95)<5'] } },
      'http://y');
    assert.equal(paced.DURATION, '3s');
    assert.deepEqual(JSON.parse(paced.THRESHOLDS).gpo_flow_duration, ['p(95)<5']);
  });
});
