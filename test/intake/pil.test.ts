import assert from 'node:assert/strict';
import request from 'supertest';
import { registerPilApi, parseDisbursement, pilStatus } from '../../orchestrator/intake/pil';
import { canonicalJson, requestHash } from '../../orchestrator/intake/common';
import { PaymentStatus } from '../../orchestrator/domain/types';
import { interopLayerBody } from '../../simulators/openg2p/managers';
import type { PaymentBatch } from '../../simulators/openg2p/program';
import { failWhen } from './fake-service';
import { startIntake, type IntakeHarness } from './helpers';

/** What OpenG2P's interop-layer manager sends, built by its own model (amount as a Python float literal). */
function openG2pBody(id: string, payees: Array<{ idType: string; idValue: string; amount: string }>): string {
  const batch = {
    id,
    payments: payees.map((p, i) => ({ reference: `r${i}`, amount: p.amount, currency: 'USD', registrant:
      { idType: p.idType, idValue: p.idValue } })),
  } as unknown as PaymentBatch;
  return interopLayerBody(batch, { programName: 'Cash Transfer', cycleId: '7' });
}

describe('PIL-compatible API (orchestrator intake)', () => {
  let h: IntakeHarness;
  afterEach(async () => { await h?.stop(); });

  it('pays OpenG2P\'s exact payload and answers results in request order, amounts converted exactly', async () => {
    h = await startIntake(registerPilApi, { service: { outcome: failWhen(/^25479/) } });
    const payees = [
      { idType: 'MSISDN', idValue: '254710000001', amount: '100' },
      { idType: 'MSISDN', idValue: '254790000009', amount: '12.5' },
      { idType: 'ACCOUNT_ID', idValue: 'PF2-1001', amount: '0.1' },
      { idType: 'MSISDN', idValue: '254720000002', amount: '99999999.99' },
    ];
    const body = openG2pBody('5b1f8a52-1111-4a53-9a43-6d2f0c1f5e10', payees);
    assert.match(body, /"amount":100\.0,/);
    const res = await request(h.url).post('/disbursement').set('content-type', 'application/json').send(body).expect(200);
    assert.equal(res.body.disbursementId, '5b1f8a52-1111-4a53-9a43-6d2f0c1f5e10');
    assert.deepEqual(res.body.payeeResults.map((r: { payeeIdValue: string }) => r.payeeIdValue), payees.map((p) => p.idValue));
    assert.deepEqual(res.body.payeeResults.map((r: { status: string }) => r.status), ['COMPLETED', 'REJECTED', 'COMPLETED', 'COMPLETED']);
    assert.deepEqual(res.body.payeeResults.map((r: { amount: string }) => r.amount), ['100', '12.5', '0.1', '99999999.99']);
    assert.equal(res.body.payeeResults[0].amountCredited, '100');
    assert.equal(res.body.payeeResults[3].amountDebited, '99999999.99');
    assert.equal(res.body.payeeResults[1].errorCode, '3204');
    assert.match(res.body.payeeResults[1].errors[0], /^3204/);
    assert.match(res.body.payeeResults[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const cmd = h.service.submitCalls[0];
    assert.equal(cmd.source, 'pil');
    assert.equal(cmd.sourceKey, '5b1f8a52-1111-4a53-9a43-6d2f0c1f5e10');
    assert.deepEqual(cmd.payments.map((p) => p.reference), ['0', '1', '2', '3']);
    assert.deepEqual(cmd.payments.map((p) => p.amount), ['100', '12.5', '0.1', '99999999.99']);
    assert.equal(cmd.note, 'Program: Cash Transfer. Cycle ID - 7');

    const again = await request(h.url).get('/disbursement/5b1f8a52-1111-4a53-9a43-6d2f0c1f5e10').expect(200);
    assert.deepEqual(again.body, res.body);
  });

  it('refuses invalid payloads with field-level errors in the PIL error format and stores nothing', async () => {
    h = await startIntake(registerPilApi);
    const bad = await request(h.url).post('/disbursement').send({
      disbursementId: 'd-1', note: 'x',
      payeeList: [
        { payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount: -5, currency: 'USD' },
        { payeeIdType: 'MSISDN', payeeIdValue: '254710000002', amount: 10, currency: 'USDX' },
        { payeeIdType: 'MSISDN', amount: 10.123, currency: 'USD' },
      ],
    }).expect(400);
    assert.equal(bad.body.errorInformation.errorCode, '3100');
    const fields = bad.body.errors.map((e: { field: string }) => e.field);
    assert.ok(fields.includes('payeeList[1].currency'), fields.join());
    assert.ok(fields.includes('payeeList[2].payeeIdValue'), fields.join());

    const amounts = await request(h.url).post('/disbursement').send({
      disbursementId: 'd-2', payeeList: [
        { payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount: -5, currency: 'USD' },
        { payeeIdType: 'MSISDN', payeeIdValue: '254710000002', amount: 10.123, currency: 'USD' },
        { payeeIdType: 'MSISDN', payeeIdValue: '254710000003', amount: 0, currency: 'USD' },
        { payeeIdType: 'MSISDN', payeeIdValue: '254710000004', amount: 5, currency: 'EUR' },
      ],
    }).expect(400);
    assert.deepEqual(amounts.body.errors.map((e: { field: string }) => e.field).sort(),
      ['payeeList[0].amount', 'payeeList[1].amount', 'payeeList[2].amount', 'payeeList[3].currency']);

    const empty = await request(h.url).post('/disbursement').send({ disbursementId: 'd-3', payeeList: [] }).expect(400);
    assert.equal(empty.body.errors[0].field, 'payeeList');
    const tooMany = await request(h.url).post('/disbursement').send({
      disbursementId: 'd-4', payeeList: Array.from({ length: 1001 }, () =>
        ({ payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount: 1, currency: 'USD' })),
    }).expect(400);
    assert.equal(tooMany.body.errors[0].field, 'payeeList');

    const notJson = await request(h.url).post('/disbursement').set('content-type',
      'application/json').send('{"disbursementId": "d-1", "payeeList": [').expect(400);
    assert.equal(notJson.body.errorInformation.errorCode, '3101');
    assert.equal(h.service.submitCalls.length, 0, 'nothing reached the service');
  });

  it('a replay returns the original results and creates nothing; the same id with another request is a 409', async () => {
    h = await startIntake(registerPilApi);
    const body = { disbursementId: 'dup-1', note: 'n', payeeList: [{ payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount: 10,
      currency: 'USD' }] };
    const first = await request(h.url).post('/disbursement').send(body).expect(200);
    // Same content, other key order and 10.0 instead of 10: the same request.
    const replay = await request(h.url).post('/disbursement').set('content-type', 'application/json')
      .send('{"payeeList":[{"currency":"USD","amount":10.0,"payeeIdValue":"254710000001","payeeIdType":"MSISDN"}],"note":"n","disbursementId":"dup-1"}').expect(200);
    assert.deepEqual(replay.body.payeeResults.map((r: { status: string }) => r.status),
      first.body.payeeResults.map((r: { status: string }) => r.status));
    assert.equal(h.service.createdCount, 1);
    const conflict = await request(h.url).post('/disbursement').send({ ...body, payeeList:
      [{ ...body.payeeList[0], amount: 11 }] }).expect(409);
    assert.equal(conflict.body.errorInformation.errorCode, '3106');
    assert.equal(h.service.createdCount, 1);
    assert.equal(h.service.submitCalls.length, 3);
  });

  it('answers RECEIVED/PENDING after the sync window, then GET completes them', async () => {
    h = await startIntake(registerPilApi, { service: { settle: 'manual' }, config: { pilSyncWindowMs: 50 } });
    const res = await request(h.url).post('/disbursement').send({
      disbursementId: 'slow-1', payeeList: [1, 2, 3].map((i) => ({ payeeIdType: 'MSISDN', payeeIdValue: `25471000000${i}`, amount: i,
        currency: 'USD' })),
    }).expect(200);
    assert.deepEqual(res.body.payeeResults.map((r: { status: string }) => r.status), ['RECEIVED', 'RECEIVED', 'RECEIVED']);
    const batchId = (await h.service.findBatchBySourceKey('pil', 'slow-1'))!.id;
    await h.service.settle(batchId, 1);
    const mid = await request(h.url).get('/disbursement/slow-1').expect(200);
    assert.deepEqual(mid.body.payeeResults.map((r: { status: string }) => r.status), ['COMPLETED', 'RECEIVED', 'RECEIVED']);
    await h.service.settle(batchId);
    const done = await request(h.url).get('/disbursement/slow-1').expect(200);
    assert.deepEqual(done.body.payeeResults.map((r: { status: string }) => r.status), ['COMPLETED', 'COMPLETED', 'COMPLETED']);
    await request(h.url).get('/disbursement/nope').expect(404);
  });

  it('answers a 500-payee batch within the sync window with every result in order', async () => {
    h = await startIntake(registerPilApi, { service: { stepSize: 50 } });
    const payees = Array.from({ length: 500 }, (_, i) => ({ idType: 'MSISDN', idValue: `2547100${String(i).padStart(5, '0')}`, amount: `${1
      + (i % 7)}.25` }));
    const res = await request(h.url).post('/disbursement').set('content-type',
      'application/json').send(openG2pBody('big-500', payees)).expect(200);
    assert.equal(res.body.payeeResults.length, 500);
    res.body.payeeResults.forEach((r: { payeeIdValue: string; status: string; amount: string }, i: number) => {
      assert.equal(r.payeeIdValue, payees[i].idValue);
      assert.equal(r.amount, payees[i].amount);
      assert.equal(r.status, 'COMPLETED');
    });
  });

  it('disbursementCheck answers payability from id types and formats', async () => {
    h = await startIntake(registerPilApi);
    const res = await request(h.url).post('/disbursementCheck').send({
      requestId: 'chk-1',
      payeeList: [
        { payeeIdType: 'MSISDN', payeeIdValue: '254710000001' },
        { payeeIdType: 'MSISDN', payeeIdValue: '2547-BAD-1' },
        { payeeIdType: 'AADHAAR', payeeIdValue: '5000-0000-1234' },
        { payeeIdType: 'ACCOUNT_ID', payeeIdValue: 'PF1-1001' },
      ],
    }).expect(200);
    assert.equal(res.body.requestId, 'chk-1');
    assert.deepEqual(res.body.payeeResults.map((r: { isPayable: boolean }) => r.isPayable), [true, false, false, true]);
    assert.equal(res.body.payeeResults[1].errors.length, 1);
    const bad = await request(h.url).post('/disbursementCheck').send({ payeeList: [{}] }).expect(400);
    assert.ok(bad.body.errors.some((e: { field: string }) => e.field === 'requestId'));
    assert.equal(h.service.submitCalls.length, 0);
  });

  it('maps payment statuses to what OpenG2P reads as paid or failed', () => {
    assert.equal(pilStatus(PaymentStatus.COMPLETED), 'COMPLETED');
    assert.equal(pilStatus(PaymentStatus.FAILED), 'REJECTED');
    assert.equal(pilStatus(PaymentStatus.CANCELLED), 'ABORTED');
    assert.equal(pilStatus(PaymentStatus.SENT), 'PENDING');
    assert.equal(pilStatus(PaymentStatus.RECEIVED), 'RECEIVED');
  });

  it('hashes requests canonically', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
    assert.equal(requestHash({ a: 1, b: 2 }), requestHash({ b: 2, a: 1 }));
    const a = parseDisbursement({ disbursementId: 'x', payeeList: [{ payeeIdType: 'MSISDN', payeeIdValue: '1', amount: 1.5, currency:
      'USD' }] });
    const b = parseDisbursement({ disbursementId: 'x', payeeList: [{ payeeIdType: 'MSISDN', payeeIdValue: '1', amount: '1.50', currency:
      'USD' }] });
    assert.ok(a.ok && b.ok);
    assert.equal(a.ok && a.command.requestHash, b.ok && b.command.requestHash);
  });
});
