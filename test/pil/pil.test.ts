import assert from 'node:assert/strict';
import request from 'supertest';
import pino from 'pino';
import { startPil, type PilOptions, type RunningPil } from '../../simulators/pil';
import { Directory, transferOutcome } from '../../simulators/pil/domain';
import { interopLayerBody } from '../../simulators/openg2p/managers';
import type { PaymentBatch } from '../../simulators/openg2p/program';
import { sdkSchemaErrors, startFakeSdk, type FakeSdk, type FakeSdkOptions } from './fake-sdk';

const silent = pino({ level: 'silent' });

function openG2pBody(id: string, payees: Array<{ idType: string; idValue: string; amount: string }>): string {
  const batch = { id, payments: payees.map((p, i) => ({ reference: `r${i}`, amount: p.amount, currency: 'USD', registrant:
    { idType: p.idType, idValue: p.idValue } })) } as unknown as PaymentBatch;
  return interopLayerBody(batch, { programName: 'Demo 1', cycleId: '1' });
}

type Result = { payeeIdValue: string; status: string; amountCredited: string; amountDebited: string; errorCode?: string;
  timestamp: string };

describe('PIL simulator', () => {
  let sdk: FakeSdk;
  let pil: RunningPil;
  async function start(sdkOpts: FakeSdkOptions = {}, pilOpts: PilOptions = {}) {
    sdk = await startFakeSdk(sdkOpts);
    pil = await startPil({ port: 0, payerOutboundUrl: sdk.url, logger: silent, ...pilOpts });
  }
  afterEach(async () => {
    await pil?.stop();
    await sdk?.stop();
  });

  it('pays OpenG2P\'s exact payload through SDK POST /transfers and answers in request order, unknown payees REJECTED in place', async () =>
    {
    await start({ unknown: /^25479/, payeeFee: '0.5' });
    const payees = [
      { idType: 'MSISDN', idValue: '254710000001', amount: '100' },
      { idType: 'MSISDN', idValue: '254790000001', amount: '50' },
      { idType: 'ACCOUNT_ID', idValue: 'PF2-1001', amount: '12.25' },
      { idType: 'MSISDN', idValue: '254720000002', amount: '0.75' },
    ];
    const res = await request(pil.url).post('/disbursement').set('content-type',
      'application/json').send(openG2pBody('d-order', payees)).expect(200);
    const results = res.body.payeeResults as Result[];
    assert.deepEqual(results.map((r) => r.payeeIdValue), payees.map((p) => p.idValue));
    assert.deepEqual(results.map((r) => r.status), ['COMPLETED', 'REJECTED', 'COMPLETED', 'COMPLETED']);
    assert.equal(results[1].errorCode, '3204');
    assert.equal(results[0].amountDebited, '100');
    assert.equal(results[0].amountCredited, '99.5');
    assert.match(results[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // What the payer DFSP was asked, against the official SDK outbound spec.
    assert.deepEqual(sdk.invalid, []);
    assert.notEqual(sdkSchemaErrors('transferRequest', { ...sdk.transfers[0], amount: 100 }), '', 'the spec check can fail');
    assert.equal(sdk.transfers.length, 4);
    const first = sdk.transfers[0];
    assert.deepEqual(first.to, { idType: 'MSISDN', idValue: '254710000001' });
    assert.equal(first.amount, '100');
    assert.equal(first.amountType, 'SEND');
    assert.equal(first.transactionType, 'TRANSFER');
    assert.equal(first.homeTransactionId, 'd-order:0');
    assert.equal(sdk.credits.get('PF2-1001'), '11.75');
    assert.equal(sdk.credits.has('254790000001'), false);
    const again = await request(pil.url).get('/disbursement/d-order').expect(200);
    assert.deepEqual(again.body, res.body);
  });

  it('sequential mode pays one payee at a time; concurrent mode keeps several in flight, bounded', async () => {
    const payees = Array.from({ length: 12 }, (_, i) => ({ idType: 'MSISDN', idValue: `2547100000${String(i).padStart(2, '0')}`, amount:
      '1' }));
    await start({}, { mode: 'sequential' });
    await request(pil.url).post('/disbursement').set('content-type', 'application/json').send(openG2pBody('seq', payees)).expect(200);
    assert.equal(sdk.maxInFlight, 1);
    assert.equal(sdk.credits.size, 12);
    await pil.stop();
    await sdk.stop();
    await start({}, { mode: 'concurrent', concurrency: 4 });
    sdk.hold();
    const pending = request(pil.url).post('/disbursement').set('content-type', 'application/json').send(openG2pBody('conc', payees));
    const started = pending.then((r) => r);
    const deadline = Date.now() + 5000;
    while (sdk.transfers.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    sdk.release();
    const res = await started;
    assert.equal(res.status, 200);
    assert.ok(sdk.maxInFlight > 1 && sdk.maxInFlight <= 4, `max in flight ${sdk.maxInFlight}`);
    assert.ok((res.body.payeeResults as Result[]).every((r) => r.status === 'COMPLETED'));
  });

  it('answers RECEIVED/PENDING past the sync window and GET /disbursement/{id} completes them later', async () => {
    await start({}, { mode: 'sequential', syncWindowMs: 30 });
    sdk.hold();
    const payees = [1, 2, 3].map((i) => ({ idType: 'MSISDN', idValue: `25471000000${i}`, amount: `${i}` }));
    const res = await request(pil.url).post('/disbursement').set('content-type',
      'application/json').send(openG2pBody('slow', payees)).expect(200);
    assert.deepEqual((res.body.payeeResults as Result[]).map((r) => r.status), ['PENDING', 'RECEIVED', 'RECEIVED']);
    sdk.release();
    const deadline = Date.now() + 5000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      const r = await request(pil.url).get('/disbursement/slow').expect(200);
      statuses = (r.body.payeeResults as Result[]).map((x) => x.status);
      if (statuses.every((s) => s === 'COMPLETED')) break;
      await new Promise((x) => setTimeout(x, 10));
    }
    assert.deepEqual(statuses, ['COMPLETED', 'COMPLETED', 'COMPLETED']);
    await request(pil.url).get('/disbursement/unknown').expect(404);
  });

  it('is idempotent on disbursementId: a resend pays nothing again, a changed request is refused', async () => {
    await start();
    const body = openG2pBody('idem', [{ idType: 'MSISDN', idValue: '254710000001', amount: '10' }]);
    await request(pil.url).post('/disbursement').set('content-type', 'application/json').send(body).expect(200);
    const again = await request(pil.url).post('/disbursement').set('content-type', 'application/json').send(body).expect(200);
    assert.equal(again.body.payeeResults[0].status, 'COMPLETED');
    assert.equal(sdk.transfers.length, 1);
    assert.equal(sdk.credits.get('254710000001'), '10');
    const changed = openG2pBody('idem', [{ idType: 'MSISDN', idValue: '254710000001', amount: '11' }]);
    const conflict = await request(pil.url).post('/disbursement').set('content-type', 'application/json').send(changed).expect(409);
    assert.equal(conflict.body.errorInformation.errorCode, '3106');
    assert.equal(sdk.transfers.length, 1);
  });

  it('continues transfers the payer DFSP stops for acceptance with acceptParty then acceptQuote', async () => {
    await start({ twoStep: /^25477/ });
    const res = await request(pil.url).post('/disbursement').send({ disbursementId: 'two-step', payeeList:
      [{ payeeIdType: 'MSISDN', payeeIdValue: '254770000001', amount: 5, currency: 'USD' }] }).expect(200);
    assert.equal(res.body.payeeResults[0].status, 'COMPLETED');
    assert.deepEqual(sdk.puts.map((p) => p.body), [{ acceptParty: true }, { acceptQuote: true }]);
    assert.equal(sdk.credits.get('254770000001'), '5');
  });

  it('refuses invalid requests with field-level errors and pays nothing', async () => {
    await start();
    const res = await request(pil.url).post('/disbursement').send({ disbursementId: 'bad', payeeList: [
      { payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount: -5, currency: 'USD' },
      { payeeIdType: 'MSISDN', payeeIdValue: '254710000002', amount: 1.001, currency: 'USD' },
    ] }).expect(400);
    assert.equal(res.body.errorInformation.errorCode, '3100');
    assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field), ['payeeList[0].amount', 'payeeList[1].amount']);
    const cur = await request(pil.url).post('/disbursement').send({ disbursementId: 'bad2', payeeList:
      [{ payeeIdType: 'MSISDN', payeeIdValue: '1', amount: 1, currency: 'USDX' }] }).expect(400);
    assert.equal(cur.body.errors[0].field, 'payeeList[0].currency');
    await request(pil.url).post('/disbursement').set('content-type', 'application/json').send('{"disbursementId":').expect(400);
    assert.equal(sdk.transfers.length, 0);
  });

  it('routes by its directory: payees it has no route for are REJECTED without a transfer', async () => {
    await start({}, { directory: [{ payeeIdType: 'MSISDN', rail: 'mojaloop', payerFsp: 'govbank' },
      { payeeIdType: 'NATIONAL_ID', rail: 'mojaloop', payerFsp: 'govbank', partyIdType: 'PERSONAL_ID' }] });
    const res = await request(pil.url).post('/disbursement').send({ disbursementId: 'dir', payeeList: [
      { payeeIdType: 'ACCOUNT_ID', payeeIdValue: 'PF1-1', amount: 1, currency: 'USD' },
      { payeeIdType: 'NATIONAL_ID', payeeIdValue: 'X123', amount: 2, currency: 'USD' },
    ] }).expect(200);
    assert.deepEqual((res.body.payeeResults as Result[]).map((r) => r.status), ['REJECTED', 'COMPLETED']);
    assert.equal(sdk.transfers.length, 1);
    assert.deepEqual(sdk.transfers[0].to, { idType: 'PERSONAL_ID', idValue: 'X123' });
  });

  it('applies fault rules set at run time through PUT /admin/rules', async () => {
    await start();
    await request(pil.url).put('/admin/rules').send({ rules: [{ match: { partyId: '^254710000002$' }, action:
      { type: 'error', errorCode: '5104' } }] }).expect(200);
    const res = await request(pil.url).post('/disbursement').send({ disbursementId: 'rules', payeeList: [
      { payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount: 1, currency: 'USD' },
      { payeeIdType: 'MSISDN', payeeIdValue: '254710000002', amount: 1, currency: 'USD' },
    ] }).expect(200);
    assert.deepEqual((res.body.payeeResults as Result[]).map((r) => `${r.status}:${r.errorCode ?? ''}`), ['COMPLETED:', 'REJECTED:5104']);
    assert.equal(sdk.transfers.length, 1);
    await request(pil.url).put('/admin/rules').send({ rules: [{ action: { type: 'bogus' } }] }).expect(400);
    await request(pil.url).put('/admin/rules').send({ rules: [{ match: { resource: 'disbursement' }, action:
      { type: 'httpStatus', status: 503 } }] }).expect(200);
    await request(pil.url).post('/disbursement').send({ disbursementId: 'r2', payeeList:
      [{ payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount: 1, currency: 'USD' }] }).expect(503);
  });

  it('disbursementCheck looks payees up through the payer DFSP', async () => {
    await start({ unknown: /^25479/ });
    const res = await request(pil.url).post('/disbursementCheck').send({ requestId: 'c1', payeeList: [
      { payeeIdType: 'MSISDN', payeeIdValue: '254710000001' },
      { payeeIdType: 'MSISDN', payeeIdValue: '254790000001' },
    ] }).expect(200);
    assert.equal(res.body.requestId, 'c1');
    assert.deepEqual(res.body.payeeResults.map((r: { isPayable: boolean }) => r.isPayable), [true, false]);
    assert.equal(res.body.payeeResults[0].name, 'Person 0001');
    assert.match(res.body.payeeResults[1].errors[0], /3204/);
  });

  it('reads SDK answers: completed, failed with the FSPIOP code, waiting for acceptance', () => {
    assert.deepEqual(transferOutcome(500, { statusCode: '4001', transferState:
      { lastError: { mojaloopError: { errorInformation: { errorCode: '4001', errorDescription: 'Payer FSP insufficient liquidity' } } } } },
      { amount: '1' }),
      { kind: 'failed', transferId: undefined, errorCode: '4001', errorDescription: 'Payer FSP insufficient liquidity' });
    assert.equal((transferOutcome(504, {}, { amount: '1' }) as { errorCode: string }).errorCode, '2004');
    assert.deepEqual(transferOutcome(200, { transferId: 't', currentState: 'WAITING_FOR_QUOTE_ACCEPTANCE' }, { amount: '1' }),
      { kind: 'accept-quote', transferId: 't' });
    const d = new Directory([{ payeeIdType: 'MSISDN', payeeIdValue: '2547[12].*', rail: 'mojaloop', payerFsp: 'a' },
      { payeeIdType: 'MSISDN', rail: 'mojaloop', payerFsp: 'b' }]);
    assert.equal(d.route('MSISDN', '254710000001')?.entry.payerFsp, 'a');
    assert.equal(d.route('MSISDN', '254730000001')?.entry.payerFsp, 'b');
    assert.equal(d.route('MSISDNX', '1'), undefined);
  });
});
