import assert from 'node:assert/strict';
import { request } from 'undici';
import { SeededRandom } from '../../shared/ids';
import { fulfilmentMatchesCondition } from '../../simulators/fspiop/ilp';
import { checkBody } from '../../simulators/payee-dfsp/edge';
import { RunningPayeeDfsp, startPayeeDfsp } from '../../simulators/payee-dfsp';
import { CallbackSink, fspiop, Received, startCallbackSink } from '../network/helpers';

const rnd = new SeededRandom(7);
type Body = Record<string, unknown> & { errorInformation?: { errorCode: string } };

describe('payee DFSP simulator over HTTP', () => {
  let sink: CallbackSink;
  let payee: RunningPayeeDfsp;

  before(async () => {
    sink = await startCallbackSink();
    payee = await startPayeeDfsp({ port: 0, fspId: 'payeefsp1', hubUrl: sink.url, alsUrl: sink.url, fees: [{ fixed: '0.25' }] });
  });
  after(async () => {
    await payee?.stop();
    await sink?.stop();
  });
  beforeEach(() => {
    payee.faults.replace([]);
  });

  const quote = (amount: string, msisdn = '254710000001') => ({
    quoteId: rnd.uuid(),
    transactionId: rnd.uuid(),
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId: 'payeefsp1' } },
    payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '254799999999', fspId: 'govbank' } },
    amountType: 'SEND',
    amount: { currency: 'USD', amount },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'BUSINESS' },
  });
  const expiration = () => new Date(Date.now() + 30_000).toISOString();
  const cb = (path: string) => (r: Received) => r.path === path;

  async function quoteAndTransfer(amount: string): Promise<{ transferId: string; condition: string; transfer: Body }> {
    const q = quote(amount);
    assert.equal((await fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q, { destination: 'payeefsp1' })).status, 202);
    const qr = await sink.waitFor(cb(`/quotes/${q.quoteId}`));
    const qb = qr.body as Body;
    const transfer = {
      transferId: q.transactionId, payerFsp: 'govbank', payeeFsp: 'payeefsp1', amount: qb.transferAmount,
      ilpPacket: qb.ilpPacket, condition: qb.condition, expiration: expiration(),
    };
    return { transferId: q.transactionId, condition: String(qb.condition), transfer };
  }

  it('answers GET /health and looks up parties (PUT /parties to the ALS, spec-valid, correct headers)', async () => {
    const health = await request(`${payee.url}/health`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
    assert.equal((await fspiop(payee.url, 'GET', '/parties/MSISDN/254710000001', 'parties', 'govbank')).status, 202);
    const put = await sink.waitFor(cb('/parties/MSISDN/254710000001'));
    assert.equal(put.method, 'PUT');
    assert.equal(put.headers['content-type'], 'application/vnd.interoperability.parties+json;version=1.1');
    assert.equal(put.headers['fspiop-source'], 'payeefsp1');
    assert.equal(put.headers['fspiop-destination'], 'govbank');
    assert.equal(put.headers.accept, undefined);
    assert.equal(checkBody('PartiesTypeIDPutResponse', put.body), undefined);
    assert.equal((put.body as { party: { personalInfo: { complexName: { firstName: string } } } }).party.personalInfo.complexName.firstName,
      'Amina');
    await fspiop(payee.url, 'GET', '/parties/MSISDN/1234', 'parties', 'govbank');
    const err = await sink.waitFor(cb('/parties/MSISDN/1234/error'));
    assert.equal((err.body as Body).errorInformation?.errorCode, '3204');
  });

  it('quote then transfer: spec-valid callbacks, sha256(fulfilment) == condition, credited once in the ledger', async () => {
    const { transferId, condition, transfer } = await quoteAndTransfer('10');
    assert.equal((await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank', transfer, { destination: 'payeefsp1' })).status,
      202);
    const put = await sink.waitFor(cb(`/transfers/${transferId}`));
    assert.equal(checkBody('TransfersIDPutResponse', put.body), undefined);
    const tb = put.body as Body;
    assert.equal(tb.transferState, 'COMMITTED');
    assert.ok(fulfilmentMatchesCondition(tb.fulfilment, condition));
    // resend: same body, same callback, no second credit
    await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank', transfer, { destination: 'payeefsp1' });
    const both = await sink.waitForCount(cb(`/transfers/${transferId}`), 2);
    assert.deepEqual(both[1].body, both[0].body);
    // modified: 3106
    await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank',
      { ...transfer, expiration: new Date(Date.now() + 60_000).toISOString() }, { destination: 'payeefsp1' });
    const modified = await sink.waitFor(cb(`/transfers/${transferId}/error`));
    assert.equal((modified.body as Body).errorInformation?.errorCode, '3106');
    const ledger = await (await request(`${payee.url}/admin/ledger/transfers/${transferId}`)).body.json() as Record<string, string>;
    assert.equal(ledger.state, 'COMMITTED');
    assert.equal(ledger.credited, '9.75');
    assert.equal(ledger.fee, '0.25');
    const acc = await (await request(`${payee.url}/admin/ledger/accounts/payeefsp1-wallet-1`)).body.json() as { balances: Record<string,
      string> };
    assert.equal(acc.balances.USD, '9.75');
    // GET /transfers/{id} answers with the state
    await fspiop(payee.url, 'GET', `/transfers/${transferId}`, 'transfers', 'govbank', undefined, { destination: 'payeefsp1' });
    await sink.waitForCount(cb(`/transfers/${transferId}`), 3);
  });

  it('answers in the version it was asked in (1.0 from an SDK, 1.1 otherwise)', async () => {
    const q = quote('4');
    const res = await fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q, {
      headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.0', accept:
        'application/vnd.interoperability.quotes+json;version=1.0' },
    });
    assert.equal(res.status, 202);
    const put = await sink.waitFor(cb(`/quotes/${q.quoteId}`));
    assert.equal(put.headers['content-type'], 'application/vnd.interoperability.quotes+json;version=1.0');
  });

  it('bad input gets the spec answer and changes nothing', async () => {
    const before = JSON.stringify(payee.core.ledger.summary());
    const q = quote('10');
    const cases: Array<[Promise<{ status: number; body: unknown }>, number, string]> = [
      [fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', undefined, { rawBody: '{"quoteId": ' }), 400, '3101'],
      [fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q, { headers: { 'fspiop-source': '' } }), 400, '3102'],
      [fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q, { headers: { date: '' } }), 400, '3102'],
      [fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q, { headers:
        { 'content-type': 'application/vnd.interoperability.quotes+json;version=9.0' } }), 406, '3001'],
      [fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q, { headers:
        { accept: 'application/vnd.interoperability.quotes+json;version=7' } }), 406, '3001'],
      [fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', { ...q, amount: { currency: 'USD', amount: '10.50' } }), 400, '3100'],
      [fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', { ...q, amount: { currency: 'USD', amount: '-1' } }), 400, '3100'],
      [fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', { ...q, quoteId: undefined }), 400, '3102'],
      [fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank', { transferId: 'x' }), 400, '3102'],
      [fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', undefined,
        { rawBody: JSON.stringify({ ...q, note: 'x'.repeat(6_000_000) }) }), 413, '3100'],
    ];
    for (const [p, status, code] of cases) {
      const res = await p;
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal((res.body as Body).errorInformation?.errorCode, code, JSON.stringify(res.body));
    }
    assert.ok(payee.violations.length >= 8);
    await payee.idle();
    assert.equal(JSON.stringify(payee.core.ledger.summary()), before);
    const health = await request(`${payee.url}/health`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
  });

  it('fault rules: error code, no callback, twice, 503, dropped connection, wrong fulfilment', async () => {
    payee.faults.replace([{ match: { resource: 'quotes', minAmount: '666', maxAmount: '666' }, action:
      { type: 'error', errorCode: '5101' } }]);
    const q1 = quote('666');
    await fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q1);
    assert.equal(((await sink.waitFor(cb(`/quotes/${q1.quoteId}/error`))).body as Body).errorInformation?.errorCode, '5101');

    payee.faults.replace([{ match: { resource: 'quotes' }, action: { type: 'noCallback' } }]);
    const q2 = quote('1');
    await fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q2);
    await payee.idle();
    assert.equal(sink.received.filter((r) => r.path.startsWith(`/quotes/${q2.quoteId}`)).length, 0);

    payee.faults.replace([{ match: { resource: 'quotes' }, action: { type: 'callbackTwice' } }]);
    const q3 = quote('1');
    await fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q3);
    await sink.waitForCount(cb(`/quotes/${q3.quoteId}`), 2);

    payee.faults.replace([{ match: { resource: 'quotes' }, action: { type: 'httpStatus', status: 503 } }]);
    const r503 = await fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', quote('1'));
    assert.equal(r503.status, 503);
    assert.equal((r503.body as Body).errorInformation?.errorCode, '2003');

    payee.faults.replace([{ match: { resource: 'quotes' }, action: { type: 'httpStatus', status: 500 } }]);
    const r500 = await fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', quote('1'));
    assert.equal(r500.status, 500);
    assert.equal((r500.body as Body).errorInformation?.errorCode, '2001');

    payee.faults.replace([{ match: { resource: 'quotes' }, action: { type: 'delay', ms: 150 } }]);
    const q4 = quote('1');
    const sentAt = Date.now();
    await fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q4);
    await sink.waitFor(cb(`/quotes/${q4.quoteId}`));
    assert.ok(Date.now() - sentAt >= 140, 'delayed callback came too early');

    payee.faults.replace([{ match: { resource: 'quotes' }, action: { type: 'dropConnection' } }]);
    await assert.rejects(fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', quote('1')));

    payee.faults.replace([]);
    const { transferId, condition, transfer } = await quoteAndTransfer('5');
    payee.faults.replace([{ match: { resource: 'transfers' }, action: { type: 'wrongFulfilment' } }]);
    await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank', transfer);
    const put = await sink.waitFor(cb(`/transfers/${transferId}`));
    assert.equal(fulfilmentMatchesCondition((put.body as Body).fulfilment, condition), false);
    assert.equal(payee.core.ledger.get(transferId)?.state, 'RESERVED');
    // the hub aborts it: nothing credited
    const abort = await fspiop(payee.url, 'PUT', `/transfers/${transferId}/error`, 'transfers', 'switch',
      { errorInformation: { errorCode: '3100', errorDescription: 'Invalid fulfilment' } });
    assert.equal(abort.status, 200);
    assert.equal(payee.core.ledger.get(transferId)?.state, 'ABORTED');
    assert.equal(payee.faults.list().length, 1);

    // a late callback: decided (and credited) on time, delivered after the transfer expired
    payee.faults.replace([]);
    const late = await quoteAndTransfer('2');
    payee.faults.replace([{ match: { resource: 'transfers' }, action: { type: 'lateCallback', ms: 20 } }]);
    const expiresAt = Date.now() + 300;
    await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank',
      { ...late.transfer, expiration: new Date(expiresAt).toISOString() });
    const latePut = await sink.waitFor(cb(`/transfers/${late.transferId}`));
    assert.ok(Date.now() >= expiresAt, 'callback arrived before expiry');
    assert.equal((latePut.body as Body).transferState, 'COMMITTED');
  });

  it('bulk: 1000-item bulkQuotes and bulkTransfers complete with per-item results; 1001 refused with 3103', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => {
      const q = quote('1.5', `2547100${String(i).padStart(5, '0')}`);
      return { quoteId: q.quoteId, transactionId: q.transactionId, payee: q.payee, amountType: 'SEND', amount: q.amount, transactionType:
        q.transactionType };
    });
    const bulkQuoteId = rnd.uuid();
    const payer = quote('1').payer;
    assert.equal((await fspiop(payee.url, 'POST', '/bulkQuotes', 'bulkQuotes', 'govbank', { bulkQuoteId, payer, individualQuotes: items },
      { destination: 'payeefsp1' })).status, 202);
    const bq = await sink.waitFor(cb(`/bulkQuotes/${bulkQuoteId}`), 10_000);
    assert.equal(checkBody('BulkQuotesIDPutResponse', bq.body), undefined);
    const results = (bq.body as { individualQuoteResults: Array<Body & { quoteId: string }> }).individualQuoteResults;
    assert.equal(results.length, 1000);
    const bulkTransferId = rnd.uuid();
    const individualTransfers = results.map((r, i) => ({ transferId: items[i].transactionId, transferAmount: r.transferAmount, ilpPacket:
      r.ilpPacket, condition: r.condition }));
    payee.faults.replace([{ match: { resource: 'bulkTransfers' }, action: { type: 'failBulkItems', fraction: 0.1, errorCode: '5104' } }]);
    const before = payee.core.ledger.currencyTotals('USD').committedCount;
    await fspiop(payee.url, 'POST', '/bulkTransfers', 'bulkTransfers', 'govbank', {
      bulkTransferId, bulkQuoteId, payerFsp: 'govbank', payeeFsp: 'payeefsp1', individualTransfers, expiration: expiration(),
    }, { destination: 'payeefsp1' });
    const bt = await sink.waitFor(cb(`/bulkTransfers/${bulkTransferId}`), 10_000);
    assert.equal(checkBody('BulkTransfersIDPutResponse', bt.body), undefined);
    const tr = (bt.body as { individualTransferResults: Array<Body & { transferId: string }> }).individualTransferResults;
    assert.equal(tr.length, 1000);
    const failed = tr.filter((r) => r.errorInformation);
    assert.equal(failed.length, 100);
    assert.ok(failed.every((r) => r.errorInformation?.errorCode === '5104'));
    const ok = tr.filter((r) => !r.errorInformation);
    assert.ok(ok.every((r, _i) => fulfilmentMatchesCondition(r.fulfilment,
      individualTransfers.find((t) => t.transferId === r.transferId)?.condition)));
    assert.equal(payee.core.ledger.currencyTotals('USD').committedCount - before, ok.length);

    const tooMany = [...items, items[0]];
    const refused = await fspiop(payee.url, 'POST', '/bulkQuotes', 'bulkQuotes', 'govbank',
      { bulkQuoteId: rnd.uuid(), payer, individualQuotes: tooMany });
    assert.equal(refused.status, 400);
    assert.equal((refused.body as Body).errorInformation?.errorCode, '3103');
  });

  it('RESERVED answering mode: credits only after the hub PATCHes COMMITTED', async () => {
    payee.core.answeringMode = 'RESERVED';
    try {
      const { transferId, transfer } = await quoteAndTransfer('3');
      await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank', transfer);
      const put = await sink.waitFor(cb(`/transfers/${transferId}`));
      assert.equal((put.body as Body).transferState, 'RESERVED');
      assert.equal(payee.core.ledger.get(transferId)?.state, 'RESERVED');
      const patch = await fspiop(payee.url, 'PATCH', `/transfers/${transferId}`, 'transfers', 'switch',
        { transferState: 'COMMITTED', completedTimestamp: new Date().toISOString() });
      assert.equal(patch.status, 200);
      assert.equal(payee.core.ledger.get(transferId)?.state, 'COMMITTED');
    } finally {
      payee.core.answeringMode = 'COMMITTED';
    }
  });
});
