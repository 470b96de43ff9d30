import assert from 'node:assert/strict';
import { request } from 'undici';
import { RunningAls, startAls } from '../../simulators/als';
import { checkBody } from '../../simulators/payee-dfsp/edge';
import { defaultOracleRules, RunningPayeeDfsp, startPayeeDfsp } from '../../simulators/payee-dfsp';
import { CallbackSink, fspiop, Received, startCallbackSink } from '../network/helpers';

type Body = Record<string, unknown> & { errorInformation?: { errorCode: string } };

describe('ALS simulator over HTTP (with a payee DFSP and an outside requester)', () => {
  let requester: CallbackSink;
  let als: RunningAls;
  let payee: RunningPayeeDfsp;

  before(async () => {
    requester = await startCallbackSink();
    als = await startAls({ port: 0, oracleRules: defaultOracleRules(['payeefsp1']) });
    payee = await startPayeeDfsp({ port: 0, fspId: 'payeefsp1', hubUrl: requester.url, alsUrl: als.url });
    als.endpoints.setBase('payeefsp1', payee.url);
    // the requester registers templates the central-ledger way
    const r = await request(`${als.url}/admin/endpoints/govbank`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ endpoints: [
        { type: 'FSPIOP_CALLBACK_URL_PARTIES_PUT', value: `${requester.url}/parties/{{partyIdType}}/{{partyIdentifier}}` },
        { type: 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', value: `${requester.url}/parties/{{partyIdType}}/{{partyIdentifier}}/error` },
        { type: 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT', value: `${requester.url}/participants/{{partyIdType}}/{{partyIdentifier}}` },
        { type: 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', value:
          `${requester.url}/participants/{{partyIdType}}/{{partyIdentifier}}/error` },
        { type: 'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT', value: `${requester.url}/participants/{{requestId}}` },
      ] }),
    });
    assert.equal(r.statusCode, 200);
    await r.body.dump();
  });
  after(async () => {
    await payee?.stop();
    await als?.stop();
    await requester?.stop();
  });
  beforeEach(() => als.faults.replace([]));
  const at = (path: string) => (r: Received) => r.path === path;

  it('GET /parties: oracle → payee → PUT /parties back to the requester, spec-valid, headers kept', async () => {
    const res = await fspiop(als.url, 'GET', '/parties/MSISDN/254710000002', 'parties', 'govbank');
    assert.equal(res.status, 202);
    const put = await requester.waitFor(at('/parties/MSISDN/254710000002'));
    assert.equal(put.method, 'PUT');
    assert.equal(checkBody('PartiesTypeIDPutResponse', put.body), undefined);
    assert.equal(put.headers['fspiop-source'], 'payeefsp1');
    assert.equal(put.headers['fspiop-destination'], 'govbank');
    assert.equal((put.body as { party: { partyIdInfo: { fspId: string } } }).party.partyIdInfo.fspId, 'payeefsp1');
  });

  it('unknown party: 3204 from the ALS itself; party the oracle maps but the payee lacks: 3204 from the payee', async () => {
    await fspiop(als.url, 'GET', '/parties/MSISDN/999', 'parties', 'govbank');
    const e1 = await requester.waitFor(at('/parties/MSISDN/999/error'));
    assert.equal((e1.body as Body).errorInformation?.errorCode, '3204');
    assert.equal(e1.headers['fspiop-source'], 'switch');
    als.oracle.set('MSISDN', '555', 'payeefsp1');
    await fspiop(als.url, 'GET', '/parties/MSISDN/555', 'parties', 'govbank');
    const e2 = await requester.waitFor(at('/parties/MSISDN/555/error'));
    assert.equal((e2.body as Body).errorInformation?.errorCode, '3204');
    assert.equal(e2.headers['fspiop-source'], 'payeefsp1');
  });

  it('participants API: POST, GET, DELETE and batch, with callbacks', async () => {
    await fspiop(als.url, 'POST', '/participants/MSISDN/700', 'participants', 'govbank', { fspId: 'govbank', currency: 'USD' });
    assert.deepEqual((await requester.waitFor(at('/participants/MSISDN/700'))).body, { fspId: 'govbank' });
    assert.equal(als.oracle.lookup('MSISDN', '700'), 'govbank');
    await fspiop(als.url, 'GET', '/participants/MSISDN/254710000077', 'participants', 'govbank');
    assert.deepEqual((await requester.waitFor(at('/participants/MSISDN/254710000077'))).body, { fspId: 'payeefsp1' });
    await fspiop(als.url, 'DELETE', '/participants/MSISDN/700', 'participants', 'govbank');
    await requester.waitForCount(at('/participants/MSISDN/700'), 2);
    assert.equal(als.oracle.lookup('MSISDN', '700'), undefined);
    const requestId = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
    await fspiop(als.url, 'POST', '/participants', 'participants', 'govbank', {
      requestId, partyList: [{ partyIdType: 'MSISDN', partyIdentifier: '701' },
        { partyIdType: 'MSISDN', partyIdentifier: '702', fspId: 'govbank' }],
    });
    const batch = await requester.waitFor(at(`/participants/${requestId}`));
    assert.equal((batch.body as { partyList: unknown[] }).partyList.length, 2);
    assert.equal(als.oracle.lookup('MSISDN', '702'), 'govbank');
  });

  it('admin: bulk-loads mappings as CSV and JSON, refuses bad input without loading', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `MSISDN,3000${String(i).padStart(6, '0')},payeefsp1`).join('\n');
    const res = await request(`${als.url}/admin/oracle/csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: lines });
    assert.equal(res.statusCode, 201);
    assert.equal(((await res.body.json()) as { loaded: number }).loaded, 50_000);
    const before = als.oracle.size;
    const bad = await request(`${als.url}/admin/oracle/csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body:
      'MSISDN,1,a\nbroken' });
    assert.equal(bad.statusCode, 400);
    await bad.body.dump();
    assert.equal(als.oracle.size, before);
    const json = await request(`${als.url}/admin/oracle`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entries: [{ idType: 'ACCOUNT_ID', idValue: 'X1', fspId: 'payeefsp1' }], rules:
        [{ idType: 'EMAIL', pattern: '.*@example.org', fspId: 'payeefsp1' }] }),
    });
    assert.equal(json.statusCode, 201);
    await json.body.dump();
    assert.equal(als.oracle.lookup('EMAIL', 'a@example.org'), 'payeefsp1');
  });

  it('bad input and faults: 3102 without FSPIOP-Source, 406 wrong version, fault error code, no callback', async () => {
    const r1 = await fspiop(als.url, 'GET', '/parties/MSISDN/1', 'parties', 'govbank', undefined, { headers: { 'fspiop-source': '' } });
    assert.equal(r1.status, 400);
    assert.equal((r1.body as Body).errorInformation?.errorCode, '3102');
    const r2 = await fspiop(als.url, 'GET', '/parties/MSISDN/1', 'parties', 'govbank', undefined,
      { headers: { accept: 'application/vnd.interoperability.parties+json;version=3' } });
    assert.equal(r2.status, 406);
    const r3 = await fspiop(als.url, 'PUT', '/parties/MSISDN/1', 'parties', 'payeefsp1', { party: 'nope' }, { destination: 'govbank' });
    assert.equal(r3.status, 400);
    als.faults.replace([{ match: { resource: 'parties', partyId: '^254710000003$' }, action: { type: 'error', errorCode: '2003' } }]);
    await fspiop(als.url, 'GET', '/parties/MSISDN/254710000003', 'parties', 'govbank');
    assert.equal(((await requester.waitFor(at('/parties/MSISDN/254710000003/error'))).body as Body).errorInformation?.errorCode, '2003');
    als.faults.replace([{ match: { resource: 'parties' }, action: { type: 'noCallback' } }]);
    await fspiop(als.url, 'GET', '/parties/MSISDN/254710000004', 'parties', 'govbank');
    await als.idle();
    assert.equal(requester.received.filter((r) => r.path.startsWith('/parties/MSISDN/254710000004')).length, 0);
    assert.ok(als.violations.length >= 3);
  });
});
