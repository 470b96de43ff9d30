/**
 * POST /bulkTransactions as the SDK scheme adapter does it (the payer DFSP simulator's default), and each extension
 * that brings back a kinder behaviour: the switch, ALS and two payee DFSPs in process, a back office that records
 * the reports, money checked on the payee ledgers and the treasury.
 */
import assert from 'node:assert/strict';
import request from 'supertest';
import { onboardParticipant } from '../../simulators/switch/onboard';
import { startAls } from '../../simulators/als';
import { defaultOracleRules, RunningPayeeDfsp, startPayeeDfsp } from '../../simulators/payee-dfsp';
import { RunningPayerDfsp, startPayerDfsp } from '../../simulators/payer-dfsp';
import { sdkProblem } from '../../simulators/payer-dfsp/spec';
import { startSwitch } from '../../simulators/switch';
import type { RunningServer } from '../../shared/server';
import { SeededRandom } from '../../shared/ids';
import { toUnits, fromUnits } from '../../shared/money';
import { CallbackSink, startCallbackSink } from '../network/helpers';

type Json = Record<string, any>;
type Item = { home: string; idValue: string; amount: string };

const rnd = new SeededRandom(41);
const msisdn = (fsp: 1 | 2, n: number) => `2547${fsp}${String(n).padStart(7, '0')}`;

function bulkTxnBody(id: string, items: Item[], options: Json = {}): Json {
  const body = {
    bulkTransactionId: id, bulkHomeTransactionID: `home-${id.slice(0, 8)}`,
    from: { partyIdInfo: { partyIdType: 'BUSINESS', partyIdentifier: 'treasury' } },
    individualTransfers: items.map((i) => ({ homeTransactionId: i.home, to:
      { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: i.idValue } }, amountType: 'SEND', currency: 'USD', amount: i.amount })),
    options: { autoAcceptParty: { enabled: true }, autoAcceptQuote: { enabled: false }, bulkExpiration:
      new Date(Date.now() + 60_000).toISOString(), ...options },
  };
  assertSpec('bulkTransactionRequest', body);
  return body;
}

function assertSpec(schema: string, body: unknown): void {
  assert.equal(sdkProblem(schema, body), undefined, `${schema}: ${JSON.stringify(body).slice(0, 400)}`);
}

async function payeeBalance(payee: RunningPayeeDfsp, idValue: string): Promise<string> {
  const res = await request(payee.url).get(`/admin/parties/MSISDN/${idValue}`);
  return (res.body.balances?.USD as string | undefined) ?? '0';
}

async function treasury(payer: RunningPayerDfsp): Promise<Json> {
  return (await request(payer.url).get('/admin/ledger').expect(200)).body.totals.USD as Json;
}

async function uses(payer: RunningPayerDfsp): Promise<Record<string, number>> {
  return (await request(payer.url).get('/admin/extensions').expect(200)).body.uses as Record<string, number>;
}

describe('payer DFSP: bulkTransactions as the SDK does them, and the extensions', function () {
  this.timeout(60_000);
  const started: RunningServer[] = [];
  let payees: RunningPayeeDfsp[];
  let sink: CallbackSink;
  let refusing: CallbackSink;
  /** No extensions: the SDK's behaviour. */
  let strict: RunningPayerDfsp;
  /** Every bulk extension on. */
  let kind: RunningPayerDfsp;

  const reportsFor = (s: CallbackSink, id: string) => s.received.filter((r) => r.method === 'PUT' && r.path === `/bulkTransactions/${id}`);

  /** The back office's copy of a report in that state (a deadline, not a sleep: generous, the machine may be busy). */
  async function report(id: string, state: string): Promise<Json> {
    const r = await sink.waitFor((x) => x.path === `/bulkTransactions/${id}` && (x.body as Json)?.currentState === state, 30_000);
    assertSpec('backend:bulkTransactionResponse', r.body);
    return r.body as Json;
  }

  /** Accepts every quote of the prompt, listing each item; resolves with the final report. */
  async function acceptQuotes(payer: RunningPayerDfsp, id: string): Promise<Json> {
    const prompt = await report(id, 'WAITING_FOR_QUOTE_ACCEPTANCE');
    const body = { individualTransfers: (prompt.individualTransferResults as Json[]).map((r) => ({ transferId: r.transferId as string,
      acceptQuote: true })) };
    assertSpec('bulkTransactionContinuation', body);
    await request(payer.url).put(`/bulkTransactions/${id}`).send(body).expect(202);
    return report(id, 'COMPLETED');
  }

  before(async () => {
    const sw = await startSwitch({ port: 0, host: '127.0.0.1' });
    started.push(sw);
    const als = await startAls({ port: 0, host: '127.0.0.1', hubAdminUrl: sw.url, oracleRules: defaultOracleRules(['payeefsp1', 'payeefsp2']) });
    started.push(als);
    payees = [];
    for (const fspId of ['payeefsp1', 'payeefsp2']) {
      const p = await startPayeeDfsp({ port: 0, host: '127.0.0.1', fspId, hubUrl: sw.url, alsUrl: als.url });
      started.push(p);
      payees.push(p);
      await onboardParticipant(sw.url, fspId, p.url);
    }
    sink = await startCallbackSink();
    refusing = await startCallbackSink({ status: () => 503 });
    const common = { port: 0, inboundPort: 0, host: '127.0.0.1', switchUrl: sw.url, alsUrl: als.url, callbackTimeoutMs: 15_000, onboard: true,
      backendUrl: sink.url };
    strict = await startPayerDfsp({ ...common, fspId: 'strictbank' });
    started.push(strict);
    kind = await startPayerDfsp({ ...common, fspId: 'kindbank', extensions: { synchronousBulkTransactions: true, getBulkTransaction: true,
      bulkAutoAcceptQuote: true, bulkHomeTransactionIdDedup: true, backendReportRetries: true } });
    started.push(kind);
  });

  after(async () => {
    for (const s of started.reverse()) await s.stop();
    await sink?.stop();
    await refusing?.stop();
  });

  it('ignores options.synchronous: 202, then the prompt and the report go to the back office; the extension answers 200', async () => {
    const u0 = (await uses(strict)).synchronousBulkTransactions ?? 0;
    const items = [0, 1].map((i) => ({ home: `sync-${i}`, idValue: msisdn(1, 10 + i), amount: '2' }));
    const id = rnd.uuid();
    await request(strict.url).post('/bulkTransactions').send(bulkTxnBody(id, items, { synchronous: true })).expect(202);
    const done = await acceptQuotes(strict, id);
    assert.deepEqual((done.individualTransferResults as Json[]).map((r) => r.transferState), ['COMMITTED', 'COMMITTED']);
    assert.equal((await uses(strict)).synchronousBulkTransactions, u0 + 1, 'asked for, though not on');

    const kid = rnd.uuid();
    const res = await request(kind.url).post('/bulkTransactions').send(bulkTxnBody(kid, [{ home: 'sync-k', idValue: msisdn(1, 12),
      amount: '2' }], { synchronous: true, autoAcceptQuote: { enabled: true } })).expect(200);
    assertSpec('backend:bulkTransactionResponse', res.body);
    assert.equal(res.body.currentState, 'COMPLETED');
    assert.equal(res.body.individualTransferResults[0].transferState, 'COMMITTED');
    await kind.reportsIdle();
    assert.equal(reportsFor(sink, kid).length, 0, 'the answer was the report');
  });

  it('has no GET /bulkTransactions/{id} (400 as the SDK\'s validator answers); the extension answers the report', async () => {
    const id = rnd.uuid();
    await request(strict.url).post('/bulkTransactions').send(bulkTxnBody(id, [{ home: 'get-0', idValue: msisdn(2, 20), amount: '1' }],
      { onlyValidateParty: true })).expect(202);
    await report(id, 'COMPLETED');
    const u0 = (await uses(strict)).getBulkTransaction ?? 0;
    const got = await request(strict.url).get(`/bulkTransactions/${id}`).expect(400);
    assertSpec('errorResponse', got.body);
    assert.match(got.body.message, /Method GET not supported/);
    assert.equal((await uses(strict)).getBulkTransaction, u0 + 1);

    const kid = rnd.uuid();
    await request(kind.url).post('/bulkTransactions').send(bulkTxnBody(kid, [{ home: 'get-k', idValue: msisdn(2, 21), amount: '1' }],
      { onlyValidateParty: true })).expect(202);
    const final = await report(kid, 'COMPLETED');
    const view = await request(kind.url).get(`/bulkTransactions/${kid}`).expect(200);
    assertSpec('backend:bulkTransactionResponse', view.body);
    assert.deepEqual(view.body, final);
  });

  it('ignores a second POST with a bulkTransactionId already used: 202, no report, the first transaction unaffected', async () => {
    const items = [0, 1].map((i) => ({ home: `dup-${i}`, idValue: msisdn(1, 30 + i), amount: '3' }));
    const id = rnd.uuid();
    const body = bulkTxnBody(id, items);
    await request(strict.url).post('/bulkTransactions').send(body).expect(202);
    const prompt = await report(id, 'WAITING_FOR_QUOTE_ACCEPTANCE');
    // the same request again, and one with an item more: both 202 (no 3106), neither does anything
    await request(strict.url).post('/bulkTransactions').send(body).expect(202);
    await request(strict.url).post('/bulkTransactions').send(bulkTxnBody(id, [...items, { home: 'dup-2', idValue: msisdn(1, 32),
      amount: '3' }])).expect(202);
    await request(strict.url).put(`/bulkTransactions/${id}`).send({ individualTransfers: (prompt.individualTransferResults as Json[])
      .map((r) => ({ transferId: r.transferId, acceptQuote: true })) }).expect(202);
    const done = await report(id, 'COMPLETED');
    await strict.reportsIdle();
    assert.deepEqual(reportsFor(sink, id).map((r) => (r.body as Json).currentState), ['WAITING_FOR_QUOTE_ACCEPTANCE', 'COMPLETED']);
    assert.deepEqual((done.individualTransferResults as Json[]).map((r) => [r.homeTransactionId, r.transferState]),
      [['dup-0', 'COMMITTED'], ['dup-1', 'COMMITTED']]);
    for (const i of [0, 1]) assert.equal(await payeeBalance(payees[0], msisdn(1, 30 + i)), '3');
    assert.equal(await payeeBalance(payees[0], msisdn(1, 32)), '0');
  });

  it('with autoAcceptQuote.enabled stalls after the quotes as the SDK does: no transfer, no report; the extension pays', async () => {
    const items = [0, 1].map((i) => ({ home: `stall-${i}`, idValue: msisdn(2, 40 + i), amount: '4' }));
    const id = rnd.uuid();
    const t0 = await treasury(strict);
    const u0 = (await uses(strict)).bulkAutoAcceptQuote ?? 0;
    await request(strict.url).post('/bulkTransactions').send(bulkTxnBody(id, items, { autoAcceptQuote: { enabled: true } })).expect(202);
    // the admin view answers once the step in flight has ended: here, for good
    const info = (await request(strict.url).get(`/admin/bulkTransactions/${id}`).expect(200)).body as Json;
    assert.equal(info.phase, 'stalled');
    assert.deepEqual((info.items as Json[]).map((i) => i.status), ['quoted', 'quoted']);
    assert.deepEqual(info.bulkSizes, [{ resource: 'bulkQuotes', fspId: 'payeefsp2', size: 2 }]);
    for (const it of info.items as Json[]) {
      const t = (await request(strict.url).get(`/admin/transfers/${it.transferId}`).expect(200)).body as Json;
      assert.equal(t.treasury, 'none');
      assert.equal(t.fulfil, undefined);
    }
    assert.deepEqual(await treasury(strict), t0);
    for (const it of items) assert.equal(await payeeBalance(payees[1], it.idValue), '0');
    await strict.reportsIdle();
    assert.equal(reportsFor(sink, id).length, 0);
    assert.equal((await uses(strict)).bulkAutoAcceptQuote, u0 + 1);

    const kid = rnd.uuid();
    const kitems = [0, 1].map((i) => ({ home: `stall-k${i}`, idValue: msisdn(2, 42 + i), amount: '4' }));
    await request(kind.url).post('/bulkTransactions').send(bulkTxnBody(kid, kitems, { autoAcceptQuote: { enabled: true } })).expect(202);
    const done = await report(kid, 'COMPLETED');
    assert.deepEqual((done.individualTransferResults as Json[]).map((r) => r.transferState), ['COMMITTED', 'COMMITTED']);
    for (const it of kitems) assert.equal(await payeeBalance(payees[1], it.idValue), '4');
  });

  it('transfers quoted items the quote acceptance leaves out, skips unknown transferIds; parties left out are not quoted', async () => {
    const items = [0, 1, 2].map((i) => ({ home: `unlisted-${i}`, idValue: msisdn(1, 50 + i), amount: '5' }));
    const id = rnd.uuid();
    await request(strict.url).post('/bulkTransactions').send(bulkTxnBody(id, items)).expect(202);
    const prompt = await report(id, 'WAITING_FOR_QUOTE_ACCEPTANCE');
    const tids = (prompt.individualTransferResults as Json[]).map((r) => r.transferId as string);
    // the first accepted, the second rejected, the third not listed, and an id the transaction does not have
    await request(strict.url).put(`/bulkTransactions/${id}`).send({ individualTransfers: [{ transferId: tids[0], acceptQuote: true },
      { transferId: tids[1], acceptQuote: false }, { transferId: rnd.uuid(), acceptQuote: true }] }).expect(202);
    const done = await report(id, 'COMPLETED');
    assert.deepEqual((done.individualTransferResults as Json[]).map((r) => r.transferState), ['COMMITTED', 'ABORTED', 'COMMITTED']);
    assert.deepEqual(await Promise.all(items.map((it) => payeeBalance(payees[0], it.idValue))), ['5', '0', '5']);

    // parties: only those accepted go on to their quotes (the SDK quotes DISCOVERY_ACCEPTED items alone)
    const pitems = [0, 1].map((i) => ({ home: `unlisted-p${i}`, idValue: msisdn(1, 60 + i), amount: '6' }));
    const pid = rnd.uuid();
    await request(strict.url).post('/bulkTransactions').send(bulkTxnBody(pid, pitems, { autoAcceptParty: { enabled: false } }))
      .expect(202);
    const parties = await report(pid, 'WAITING_FOR_PARTY_ACCEPTANCE');
    const ptids = (parties.individualTransferResults as Json[]).map((r) => r.transferId as string);
    await request(strict.url).put(`/bulkTransactions/${pid}`).send({ individualTransfers: [{ transferId: ptids[0], acceptParty: true }] })
      .expect(202);
    const quotes = await report(pid, 'WAITING_FOR_QUOTE_ACCEPTANCE');
    assert.ok(quotes.individualTransferResults[0].quoteResponse);
    assert.equal(quotes.individualTransferResults[1].quoteResponse, undefined);
    const info = (await request(strict.url).get(`/admin/bulkTransactions/${pid}`).expect(200)).body as Json;
    assert.deepEqual(info.bulkSizes, [{ resource: 'bulkQuotes', fspId: 'payeefsp1', size: 1 }]);
    const final = await acceptQuotes(strict, pid);
    assert.deepEqual((final.individualTransferResults as Json[]).map((r) => r.transferState === 'COMMITTED'), [true, false]);
    assert.deepEqual(await Promise.all(pitems.map((it) => payeeBalance(payees[0], it.idValue))), ['6', '0']);
  });

  it('sends a report to the back office once, whatever the answer; backendReportRetries tries 4 times', async () => {
    for (const [payer, attempts] of [[strict, 1], [kind, 4]] as const) {
      payer.setBackendUrl(refusing.url);
      try {
        const id = rnd.uuid();
        await request(payer.url).post('/bulkTransactions').send(bulkTxnBody(id, [{ home: `once-${attempts}`, idValue: msisdn(2, 70),
          amount: '1' }], { onlyValidateParty: true })).expect(202);
        await refusing.waitFor((r) => r.path === `/bulkTransactions/${id}`, 30_000);
        await payer.reportsIdle();
        assert.equal(reportsFor(refusing, id).length, attempts, payer.fspId);
      } finally {
        payer.setBackendUrl(sink.url);
      }
    }
  });

  it('pays a homeTransactionId used again in another bulk transaction twice, as the SDK; bulkHomeTransactionIdDedup pays once', async () => {
    const item = { home: 'twice-0', idValue: msisdn(2, 80), amount: '7' };
    const t0 = await treasury(strict);
    const u0 = (await uses(strict)).bulkHomeTransactionIdDedup ?? 0;
    const ids = [rnd.uuid(), rnd.uuid()];
    const results: Json[] = [];
    for (const id of ids) {
      await request(strict.url).post('/bulkTransactions').send(bulkTxnBody(id, [item])).expect(202);
      results.push(((await acceptQuotes(strict, id)).individualTransferResults as Json[])[0]);
    }
    assert.deepEqual(results.map((r) => r.transferState), ['COMMITTED', 'COMMITTED']);
    assert.notEqual(results[0].transferId, results[1].transferId);
    assert.equal(await payeeBalance(payees[1], item.idValue), '14');
    assert.equal(fromUnits(toUnits((await treasury(strict)).debited) - toUnits(t0.debited)), '14');
    assert.equal((await uses(strict)).bulkHomeTransactionIdDedup, u0 + 1, 'the second transaction repeated one');

    const kitem = { home: 'twice-k', idValue: msisdn(2, 81), amount: '7' };
    const k = [];
    for (let n = 0; n < 2; n++) {
      k.push((await request(kind.url).post('/bulkTransactions').send(bulkTxnBody(rnd.uuid(), [kitem], { synchronous: true,
        autoAcceptQuote: { enabled: true } })).expect(200)).body.individualTransferResults[0] as Json);
    }
    assert.deepEqual(k.map((r) => r.transferState), ['COMMITTED', 'COMMITTED']);
    assert.equal(k[1].transferId, k[0].transferId, 'the second mirrors the first');
    assert.equal(await payeeBalance(payees[1], kitem.idValue), '7');
  });

  it('every answer and report matched the SDK spec', () => {
    for (const p of [strict, kind]) assert.deepEqual(p.answerProblems, [], p.fspId);
  });
});
