/**
 * The FSPIOP client: headers it sends, and the four outcomes of a request (success callback, error callback,
 * no callback in time, request refused), against a peer played by a small hapi server in process.
 */
import assert from 'node:assert/strict';
import Hapi from '@hapi/hapi';
import { callbackKey, FspiopClient } from '../../simulators/fspiop/client';
import { checkHeaders } from '../../simulators/fspiop/headers';

interface Seen { method: string; path: string; headers: Record<string, string>; body: unknown }

describe('fspiop/client FspiopClient', () => {
  let server: Hapi.Server;
  let url = '';
  const seen: Seen[] = [];
  let client: FspiopClient;
  /** What the peer does with the next request. */
  let behave: (s: Seen) => { status: number; body?: unknown; after?: () => void } = () => ({ status: 202 });

  before(async () => {
    server = Hapi.server({ port: 0, host: '127.0.0.1' });
    server.route({
      method: '*', path: '/{any*}',
      handler: (req, h) => {
        const s: Seen = { method: req.method.toUpperCase(), path: req.path, headers: req.headers as Record<string, string>, body:
          req.payload };
        seen.push(s);
        const b = behave(s);
        if (b.after) setImmediate(b.after);
        return b.body === undefined ? h.response().code(b.status) : h.response(b.body as object).code(b.status);
      },
    });
    await server.start();
    url = `http://127.0.0.1:${server.info.port}`;
  });

  beforeEach(() => {
    seen.length = 0;
    client = new FspiopClient({ fspId: 'govbank' });
  });
  afterEach(async () => client.close());
  after(async () => server.stop());

  it('sends FSPIOP headers the peer accepts and resolves with the success callback body', async () => {
    const key = callbackKey('quotes', 'q-1');
    behave = () => ({ status: 202, after: () => client.deliver(key, false, { transferAmount: { currency: 'USD', amount: '1' } }) });
    const o = await client.request({ method: 'POST', baseUrl: url, path: '/quotes', resource: 'quotes', destination: 'payeefsp1', body:
      { quoteId: 'q-1' }, key, timeoutMs: 2000 });
    assert.equal(o.kind, 'success');
    assert.deepEqual(o.kind === 'success' && o.body, { transferAmount: { currency: 'USD', amount: '1' } });
    const h = seen[0].headers;
    assert.equal(h['content-type'], 'application/vnd.interoperability.quotes+json;version=1.1');
    assert.equal(h.accept, 'application/vnd.interoperability.quotes+json;version=1');
    assert.equal(h['fspiop-source'], 'govbank');
    assert.equal(h['fspiop-destination'], 'payeefsp1');
    assert.ok(!Number.isNaN(Date.parse(h.date)));
    assert.equal(checkHeaders(h, 'quotes', { hasBody: true, isCallback: false, requireDestination: true }), undefined);
    assert.equal(client.pending, 0);
  });

  it('a callback that beats the 202 is not lost', async () => {
    const key = callbackKey('transfers', 't-1');
    behave = () => {
      client.deliver(key, false, { transferState: 'COMMITTED' });
      return { status: 202 };
    };
    const o = await client.request({ method: 'POST', baseUrl: url, path: '/transfers', resource: 'transfers', body: {}, key, timeoutMs:
      2000 });
    assert.equal(o.kind, 'success');
  });

  it('an error callback resolves with its errorInformation', async () => {
    const key = callbackKey('parties', 'MSISDN', '123');
    behave = () => ({ status: 202, after: () => client.deliver(key, true,
      { errorInformation: { errorCode: '3204', errorDescription: 'Party not found' } }) });
    const o = await client.request({ method: 'GET', baseUrl: url, path: '/parties/MSISDN/123', resource: 'parties', key, timeoutMs: 2000 });
    assert.deepEqual(o, { kind: 'error', errorInformation: { errorCode: '3204', errorDescription: 'Party not found' } });
    assert.equal(seen[0].headers['fspiop-destination'], undefined);
    // the v1.1 API lists Content-Type as a required header on GET too
    assert.equal(seen[0].headers['content-type'], 'application/vnd.interoperability.parties+json;version=1.1');
  });

  it('no callback within the timeout resolves as a timeout, and a late callback is handed to onUnmatched', async () => {
    const key = callbackKey('transfers', 't-late');
    behave = () => ({ status: 202 });
    const late: string[] = [];
    client.onUnmatched = (k) => late.push(k);
    const o = await client.request({ method: 'POST', baseUrl: url, path: '/transfers', resource: 'transfers', body: {}, key, timeoutMs:
      50 });
    assert.equal(o.kind, 'timeout');
    assert.equal(client.deliver(key, false, { transferState: 'COMMITTED' }), false);
    assert.deepEqual(late, [key]);
  });

  it('a refused request resolves as rejected with the status and the peer error; no peer at all is status 0', async () => {
    behave = () => ({ status: 400, body: { errorInformation: { errorCode: '3101', errorDescription: 'Malformed syntax' } } });
    const o = await client.request({ method: 'POST', baseUrl: url, path: '/quotes', resource: 'quotes', body: {}, key: 'quotes/x',
      timeoutMs: 2000 });
    assert.equal(o.kind, 'rejected');
    assert.equal(o.kind === 'rejected' && o.status, 400);
    assert.equal(o.kind === 'rejected' && o.errorInformation?.errorCode, '3101');
    const none = await client.request({ method: 'POST', baseUrl: 'http://127.0.0.1:1', path: '/quotes', resource: 'quotes', body: {}, key:
      'quotes/y', timeoutMs: 2000 });
    assert.equal(none.kind, 'rejected');
    assert.equal(none.kind === 'rejected' && none.status, 0);
    assert.equal(client.pending, 0);
  });

  it('every waiter on the same key gets the callback (two lookups of one party)', async () => {
    const key = callbackKey('parties', 'MSISDN', '555');
    let n = 0;
    behave = () => ({ status: 202, after: () => { if (++n === 2) client.deliver(key, false,
      { party: { partyIdInfo: { fspId: 'p' } } }); } });
    const [a, b] = await Promise.all([0, 1].map(() => client.request({ method: 'GET', baseUrl: url, path: '/parties/MSISDN/555', resource:
      'parties', key, timeoutMs: 2000 })));
    assert.equal(a.kind, 'success');
    assert.equal(b.kind, 'success');
  });
});
