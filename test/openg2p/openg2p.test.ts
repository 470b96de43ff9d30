import assert from 'node:assert/strict';
import Hapi from '@hapi/hapi';
import { request } from 'undici';
import { generateRegistrants, startOpenG2p, OpenG2p, interopLayerBody, pythonFloatLiteral } from '../../simulators/openg2p';

/** A stand-in orchestrator that records what OpenG2P sends and answers like a PIL / G2P Connect server. */
async function fakeOrchestrator() {
  const server = Hapi.server({ port: 0, host: '127.0.0.1' });
  const posts: Array<{ path: string; raw: string }> = [];
  let failNext = 0;
  server.route({
    method: 'POST', path: '/disbursement', options: { payload: { parse: false } },
    handler: (req, h) => {
      const raw = (req.payload as Buffer).toString();
      posts.push({ path: '/disbursement', raw });
      if (failNext > 0) { failNext--; return h.response({ error: 'busy' }).code(503); }
      const body = JSON.parse(raw) as { disbursementId: string; payeeList: Array<{ payeeIdType: string; payeeIdValue: string;
        amount: number; currency: string }> };
      return {
        disbursementId: body.disbursementId,
        payeeResults: body.payeeList.map((p, i) => ({ ...p, amount: String(p.amount), timestamp: new Date().toISOString(), status:
          i % 3 === 2 ? 'REJECTED' : 'COMPLETED', amountCredited: i % 3 === 2 ? undefined : String(p.amount) })),
      };
    },
  });
  server.route({
    method: 'POST', path: '/disburse',
    handler: (req) => {
      const env = req.payload as { header: { message_id: string; sender_uri: string };
        message: { transaction_id: string; disbursements: Array<{ reference_id: string; amount: string }> } };
      posts.push({ path: '/disburse', raw: JSON.stringify(env) });
      setImmediate(async () => {
        const cb = { header: { message_id: `cb-${env.header.message_id}`, action: 'on-disburse' }, message:
          { transaction_id: env.message.transaction_id, disbursements_status:
            env.message.disbursements.map((d, i) => ({ reference_id: d.reference_id, status: i === 0 ? 'rjct' : 'succ', status_reason_code:
              i === 0 ? 'rjct.payee_fa.invalid' : undefined, amount: d.amount })) } };
        for (let k = 0; k < 2; k++) await request(`${env.header.sender_uri}/on-disburse`,
          { method: 'POST', body: JSON.stringify(cb), headers: { 'content-type': 'application/json' } }).then((r) => r.body.text());
      });
      return { message: { ack_status: 'ACK', timestamp: new Date().toISOString(), correlation_id: env.header.message_id } };
    },
  });
  const native = new Map<string, Array<{ reference: string; status: string; errorCode?: string; amountCredited?: string;
    transferId: string }>>();
  server.route({
    method: 'POST', path: '/v1/batches', options: { payload: { parse: false } },
    handler: (req, h) => {
      const raw = (req.payload as Buffer).toString();
      posts.push({ path: '/v1/batches', raw: `${req.headers['content-type']}|${req.headers['idempotency-key']}|${raw}` });
      const rows = raw.trim().split('\n').slice(1).map((l) => l.split(','));
      const id = `b-${native.size + 1}`;
      native.set(id, rows.map((r, i) => ({ reference: r[0], status: i === 0 ? 'FAILED' : 'COMPLETED', errorCode: i === 0 ? '3204'
        : undefined, amountCredited: i === 0 ? undefined : r[7], transferId: `t-${i}` })));
      return h.response({ id, status: 'RECEIVED' }).code(202);
    },
  });
  server.route({ method: 'GET', path: '/v1/batches/{id}/payments', handler: (req) =>
    { const items = native.get(String(req.params.id)) ?? []; return { total: items.length, items }; } });
  await server.start();
  return { url: `http://127.0.0.1:${server.info.port}`, posts, failNextPosts: (n: number) => { failNext = n; }, stop: () => server.stop() };
}

describe('OpenG2P side', () => {
  let orch: Awaited<ReturnType<typeof fakeOrchestrator>>;
  const started: OpenG2p[] = [];
  before(async () => { orch = await fakeOrchestrator(); });
  after(async () => { await Promise.all(started.map((g) => g.stop())); await orch.stop(); });

  it('generates registrants deterministically with exact shares of unknown and bad accounts', () => {
    const a = generateRegistrants({ count: 1000, fsps: { payeefsp1: 3, payeefsp2: 1 }, unknownShare: 0.05, badShare: 0.01, idTypes:
      ['MSISDN', 'ACCOUNT_ID'] }, 7);
    const b = generateRegistrants({ count: 1000, fsps: { payeefsp1: 3, payeefsp2: 1 }, unknownShare: 0.05, badShare: 0.01, idTypes:
      ['MSISDN', 'ACCOUNT_ID'] }, 7);
    assert.deepEqual(a, b);
    assert.equal(a.filter((r) => r.kind === 'unknown').length, 50);
    assert.equal(a.filter((r) => r.kind === 'bad').length, 10);
    const ok = a.filter((r) => r.kind === 'ok');
    assert.ok(ok.every((r) => (r.fsp === 'payeefsp1' ? /^(25471\d{7}|PF1-\d+)$/ : /^(25472\d{7}|PF2-\d+)$/).test(r.idValue)));
    const share1 = ok.filter((r) => r.fsp === 'payeefsp1').length / ok.length;
    assert.ok(share1 > 0.68 && share1 < 0.82, `share ${share1}`);
  });

  it('runs a cycle through the interop layer: exact payload, batches of the tag size, results by position, no retry', async () => {
    const g2p = await startOpenG2p({ orchestratorUrl: orch.url, seed: 3, program:
      { name: 'Cash Transfer', currency: 'USD', paymentManager: 'interop-layer', maxBatchSize: 4, eligibility: { minAge: 18 }, amount:
        { base: '100', perHouseholdMember: '0.5' } } });
    started.push(g2p);
    const [enrolled] = g2p.enrol(generateRegistrants({ count: 10, fsps: { payeefsp1: 1 } }, 1));
    assert.equal(enrolled, 10);
    const cycle = g2p.createCycle();
    assert.throws(() => cycle.approve(), /approve its entitlements first/);
    cycle.createEntitlements(); cycle.approveEntitlements(); cycle.approve();
    const batches = cycle.preparePayments(g2p.rnd);
    assert.deepEqual(batches.map((b) => b.payments.length), [4, 4, 2]);
    orch.posts.length = 0;
    orch.failNextPosts(1);
    const sent = await g2p.sendPayments(cycle);
    assert.deepEqual(sent.map((s) => s.accepted), [false, true, true]);
    assert.equal(orch.posts.length, 3, 'a failed POST is not retried');
    const raw = orch.posts[1].raw;
    assert.match(raw,
      /^\{"note":"Program: Cash Transfer\. Cycle ID - 1","disbursementId":"[0-9a-f-]{36}","payeeList":\[\{"payeeIdType":"MSISDN","payeeIdValue":"25471\d{7}","amount":\d+\.\d+,"currency":"USD"\}/);
    assert.equal(batches[0].state, 'send_failed');
    assert.ok(batches[0].payments.every((p) => p.state === 'issued'));
    assert.deepEqual(batches[1].payments.map((p) => p.status), ['paid', 'paid', 'failed', 'paid']);
    assert.equal(batches[1].payments[0].amountCredited, batches[1].payments[0].amount);
    const s = cycle.summary();
    assert.equal(s.paid.count + s.failed.count, 6);
    assert.equal(s.pending.count, 4);
  });

  it('writes amounts as Python floats, never through a float', () => {
    assert.equal(pythonFloatLiteral('100'), '100.0');
    assert.equal(pythonFloatLiteral('12.50'), '12.5');
    assert.equal(pythonFloatLiteral('123456789012345678.25'), '123456789012345678.25');
    assert.ok(interopLayerBody);
  });

  it('runs a cycle through the native API as CSV and reads results by reference', async () => {
    const g2p = await startOpenG2p({ orchestratorUrl: orch.url, seed: 5, nativeFormat: 'csv', program:
      { name: 'Pension', currency: 'USD', paymentManager: 'native', eligibility: { minAge: 60 }, amount: { base: '80' } } });
    started.push(g2p);
    const regs = generateRegistrants({ count: 40, fsps: { payeefsp1: 1 } }, 9);
    const [enrolled, rejected] = g2p.enrol(regs);
    assert.equal(enrolled, regs.filter((r) => r.age >= 60).length);
    assert.equal(enrolled + rejected, 40);
    const cycle = g2p.createCycle();
    cycle.createEntitlements(); cycle.approveEntitlements(); cycle.approve(); cycle.preparePayments(g2p.rnd);
    await g2p.sendPayments(cycle);
    const [ctype, key, csv] = orch.posts[orch.posts.length - 1].raw.split('|');
    assert.equal(ctype, 'text/csv');
    assert.equal(key, cycle.batches[0].id);
    assert.equal(csv.split('\n')[0],
      'id,request_id,payment_mode,payer_identifier_type,payer_identifier,payee_identifier_type,payee_identifier,amount,currency,note');
    assert.equal(await g2p.reconcile(cycle, 5000), true);
    assert.equal(cycle.payments[0].status, 'failed');
    assert.equal(cycle.payments[0].errorCode, '3204');
    assert.ok(cycle.payments.slice(1).every((p) => p.status === 'paid' && p.amountCredited === '80' && p.transferId));
    assert.equal(cycle.batches[0].state, 'reconciled');
  });

  it('runs a cycle through G2P Connect and reconciles by reference from on-disburse callbacks, once', async () => {
    const g2p = await startOpenG2p({ orchestratorUrl: orch.url, seed: 4, program:
      { name: 'Child Grant', currency: 'USD', paymentManager: 'g2p-connect', amount: { base: '25.5' } } });
    started.push(g2p);
    g2p.enrol(generateRegistrants({ count: 5, fsps: { payeefsp2: 1 } }, 2));
    const cycle = g2p.createCycle();
    cycle.createEntitlements(); cycle.approveEntitlements(); cycle.approve(); cycle.preparePayments(g2p.rnd);
    const [out] = await g2p.sendPayments(cycle);
    assert.equal(out.accepted, true);
    const env = JSON.parse(orch.posts[orch.posts.length - 1].raw);
    assert.equal(env.header.action, 'disburse');
    assert.equal(env.header.total_count, 5);
    assert.equal(env.message.disbursements[0].amount, '25.50');
    assert.match(env.message.disbursements[0].payee_fa, /^mobile:25472\d{7}@payeefsp2$/);
    assert.equal(await g2p.reconcile(cycle, 5000), true);
    assert.deepEqual(cycle.payments.map((p) => p.status), ['failed', 'paid', 'paid', 'paid', 'paid']);
    assert.equal(cycle.payments[0].errorCode, 'rjct.payee_fa.invalid');
    const deadline = Date.now() + 5000;
    while (g2p.callbacks!.received.length < 2 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.equal(g2p.callbacks!.duplicates, 1);
    assert.equal(cycle.summary().paid.amount, '102');
  });
});
