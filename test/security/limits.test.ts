import assert from 'node:assert/strict';
import { Pool } from 'undici';
import pino from 'pino';
import { Writable } from 'node:stream';
import { hashApiKey, newApiKey } from '../../orchestrator/security/credentials';
import { startOpenG2p, generateRegistrants } from '../../simulators/openg2p';
import { startHarness, type Harness } from '../orchestrator/support/world';
import { call, errorFormat, validRequest } from './support';

describe('security: limits', function () {
  this.timeout(180_000);
  let h: Harness;
  const flooder = newApiKey();
  const payer = newApiKey();
  const logLines: string[] = [];

  before(async () => {
    const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
    h = await startHarness({
      logger: pino({ level: 'info' }, sink),
      auth: {
        mode: 'on',
        apiKeys: [{ client: 'flooder', keyHash: hashApiKey(flooder) }, { client: 'payer', keyHash: hashApiKey(payer) }],
        unauthenticated: { pil: { client: 'openg2p-interop-layer', allowFrom: ['127.0.0.1/32', '::1/128'] } },
      },
      limits: { requestsPerSecond: 50, burst: 100, maxBodyBytes: { pil: 64 * 1024, 'g2p-connect': 64 * 1024, native: 10 * 1024 * 1024 } },
    });
  });

  after(async () => h?.stop());

  it('a flood of 10,000 requests from one client gets 429s with Retry-After while another client\'s batch is still paid', async () => {
    const pool = new Pool(h.orch.url, { connections: 32 });
    const statuses = new Map<number, number>();
    let retryAfter: string | undefined;
    let bodySample: string | undefined;
    let next = 0;
    const flood = async () => {
      while (next < 10_000) {
        next++;
        const res = await pool.request({ method: 'GET', path: '/v1/batches?idempotencyKey=nothing', headers:
          { authorization: `Bearer ${flooder}` } });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode === 429) {
          retryAfter = String(res.headers['retry-after']);
          bodySample = text;
        }
      }
    };
    const floodDone = Promise.all(Array.from({ length: 32 }, flood));
    const r = validRequest('pil', 'paid-despite-flood', 4);
    const paid = await call(h.orch.url, r.method, r.path, { body: r.body, auth: payer });
    await floodDone;
    await pool.close();
    assert.equal(paid.status, 200, paid.text);
    assert.deepEqual(paid.body.payeeResults.map((p: { status: string }) => p.status), ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    assert.ok((statuses.get(429) ?? 0) > 5000, `429s: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(200) ?? 0) >= 100, `200s: ${JSON.stringify([...statuses])}`);
    assert.equal([...statuses.keys()].filter((s) => s !== 200 && s !== 429).length, 0, JSON.stringify([...statuses]));
    assert.match(retryAfter ?? '', /^\d+$/);
    assert.equal(JSON.parse(bodySample!).errorCode, 'RATE_LIMITED');
  });

  it('answers too-large bodies with 413 in each API\'s format', async () => {
    const big = 'x'.repeat(100 * 1024);
    const pil = await call(h.orch.url, 'POST', '/disbursement', { body: { disbursementId: 'big', payeeList: [], note: big }, auth: payer });
    assert.equal(pil.status, 413);
    assert.equal(errorFormat('pil', pil), '3104');
    const g2p = await call(h.orch.url, 'POST', '/disburse', { body: { header: { note: big } }, auth: payer });
    assert.equal(g2p.status, 413);
    assert.equal(errorFormat('g2p-connect', g2p), 'ERR err.request.bad');
  });

  it('OpenG2P\'s interop-layer manager, unchanged (no credentials), is served on the PIL API from an allowed address only, with a ' +
    'warning at start', async () => {
    assert.ok(logLines.some((l) => /UNAUTHENTICATED ACCESS is allowed on the pil API/.test(l)), 'no warning was logged');
    const g2p = await startOpenG2p({ orchestratorUrl: h.orch.url, seed: 3, program:
      { name: 'Unchanged', currency: 'USD', paymentManager: 'interop-layer', amount: { base: '10' } } });
    try {
      g2p.enrol(generateRegistrants({ count: 20, fsps: { payeefsp1: 1, payeefsp2: 1 } }, 3));
      const cycle = g2p.createCycle();
      cycle.createEntitlements(); cycle.approveEntitlements(); cycle.approve();
      cycle.preparePayments(g2p.rnd);
      await g2p.sendPayments(cycle);
      assert.ok(await g2p.reconcile(cycle, 30_000));
      assert.equal(cycle.summary().paid.count, 20);
    } finally {
      await g2p.stop();
    }
    // The same request without credentials on the native API is refused.
    const r = validRequest('native', 'no-creds-native');
    assert.equal((await call(h.orch.url, r.method, r.path, { body: r.body, headers: r.headers })).status, 401);
  });
});
