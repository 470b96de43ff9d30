/**
 * What the payee's ledger shows when it never answers, answers late, or refuses single items: read through
 * GET /admin/ledger as a scenario would. Callbacks are awaited, never slept for.
 */
import assert from 'node:assert/strict';
import { request } from 'undici';
import { SeededRandom } from '../../shared/ids';
import { RunningPayeeDfsp, startPayeeDfsp } from '../../simulators/payee-dfsp';
import { CallbackSink, fspiop, Received, startCallbackSink } from '../network/helpers';

const rnd = new SeededRandom(11);
type Body = Record<string, unknown> & { errorInformation?: { errorCode: string } };
type Totals = { committedCount: number; credited: string; reservedCount: number; abortedCount: number; rejectedCount: number };

describe('payee DFSP ledger under hub aborts, lost and late requests, per-item bulk rules', () => {
  let sink: CallbackSink;
  let payee: RunningPayeeDfsp;
  const FSP = 'payeefsp2';

  before(async () => {
    sink = await startCallbackSink();
    payee = await startPayeeDfsp({ port: 0, fspId: FSP, hubUrl: sink.url, alsUrl: sink.url, seed: 3 });
  });
  after(async () => {
    await payee?.stop();
    await sink?.stop();
  });
  beforeEach(async () => {
    payee.faults.replace([]);
    await payee.idle();
    const res = await request(`${payee.url}/admin/ledger/reset`, { method: 'POST' });
    await res.body.dump();
  });

  const cb = (path: string) => (r: Received) => r.path === path;
  const payer = { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '254799999999', fspId: 'govbank' } };
  const txType = { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'BUSINESS' };
  const item = (msisdn: string, amount: string) => ({
    quoteId: rnd.uuid(), transactionId: rnd.uuid(), amountType: 'SEND', amount: { currency: 'USD', amount }, transactionType: txType,
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId: FSP } },
  });

  async function totals(): Promise<Totals> {
    const res = await request(`${payee.url}/admin/ledger`);
    const body = (await res.body.json()) as { totals: Record<string, Totals> };
    return body.totals.USD ?? { committedCount: 0, credited: '0', reservedCount: 0, abortedCount: 0, rejectedCount: 0 };
  }

  async function quotedTransfer(msisdn: string, amount: string, expiresInMs = 30_000): Promise<{ transferId: string; transfer: Body }> {
    const q = { ...item(msisdn, amount), payer };
    assert.equal((await fspiop(payee.url, 'POST', '/quotes', 'quotes', 'govbank', q, { destination: FSP })).status, 202);
    const qb = (await sink.waitFor(cb(`/quotes/${q.quoteId}`))).body as Body;
    const transfer = {
      transferId: q.transactionId, payerFsp: 'govbank', payeeFsp: FSP, amount: qb.transferAmount,
      ilpPacket: qb.ilpPacket, condition: qb.condition, expiration: new Date(Date.now() + expiresInMs).toISOString(),
    };
    return { transferId: q.transactionId, transfer };
  }

  async function quotedBulk(msisdns: string[], amount: string, expiresInMs = 30_000) {
    const items = msisdns.map((m) => item(m, amount));
    const bulkQuoteId = rnd.uuid();
    await fspiop(payee.url, 'POST', '/bulkQuotes', 'bulkQuotes', 'govbank', { bulkQuoteId, payer, individualQuotes: items },
      { destination: FSP });
    const results =
      ((await sink.waitFor(cb(`/bulkQuotes/${bulkQuoteId}`))).body as { individualQuoteResults: Body[] }).individualQuoteResults;
    const bulkTransferId = rnd.uuid();
    const body = {
      bulkTransferId, bulkQuoteId, payerFsp: 'govbank', payeeFsp: FSP, expiration: new Date(Date.now() + expiresInMs).toISOString(),
      individualTransfers: results.map((r, i) => ({ transferId: items[i].transactionId, transferAmount: r.transferAmount, ilpPacket:
        r.ilpPacket, condition: r.condition })),
    };
    return { bulkTransferId, body, quoteResults: results };
  }

  const hubAbort = (path: string, resource: 'transfers' | 'bulkTransfers', code = '3303') =>
    fspiop(payee.url, 'PUT', path, resource, 'switch', { errorInformation: { errorCode: code, errorDescription: 'Transfer expired' } },
      { destination: FSP });

  it('noCallback: the transfer is lost before it is processed; after the hub expires it, a resend is refused and nothing is credited',
    async () => {
    const { transferId, transfer } = await quotedTransfer('254720000001', '10');
    payee.faults.replace([{ match: { resource: 'transfers' }, action: { type: 'noCallback' } }]);
    assert.equal((await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank', transfer, { destination: FSP })).status, 202);
    await payee.idle();
    assert.equal(sink.received.filter((r) => r.path.startsWith(`/transfers/${transferId}`)).length, 0);
    assert.deepEqual([(await totals()).committedCount, (await totals()).credited], [0, '0']);
    assert.equal((await hubAbort(`/transfers/${transferId}/error`, 'transfers')).status, 200);
    // the request turns up after all (a retry with the same id): refused with the hub's 3303, never credited
    payee.faults.replace([]);
    await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank', transfer, { destination: FSP });
    const refused = await sink.waitFor(cb(`/transfers/${transferId}/error`));
    assert.equal((refused.body as Body).errorInformation?.errorCode, '3303');
    const t = await totals();
    assert.equal(t.committedCount, 0);
    assert.equal(t.credited, '0');
  });

  it('lateCallback: credited on time, reversed when the hub answers 3303', async () => {
    const { transferId, transfer } = await quotedTransfer('254720000002', '7.5', 200);
    payee.faults.replace([{ match: { resource: 'transfers' }, action: { type: 'lateCallback', ms: 10 } }]);
    await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank', transfer, { destination: FSP });
    await sink.waitFor(cb(`/transfers/${transferId}`));
    assert.equal((await totals()).credited, '7.5');
    assert.equal((await hubAbort(`/transfers/${transferId}/error`, 'transfers')).status, 200);
    const t = await totals();
    assert.deepEqual([t.committedCount, t.credited, t.abortedCount], [0, '0', 1]);
    const rec = (await (await request(`${payee.url}/admin/ledger/transfers/${transferId}`)).body.json()) as Record<string, string>;
    assert.deepEqual([rec.state, rec.errorCode, rec.credited], ['ABORTED', '3303', '0']);
  });

  it('bulk noCallback then the hub\'s bulk 3303: nothing credited; a bulk answered late is reversed item by item', async () => {
    const lost = await quotedBulk(['254720000011', '254720000012', '254720000013'], '5');
    payee.faults.replace([{ match: { resource: 'bulkTransfers' }, action: { type: 'noCallback' } }]);
    await fspiop(payee.url, 'POST', '/bulkTransfers', 'bulkTransfers', 'govbank', lost.body, { destination: FSP });
    await payee.idle();
    assert.equal((await hubAbort(`/bulkTransfers/${lost.bulkTransferId}/error`, 'bulkTransfers')).status, 200);
    assert.deepEqual([(await totals()).committedCount, (await totals()).credited], [0, '0']);
    // the same bulk arriving after the hub aborted it is refused whole
    payee.faults.replace([]);
    await fspiop(payee.url, 'POST', '/bulkTransfers', 'bulkTransfers', 'govbank', lost.body, { destination: FSP });
    const refused = await sink.waitFor(cb(`/bulkTransfers/${lost.bulkTransferId}/error`));
    assert.equal((refused.body as Body).errorInformation?.errorCode, '3303');
    assert.equal((await totals()).credited, '0');

    const late = await quotedBulk(['254720000021', '254720000022'], '4', 200);
    payee.faults.replace([{ match: { resource: 'bulkTransfers' }, action: { type: 'lateCallback', ms: 10 } }]);
    await fspiop(payee.url, 'POST', '/bulkTransfers', 'bulkTransfers', 'govbank', late.body, { destination: FSP });
    await sink.waitFor(cb(`/bulkTransfers/${late.bulkTransferId}`));
    assert.equal((await totals()).credited, '8');
    assert.equal((await hubAbort(`/bulkTransfers/${late.bulkTransferId}/error`, 'bulkTransfers')).status, 200);
    const t = await totals();
    assert.deepEqual([t.committedCount, t.credited, t.abortedCount], [0, '0', 2]);
  });

  it('party rules fail single bulk items (quotes and transfers) and single transfers; the rest is paid', async () => {
    const rule = (resource: string) => ({ match: { resource, partyId: '^25472[0-9]{6}0$' }, action:
      { type: 'error' as const, errorCode: '5104' } });
    const msisdns = Array.from({ length: 20 }, (_, i) => `2547200001${String(i).padStart(2, '0')}`);
    // bulk quotes: the matching items get their own error, the others a quote
    payee.faults.replace([rule('bulkQuotes')]);
    const quoted = await quotedBulk(msisdns, '3');
    const quoteErrors = quoted.quoteResults.map((r, i) => [msisdns[i], r.errorInformation?.errorCode]).filter(([, c]) => c);
    assert.deepEqual(quoteErrors, [['254720000100', '5104'], ['254720000110', '5104']]);

    payee.faults.replace([rule('bulkTransfers')]);
    const bulk = await quotedBulk(msisdns, '3');
    await fspiop(payee.url, 'POST', '/bulkTransfers', 'bulkTransfers', 'govbank', bulk.body, { destination: FSP });
    const put = (await sink.waitFor(cb(`/bulkTransfers/${bulk.bulkTransferId}`))).body as { individualTransferResults: Body[] };
    const failed = put.individualTransferResults.map((r, i) => [msisdns[i], r.errorInformation?.errorCode]).filter(([, c]) => c);
    assert.deepEqual(failed, [['254720000100', '5104'], ['254720000110', '5104']]);
    let t = await totals();
    assert.deepEqual([t.committedCount, t.credited, t.rejectedCount], [18, '54', 2]);

    payee.faults.replace([rule('transfers')]);
    for (const [msisdn, code] of [['254720000200', '5104'], ['254720000201', undefined]] as const) {
      const { transferId, transfer } = await quotedTransfer(msisdn, '2');
      await fspiop(payee.url, 'POST', '/transfers', 'transfers', 'govbank', transfer, { destination: FSP });
      const answer = await sink.waitFor((r) => r.path.startsWith(`/transfers/${transferId}`));
      assert.equal((answer.body as Body).errorInformation?.errorCode, code);
    }
    t = await totals();
    assert.deepEqual([t.committedCount, t.credited], [19, '56']);
  });

  it('failBulkItems fails exactly round(fraction x items) of each bulk, the same items for the same bulk', async () => {
    const msisdns = Array.from({ length: 95 }, (_, i) => `2547200003${String(i).padStart(2, '0')}`);
    const bulk = await quotedBulk(msisdns, '1');
    payee.faults.replace([{ match: { resource: 'bulkTransfers' }, action: { type: 'failBulkItems', fraction: 0.1, errorCode: '5104' } }]);
    await fspiop(payee.url, 'POST', '/bulkTransfers', 'bulkTransfers', 'govbank', bulk.body, { destination: FSP });
    const put = (await sink.waitFor(cb(`/bulkTransfers/${bulk.bulkTransferId}`))).body as { individualTransferResults: Body[] };
    const failedIdx = put.individualTransferResults.flatMap((r, i) => (r.errorInformation?.errorCode === '5104' ? [i] : []));
    assert.equal(failedIdx.length, 10); // round(9.5)
    assert.deepEqual(payee.faults.pickItems(95, 0.1, bulk.bulkTransferId), failedIdx);
    const t = await totals();
    assert.deepEqual([t.committedCount, t.credited], [85, '85']);
  });
});
