/**
 * Observability over a running `gpo up` (free ports): the orchestrator's /metrics has the process metrics and
 * HTTP requests per route template; every simulator's /metrics counts the messages it received by resource and
 * outcome, and the violations it refused by code, in step with its violation log; the Grafana dashboard in docs/
 * asks only for metrics that exist.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { startUp, type Up } from '../../cli/commands/up';
import { tmpDataDir } from '../support/tmp';

async function text(url: string): Promise<string> {
  const res = await request(url);
  assert.equal(res.statusCode, 200, url);
  return res.body.text();
}

async function json(url: string, method: 'GET' | 'POST' = 'GET', body?: unknown): Promise<{ status: number; body: Record<string,
  unknown> }> {
  const res = await request(url, { method, body: body === undefined ? undefined : JSON.stringify(body), headers:
    { 'content-type': 'application/json', 'idempotency-key': `obs-${Date.now()}` } });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

/** The value of one sample line `name{labels} value` whose labels include every given one (0 when absent). */
function sample(scrape: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of scrape.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('metrics: orchestrator, simulators and the Grafana dashboard', function () {
  this.timeout(60_000);
  let up: Up;
  const dir = tmpDataDir('gpo-metrics-');
  let orchestratorScrape = '';

  before(async () => {
    up = await startUp({ ports: 'random', dataDir: dir.path, seed: 3 });
    const orch = up.orchestrator!.url;
    const batch = { currency: 'USD', payments: [
      { reference: 'm-0', payeeIdType: 'MSISDN', payeeIdValue: '254710000201', amount: '5', currency: 'USD' },
      { reference: 'm-1', payeeIdType: 'MSISDN', payeeIdValue: '254720000202', amount: '6', currency: 'USD' },
    ] };
    const res = await json(`${orch}/v1/batches`, 'POST', batch);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const b = await json(`${orch}/v1/batches/${res.body.id as string}`);
      if (b.body.status === 'COMPLETED') break;
      if (Date.now() > deadline) throw new Error(`batch not completed: ${JSON.stringify(b.body.status)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    orchestratorScrape = await text(`${orch}/metrics`);
  });
  after(async () => {
    await up?.stop();
    dir.remove();
  });

  it('the orchestrator shows the process metrics and its requests per route template, never per raw path', () => {
    for (const family of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      assert.match(orchestratorScrape, new RegExp(`^# TYPE ${family} `, 'm'), family);
    }
    assert.equal(sample(orchestratorScrape, 'gpo_http_server_request_duration_seconds_count',
      { method: 'POST', route: '/v1/batches', status_code: '202' }), 1);
    assert.ok(sample(orchestratorScrape, 'gpo_http_server_request_duration_seconds_count',
      { method: 'GET', route: '/v1/batches/{id}', status_code: '200' }) >= 1);
    assert.doesNotMatch(orchestratorScrape, /route="\/v1\/batches\/[0-9a-f]{8}-/, 'batch ids never become labels');
    assert.equal(sample(orchestratorScrape, 'gpo_payments_total', { status: 'COMPLETED' }), 2);
  });

  it('an unknown path is counted as unmatched, with its status', async () => {
    const orch = up.orchestrator!.url;
    const res = await request(`${orch}/no/such/path/42`);
    await res.body.dump();
    const scrape = await text(`${orch}/metrics`);
    assert.equal(sample(scrape, 'gpo_http_server_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }), 1);
  });

  it('each simulator counts the messages it received by resource, kind and outcome', async () => {
    const { urls } = up.world;
    const sw = await text(`${urls.switch}/metrics`);
    assert.ok(sample(sw, 'gpo_sim_messages_total', { simulator: 'switch', resource: 'bulkTransfers', kind: 'request', outcome:
      'accepted' }) >= 1, sw);
    assert.ok(sample(sw, 'gpo_sim_messages_total', { simulator: 'switch', resource: 'bulkTransfers', kind: 'callback', outcome:
      'accepted' }) >= 1);
    const payee = await text(`${urls.payeefsp1}/metrics`);
    assert.ok(sample(payee, 'gpo_sim_messages_total', { simulator: 'payeefsp1', resource: 'bulkQuotes', kind: 'request', outcome:
      'accepted' }) >= 1);
    const payer = await text(`${urls.payerOutbound}/metrics`);
    assert.ok(sample(payer, 'gpo_sim_messages_total', { simulator: 'govbank', api: 'sdk-outbound', resource: 'bulkTransactions', outcome:
      'accepted' }) >= 1);
    assert.doesNotMatch(payer, /resource="admin"/, 'admin calls are not protocol messages');
  });

  it('a refused FSPIOP message is a violation by code, as the violation log records it', async () => {
    const url = up.world.urls.payeefsp2;
    const before = sample(await text(`${url}/metrics`), 'gpo_sim_violations_total', { resource: 'quotes' });
    // No FSPIOP headers at all: refused synchronously with an FSPIOP error.
    const res = await request(`${url}/quotes`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    const body = (await res.body.json()) as { errorInformation: { errorCode: string } };
    assert.ok(res.statusCode >= 400 && res.statusCode < 500);
    const code = body.errorInformation.errorCode;
    const scrape = await text(`${url}/metrics`);
    assert.equal(sample(scrape, 'gpo_sim_violations_total', { simulator: 'payeefsp2', resource: 'quotes', error_code: code }) - before, 1);
    assert.equal(sample(scrape, 'gpo_sim_messages_total', { resource: 'quotes', outcome: 'refused' }), 1);
    const log = (await json(`${url}/admin/violations`)).body.violations as Array<{ errorCode: string }>;
    assert.equal(log.filter((v) => v.errorCode === code).length, sample(scrape, 'gpo_sim_violations_total', { error_code: code }));
  });

  it('the Grafana dashboard is valid JSON whose every query names a metric the services expose', async () => {
    const dash = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'docs', 'grafana', 'gpo-dashboard.json'),
      'utf8')) as { panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }> };
    const scrapes = [orchestratorScrape, ...(await Promise.all(['switch', 'als', 'payeefsp1', 'payerOutbound'].map((n) =>
      text(`${up.world.urls[n]}/metrics`))))].join('\n');
    const queries = dash.panels.filter((p) => p.type !== 'row');
    assert.ok(queries.length >= 10);
    for (const p of queries) {
      assert.ok(p.targets?.length, p.title);
      for (const t of p.targets!) {
        const names = [...t.expr.matchAll(/\b((?:gpo|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1].replace(/_(bucket|count|sum)$/, ''));
        assert.ok(names.length, `${p.title}: ${t.expr}`);
        for (const n of names) assert.match(scrapes, new RegExp(`^# TYPE ${n} `, 'm'), `${p.title}: ${n}`);
      }
    }
  });
});
