import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { startHarness, type Harness } from '../orchestrator/support/world';
import { call, errorFormat } from './support';

describe('security: bad input stops at the edge, in each API\'s format', function () {
  this.timeout(120_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({ g2pSignatures: { mode: 'off' } });
  });
  after(async () => h?.stop());

  const nest = (depth: number, leaf: string) => '['.repeat(depth) + leaf + ']'.repeat(depth);

  it('deep nesting is a 400 in the API\'s format, never a 500', async () => {
    const g2p = `{"header":{"total_count":${nest(10_000, '1')}},"message":{}}`;
    const a = await call(h.orch.url, 'POST', '/disburse', { body: g2p });
    assert.equal(a.status, 400, a.text);
    assert.equal(errorFormat('g2p-connect', a), 'ERR err.request.bad');
    const native = `{"currency":${nest(5000, '"USD"')},"payments":[]}`;
    const b = await call(h.orch.url, 'POST', '/v1/batches', { body: native });
    assert.equal(b.status, 400, b.text);
    assert.equal(errorFormat('native', b), 'JSON_TOO_DEEP');
    const c = await call(h.orch.url, 'POST', '/disbursement', { body: `{"disbursementId":${nest(3000, '1')}}` });
    assert.equal(c.status, 400);
    assert.equal(errorFormat('pil', c), '3101');
  });

  it('refuses prototype keys (__proto__, constructor.prototype) and stores nothing', async () => {
    const body =
      '{"currency":"USD","__proto__":{"x":1},"payments":[{"reference":"a","payeeIdType":"MSISDN","payeeIdValue":"254710000001","amount":"1","currency":"USD"}]}';
    const a = await call(h.orch.url, 'POST', '/v1/batches', { body, headers: { 'idempotency-key': 'proto' } });
    assert.equal(a.status, 400, a.text);
    assert.equal(errorFormat('native', a), 'FORBIDDEN_KEY');
    assert.equal(await h.orch.service.findBatchBySourceKey('native', 'proto'), undefined);
    const b = await call(h.orch.url, 'POST', '/disbursement', { body:
      '{"disbursementId":"p","constructor":{"prototype":{"x":1}},"payeeList":[]}' });
    assert.equal(errorFormat('pil', b), '3101');
  });

  it('answers unknown routes (404), wrong methods (405 with Allow) and bad URL encodings in the API\'s format', async () => {
    const cases: Array<[string, string, 'native' | 'pil' | 'g2p-connect', number, string]> = [
      ['GET', '/v1/nothing', 'native', 404, 'NOT_FOUND'],
      ['DELETE', '/v1/batches', 'native', 405, 'METHOD_NOT_ALLOWED'],
      ['PUT', '/disbursement', 'pil', 405, '3000'],
      ['GET', '/disbursement/%E0%A4%A', 'pil', 400, '3101'],
      ['GET', '/disburse', 'g2p-connect', 405, 'ERR err.request.bad'],
      ['POST', '/disburse/nothing', 'g2p-connect', 404, 'ERR err.request.not_found'],
      ['GET', '/v1/batches/%zz', 'native', 400, 'BAD_REQUEST'],
      ['GET', '/nothing-at-all', 'native', 404, 'NOT_FOUND'],
    ];
    for (const [method, p, api, status, code] of cases) {
      const a = await call(h.orch.url, method, p, method === 'POST' || method === 'PUT' ? { body: {} } : {});
      assert.equal(a.status, status, `${method} ${p}: ${a.text}`);
      assert.equal(errorFormat(api, a), code, `${method} ${p}`);
      if (status === 405) assert.ok(a.headers.allow, `${method} ${p} has no Allow header`);
    }
  });

  it('the payer SDK simulator refuses a lone UTF-16 surrogate as idValue (400), instead of waiting for ever', async () => {
    const body =
      '{"homeTransactionId":"h1","from":{"idType":"ACCOUNT_ID","idValue":"treasury"},"to":{"idType":"MSISDN","idValue":"\\ud800"},"amountType":"SEND","currency":"USD","amount":"1","transactionType":"TRANSFER"}';
    const a = await call(h.world.urls.payerOutbound, 'POST', '/transfers', { body });
    assert.equal(a.status, 400, a.text);
    assert.match(a.text, /surrogate/);
  });

  it('/health answers within 100 ms while a 10 MB CSV of bad rows is being read and refused', async () => {
    const header =
      'id,request_id,payment_mode,payer_identifier_type,payer_identifier,payee_identifier_type,payee_identifier,amount,currency,note\n';
    const rows: string[] = [];
    let size = header.length;
    for (let i = 0; size < 10 * 1024 * 1024; i++) {
      const row = `r${i},req,mojaloop,ACCOUNT_ID,treasury,MSISDN,not-a-number-${i},-${i}.123456,usd,${'n'.repeat(60)}\n`;
      rows.push(row);
      size += row.length;
    }
    const csv = Buffer.from(header + rows.join(''));
    // The orchestrator runs in this process: the longest run of main-thread work between two turns of the event loop
    // is what would delay /health. It is bounded by the wall-clock gap between two turns (which also counts time this
    // process was not scheduled, on a loaded machine) and by the process's CPU time in that gap (which also counts
    // GC and libuv threads running beside it): the smaller of the two bounds it from above.
    const measure = async (key: string) => {
      let lastWall = performance.now();
      let lastCpu = process.cpuUsage();
      let maxCpuMs = 0;
      const ticker = setInterval(() => {
        const cpu = process.cpuUsage(lastCpu);
        const now = performance.now();
        maxCpuMs = Math.max(maxCpuMs, Math.min((cpu.user + cpu.system) / 1000, now - lastWall));
        lastCpu = process.cpuUsage();
        lastWall = now;
      }, 2);
      const upload = request(`${h.orch.url}/v1/batches?currency=USD`, { method: 'POST', body: csv, headers:
        { 'content-type': 'text/csv', 'idempotency-key': key } })
        .then(async (res) => ({ status: res.statusCode, body: (await res.body.json()) as { errorCode: string; errorsTruncated?: boolean;
          errors: unknown[] } }));
      let done = false;
      void upload.then(() => { done = true; }, () => { done = true; });
      const latencies: number[] = [];
      while (!done) {
        const t = performance.now();
        const res = await request(`${h.orch.url}/health`);
        await res.body.text();
        assert.equal(res.statusCode, 200);
        latencies.push(performance.now() - t);
      }
      clearInterval(ticker);
      const answer = await upload;
      assert.equal(answer.status, 400);
      assert.equal(answer.body.errorCode, 'CSV_INVALID');
      assert.equal(answer.body.errorsTruncated, true);
      assert.ok(latencies.length >= 3, `only ${latencies.length} health checks ran during the upload`);
      latencies.sort((a, b) => a - b);
      return { median: latencies[Math.floor(latencies.length / 2)], slowest: latencies[latencies.length - 1], maxCpuMs };
    };
    // A timing on a shared 2-core machine (the other test worker runs beside this one): a stall the code causes shows
    // in every upload, a scheduling or GC hiccup in one. So a second upload is measured when the first went over, and
    // that one must hold.
    let m = await measure('big-bad-csv');
    if (m.median >= 100 || m.maxCpuMs >= 100) m = await measure('big-bad-csv-2');
    assert.ok(m.median < 100, `median /health ${m.median.toFixed(1)} ms`);
    // The longest stretch of main-thread work without a turn of the event loop (the test's own client included).
    assert.ok(m.maxCpuMs < 100,
      `the event loop was held for ${m.maxCpuMs.toFixed(1)} ms of CPU (slowest /health ${m.slowest.toFixed(1)} ms)`);
    assert.equal(await h.orch.service.findBatchBySourceKey('native', 'big-bad-csv'), undefined);
    assert.equal(await h.orch.service.findBatchBySourceKey('native', 'big-bad-csv-2'), undefined);
  });
});
