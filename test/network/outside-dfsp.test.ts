/**
 * End to end through the simulated network: a test plays an outside DFSP (onboarded through the hub's admin
 * API, with its own callback listener) and runs party lookup, quote and transfer, then bulk quote and bulk
 * transfer, checking every callback against the official spec and the payee's ledger.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SeededRandom } from '../../shared/ids';
import type { RunningServer } from '../../shared/server';
import { RunningAls, startAls } from '../../simulators/als';
import { loadSwitch } from '../../simulators/bench';
import { onboardParticipant } from '../../simulators/switch/onboard';
import { checkBody } from '../../simulators/payee-dfsp/edge';
import { defaultOracleRules, RunningPayeeDfsp, startPayeeDfsp } from '../../simulators/payee-dfsp';
import { CallbackSink, fspiop, Received, startCallbackSink } from './helpers';

const rnd = new SeededRandom(99);
type Body = Record<string, unknown> & { errorInformation?: { errorCode: string } };
const switchPresent = fs.existsSync(path.join(__dirname, '../../simulators/switch/index.ts'));

describe('an outside DFSP through switch, ALS and payee DFSP', function () {
  let dfsp: CallbackSink;
  let sw: RunningServer;
  let als: RunningAls;
  let payee: RunningPayeeDfsp;
  const at = (p: string) => (r: Received) => r.path === p;

  before(async function () {
    if (!switchPresent) this.skip();
    dfsp = await startCallbackSink();
    sw = await loadSwitch().startSwitch({ port: 0, host: '127.0.0.1' });
    als = await startAls({ port: 0, host: '127.0.0.1', hubAdminUrl: sw.url, oracleRules: defaultOracleRules(['payeefsp1']) });
    payee = await startPayeeDfsp({ port: 0, host: '127.0.0.1', fspId: 'payeefsp1', hubUrl: sw.url, alsUrl: als.url });
    await onboardParticipant(sw.url, 'payeefsp1', payee.url);
    await onboardParticipant(sw.url, 'outsidefsp', dfsp.url);
  });
  after(async () => {
    await payee?.stop();
    await als?.stop();
    await sw?.stop();
    await dfsp?.stop();
  });

  it('party lookup, quote and transfer complete with spec-valid callbacks and sha256(fulfilment) == condition', async () => {
    const msisdn = '254710000003';
    assert.equal((await fspiop(als.url, 'GET', `/parties/MSISDN/${msisdn}`, 'parties', 'outsidefsp')).status, 202);
    const partyPut = await dfsp.waitFor(at(`/parties/MSISDN/${msisdn}`));
    assert.equal(checkBody('PartiesTypeIDPutResponse', partyPut.body), undefined);
    const party = (partyPut.body as { party: { partyIdInfo: { fspId: string } } }).party;
    assert.equal(party.partyIdInfo.fspId, 'payeefsp1');

    const quoteId = rnd.uuid();
    const transactionId = rnd.uuid();
    const quote = {
      quoteId, transactionId, payee: party,
      payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '15550001', fspId: 'outsidefsp' } },
      amountType: 'SEND', amount: { currency: 'USD', amount: '25.5' },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    };
    assert.equal((await fspiop(sw.url, 'POST', '/quotes', 'quotes', 'outsidefsp', quote, { destination: 'payeefsp1' })).status, 202);
    const quotePut = await dfsp.waitFor(at(`/quotes/${quoteId}`));
    assert.equal(checkBody('QuotesIDPutResponse', quotePut.body), undefined);
    assert.equal(quotePut.headers['fspiop-source'], 'payeefsp1');
    assert.equal(quotePut.headers['fspiop-destination'], 'outsidefsp');
    const q = quotePut.body as { transferAmount: { amount: string; currency: string }; ilpPacket: string; condition: string };

    const transfer = {
      transferId: transactionId, payerFsp: 'outsidefsp', payeeFsp: 'payeefsp1', amount: q.transferAmount,
      ilpPacket: q.ilpPacket, condition: q.condition, expiration: new Date(Date.now() + 30_000).toISOString(),
    };
    assert.equal((await fspiop(sw.url, 'POST', '/transfers', 'transfers', 'outsidefsp', transfer, { destination: 'payeefsp1' })).status,
      202);
    const transferPut = await dfsp.waitFor(at(`/transfers/${transactionId}`));
    assert.equal(checkBody('TransfersIDPutResponse', transferPut.body), undefined);
    const t = transferPut.body as { transferState: string; fulfilment: string };
    assert.equal(t.transferState, 'COMMITTED');
    const digest = createHash('sha256').update(Buffer.from(t.fulfilment, 'base64url')).digest('base64url');
    assert.equal(digest, q.condition);
    assert.equal(payee.core.ledger.get(transactionId)?.state, 'COMMITTED');
    assert.equal(payee.core.ledger.balancesOf('payeefsp1-wallet-3').USD, '25.5');
  });

  it('1000-item bulkQuotes + bulkTransfers complete through the switch; 1001 items are refused with 3103', async () => {
    const payer = { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '15550001', fspId: 'outsidefsp' } };
    const individualQuotes = Array.from({ length: 1000 }, (_, i) => ({
      quoteId: rnd.uuid(), transactionId: rnd.uuid(),
      payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: `2547120${String(i).padStart(5, '0')}`, fspId: 'payeefsp1' } },
      amountType: 'SEND', amount: { currency: 'USD', amount: '2' },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'BUSINESS' },
    }));
    const bulkQuoteId = rnd.uuid();
    assert.equal((await fspiop(sw.url, 'POST', '/bulkQuotes', 'bulkQuotes', 'outsidefsp', { bulkQuoteId, payer, individualQuotes },
      { destination: 'payeefsp1' })).status, 202);
    const bq = await dfsp.waitFor(at(`/bulkQuotes/${bulkQuoteId}`), 15_000);
    assert.equal(checkBody('BulkQuotesIDPutResponse', bq.body), undefined);
    const results = (bq.body as { individualQuoteResults: Array<{ quoteId: string; transferAmount: unknown; ilpPacket: string;
      condition: string }> }).individualQuoteResults;
    assert.equal(results.length, 1000);
    const bulkTransferId = rnd.uuid();
    const before = payee.core.ledger.currencyTotals('USD').committedCount;
    await fspiop(sw.url, 'POST', '/bulkTransfers', 'bulkTransfers', 'outsidefsp', {
      bulkTransferId, bulkQuoteId, payerFsp: 'outsidefsp', payeeFsp: 'payeefsp1', expiration: new Date(Date.now() + 30_000).toISOString(),
      individualTransfers: results.map((r, i) => ({ transferId: individualQuotes[i].transactionId, transferAmount: r.transferAmount,
        ilpPacket: r.ilpPacket, condition: r.condition })),
    }, { destination: 'payeefsp1' });
    const bt = await dfsp.waitFor(at(`/bulkTransfers/${bulkTransferId}`), 15_000);
    assert.equal(checkBody('BulkTransfersIDPutResponse', bt.body), undefined);
    const tr = (bt.body as { bulkTransferState: string; individualTransferResults: Array<{ fulfilment?: string;
      errorInformation?: unknown }> });
    assert.equal(tr.bulkTransferState, 'COMPLETED');
    assert.equal(tr.individualTransferResults.length, 1000);
    assert.ok(tr.individualTransferResults.every((r) => r.fulfilment && !r.errorInformation));
    assert.equal(payee.core.ledger.currencyTotals('USD').committedCount - before, 1000);

    const refused = await fspiop(sw.url, 'POST', '/bulkQuotes', 'bulkQuotes', 'outsidefsp',
      { bulkQuoteId: rnd.uuid(), payer, individualQuotes: [...individualQuotes, individualQuotes[0]] }, { destination: 'payeefsp1' });
    if (refused.status === 202) {
      const err = await dfsp.waitFor((r) => r.path.endsWith('/error') && r.path.startsWith('/bulkQuotes/'));
      assert.equal((err.body as Body).errorInformation?.errorCode, '3103');
    } else {
      assert.equal(refused.status, 400);
      assert.equal((refused.body as Body).errorInformation?.errorCode, '3103');
    }
  });

  it('a resent transfer gets the same callback and is credited once', async () => {
    const quoteId = rnd.uuid();
    const transactionId = rnd.uuid();
    const party = { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '254710000004', fspId: 'payeefsp1' } };
    await fspiop(sw.url, 'POST', '/quotes', 'quotes', 'outsidefsp', {
      quoteId, transactionId, payee: party, payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '15550001', fspId:
        'outsidefsp' } },
      amountType: 'SEND', amount: { currency: 'USD', amount: '7' }, transactionType:
        { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    }, { destination: 'payeefsp1' });
    const q = (await dfsp.waitFor(at(`/quotes/${quoteId}`))).body as { transferAmount: unknown; ilpPacket: string; condition: string };
    const transfer = {
      transferId: transactionId, payerFsp: 'outsidefsp', payeeFsp: 'payeefsp1', amount: q.transferAmount,
      ilpPacket: q.ilpPacket, condition: q.condition, expiration: new Date(Date.now() + 30_000).toISOString(),
    };
    await fspiop(sw.url, 'POST', '/transfers', 'transfers', 'outsidefsp', transfer, { destination: 'payeefsp1' });
    const first = await dfsp.waitFor(at(`/transfers/${transactionId}`));
    await fspiop(sw.url, 'POST', '/transfers', 'transfers', 'outsidefsp', transfer, { destination: 'payeefsp1' });
    const both = await dfsp.waitForCount(at(`/transfers/${transactionId}`), 2);
    assert.equal((both[1].body as Body).transferState, (first.body as Body).transferState);
    assert.equal(payee.core.ledger.balancesOf('payeefsp1-wallet-4').USD, '7');
  });
});
