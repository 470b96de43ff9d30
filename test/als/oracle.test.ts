import assert from 'node:assert/strict';
import Hapi from '@hapi/hapi';
import { endpointUrl, HubEndpoints, StaticEndpoints } from '../../simulators/als/endpoints';
import { Oracle, OracleError } from '../../simulators/als/oracle';

describe('ALS oracle and endpoints', () => {
  it('maps identifiers explicitly, by range and by pattern; explicit wins', () => {
    const o = new Oracle(
      [{ idType: 'MSISDN', idValue: '254711000005', fspId: 'payeefsp2' }],
      [{ idType: 'MSISDN', fspId: 'payeefsp1', range: { from: '254711000000', to: '254711999999' } },
        { idType: 'ACCOUNT_ID', fspId: 'payeefsp2', pattern: 'ACC[0-9]+' }],
    );
    assert.equal(o.lookup('MSISDN', '254711000005'), 'payeefsp2');
    assert.equal(o.lookup('MSISDN', '254711000006'), 'payeefsp1');
    assert.equal(o.lookup('MSISDN', '254712000006'), undefined);
    assert.equal(o.lookup('ACCOUNT_ID', 'ACC77'), 'payeefsp2');
    assert.equal(o.lookup('ACCOUNT_ID', 'XACC77'), undefined);
    o.set('MSISDN', '1', 'a', 'SUB');
    assert.equal(o.lookup('MSISDN', '1', 'SUB'), 'a');
    assert.equal(o.lookup('MSISDN', '1'), undefined);
    assert.ok(o.delete('MSISDN', '1', 'SUB'));
    assert.throws(() => o.addRules([{ idType: 'MSISDN', fspId: 'x', range: { from: '1', to: '22' } }]), OracleError);
  });

  it('loads a million mappings from CSV text in a few seconds, and refuses a bad file whole', () => {
    const o = new Oracle();
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(`MSISDN,2547${String(i).padStart(8, '0')},payeefsp${(i % 2) + 1}`);
    const text = lines.join('\n');
    const started = process.hrtime.bigint();
    assert.equal(o.loadCsv(text), 1_000_000);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 10_000, `took ${ms} ms`);
    assert.equal(o.lookup('MSISDN', '254700999999'), 'payeefsp2');
    assert.equal(o.size, 1_000_000);
    const fresh = new Oracle();
    assert.throws(() => fresh.loadCsv('MSISDN,1,a\nMSISDN,2\n'), /line 2/);
    assert.equal(fresh.size, 0);
    assert.equal(fresh.loadCsv('# comment\r\nMSISDN,1,SUB,a\r\n\r\n'), 1);
    assert.equal(fresh.lookup('MSISDN', '1', 'SUB'), 'a');
  });

  it('fills central-ledger URL templates and appends standard paths to base URLs', () => {
    const p = { idType: 'MSISDN', idValue: '2547', subId: undefined };
    assert.equal(endpointUrl('http://h:1/parties/{{partyIdType}}/{{partyIdentifier}}', 'FSPIOP_CALLBACK_URL_PARTIES_PUT', p),
      'http://h:1/parties/MSISDN/2547');
    assert.equal(endpointUrl('http://h:1/parties/{{partyIdType}}/{{partyIdentifier}}/error', 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', p),
      'http://h:1/parties/MSISDN/2547/error');
    assert.equal(endpointUrl('http://h:1/', 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', { ...p, subId: 'S' }),
      'http://h:1/parties/MSISDN/2547/S/error');
    assert.equal(endpointUrl('http://h:1/parties/{{partyIdType}}/{{partyIdentifier}}', 'FSPIOP_CALLBACK_URL_PARTIES_GET',
      { ...p, subId: 'S' }), 'http://h:1/parties/MSISDN/2547/S');
    assert.equal(endpointUrl('http://h:1/participants/{{requestId}}', 'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT',
      { ...p, requestId: 'r1' }), 'http://h:1/participants/r1');
    assert.equal(endpointUrl('http://h:1', 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', p), 'http://h:1/participants/MSISDN/2547/error');
  });

  it('static endpoints: a base URL registers every ALS endpoint type', async () => {
    const s = new StaticEndpoints();
    s.setBase('dfsp', 'http://127.0.0.1:9/');
    const eps = await s.endpointsOf('dfsp');
    assert.equal(eps?.get('FSPIOP_CALLBACK_URL_PARTIES_PUT'), 'http://127.0.0.1:9');
    assert.equal(await s.endpointsOf('nobody'), undefined);
  });
});

describe('ALS endpoints read from a hub admin API', () => {
  it('fetches central-ledger style endpoints once, caches them, and answers undefined for unknown participants', async () => {
    let calls = 0;
    const hub = Hapi.server({ port: 0, host: '127.0.0.1' });
    hub.route({
      method: 'GET',
      path: '/participants/{name}/endpoints',
      handler: (req, h) => {
        calls++;
        if (req.params.name !== 'dfsp1') return h.response({ errorInformation:
          { errorCode: '3200', errorDescription: 'Generic ID not found' } }).code(400);
        return [{ type: 'FSPIOP_CALLBACK_URL_PARTIES_GET', value: 'http://x/parties/{{partyIdType}}/{{partyIdentifier}}' }];
      },
    });
    await hub.start();
    const eps = new HubEndpoints(`http://127.0.0.1:${hub.info.port}`);
    try {
      const [a, b] = await Promise.all([eps.endpointsOf('dfsp1'), eps.endpointsOf('dfsp1')]);
      assert.equal(a?.get('FSPIOP_CALLBACK_URL_PARTIES_GET'), 'http://x/parties/{{partyIdType}}/{{partyIdentifier}}');
      assert.equal(a, b);
      await eps.endpointsOf('dfsp1');
      assert.equal(calls, 1);
      assert.equal(await eps.endpointsOf('nobody'), undefined);
    } finally {
      await eps.close();
      await hub.stop();
    }
  });
});
