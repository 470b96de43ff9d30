/**
 * The switch simulator over HTTP: a test plays an outside DFSP (onboarded through the hub admin API, its own
 * callback listener) and talks to payee DFSP simulators through the switch. Every transfer that should be paid is
 * checked in the payee's ledger; every refusal is checked to leave positions unchanged.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { SeededRandom } from '../../shared/ids';
import { onboardParticipant, standardEndpoints } from '../../simulators/switch/onboard';
import { checkBody } from '../../simulators/payee-dfsp/edge';
import { RunningPayeeDfsp, startPayeeDfsp } from '../../simulators/payee-dfsp';
import { RunningSwitch, startSwitch } from '../../simulators/switch';
import { CallbackSink, fspiop, Received, startCallbackSink } from '../network/helpers';

const rnd = new SeededRandom(2024);
type Body = Record<string, unknown> & { errorInformation?: { errorCode: string; errorDescription: string } };
const OUT = 'outsidefsp';

async function getJson(url: string): Promise<unknown> {
  const res = await request(url);
  return JSON.parse(await res.body.text());
}

describe('switch simulator', function () {
  let sink: CallbackSink;
  let sw: RunningSwitch;
  let p1: RunningPayeeDfsp;
  let p2: RunningPayeeDfsp;
  const at = (p: string) => (r: Received) => r.path === p;
  const errorAt = (p: string) => async (timeoutMs = 5000) => (await sink.waitFor(at(`${p}/error`), timeoutMs)).body as Body;

  before(async () => {
    sink = await startCallbackSink();
    sw = await startSwitch({ port: 0, host: '127.0.0.1', expirySweepMs: 20 });
    p1 = await startPayeeDfsp({ port: 0, host: '127.0.0.1', fspId: 'payeefsp1', hubUrl: sw.url, alsUrl: sw.url });
    p2 = await startPayeeDfsp({ port: 0, host: '127.0.0.1', fspId: 'payeefsp2', hubUrl: sw.url, alsUrl: sw.url, answeringMode:
      'RESERVED' });
    await onboardParticipant(sw.url, 'payeefsp1', p1.url);
    await onboardParticipant(sw.url, 'payeefsp2', p2.url);
    await onboardParticipant(sw.url, OUT, sink.url, { netDebitCap: '1000' });
  });
  after(async () => {
    await p1?.stop();
    await p2?.stop();
    await sw?.stop();
    await sink?.stop();
  });
  afterEach(async () => {
    await p1.faults.replace([]);
    await sw.idle();
  });

  const positions = () => getJson(`${sw.url}/admin/positions`) as Promise<{ positions: Record<string, Record<string,
    { value: string; reservedValue: string }>>; sums: Record<string, string> }>;

  async function quote(payee: string, msisdn: string, amount: string): Promise<{ transactionId: string;
    transferAmount: { amount: string; currency: string }; ilpPacket: string; condition: string }> {
    const quoteId = rnd.uuid();
    const transactionId = rnd.uuid();
    const body = {
      quoteId, transactionId,
      payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId: payee } },
      payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '15550001', fspId: OUT } },
      amountType: 'SEND', amount: { currency: 'USD', amount },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    };
    assert.equal((await fspiop(sw.url, 'POST', '/quotes', 'quotes', OUT, body, { destination: payee })).status, 202);
    const put = await sink.waitFor(at(`/quotes/${quoteId}`));
    assert.equal(checkBody('QuotesIDPutResponse', put.body), undefined);
    return { transactionId, ...(put.body as { transferAmount: { amount: string; currency: string }; ilpPacket: string;
      condition: string }) };
  }

  function transferBody(q: Awaited<ReturnType<typeof quote>>, payee: string, expiresInMs = 30_000) {
    return {
      transferId: q.transactionId, payerFsp: OUT, payeeFsp: payee, amount: q.transferAmount,
      ilpPacket: q.ilpPacket, condition: q.condition, expiration: new Date(Date.now() + expiresInMs).toISOString(),
    };
  }

  it('answers /health and the central-ledger onboarding calls', async () => {
    assert.equal(((await getJson(`${sw.url}/health`)) as { status: string }).status, 'OK');
    const eps = (await getJson(`${sw.url}/participants/${OUT}/endpoints`)) as Array<{ type: string; value: string }>;
    assert.equal(eps.length, standardEndpoints(sink.url).length);
    assert.ok(eps.some((e) => e.type === 'FSPIOP_CALLBACK_URL_TRANSFER_PUT' && e.value.endsWith('/transfers/{{transferId}}')));
    const pos = (await getJson(`${sw.url}/participants/${OUT}/positions`)) as Array<Record<string, string>>;
    assert.deepEqual(Object.keys(pos[0]).sort(), ['changedDate', 'currency', 'reservedValue', 'value']);
    const limits = (await getJson(`${sw.url}/participants/${OUT}/limits`)) as Array<{ limit: { type: string; value: string } }>;
    assert.deepEqual(limits[0].limit.type === 'NET_DEBIT_CAP' && limits[0].limit.value, '1000');
    const dup = await request(`${sw.url}/participants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body:
      JSON.stringify({ name: OUT, currency: 'USD' }) });
    assert.equal(dup.statusCode, 400);
    assert.match(await dup.body.text(), /already/);
    const ghost = await request(`${sw.url}/participants/ghost/endpoints`);
    assert.equal(ghost.statusCode, 404);
    await ghost.body.dump();
  });

  it('routes a party lookup to the FSP named in FSPIOP-Destination and the answer back', async () => {
    assert.equal((await fspiop(sw.url, 'GET', '/parties/MSISDN/254710000002', 'parties', OUT, undefined,
      { destination: 'payeefsp1' })).status, 202);
    const put = await sink.waitFor(at('/parties/MSISDN/254710000002'));
    assert.equal(checkBody('PartiesTypeIDPutResponse', put.body), undefined);
    assert.equal(put.headers['fspiop-source'], 'payeefsp1');
    assert.equal(put.headers['fspiop-destination'], OUT);
  });

  it('quote and transfer: committed, payee credited, positions moved and summing to zero, GET /transfers answers', async () => {
    const q = await quote('payeefsp1', '254710000001', '12.5');
    const t = transferBody(q, 'payeefsp1');
    assert.equal((await fspiop(sw.url, 'POST', '/transfers', 'transfers', OUT, t, { destination: 'payeefsp1' })).status, 202);
    const put = await sink.waitFor(at(`/transfers/${t.transferId}`));
    assert.equal(checkBody('TransfersIDPutResponse', put.body), undefined);
    const b = put.body as { transferState: string; fulfilment: string };
    assert.equal(b.transferState, 'COMMITTED');
    assert.equal(createHash('sha256').update(Buffer.from(b.fulfilment, 'base64url')).digest('base64url'), q.condition);
    assert.equal(put.headers['fspiop-source'], 'payeefsp1');
    assert.match(put.headers['content-type'], /^application\/vnd\.interoperability\.transfers\+json;version=1\.[01]$/);
    assert.equal(p1.core.ledger.get(t.transferId)?.state, 'COMMITTED');
    assert.equal(p1.core.ledger.balancesOf('payeefsp1-wallet-1').USD, '12.5');
    const pos = await positions();
    assert.equal(pos.positions[OUT].USD.value, '12.5');
    assert.equal(pos.positions.payeefsp1.USD.value, '-12.5');
    assert.deepEqual(pos.sums, { USD: '0' });

    sink.received.length = 0;
    assert.equal((await fspiop(sw.url, 'GET', `/transfers/${t.transferId}`, 'transfers', OUT)).status, 202);
    const got = await sink.waitFor(at(`/transfers/${t.transferId}`));
    assert.equal((got.body as Body).transferState, 'COMMITTED');
    assert.equal((got.body as Body).fulfilment, b.fulfilment);
    assert.equal(got.headers['fspiop-source'], 'switch');
  });

  it('a payee answering RESERVED gets PATCH COMMITTED after the hub commits; the payer sees COMMITTED', async () => {
    const q = await quote('payeefsp2', '254720000001', '3');
    const t = transferBody(q, 'payeefsp2');
    await fspiop(sw.url, 'POST', '/transfers', 'transfers', OUT, t, { destination: 'payeefsp2' });
    const put = await sink.waitFor(at(`/transfers/${t.transferId}`));
    assert.equal((put.body as Body).transferState, 'COMMITTED');
    assert.equal(checkBody('TransfersIDPutResponse', put.body), undefined);
    await sw.idle();
    const patch = sw.sent.find((s) => s.method === 'PATCH' && s.url.endsWith(`/transfers/${t.transferId}`));
    assert.equal(patch?.status, 200);
    assert.equal(p2.core.ledger.get(t.transferId)?.state, 'COMMITTED');
    assert.equal(p2.core.ledger.balancesOf('payeefsp2-wallet-1').USD, '3');
  });

  it('bulk quotes and bulk transfers: every item committed and credited, GET /bulkTransfers answers', async () => {
    const payer = { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '15550001', fspId: OUT } };
    const individualQuotes = [0, 1, 2].map((i) => ({
      quoteId: rnd.uuid(), transactionId: rnd.uuid(),
      payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: `25471300000${i}`, fspId: 'payeefsp1' } },
      amountType: 'SEND', amount: { currency: 'USD', amount: '1.25' },
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'BUSINESS' },
    }));
    const bulkQuoteId = rnd.uuid();
    assert.equal((await fspiop(sw.url, 'POST', '/bulkQuotes', 'bulkQuotes', OUT, { bulkQuoteId, payer, individualQuotes },
      { destination: 'payeefsp1' })).status, 202);
    const bq =
      (await sink.waitFor(at(`/bulkQuotes/${bulkQuoteId}`))).body as { individualQuoteResults: Array<{ transferAmount: { amount: string;
        currency: string }; ilpPacket: string; condition: string }> };
    const before = (await positions()).positions[OUT].USD.value;
    const bulkTransferId = rnd.uuid();
    const res = await fspiop(sw.url, 'POST', '/bulkTransfers', 'bulkTransfers', OUT, {
      bulkTransferId, bulkQuoteId, payerFsp: OUT, payeeFsp: 'payeefsp1', expiration: new Date(Date.now() + 30_000).toISOString(),
      individualTransfers: bq.individualQuoteResults.map((r, i) => ({ transferId: individualQuotes[i].transactionId, transferAmount:
        r.transferAmount, ilpPacket: r.ilpPacket, condition: r.condition })),
    }); // no FSPIOP-Destination: routed by payeeFsp, as Mojaloop's SDK sends it
    assert.equal(res.status, 202);
    const bt = await sink.waitFor(at(`/bulkTransfers/${bulkTransferId}`));
    assert.equal(checkBody('BulkTransfersIDPutResponse', bt.body), undefined);
    const body = bt.body as { bulkTransferState: string; individualTransferResults: Array<{ transferId: string; fulfilment?: string }> };
    assert.equal(body.bulkTransferState, 'COMPLETED');
    assert.equal(body.individualTransferResults.filter((r) => r.fulfilment).length, 3);
    for (const q of individualQuotes) assert.equal(p1.core.ledger.get(q.transactionId)?.state, 'COMMITTED');
    const after = await positions();
    assert.equal(after.positions[OUT].USD.value, String(Number(before) + 3.75));
    assert.deepEqual(after.sums, { USD: '0' });

    sink.received.length = 0;
    await fspiop(sw.url, 'GET', `/bulkTransfers/${bulkTransferId}`, 'bulkTransfers', OUT);
    const got = await sink.waitFor(at(`/bulkTransfers/${bulkTransferId}`));
    assert.equal((got.body as Body).bulkTransferState, 'COMPLETED');
    assert.equal(checkBody('BulkTransfersIDPutResponse', got.body), undefined);
  });

  it('unknown destination: error callback 3201 to the source', async () => {
    const quoteId = rnd.uuid();
    await fspiop(sw.url, 'POST', '/quotes', 'quotes', OUT, {
      quoteId, transactionId: rnd.uuid(), payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '1', fspId: 'ghostfsp' } },
      payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '15550001', fspId: OUT } }, amountType: 'SEND',
      amount: { currency: 'USD', amount: '1' }, transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    }, { destination: 'ghostfsp' });
    const err = await errorAt(`/quotes/${quoteId}`)();
    assert.equal(err.errorInformation?.errorCode, '3201');
    assert.equal(checkBody('ErrorInformationObject', err), undefined);
  });

  it('beyond the net debit cap: 4001 to the payer, never forwarded, positions unchanged', async () => {
    const q = await quote('payeefsp1', '254710000004', '2000');
    const before = await positions();
    const t = transferBody(q, 'payeefsp1');
    await fspiop(sw.url, 'POST', '/transfers', 'transfers', OUT, t, { destination: 'payeefsp1' });
    assert.equal((await errorAt(`/transfers/${t.transferId}`)()).errorInformation?.errorCode, '4001');
    await sw.idle();
    assert.equal(p1.core.ledger.get(t.transferId), undefined);
    assert.deepEqual(await positions(), before);
  });

  it('a resent transfer gets the same callback again; the same id with a different body gets 3106', async () => {
    const q = await quote('payeefsp1', '254710000005', '4');
    const t = transferBody(q, 'payeefsp1');
    await fspiop(sw.url, 'POST', '/transfers', 'transfers', OUT, t, { destination: 'payeefsp1' });
    const first = await sink.waitFor(at(`/transfers/${t.transferId}`));
    const afterFirst = await positions();
    await fspiop(sw.url, 'POST', '/transfers', 'transfers', OUT, t, { destination: 'payeefsp1' });
    const both = await sink.waitForCount(at(`/transfers/${t.transferId}`), 2);
    assert.deepEqual(both[1].body, first.body);
    await fspiop(sw.url, 'POST', '/transfers', 'transfers', OUT, { ...t, amount: { currency: 'USD', amount: '5' } },
      { destination: 'payeefsp1' });
    assert.equal((await errorAt(`/transfers/${t.transferId}`)()).errorInformation?.errorCode, '3106');
    await sw.idle();
    assert.deepEqual(await positions(), afterFirst);
    assert.equal(p1.core.ledger.balancesOf('payeefsp1-wallet-5').USD, '4');
  });

  it('a payee that never answers: the transfer expires, 3303 to both sides, reservation released', async () => {
    const q = await quote('payeefsp1', '254710000003', '6');
    const before = await positions();
    const before3 = p1.core.ledger.balancesOf('payeefsp1-wallet-3').USD ?? '0';
    p1.faults.replace([{ match: { resource: 'transfers', method: 'POST' }, action: { type: 'noCallback' } }]);
    const t = transferBody(q, 'payeefsp1', 300);
    await fspiop(sw.url, 'POST', '/transfers', 'transfers', OUT, t, { destination: 'payeefsp1' });
    const err = await errorAt(`/transfers/${t.transferId}`)();
    assert.equal(err.errorInformation?.errorCode, '3303');
    await sw.idle();
    const toPayee = sw.sent.find((s) => s.url === `${p1.url}/transfers/${t.transferId}/error`);
    assert.equal(toPayee?.status, 200);
    // noCallback on the payee is a lost request: nothing recorded there, so nothing credited
    assert.notEqual(p1.core.ledger.get(t.transferId)?.state, 'COMMITTED');
    assert.equal(p1.core.ledger.balancesOf('payeefsp1-wallet-3').USD ?? '0', before3);
    assert.deepEqual((await positions()).positions[OUT], before.positions[OUT]);
  });

  it('a bulk the payee never answers expires: COMPLETED with 3303 per item to the payer, /error 3303 to the payee', async () => {
    const payer = { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '15550001', fspId: OUT } };
    const individualQuotes = [0, 1].map((i) => ({
      quoteId: rnd.uuid(), transactionId: rnd.uuid(),
      payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: `25471400000${i}`, fspId: 'payeefsp1' } },
      amountType: 'SEND', amount: { currency: 'USD', amount: '2' }, transactionType:
        { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'BUSINESS' },
    }));
    const bulkQuoteId = rnd.uuid();
    await fspiop(sw.url, 'POST', '/bulkQuotes', 'bulkQuotes', OUT, { bulkQuoteId, payer, individualQuotes }, { destination: 'payeefsp1' });
    const bq =
      (await sink.waitFor(at(`/bulkQuotes/${bulkQuoteId}`))).body as { individualQuoteResults: Array<{ transferAmount: { amount: string;
        currency: string }; ilpPacket: string; condition: string }> };
    const before = await positions();
    p1.faults.replace([{ match: { resource: 'bulkTransfers', method: 'POST' }, action: { type: 'noCallback' } }]);
    const bulkTransferId = rnd.uuid();
    await fspiop(sw.url, 'POST', '/bulkTransfers', 'bulkTransfers', OUT, {
      bulkTransferId, bulkQuoteId, payerFsp: OUT, payeeFsp: 'payeefsp1', expiration: new Date(Date.now() + 300).toISOString(),
      individualTransfers: bq.individualQuoteResults.map((r, i) => ({ transferId: individualQuotes[i].transactionId, transferAmount:
        r.transferAmount, ilpPacket: r.ilpPacket, condition: r.condition })),
    }, { destination: 'payeefsp1' });
    const bt = await sink.waitFor(at(`/bulkTransfers/${bulkTransferId}`));
    assert.equal(checkBody('BulkTransfersIDPutResponse', bt.body), undefined);
    const body = bt.body as { bulkTransferState: string; individualTransferResults: Array<{ errorInformation?: { errorCode: string } }> };
    assert.equal(body.bulkTransferState, 'COMPLETED');
    assert.deepEqual(body.individualTransferResults.map((r) => r.errorInformation?.errorCode), ['3303', '3303']);
    await sw.idle();
    assert.equal(sw.sent.find((x) => x.url === `${p1.url}/bulkTransfers/${bulkTransferId}/error`)?.status, 200);
    assert.deepEqual((await positions()).positions[OUT], before.positions[OUT]);
  });

  it('a wrong fulfilment aborts the transfer with 3100 to both sides and releases the reservation', async () => {
    const q = await quote('payeefsp1', '254710000002', '7');
    const before = await positions();
    p1.faults.replace([{ match: { resource: 'transfers', method: 'POST' }, action: { type: 'wrongFulfilment' } }]);
    const t = transferBody(q, 'payeefsp1');
    await fspiop(sw.url, 'POST', '/transfers', 'transfers', OUT, t, { destination: 'payeefsp1' });
    assert.equal((await errorAt(`/transfers/${t.transferId}`)()).errorInformation?.errorCode, '3100');
    await sw.idle();
    assert.notEqual(p1.core.ledger.get(t.transferId)?.state, 'COMMITTED');
    assert.deepEqual((await positions()).positions[OUT], before.positions[OUT]);
  });

  it('a 1001-item bulk transfer is refused with 3103 and reserves nothing', async () => {
    const before = await positions();
    const cond = 'GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM';
    const res = await fspiop(sw.url, 'POST', '/bulkTransfers', 'bulkTransfers', OUT, {
      bulkTransferId: rnd.uuid(), bulkQuoteId: rnd.uuid(), payerFsp: OUT, payeeFsp: 'payeefsp1', expiration:
        new Date(Date.now() + 30_000).toISOString(),
      individualTransfers: Array.from({ length: 1001 }, () => ({ transferId: rnd.uuid(), transferAmount: { currency: 'USD', amount: '1' },
        ilpPacket:
          'AQAAAAAAAADIEHByaXZhdGUucGF5ZWVmc3CCAiB7InRyYW5zYWN0aW9uSWQiOiIyZGY3NzRlMi1mMWRiLTRmZjctYTQ5NS0yZGRkMzdhZjdjMmMiLCJxdW90ZUlkIjoiMDNhNjA1NTAtNmYyZi00NTU2LThlMDQtMDcwM2UzOWI4N2ZmIiwicGF5ZWUiOnsicGFydHlJZEluZm8iOnsicGFydHlJZFR5cGUiOiJNU0lTRE4iLCJwYXJ0eUlkZW50aWZpZXIiOiIyNzcxMzgwMzkxMyIsImZzcElkIjoicGF5ZWVmc3AifSwicGVyc29uYWxJbmZvIjp7ImNvbXBsZXhOYW1lIjp7fX19LCJwYXllciI6eyJwYXJ0eUlkSW5mbyI6eyJwYXJ0eUlkVHlwZSI6Ik1TSVNETiIsInBhcnR5SWRlbnRpZmllciI6IjI3NzEzODAzOTExIiwiZnNwSWQiOiJwYXllcmZzcCJ9LCJwZXJzb25hbEluZm8iOnsiY29tcGxleE5hbWUiOnt9fX0sImFtb3VudCI6eyJjdXJyZW5jeSI6IlVTRCIsImFtb3VudCI6IjIwMCJ9LCJ0cmFuc2FjdGlvblR5cGUiOnsic2NlbmFyaW8iOiJERVBPU0lUIiwic3ViU2NlbmFyaW8iOiJERVBPU0lUIiwiaW5pdGlhdG9yIjoiUEFZRVIiLCJpbml0aWF0b3JUeXBlIjoiQ09OU1VNRVIiLCJyZWZ1bmRJbmZvIjp7fX19', condition: cond })),
    }, { destination: 'payeefsp1' });
    assert.equal(res.status, 400);
    assert.equal((res.body as Body).errorInformation?.errorCode, '3103');
    assert.deepEqual(await positions(), before);
    assert.ok(sw.violations.some((v) => v.errorCode === '3103'));
  });

  it('bad headers, version and body get the spec answer, are recorded, and change nothing', async () => {
    const q = await quote('payeefsp1', '254710000001', '1');
    const before = await positions();
    const t = transferBody(q, 'payeefsp1');
    const send = (o: Parameters<typeof fspiop>[6], body: unknown = t) =>
      fspiop(sw.url, 'POST', '/transfers', 'transfers', OUT, body, { destination: 'payeefsp1', ...o });
    const cases: Array<[Promise<{ status: number; body: unknown }>, number, string]> = [
      [send({ headers: { date: '' } }), 400, '3102'],
      [send({ headers: { 'fspiop-source': '' } }), 400, '3102'],
      [send({ headers: { 'content-type': 'application/vnd.interoperability.transfers+json;version=3.0' } }), 406, '3001'],
      [send({ headers: { accept: 'application/vnd.interoperability.transfers+json;version=9' } }), 406, '3001'],
      [send({ headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1' } }), 400, '3101'],
      [send({ rawBody: '{"transferId": ' }), 400, '3101'],
      [send({}, { ...t, amount: { currency: 'USD', amount: '10.50' } }), 400, '3100'],
      [send({}, { ...t, condition: undefined }), 400, '3102'],
      [send({ headers: { 'fspiop-source': 'strangerfsp' } }), 400, '3200'],
    ];
    for (const [p, status, code] of cases) {
      const r = await p;
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal((r.body as Body).errorInformation?.errorCode, code);
      assert.equal(checkBody('ErrorInformationObject', r.body), undefined);
    }
    const version = await send({ headers: { 'content-type': 'application/vnd.interoperability.transfers+json;version=3.0' } });
    const versionError = (version.body as { errorInformation: { extensionList?: { extension: unknown[] } } }).errorInformation;
    assert.ok((versionError.extensionList?.extension.length ?? 0) >= 1);
    await sw.idle();
    assert.equal(p1.core.ledger.get(t.transferId), undefined);
    assert.deepEqual(await positions(), before);
    assert.ok(sw.violations.length >= cases.length);
  });

  it('unknown transfers: GET and a stray fulfilment get 3208; an oversize body gets 413 3100', async () => {
    const id = rnd.uuid();
    await fspiop(sw.url, 'GET', `/transfers/${id}`, 'transfers', OUT);
    assert.equal((await errorAt(`/transfers/${id}`)()).errorInformation?.errorCode, '3208');
    const stray = rnd.uuid();
    assert.equal((await fspiop(sw.url, 'PUT', `/transfers/${stray}`, 'transfers', OUT,
      { transferState: 'COMMITTED', fulfilment: 'GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM', completedTimestamp:
        new Date().toISOString() }, { destination: 'payeefsp1' })).status, 200);
    assert.equal((await errorAt(`/transfers/${stray}`)()).errorInformation?.errorCode, '3208');
    const big = await fspiop(sw.url, 'POST', '/quotes', 'quotes', OUT, undefined,
      { destination: 'payeefsp1', rawBody: JSON.stringify({ pad: 'x'.repeat(5_300_000) }) });
    assert.equal(big.status, 413);
    assert.equal((big.body as Body).errorInformation?.errorCode, '3100');
  });

  it('fault rules on the switch: an error action answers the source instead of forwarding', async () => {
    const set = await request(`${sw.url}/admin/rules`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body:
      JSON.stringify({ rules: [{ match: { resource: 'quotes' }, action: { type: 'error', errorCode: '2003' }, times: 1 }] }) });
    assert.equal(set.statusCode, 200);
    await set.body.dump();
    const quoteId = rnd.uuid();
    await fspiop(sw.url, 'POST', '/quotes', 'quotes', OUT, {
      quoteId, transactionId: rnd.uuid(), payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '254710000001', fspId:
        'payeefsp1' } },
      payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '15550001', fspId: OUT } }, amountType: 'SEND',
      amount: { currency: 'USD', amount: '1' }, transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    }, { destination: 'payeefsp1' });
    assert.equal((await errorAt(`/quotes/${quoteId}`)()).errorInformation?.errorCode, '2003');
    const bad = await request(`${sw.url}/admin/rules`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body:
      JSON.stringify({ rules: [{ action: { type: 'explode' } }] }) });
    assert.equal(bad.statusCode, 400);
    await bad.body.dump();
    sw.faults.replace([]);
  });

  it('positions over every participant sum to zero once everything settled', async () => {
    await sw.idle();
    const pos = await positions();
    assert.deepEqual(pos.sums, { USD: '0' });
    assert.ok(Object.values(pos.positions).every((c) => c.USD.reservedValue === '0'));
    assert.notEqual(pos.positions[OUT].USD.value, '0');
  });
});
