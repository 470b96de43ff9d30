import assert from 'node:assert/strict';
import { StaticEndpoints } from '../../simulators/als/endpoints';
import { Oracle } from '../../simulators/als/oracle';
import { AlsRouter, OutgoingRequest } from '../../simulators/als/router';

function setup(): { router: AlsRouter; sent: OutgoingRequest[]; oracle: Oracle; problems: string[] } {
  const sent: OutgoingRequest[] = [];
  const problems: string[] = [];
  const oracle = new Oracle([], [{ idType: 'MSISDN', fspId: 'payeefsp1', range: { from: '254710000000', to: '254719999999' } }]);
  const endpoints = new StaticEndpoints();
  endpoints.setBase('payeefsp1', 'http://payee:1');
  endpoints.set('govbank', 'FSPIOP_CALLBACK_URL_PARTIES_PUT', 'http://payer:2/parties/{{partyIdType}}/{{partyIdentifier}}');
  endpoints.set('govbank', 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', 'http://payer:2/parties/{{partyIdType}}/{{partyIdentifier}}/error');
  endpoints.set('govbank', 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT', 'http://payer:2/participants/{{partyIdType}}/{{partyIdentifier}}');
  endpoints.set('govbank', 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR',
    'http://payer:2/participants/{{partyIdType}}/{{partyIdentifier}}/error');
  endpoints.set('govbank', 'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT', 'http://payer:2/participants/{{requestId}}');
  const router = new AlsRouter({
    oracle, endpoints, describe: (c) => `desc ${c}`, onProblem: (w) => problems.push(w),
    send: async (r) => { sent.push(r); },
  });
  return { router, sent, oracle, problems };
}

describe('ALS routing', () => {
  it('forwards a lookup to the owning FSP and routes its answer back to the requester', async () => {
    const { router, sent } = setup();
    const p = { idType: 'MSISDN', idValue: '254710000001' };
    await router.getParty('govbank', p, { 'fspiop-source': 'govbank' });
    assert.equal(sent[0].method, 'GET');
    assert.equal(sent[0].url, 'http://payee:1/parties/MSISDN/254710000001');
    assert.equal(sent[0].destination, 'payeefsp1');
    assert.equal(sent[0].source, 'govbank');
    await router.putParty('payeefsp1', 'govbank', p, { party: {} }, false, {});
    assert.equal(sent[1].url, 'http://payer:2/parties/MSISDN/254710000001');
    await router.putParty('payeefsp1', 'govbank', p, { errorInformation: {} }, true, {});
    assert.equal(sent[2].url, 'http://payer:2/parties/MSISDN/254710000001/error');
  });

  it('unknown party: 3204 error callback to the requester; unreachable FSP: 1001', async () => {
    const { router, sent } = setup();
    await router.getParty('govbank', { idType: 'MSISDN', idValue: '1' }, {});
    assert.equal(sent[0].url, 'http://payer:2/parties/MSISDN/1/error');
    assert.equal((sent[0].body as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '3204');
    const failing = new AlsRouter({
      oracle: new Oracle([{ idType: 'MSISDN', idValue: '2', fspId: 'payeefsp1' }]),
      endpoints: (router as unknown as { o: { endpoints: StaticEndpoints } }).o.endpoints,
      describe: (c) => c,
      send: async (r) => { if (r.method === 'GET') throw new Error('ECONNREFUSED'); sent.push(r); },
    });
    await failing.getParty('govbank', { idType: 'MSISDN', idValue: '2' }, {});
    assert.equal((sent[1].body as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '1001');
    // an FSP the oracle names but that has no endpoints: 3201
    (router as unknown as { o: { oracle: Oracle } }).o.oracle.set('MSISDN', '3', 'ghostfsp');
    await router.getParty('govbank', { idType: 'MSISDN', idValue: '3' }, {});
    assert.equal((sent[2].body as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '3201');
  });

  it('participants: register, look up, delete (owner only), batch with per-party errors', async () => {
    const { router, sent, oracle } = setup();
    const p = { idType: 'MSISDN', idValue: '999' };
    await router.postParticipant('govbank', p, { fspId: 'govbank' });
    assert.equal(oracle.lookup('MSISDN', '999'), 'govbank');
    assert.deepEqual(sent[0].body, { fspId: 'govbank' });
    assert.equal(sent[0].url, 'http://payer:2/participants/MSISDN/999');
    await router.postParticipant('govbank', { idType: 'MSISDN', idValue: '998' }, { fspId: 'payeefsp1' });
    assert.equal(sent[1].url, 'http://payer:2/participants/MSISDN/998/error');
    await router.getParticipant('govbank', { idType: 'MSISDN', idValue: '254710000009' });
    assert.deepEqual(sent[2].body, { fspId: 'payeefsp1' });
    await router.deleteParticipant('govbank', p);
    assert.equal(oracle.lookup('MSISDN', '999'), undefined);
    await router.getParticipant('govbank', p);
    assert.match(sent[4].url, /\/error$/);
    await router.postParticipantsBatch('govbank', {
      requestId: 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff',
      partyList: [{ partyIdType: 'MSISDN', partyIdentifier: '5' }, { partyIdType: 'MSISDN', partyIdentifier: '6', fspId: 'other' }],
    });
    const batch = sent[5];
    assert.equal(batch.url, 'http://payer:2/participants/f0e1d2c3-b4a5-4697-8899-aabbccddeeff');
    const list = (batch.body as { partyList: Array<{ errorInformation?: unknown }> }).partyList;
    assert.equal(list.length, 2);
    assert.equal(list[0].errorInformation, undefined);
    assert.ok(list[1].errorInformation);
    assert.equal(oracle.lookup('MSISDN', '5'), 'govbank');
  });
});
