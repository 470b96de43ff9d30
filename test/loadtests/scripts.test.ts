import { strict as assert } from 'node:assert';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'undici';
import { bundleAll, SCRIPTS } from '../../loadtests/build';
import { runLoad } from '../../loadtests/load';
import { NODE_ENGINE } from '../../loadtests/runner';
import { startInProcessWorld, worldAvailability } from '../../loadtests/world';
import { k6Version } from '../../loadtests/k6-engine';
import { startFakeTarget, FakeTarget } from './fakes';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

describe('load tests: k6 scripts and gpo load', function () {
  this.timeout(60_000);
  let fake: FakeTarget;
  let out: string;
  const quiet = () => undefined;

  before(async () => {
    fake = await startFakeTarget({ paymentsPerSecond: 20_000, failSuffix: '999' });
    out = mkdtempSync(path.join(tmpdir(), 'gpo-load-'));
  });
  after(async () => {
    await fake.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('every k6 script type-checks against @types/k6 and bundles into an ES module k6 loads', async () => {
    await run('npx', ['tsc', '--noEmit', '-p', 'loadtests/k6/tsconfig.json'], { cwd: ROOT });
    const files = await bundleAll(path.join(out, 'dist'));
    assert.equal(files.length, SCRIPTS.length);
    for (const f of files) {
      const js = readFileSync(f, 'utf8');
      assert.match(js, /from "k6\/http"/, `${f} imports k6/http`);
      assert.match(js, /export default|as default/, `${f} exports the VU function`);
      assert.doesNotMatch(js, /from "\.\/lib/, `${f} inlines its helpers`);
      assert.doesNotMatch(js, /: Promise<void>/, `${f} has no TypeScript left`);
    }
  });

  it('bulk-disbursement (native API) measures payments from submission to all-final', async () => {
    const r = await runLoad({ profile: 'bulk-disbursement', payments: 4000, env: { BATCH_SIZE: '1000', POLL_MS: '50' }, vus: 2, target:
      fake.url, engine: 'node', outDir: out, log: quiet });
    assert.equal(r.report.engine, NODE_ENGINE);
    assert.equal(r.report.headline.throughputTotal, 4000);
    assert.equal(fake.requests.get('POST /v1/batches'), 4);
    // four distinct batches (distinct idempotency keys) of distinct payees
    const batches = [...fake.batches.values()];
    assert.equal(batches.length, 4);
    assert.equal(new Set(batches.flatMap((b) => b.payees)).size, 4000);
    assert.ok(r.report.headline.throughputPerSecond > 0);
    const failed = batches.reduce((n, b) => n + b.failed.size, 0);
    assert.ok(failed > 0, 'payees ending in 999 fail');
    assert.equal(r.report.metrics.gpo_payments_completed.values.count, 4000 - failed);
    assert.deepEqual(r.report.errorsByCode, [{ code: '3204', count: failed }]);
    assert.ok(r.report.metrics.gpo_batch_time_to_first_final.values.count === 4);
    assert.equal(r.exitCode, 0, r.summary);
    assert.match(r.summary, /payments\/s/);
    assert.match(r.summary, /p95/);
    assert.match(r.summary, /not k6/);
  });

  it('bulk-disbursement counts a refused batch by the API\'s error code and fails its thresholds', async () => {
    const refusing = await startFakeTarget({ refuseOver: 100 });
    try {
      const r = await runLoad({ profile: 'bulk-disbursement', payments: 300, env: { BATCH_SIZE: '150', POLL_MS: '50' }, target:
        refusing.url, engine: 'node', outDir: out, log: quiet, writeFiles: false });
      assert.deepEqual(r.report.errorsByCode, [{ code: 'BATCH_REFUSED', count: 2 }]);
      assert.equal(r.report.headline.throughputTotal, 0);
      assert.equal(r.exitCode, 99);
      assert.ok(r.report.thresholds.some((t) => t.metric === 'gpo_batch_all_final' && !t.ok));
    } finally {
      await refusing.stop();
    }
  });

  it('bulk-disbursement-pil drives the PIL-compatible API in batches of at most 1000', async () => {
    const before = fake.requests.get('POST /disbursement') ?? 0;
    const r = await runLoad({ profile: 'bulk-disbursement-pil', payments: 2500, env: { POLL_MS: '50' }, target: fake.url, engine: 'node',
      outDir: out, log: quiet, writeFiles: false });
    assert.equal((fake.requests.get('POST /disbursement') ?? 0) - before, 3);
    assert.equal(r.report.headline.throughputTotal, 2500);
    assert.equal(r.exitCode, 0, r.summary);
  });

  it('fspiop-e2e runs flows at a constant arrival rate through the SDK outbound API', async () => {
    const r = await runLoad({ profile: 'fspiop-e2e', rate: 40, duration: '1s', vus: 5, target: fake.url, engine: 'node', outDir: out, log:
      quiet, writeFiles: false, thresholds: { gpo_flow_duration: ['p(95)<2000'], gpo_flow_completed: ['rate>0.5'] } });
    const flows = r.report.metrics.iterations.values.count;
    assert.ok(flows >= 36 && flows <= 40, `flows ${flows}`);
    assert.ok(r.report.headline.latency['p(95)'] !== undefined);
    assert.equal(r.exitCode, 0, r.summary);
  });

  it('fspiop-bulk sends bulkQuotes then bulkTransfers of 1000, or bulkTransactions', async () => {
    const q0 = fake.requests.get('POST /bulkQuotes') ?? 0;
    const r = await runLoad({ profile: 'fspiop-bulk', payments: 3000, target: fake.url, engine: 'node', outDir: out, log: quiet, writeFiles:
      false, thresholds: { gpo_bulk_item_completed: ['rate>0.9'] } });
    assert.equal((fake.requests.get('POST /bulkQuotes') ?? 0) - q0, 3);
    assert.equal(fake.requests.get('POST /bulkTransfers'), 3);
    assert.equal(r.report.headline.throughputTotal + r.report.errorsByCode.reduce((n, e) => n + e.count, 0), 3000);
    assert.equal(r.exitCode, 0, r.summary);
    const t = await runLoad({ profile: 'fspiop-bulk', payments: 2000, env: { MODE: 'bulkTransactions' }, target: fake.url, engine: 'node',
      outDir: out, log: quiet, writeFiles: false, thresholds: { gpo_bulk_item_completed: ['rate>0.9'] } });
    assert.equal(fake.requests.get('POST /bulkTransactions'), 2);
    assert.ok(t.report.headline.throughputTotal >= 1900);
  });

  it('writes a JSON report and a self-contained HTML report with its charts', async () => {
    const r = await runLoad({ profile: 'bulk-disbursement', payments: 1000, target: fake.url, engine: 'node', outDir: out, log: quiet, env:
      { POLL_MS: '50' } });
    const [jsonFile, htmlFile] = r.files;
    assert.match(path.basename(htmlFile), /^bulk-disbursement-.*\.html$/);
    const json = JSON.parse(readFileSync(jsonFile, 'utf8'));
    assert.equal(json.engine, NODE_ENGINE);
    assert.ok(json.series.points.length > 0);
    const html = readFileSync(htmlFile, 'utf8');
    // The charts are drawn in the page by the inlined uPlot bundle from the embedded report (test/console draws them).
    const embedded = /<script type="application\/json" id="gpo-report-data">([^<]*)<\/script>/.exec(html);
    assert.ok(embedded, 'report data embedded');
    assert.deepEqual(JSON.parse(embedded[1]).series.points.length, json.series.points.length);
    assert.ok(html.includes('.uplot'), 'chart library (uPlot and its CSS) inlined');
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'nothing loaded from elsewhere');
    for (const title of ['Latency per request kind', 'Errors by code', 'Thresholds']) assert.ok(html.includes(title), title);
    assert.ok(html.includes(NODE_ENGINE));
  });

  it('gpo load exits non-zero when a threshold is crossed, zero when they hold', async () => {
    // 200 payments may include two that the fake fails (payees ending in 999): allow them
    const args = ['bin/gpo', 'load', 'bulk-disbursement', '--payments', '200', '--target', fake.url, '--engine', 'node', '--out', out,
      '--env', 'POLL_MS=50', '--threshold', 'gpo_payment_completed=rate>0.95'];
    const ok = await run('node', args, { cwd: ROOT });
    assert.match(ok.stdout, /engine: gpo-node-runner \(k6-compatible subset\), not k6/);
    assert.match(ok.stdout, /result: PASSED/);
    const failing = await run('node', [...args, '--threshold', 'http_req_duration=p(95)<0.001'], { cwd: ROOT }).then(() => undefined,
      (e: { code: number; stdout: string }) => e);
    assert.ok(failing, 'the command failed');
    assert.equal(failing.code, 99);
    assert.match(failing.stdout, /✗ http_req_duration: p\(95\)<0.001/);
    assert.match(failing.stdout, /result: FAILED/);
  });

  it('gpo load --engine k6 without k6 on the PATH says how to get it, and fails', async function () {
    if (k6Version()) this.skip();
    const failing = await run('node', ['bin/gpo', 'load', 'fspiop-e2e', '--engine', 'k6', '--target', fake.url], { cwd: ROOT }).then(() =>
      undefined, (e: { code: number; stderr: string }) => e);
    assert.ok(failing);
    assert.notEqual(failing.code, 0);
    assert.equal(failing.stderr,
      'gpo: --engine k6: no k6 on the PATH\nhint: install k6 (loadtests/README.md says how), or run the same script with --engine node\n');
  });

  it('with k6 on the PATH, runs real k6 on the bundle and reports from its JSON output (a stand-in binary here)', async () => {
    const k6Bin = path.join(__dirname, 'fake-k6.js');
    const ok = await runLoad({ profile: 'fspiop-e2e', rate: 10, duration: '1s', target: fake.url, engine: 'k6', k6Bin, outDir: out, log:
      quiet, writeFiles: false });
    assert.equal(ok.report.engine, 'k6 v0.0.0-fake (test stand-in)');
    assert.match(ok.summary, /engine: k6 v0\.0\.0-fake/);
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.report.headline.throughputTotal, 10);
    assert.equal(ok.report.headline.latency.max, 19);
    assert.equal(ok.report.durationS, 0.9);
    const crossed = await runLoad({ profile: 'fspiop-e2e', rate: 10, duration: '1s', target: fake.url, engine: 'k6', k6Bin, outDir: out,
      log: quiet, writeFiles: false, env: { FAKE_K6_EXIT: '99' } });
    assert.equal(crossed.exitCode, 99);
    assert.equal(crossed.report.passed, false);
    // auto picks k6 when it is there
    const auto = await runLoad({ profile: 'fspiop-e2e', rate: 10, duration: '1s', target: fake.url, engine: 'auto', k6Bin, outDir: out, log:
      quiet, writeFiles: false });
    assert.match(auto.report.engine, /^k6 /);
  });

  describe('against the in-process world', () => {
    it('fspiop-e2e and fspiop-bulk pay the payee DFSPs through the simulated switch', async function () {
      const missing = await worldAvailability(false);
      if (missing) {
        console.log(`      skipped: ${missing}`);
        this.skip();
      }
      const world = await startInProcessWorld({ simulatorsOnly: true });
      try {
        const urls = (world.world as { urls: Record<string, string> }).urls;
        const committed = async () => {
          let n = 0;
          for (const fsp of ['payeefsp1', 'payeefsp2']) {
            const res = await request(`${urls[fsp]}/admin/ledger`);
            const body = (await res.body.json()) as { totals?: Record<string, { committedCount?: number }> };
            n += Number(body.totals?.USD?.committedCount ?? 0);
          }
          return n;
        };
        const e2e = await runLoad({ profile: 'fspiop-e2e', payments: 60, vus: 6, target: world.payerOutboundUrl, engine: 'node', outDir:
          out, log: quiet, writeFiles: false, thresholds: { gpo_flow_duration: ['p(95)<5000'] } });
        assert.equal(e2e.report.headline.throughputTotal, 60, e2e.summary);
        assert.equal(await committed(), 60, 'the payee ledgers hold every transfer');
        const bulk = await runLoad({ profile: 'fspiop-bulk', payments: 1000, target: world.payerOutboundUrl, engine: 'node', outDir: out,
          log: quiet, writeFiles: false });
        assert.equal(bulk.report.headline.throughputTotal, 1000, bulk.summary);
        assert.equal(await committed(), 1060);
        assert.equal(bulk.exitCode, 0);
      } finally {
        await world.stop();
      }
    });

    it('bulk-disbursement pays every payment through the orchestrator', async function () {
      const missing = await worldAvailability(true);
      if (missing) {
        console.log(`      skipped: ${missing}`);
        this.skip();
      }
      const world = await startInProcessWorld();
      try {
        const urls = (world.world as { urls: Record<string, string> }).urls;
        const r = await runLoad({ profile: 'bulk-disbursement', payments: 1000, env: { BATCH_SIZE: '500', POLL_MS: '50' }, target:
          world.orchestratorUrl, engine: 'node', outDir: out, log: quiet, writeFiles: false });
        assert.equal(r.report.metrics.gpo_payments_completed?.values.count, 1000, r.summary);
        let n = 0;
        for (const fsp of ['payeefsp1', 'payeefsp2']) {
          const res = await request(`${urls[fsp]}/admin/ledger`);
          const body = (await res.body.json()) as { totals?: Record<string, { committedCount?: number }> };
          n += Number(body.totals?.USD?.committedCount ?? 0);
        }
        assert.equal(n, 1000, 'the payee ledgers hold every payment');
        assert.equal(r.exitCode, 0, r.summary);
      } finally {
        await world.stop();
      }
    });
  });
});
