/**
 * The payer DFSP's SDK outbound API end to end: the real switch, ALS and two payee DFSPs in process, every request
 * and answer checked against the SDK scheme adapter spec, money checked on the payee ledgers and the treasury.
 * Bulk transactions here run with the extensions that make them short to drive (synchronous answers, quotes
 * accepted automatically, GET); bulk-transactions.test.ts shows the SDK's own behaviour, which is the default.
 */
import assert from 'node:assert/strict';
import request from 'supertest';
import { onboardParticipant } from '../../simulators/switch/onboard';
import { RunningAls, startAls } from '../../simulators/als';
import { defaultOracleRules, RunningPayeeDfsp, startPayeeDfsp } from '../../simulators/payee-dfsp';
import { RunningPayerDfsp, startPayerDfsp } from '../../simulators/payer-dfsp';
import { sdkProblem } from '../../simulators/payer-dfsp/spec';
import { startSwitch } from '../../simulators/switch';
import type { RunningServer } from '../../shared/server';
import { SeededRandom } from '../../shared/ids';
import { toUnits, fromUnits } from '../../shared/money';
import { CallbackSink, fspiop, startCallbackSink } from '../network/helpers';

type Json = Record<string, any>;

const rnd = new SeededRandom(3);
const msisdn = (fsp: 1 | 2 | 3, n: number) => `2547${fsp}${String(n).padStart(7, '0')}`;
const from = { idType: 'BUSINESS', idValue: 'treasury', displayName: 'Ministry of Finance', type: 'BUSINESS' };

function transferBody(home: string, idValue: string, amount: string): Json {
  const body = { homeTransactionId: home, from, to: { idType: 'MSISDN', idValue }, amountType: 'SEND', currency: 'USD', amount,
    transactionType: 'TRANSFER', note: 'G2P' };
  assert.equal(sdkProblem('transferRequest', body), undefined);
  return body;
}

function bulkTxnBody(id: string, items: Array<{ home: string; idValue: string; amount: string }>, options: Json = {}): Json {
  const body = {
    bulkTransactionId: id, bulkHomeTransactionID: `home-${id.slice(0, 8)}`,
    from: { partyIdInfo: { partyIdType: 'BUSINESS', partyIdentifier: 'treasury' } },
    individualTransfers: items.map((i) => ({ homeTransactionId: i.home, to:
      { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: i.idValue } }, amountType: 'SEND', currency: 'USD', amount: i.amount })),
    options: { autoAcceptParty: { enabled: true }, autoAcceptQuote: { enabled: true }, bulkExpiration:
      new Date(Date.now() + 60_000).toISOString(), ...options },
  };
  assert.equal(sdkProblem('bulkTransactionRequest', body), undefined);
  return body;
}

function assertSpec(schema: string, body: unknown): void {
  assert.equal(sdkProblem(schema, body), undefined, `${schema}: ${JSON.stringify(body).slice(0, 400)}`);
}

async function json(url: string): Promise<Json> {
  const res = await request(url).get('');
  return res.body as Json;
}

async function payeeBalance(payee: RunningPayeeDfsp, idValue: string): Promise<string> {
  const res = await request(payee.url).get(`/admin/parties/MSISDN/${idValue}`);
  return (res.body.balances?.USD as string | undefined) ?? '0';
}

async function payeeTotals(payee: RunningPayeeDfsp): Promise<{ credited: bigint; count: number }> {
  const t = (await json(`${payee.url}/admin/ledger`)).totals?.USD ?? {};
  return { credited: toUnits(t.credited ?? '0'), count: Number(t.committedCount ?? 0) };
}

async function treasury(payer: RunningPayerDfsp): Promise<Json> {
  return (await json(`${payer.url}/admin/ledger`)).totals.USD;
}

/** Waits for the bulk callback in that state (a deadline, not a sleep: generous, the machine may be busy with other tests). */
async function sinkReport(sink: CallbackSink, id: string, state: string, timeoutMs = 50_000): Promise<Json> {
  const r = await sink.waitFor((x) => x.path === `/bulkTransactions/${id}` && (x.body as Json)?.currentState === state, timeoutMs);
  return r.body as Json;
}

describe('payer DFSP: SDK outbound API through the switch, ALS and payee DFSPs', function () {
  this.timeout(60_000);
  const started: RunningServer[] = [];
  let payer: RunningPayerDfsp;
  let poor: RunningPayerDfsp;
  let impatient: RunningPayerDfsp;
  let payees: RunningPayeeDfsp[];
  let als: RunningAls;
  let sink: CallbackSink;
  let sw: RunningServer;

  before(async () => {
    sw = await startSwitch({ port: 0, host: '127.0.0.1' });
    started.push(sw);
    als = await startAls({ port: 0, host: '127.0.0.1', hubAdminUrl: sw.url, oracleRules:
      defaultOracleRules(['payeefsp1', 'payeefsp2', 'payeefsp3']) });
    started.push(als);
    payees = [];
    for (const fspId of ['payeefsp1', 'payeefsp2', 'payeefsp3']) {
      // payeefsp3 charges a fee of 0.5 per payment
      const fees = fspId === 'payeefsp3' ? [{ fixed: '0.5' }] : [];
      const p = await startPayeeDfsp({ port: 0, host: '127.0.0.1', fspId, hubUrl: sw.url, alsUrl: als.url, fees });
      started.push(p);
      payees.push(p);
      await onboardParticipant(sw.url, fspId, p.url);
    }
    sink = await startCallbackSink();
    payer = await startPayerDfsp({ port: 0, inboundPort: 0, host: '127.0.0.1', switchUrl: sw.url, alsUrl: als.url, callbackTimeoutMs:
      15_000, onboard: true, backendUrl: sink.url, extensions: { perRequestAcceptance: true, synchronousBulkTransactions: true,
        getBulkTransaction: true, bulkAutoAcceptQuote: true, bulkHomeTransactionIdDedup: true } });
    started.push(payer);
    poor = await startPayerDfsp({ fspId: 'poorbank', port: 0, inboundPort: 0, host: '127.0.0.1', switchUrl: sw.url, alsUrl: als.url,
      callbackTimeoutMs: 15_000, treasuryBalance: '25', onboard: true, extensions: { synchronousBulkTransactions: true,
        bulkAutoAcceptQuote: true } });
    started.push(poor);
    impatient = await startPayerDfsp({ fspId: 'impatientbank', port: 0, inboundPort: 0, host: '127.0.0.1', switchUrl: sw.url, alsUrl:
      als.url, callbackTimeoutMs: 800, transferExpiryMs: 2500, onboard: true, extensions: { bulkAutoAcceptQuote: true } });
    started.push(impatient);
  });

  after(async () => {
    for (const s of started.reverse()) await s.stop();
    await sink?.stop();
  });

  afterEach(async () => {
    for (const p of payees) await request(p.url).put('/admin/rules').send({ rules: [] }).expect(200);
  });

  it('answers GET /health on both ports and onboarded itself on the switch', async () => {
    await request(payer.url).get('/health').expect(200);
    await request(payer.inboundUrl).get('/health').expect(200);
    assert.deepEqual(payer.violations, []);
    const eps = await request(sw.url).get('/participants/govbank/endpoints').expect(200);
    const transferPut = (eps.body as Json[]).find((e) => e.type === 'FSPIOP_CALLBACK_URL_TRANSFER_PUT');
    assert.equal(transferPut?.value, `${payer.inboundUrl}/transfers/{{transferId}}`);
    const limits = await request(sw.url).get('/participants/govbank/limits').expect(200);
    assert.ok(JSON.stringify(limits.body).includes('NET_DEBIT_CAP'));
  });

  it('pays a single transfer with auto-accept: COMPLETED, payee credited, treasury debited', async () => {
    const idValue = msisdn(1, 1001);
    const before = await payeeBalance(payees[0], idValue);
    const t0 = await treasury(payer);
    const res = await request(payer.url).post('/transfers').send(transferBody('single-1', idValue, '12.5')).expect(200);
    assertSpec('transferResponse', res.body);
    assert.equal(res.body.currentState, 'COMPLETED');
    assert.equal(res.body.fulfil.body.transferState, 'COMMITTED');
    assert.equal(res.body.to.fspId, 'payeefsp1');
    assert.equal(fromUnits(toUnits(await payeeBalance(payees[0], idValue)) - toUnits(before)), '12.5');
    const t1 = await treasury(payer);
    assert.equal(fromUnits(toUnits(t1.debited) - toUnits(t0.debited)), '12.5');
    const status = await request(payer.url).get(`/transfers/${res.body.transferId}`).expect(200);
    assertSpec('transferStatusResponse', status.body);
    assert.equal(status.body.currentState, 'COMPLETED');
  });

  it('runs the two-step acceptance: party, then quote, then COMPLETED', async () => {
    const idValue = msisdn(2, 2002);
    const res1 = await request(payer.url).post('/transfers?autoAcceptParty=false&autoAcceptQuote=false').send(transferBody('two-step-1',
      idValue, '3')).expect(200);
    assertSpec('transferResponse', res1.body);
    assert.equal(res1.body.currentState, 'WAITING_FOR_PARTY_ACCEPTANCE');
    assert.equal(res1.body.getPartiesResponse.body.party.partyIdInfo.fspId, 'payeefsp2');
    const id = res1.body.transferId as string;
    assert.equal(await payeeBalance(payees[1], idValue), '0');
    const res2 = await request(payer.url).put(`/transfers/${id}`).send({ acceptParty: true }).expect(200);
    assertSpec('transferResponse', res2.body);
    assert.equal(res2.body.currentState, 'WAITING_FOR_QUOTE_ACCEPTANCE');
    assert.equal(res2.body.quoteResponse.body.transferAmount.amount, '3');
    const res3 = await request(payer.url).put(`/transfers/${id}`).send({ acceptQuote: true }).expect(200);
    assertSpec('transferResponse', res3.body);
    assert.equal(res3.body.currentState, 'COMPLETED');
    assert.equal(await payeeBalance(payees[1], idValue), '3');
    // accepting again is refused: the transfer is no longer waiting
    const again = await request(payer.url).put(`/transfers/${id}`).send({ acceptQuote: true }).expect(400);
    assertSpec('errorResponse', again.body);
  });

  it('a party the payer does not accept ends ERROR_OCCURRED and pays nothing', async () => {
    const idValue = msisdn(2, 2003);
    const res1 = await request(payer.url).post('/transfers?autoAcceptParty=false').send(transferBody('two-step-reject', idValue,
      '4')).expect(200);
    const res2 = await request(payer.url).put(`/transfers/${res1.body.transferId}`).send({ acceptParty: false }).expect(500);
    assertSpec('errorTransferResponse', res2.body);
    assert.equal(res2.body.transferState.currentState, 'ERROR_OCCURRED');
    assert.equal(await payeeBalance(payees[1], idValue), '0');
  });

  it('looks parties up through the ALS; an unknown party is 3204 (lookup, transfer and bulk item)', async () => {
    const ok = await request(payer.url).get(`/parties/MSISDN/${msisdn(1, 5)}`).expect(200);
    assertSpec('partiesByIdResponse', ok.body);
    assert.equal(ok.body.party.body.partyIdInfo.fspId, 'payeefsp1');
    const missing = await request(payer.url).get('/parties/MSISDN/999000111').expect(404);
    assert.equal(missing.body.errorInformation.errorCode, '3204');
    const t = await request(payer.url).post('/transfers').send(transferBody('unknown-1', '999000112', '5')).expect(500);
    assertSpec('errorTransferResponse', t.body);
    assert.equal(t.body.transferState.currentState, 'ERROR_OCCURRED');
    assert.equal(t.body.transferState.lastError.mojaloopError.errorInformation.errorCode, '3204');
  });

  it('SDK bulkQuotes then bulkTransfers: quotes, commits and credits each item', async () => {
    const ids = [1, 2, 3].map((n) => msisdn(1, 3000 + n));
    const quotes = ids.map((idValue) => ({ quoteId: rnd.uuid(), to: { idType: 'MSISDN', idValue, fspId: 'payeefsp1' }, amountType: 'SEND',
      currency: 'USD', amount: '7', transactionType: 'TRANSFER' }));
    const bq = { homeTransactionId: 'bq-1', bulkQuoteId: rnd.uuid(), from, individualQuotes: quotes };
    assertSpec('bulkQuoteRequest', bq);
    const q = await request(payer.url).post('/bulkQuotes').send(bq).expect(200);
    assertSpec('bulkQuoteResponse', q.body);
    assert.equal(q.body.individualQuoteResults.length, 3);
    const get = await request(payer.url).get(`/bulkQuotes/${bq.bulkQuoteId}`).expect(200);
    assertSpec('bulkQuoteStatusResponse', get.body);
    const bt = {
      homeTransactionId: 'bt-1', bulkTransferId: rnd.uuid(), bulkQuoteId: bq.bulkQuoteId, from,
      individualTransfers: q.body.individualQuoteResults.map((r: Json, i: number) => ({
        transferId: rnd.uuid(), to: quotes[i].to, amountType: 'SEND', currency: 'USD', amount: r.transferAmount.amount, ilpPacket:
          r.ilpPacket, condition: r.condition,
      })),
    };
    assertSpec('bulkTransferRequest', bt);
    const t0 = await treasury(payer);
    const t = await request(payer.url).post('/bulkTransfers').send(bt).expect(200);
    assertSpec('bulkTransferResponse', t.body);
    assert.deepEqual(t.body.individualTransferResults.map((r: Json) => r.transferState), ['COMMITTED', 'COMMITTED', 'COMMITTED']);
    for (const idValue of ids) assert.equal(await payeeBalance(payees[0], idValue), '7');
    assert.equal(fromUnits(toUnits((await treasury(payer)).debited) - toUnits(t0.debited)), '21');
    const st = await request(payer.url).get(`/bulkTransfers/${bt.bulkTransferId}`).expect(200);
    assertSpec('bulkTransferStatusResponse', st.body);
    // a resend of the same bulk transfer returns the known result and credits nothing more
    const again = await request(payer.url).post('/bulkTransfers').send(bt).expect(200);
    assert.deepEqual(again.body, t.body);
    // a new bulk transfer repeating a paid transfer id reports the known result and sends nothing for it
    const t1 = await treasury(payer);
    const repeat = { ...bt, bulkTransferId: rnd.uuid(), individualTransfers: [bt.individualTransfers[0]] };
    const rep = await request(payer.url).post('/bulkTransfers').send(repeat).expect(200);
    assertSpec('bulkTransferResponse', rep.body);
    assert.equal(rep.body.individualTransferResults[0].transferState, 'COMMITTED');
    assert.equal(rep.body.individualTransferResults[0].fulfilment, t.body.individualTransferResults[0].fulfilment);
    assert.deepEqual(await treasury(payer), t1);
    for (const idValue of ids) assert.equal(await payeeBalance(payees[0], idValue), '7');
  });

  it('bulkTransactions of 2,500 payees across two payee FSPs: per-FSP bulks of at most 1000, reported per item', async () => {
    const items = Array.from({ length: 2500 }, (_, i) => ({ home: `big-${i}`, idValue: i % 2 === 0 ? msisdn(1, 100_000 + i)
      : msisdn(2, 100_000 + i), amount: i % 3 === 0 ? '1.25' : '2' }));
    // two unknown parties ride along and fail alone
    items[7] = { home: 'big-7', idValue: '999000007', amount: '2' };
    items[8] = { home: 'big-8', idValue: '999000008', amount: '2' };
    const before = await Promise.all(payees.map(payeeTotals));
    const t0 = await treasury(payer);
    const id = rnd.uuid();
    const res = await request(payer.url).post('/bulkTransactions').send(bulkTxnBody(id, items)).expect(202);
    assert.equal(res.body.bulkTransactionId, id);
    const report = await sinkReport(sink, id, 'COMPLETED');
    assertSpec('backend:bulkTransactionResponse', report);
    assert.equal(report.individualTransferResults.length, 2500);
    const results = report.individualTransferResults as Json[];
    results.forEach((r, i) => assert.equal(r.homeTransactionId, items[i].home));
    assert.equal(results[7].lastError.mojaloopError.errorInformation.errorCode, '3204');
    assert.equal(results[8].lastError.mojaloopError.errorInformation.errorCode, '3204');
    const committed = results.filter((r) => r.fulfil?.transferState === 'COMMITTED' && r.transferState === 'COMMITTED');
    assert.equal(committed.length, 2498, JSON.stringify(results.filter((r) => r.transferState !== 'COMMITTED').slice(0, 4).map((r) =>
      r.lastError)));
    const txn = payer.service.bulkTransactions.get(id)!;
    for (const resource of ['bulkQuotes', 'bulkTransfers'] as const) {
      const sizes = txn.bulkSizes.filter((b) => b.resource === resource);
      assert.ok(sizes.every((b) => b.size >= 1 && b.size <= 1000), JSON.stringify(sizes));
      for (const fspId of ['payeefsp1', 'payeefsp2']) {
        const mine = sizes.filter((b) => b.fspId === fspId).map((b) => b.size).sort((a, b) => b - a);
        assert.deepEqual(mine, [1000, 249]);
      }
    }
    // the money: each payee ledger got exactly its items, the treasury paid exactly the sum
    const expected = [0n, 0n];
    items.forEach((it, i) => { if (i !== 7 && i !== 8) expected[i % 2] += toUnits(it.amount); });
    const after = await Promise.all(payees.map(payeeTotals));
    assert.equal(after[0].credited - before[0].credited, expected[0]);
    assert.equal(after[1].credited - before[1].credited, expected[1]);
    assert.equal(after[0].count - before[0].count, 1249);
    assert.equal(toUnits((await treasury(payer)).debited) - toUnits(t0.debited), expected[0] + expected[1]);
    assert.equal(await payeeBalance(payees[1], items[1].idValue), '2');
    const got = await request(payer.url).get(`/bulkTransactions/${id}`).expect(200);
    assertSpec('backend:bulkTransactionResponse', got.body);
    assert.equal(got.body.currentState, 'COMPLETED');
  });

  it('bulkTransactions with acceptance: WAITING_FOR_PARTY_ACCEPTANCE, WAITING_FOR_QUOTE_ACCEPTANCE, then COMPLETED', async () => {
    const items = [0, 1, 2].map((i) => ({ home: `acc-${i}`, idValue: msisdn(1, 7000 + i), amount: '5' }));
    const id = rnd.uuid();
    await request(payer.url).post('/bulkTransactions').send(bulkTxnBody(id, items, {
      autoAcceptParty: { enabled: false }, autoAcceptQuote: { enabled: false },
    })).expect(202);
    const parties = await sinkReport(sink, id, 'WAITING_FOR_PARTY_ACCEPTANCE');
    assertSpec('backend:bulkTransactionResponse', parties);
    const tids = (parties.individualTransferResults as Json[]).map((r) => r.transferId as string);
    // the third party is not accepted
    const acceptParty = { individualTransfers: [{ transferId: tids[0], acceptParty: true }, { transferId: tids[1], acceptParty: true },
      { transferId: tids[2], acceptParty: false }] };
    assertSpec('bulkTransactionContinuation', acceptParty);
    await request(payer.url).put(`/bulkTransactions/${id}`).send(acceptParty).expect(202);
    const quotes = await sinkReport(sink, id, 'WAITING_FOR_QUOTE_ACCEPTANCE');
    assertSpec('backend:bulkTransactionResponse', quotes);
    assert.equal(quotes.individualTransferResults[0].quoteResponse.transferAmount.amount, '5');
    assert.equal(quotes.individualTransferResults[2].lastError.mojaloopError.errorInformation.errorCode, '4100');
    assert.equal(await payeeBalance(payees[0], items[0].idValue), '0');
    await request(payer.url).put(`/bulkTransactions/${id}`).send({ individualTransfers:
      [{ transferId: tids[0], acceptQuote: true }, { transferId: tids[1], acceptQuote: true }] }).expect(202);
    const done = await sinkReport(sink, id, 'COMPLETED');
    assertSpec('backend:bulkTransactionResponse', done);
    assert.deepEqual((done.individualTransferResults as Json[]).map((r) => r.transferState), ['COMMITTED', 'COMMITTED', 'ABORTED']);
    assert.equal(await payeeBalance(payees[0], items[0].idValue), '5');
    assert.equal(await payeeBalance(payees[0], items[2].idValue), '0');
  });

  it('synchronous bulkTransactions (extension) answer with the report; onlyValidateParty resolves without paying', async () => {
    const items = [0, 1].map((i) => ({ home: `sync-${i}`, idValue: msisdn(2, 8000 + i), amount: '1' }));
    const res = await request(payer.url).post('/bulkTransactions').send(bulkTxnBody(rnd.uuid(), items, { synchronous: true })).expect(200);
    assertSpec('backend:bulkTransactionResponse', res.body);
    assert.deepEqual(res.body.individualTransferResults.map((r: Json) => r.transferState), ['COMMITTED', 'COMMITTED']);
    const v = [0, 1].map((i) => ({ home: `validate-${i}`, idValue: i === 0 ? msisdn(2, 8100) : '999000113', amount: '1' }));
    const val = await request(payer.url).post('/bulkTransactions').send(bulkTxnBody(rnd.uuid(), v,
      { synchronous: true, onlyValidateParty: true })).expect(200);
    assertSpec('backend:bulkTransactionResponse', val.body);
    assert.equal(val.body.individualTransferResults[0].to.partyIdInfo.fspId, 'payeefsp2');
    assert.equal(val.body.individualTransferResults[0].transferState, undefined);
    assert.equal(val.body.individualTransferResults[1].lastError.mojaloopError.errorInformation.errorCode, '3204');
    assert.equal(await payeeBalance(payees[1], msisdn(2, 8100)), '0');
  });

  it('a payee rejection (5104) fails that payment alone and moves no money for it', async () => {
    await request(payees[0].url).put('/admin/rules').send({ rules: [{ match:
      { resource: 'transfers', minAmount: '6.66', maxAmount: '6.66' }, action: { type: 'error', errorCode: '5104' } }] }).expect(200);
    const t0 = await treasury(payer);
    const res = await request(payer.url).post('/transfers').send(transferBody('reject-1', msisdn(1, 4001), '6.66')).expect(500);
    assertSpec('errorTransferResponse', res.body);
    assert.equal(res.body.transferState.lastError.mojaloopError.errorInformation.errorCode, '5104');
    assert.equal(await payeeBalance(payees[0], msisdn(1, 4001)), '0');
    const ok = await request(payer.url).post('/transfers').send(transferBody('reject-2', msisdn(1, 4002), '6')).expect(200);
    assert.equal(ok.body.currentState, 'COMPLETED');
    const t1 = await treasury(payer);
    assert.equal(fromUnits(toUnits(t1.debited) - toUnits(t0.debited)), '6');
    assert.equal(t1.reserved, '0');
  });

  it('a callback that never arrives ends the payment with a timeout error instead of hanging', async () => {
    await request(payees[1].url).put('/admin/rules').send({ rules: [
      { match: { resource: 'quotes', partyId: `^${msisdn(2, 4100)}$` }, action: { type: 'noCallback' } },
      { match: { resource: 'transfers', minAmount: '9.99', maxAmount: '9.99' }, action: { type: 'noCallback' } },
    ] }).expect(200);
    const t0 = await treasury(impatient);
    const q = await request(impatient.url).post('/transfers').send(transferBody('timeout-q', msisdn(2, 4100), '1')).expect(504);
    assertSpec('errorTransferResponse', q.body);
    assert.equal(q.body.transferState.lastError.mojaloopError.errorInformation.errorCode, '2004');
    // the transfer itself: no answer, and the hub cannot tell yet (it expires the transfer later): the payment is
    // reported in doubt (2004) and its money stays held until the hub's expiry settles it
    const t = await request(impatient.url).post('/transfers').send(transferBody('timeout-t', msisdn(2, 4101), '9.99')).expect(504);
    assertSpec('errorTransferResponse', t.body);
    assert.equal(t.body.transferState.lastError.mojaloopError.errorInformation.errorCode, '2004');
    assert.equal((await treasury(impatient)).reserved, '9.99');
    const deadline = Date.now() + 10_000;
    let st = await request(impatient.url).get(`/transfers/${t.body.transferState.transferId}`);
    while (st.body.lastError?.mojaloopError.errorInformation.errorCode !== '3303' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      st = await request(impatient.url).get(`/transfers/${t.body.transferState.transferId}`);
    }
    assert.equal(st.body.currentState, 'ERROR_OCCURRED');
    assert.equal(st.body.lastError.mojaloopError.errorInformation.errorCode, '3303');
    const t1 = await treasury(impatient);
    assert.equal(t1.debited, t0.debited);
    assert.equal(t1.reserved, '0');
  });

  it('a transfer committed after the payer answered the caller is still booked: treasury debits follow payee credits', async () => {
    await request(payees[0].url).put('/admin/rules').send({ rules: [{ match:
      { resource: 'transfers', minAmount: '4.44', maxAmount: '4.44' }, action: { type: 'delay', ms: 1500 } }] }).expect(200);
    const idValue = msisdn(1, 4400);
    const t0 = await treasury(impatient);
    const res = await request(impatient.url).post('/transfers').send(transferBody('late-1', idValue, '4.44')).expect(504);
    assert.equal(res.body.transferState.lastError.mojaloopError.errorInformation.errorCode, '2004');
    const deadline = Date.now() + 10_000;
    let ledger = await json(`${impatient.url}/admin/ledger`);
    while (ledger.lateCommits < 1 && Date.now() < deadline) {
      await new Promise((r) => setImmediate(r));
      await payees[0].idle();
      ledger = await json(`${impatient.url}/admin/ledger`);
    }
    assert.equal(ledger.lateCommits, 1);
    assert.equal(await payeeBalance(payees[0], idValue), '4.44');
    assert.equal(fromUnits(toUnits(ledger.totals.USD.debited) - toUnits(t0.debited)), '4.44');
    const st = await request(impatient.url).get(`/transfers/${res.body.transferState.transferId}`).expect(200);
    assert.equal(st.body.currentState, 'COMPLETED');
  });

  it('a bulk transfer without an answer stays in doubt and held, then the hub\'s expiry settles it and the back office hears again',
    async () => {
    await request(payees[0].url).put('/admin/rules').send({ rules: [{ match: { resource: 'bulkTransfers' }, action: { type: 'noCallback' },
      times: 1 }] }).expect(200);
    impatient.setBackendUrl(sink.url);
    try {
      const t0 = await treasury(impatient);
      const id = rnd.uuid();
      const items = [0, 1].map((i) => ({ home: `doubt-${i}`, idValue: msisdn(1, 4600 + i), amount: '3' }));
      await request(impatient.url).post('/bulkTransactions').send(bulkTxnBody(id, items)).expect(202);
      const first = await sinkReport(sink, id, 'COMPLETED');
      assertSpec('backend:bulkTransactionResponse', first);
      for (const r of first.individualTransferResults as Json[]) {
        assert.equal(r.transferState, undefined);
        assert.equal(r.lastError.mojaloopError.errorInformation.errorCode, '2004');
      }
      assert.equal((await treasury(impatient)).reserved, '6');
      // the hub expires the bulk (2.5 s) and says so; the payer settles and reports again
      const settled = await sink.waitFor((x) => x.path === `/bulkTransactions/${id}`
        && (x.body as Json).individualTransferResults?.[0]?.transferState === 'ABORTED', 15_000);
      const again = settled.body as Json;
      assertSpec('backend:bulkTransactionResponse', again);
      for (const r of again.individualTransferResults as Json[]) assert.equal(r.lastError.mojaloopError.errorInformation.errorCode, '3303');
      const t1 = await treasury(impatient);
      assert.equal(t1.reserved, '0');
      assert.equal(t1.debited, t0.debited);
      for (const it of items) assert.equal(await payeeBalance(payees[0], it.idValue), '0');
    } finally {
      impatient.setBackendUrl(undefined);
    }
  });

  it('a lost transfer callback: 504 as the SDK answers it, then GET /transfers/{id} shows the hub\'s COMMITTED, paid once', async () => {
    await request(impatient.url).put('/admin/rules').send({ rules: [{ match: { resource: 'transfers', method: 'CALLBACK' }, action:
      { type: 'noCallback' }, times: 1 }] }).expect(200);
    try {
      const idValue = msisdn(2, 4500);
      const t0 = await treasury(impatient);
      const res = await request(impatient.url).post('/transfers').send(transferBody('lost-1', idValue, '2.5')).expect(504);
      assertSpec('errorTransferResponse', res.body);
      assert.equal(res.body.transferState.currentState, 'ERROR_OCCURRED');
      assert.ok(res.body.transferState.quoteResponse, 'the state reached: quoted, transfer sent');
      assert.match(res.body.message, /Timeout waiting for fulfil/);
      const id = res.body.transferState.transferId as string;
      // The money stays held until the hub settles it (the simulator asks after the transfer's expiry).
      const deadline = Date.now() + 15_000;
      let state = '';
      while (state !== 'COMMITTED' && Date.now() < deadline) {
        const s = await request(impatient.url).get(`/transfers/${id}`).expect(200);
        assertSpec('transferStatusResponse', s.body);
        state = s.body.fulfil.body.transferState;
        if (state !== 'COMMITTED') await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(state, 'COMMITTED');
      assert.equal(await payeeBalance(payees[1], idValue), '2.5');
      assert.equal(fromUnits(toUnits((await treasury(impatient)).debited) - toUnits(t0.debited)), '2.5');
      const rules = await request(impatient.url).get('/admin/rules').expect(200);
      assert.equal(rules.body.rules[0].fired, 1);
    } finally {
      await request(impatient.url).put('/admin/rules').send({ rules: [] }).expect(200);
    }
  });

  it('refuses a callback that breaks the FSPIOP spec with 400 and records the violation', async () => {
    const before = payer.violations.length;
    const r = await fspiop(payer.inboundUrl, 'PUT', `/quotes/${rnd.uuid()}`, 'quotes', 'payeefsp1',
      { transferAmount: { currency: 'USD', amount: '1.50' } }, { destination: 'govbank' });
    assert.equal(r.status, 400);
    assert.equal((r.body as Json).errorInformation.errorCode.startsWith('31'), true);
    assert.equal(payer.violations.length, before + 1);
    const v = await request(payer.url).get('/admin/violations').expect(200);
    assert.ok(v.body.violations.some((x: Json) => x.path.startsWith('/quotes/')));
  });

  it('insufficient treasury balance fails with 4001 before sending, other payments unaffected', async () => {
    const p = msisdn(1, 6000);
    const ok = await request(poor.url).post('/transfers').send(transferBody('poor-1', p, '20')).expect(200);
    assert.equal(ok.body.currentState, 'COMPLETED');
    const sent = payees[0].sent.length;
    const big = await request(poor.url).post('/transfers').send(transferBody('poor-2', msisdn(1, 6001), '10')).expect(500);
    assertSpec('errorTransferResponse', big.body);
    assert.equal(big.body.transferState.lastError.mojaloopError.errorInformation.errorCode, '4001');
    assert.equal(big.body.transferState.fulfil, undefined);
    assert.equal(await payeeBalance(payees[0], msisdn(1, 6001)), '0');
    assert.ok(payees[0].sent.length >= sent);
    // a bulk: 3 + 1 fit the 5 left, 4 does not; the others still pay
    const items = [{ home: 'poor-b1', idValue: msisdn(1, 6002), amount: '3' }, { home: 'poor-b2', idValue: msisdn(1, 6003), amount: '4' },
      { home: 'poor-b3', idValue: msisdn(2, 6004), amount: '1' }];
    const res = await request(poor.url).post('/bulkTransactions').send(bulkTxnBody(rnd.uuid(), items, { synchronous: true })).expect(200);
    const r = res.body.individualTransferResults as Json[];
    assert.equal(r[0].transferState, 'COMMITTED');
    assert.equal(r[1].lastError.mojaloopError.errorInformation.errorCode, '4001');
    assert.equal(r[2].transferState, 'COMMITTED');
    assert.equal(await payeeBalance(payees[0], msisdn(1, 6003)), '0');
    const t = await treasury(poor);
    assert.deepEqual([t.debited, t.balance, t.reserved], ['24', '1', '0']);
  });

  it('perTransferFeeLimits: a fee above the limit fails that item with 4100; within it, treasury debited = credits + fees', async () => {
    const items = [{ home: 'fee-1', idValue: msisdn(3, 100), amount: '10' }, { home: 'fee-2', idValue: msisdn(1, 9500), amount: '10' }];
    const tight = await request(payer.url).post('/bulkTransactions').send(bulkTxnBody(rnd.uuid(), items, {
      synchronous: true, autoAcceptQuote: { enabled: true, perTransferFeeLimits: [{ currency: 'USD', amount: '0.25' }] },
    })).expect(200);
    assertSpec('backend:bulkTransactionResponse', tight.body);
    const r = tight.body.individualTransferResults as Json[];
    assert.equal(r[0].lastError.mojaloopError.errorInformation.errorCode, '4100');
    assert.equal(r[0].quoteResponse.payeeFspFee.amount, '0.5');
    assert.equal(r[1].transferState, 'COMMITTED');
    assert.equal(await payeeBalance(payees[2], msisdn(3, 100)), '0');
    const t0 = await treasury(payer);
    const loose = await request(payer.url).post('/bulkTransactions').send(bulkTxnBody(rnd.uuid(),
      [{ home: 'fee-3', idValue: msisdn(3, 100), amount: '10' }], {
      synchronous: true, autoAcceptQuote: { enabled: true, perTransferFeeLimits: [{ currency: 'USD', amount: '0.5' }] },
    })).expect(200);
    assert.equal(loose.body.individualTransferResults[0].transferState, 'COMMITTED');
    assert.equal(await payeeBalance(payees[2], msisdn(3, 100)), '9.5');
    const l = (await json(`${payees[2].url}/admin/ledger`)).totals.USD;
    assert.equal(fromUnits(toUnits((await treasury(payer)).debited) - toUnits(t0.debited)),
      fromUnits(toUnits(l.credited) + toUnits(l.fees)));
  });

  it('POST /transfers is a new transfer every time, as in the SDK: the same homeTransactionId pays again', async () => {
    const idValue = msisdn(2, 9001);
    const first = await request(payer.url).post('/transfers').send(transferBody('resend-1', idValue, '8')).expect(200);
    const again = await request(payer.url).post('/transfers').send(transferBody('resend-1', idValue, '8')).expect(200);
    assert.notEqual(again.body.transferId, first.body.transferId);
    assert.equal(again.body.currentState, 'COMPLETED');
    const changed = await request(payer.url).post('/transfers').send(transferBody('resend-1', idValue, '9')).expect(200);
    assert.equal(changed.body.currentState, 'COMPLETED');
    assert.equal(await payeeBalance(payees[1], idValue), '25');
  });

  it('with bulkHomeTransactionIdDedup, a new bulk transaction repeating paid homeTransactionIds mirrors them and pays only the new item',
    async () => {
    const items = [0, 1].map((i) => ({ home: `resend-b${i}`, idValue: msisdn(2, 9100 + i), amount: '2' }));
    const r1 = await request(payer.url).post('/bulkTransactions').send(bulkTxnBody(rnd.uuid(), items, { synchronous: true })).expect(200);
    const t0 = await treasury(payer);
    const r3 = await request(payer.url).post('/bulkTransactions').send(bulkTxnBody(rnd.uuid(),
      [...items, { home: 'resend-b2', idValue: msisdn(2, 9102), amount: '2' }], { synchronous: true })).expect(200);
    const r = r3.body.individualTransferResults as Json[];
    assert.deepEqual(r.map((x) => x.transferState), ['COMMITTED', 'COMMITTED', 'COMMITTED']);
    assert.equal(r[0].transferId, r1.body.individualTransferResults[0].transferId);
    for (const i of [0, 1, 2]) assert.equal(await payeeBalance(payees[1], msisdn(2, 9100 + i)), '2');
    assert.equal(fromUnits(toUnits((await treasury(payer)).debited) - toUnits(t0.debited)), '2');
  });

  it('refuses requests that break the SDK spec with an errorResponse and changes nothing', async () => {
    const t0 = await treasury(payer);
    const bad = await request(payer.url).post('/transfers').send({ ...transferBody('bad-1', msisdn(1, 1), '1'), amount:
      '1.50' }).expect(400);
    assertSpec('errorResponse', bad.body);
    assert.equal(bad.body.statusCode, '3100');
    const broken = await request(payer.url).post('/bulkTransactions').set('content-type',
      'application/json').send('{"bulkTransactionId":').expect(400);
    assert.equal(broken.body.statusCode, '3101');
    await request(payer.url).get(`/transfers/${rnd.uuid()}`).expect(404);
    assert.deepEqual(await treasury(payer), t0);
  });

  it('every answer and back-office report of the run matched the SDK spec (checked at run time too)', () => {
    for (const p of [payer, poor, impatient]) assert.deepEqual(p.answerProblems, [], p.fspId);
  });
});
