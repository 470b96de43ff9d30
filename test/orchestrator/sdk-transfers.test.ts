/**
 * The two-phase transfers mode against a scripted SDK outbound API: ids stored before acceptance, the fee check,
 * what a 504 means before and after acceptance, lost answers held until the quote expiry, and an SDK that accepts
 * quotes by itself.
 */
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MojaloopSdkRail } from '../../orchestrator/rails/mojaloop-sdk';
import type { ItemResult, RailGroup, RailIds, RailMemory } from '../../orchestrator/rails/port';

type Handler = (method: string, path: string, body: Record<string, unknown>) => { status: number; body?: unknown } | 'hang';

interface FakeSdk {
  url: string;
  calls: Array<{ method: string; path: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

async function fakeSdk(handler: Handler): Promise<FakeSdk> {
  const calls: FakeSdk['calls'] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (d: Buffer) => { text += d.toString(); });
    req.on('end', () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      calls.push({ method: req.method!, path: req.url!, body });
      const out = handler(req.method!, req.url!, body);
      if (out === 'hang') {
        hanging.push(res);
        return;
      }
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(out.body === undefined ? '' : JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`, calls,
    close: () => new Promise<void>((r) => { hanging.forEach((h) => h.destroy()); server.close(() => r()); }),
  };
}

const quote = (fee = '0') => ({ body: { transferAmount: { currency: 'USD', amount: '10' }, payeeFspFee: { currency: 'USD', amount: fee },
  payeeReceiveAmount: { currency: 'USD', amount: '10' } }, headers: {} });

function group(n: number, feeLimit?: string): RailGroup {
  return {
    id: 'g1', batchId: 'b1', currency: 'USD', payer: { idType: 'ACCOUNT_ID', idValue: 'treasury' }, fsp: 'payeefsp1',
    ...(feeLimit ? { feeLimit } : {}),
    items: Array.from({ length: n }, (_, i) => ({ transferId: `home-${i}`, reference: `r${i}`, payeeIdType: 'MSISDN', payeeIdValue:
      `2547100000${i}`, payeeFsp: 'payeefsp1', amount: '10', currency: 'USD' })),
  };
}

function memory(): RailMemory & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return { data, get: async (k) => data.get(k), set: async (k, v) => { data.set(k, v); } };
}

describe('transfers mode, two-phase (scripted SDK)', function () {
  this.timeout(20_000);
  let sdk: FakeSdk | undefined;
  let rail: MojaloopSdkRail | undefined;
  afterEach(async () => {
    await rail?.close();
    await sdk?.close();
    rail = undefined;
    sdk = undefined;
  });

  function makeRail(holdMs = 200, timeoutMs = 2000, mem: RailMemory = memory()): MojaloopSdkRail {
    rail = new MojaloopSdkRail({ sdkUrl: sdk!.url, mode: 'transfers', timeoutMs, transferHoldMs: holdMs, memory: mem });
    return rail;
  }

  it('stores the SDK ids (and fees) before any acceptance; accepts within the fee limit, declines above it', async () => {
    let accepted = 0;
    sdk = await fakeSdk((method, path, body) => {
      if (method === 'POST') return { status: 200, body: { transferId: `sdk-${body.homeTransactionId}`, currentState:
        'WAITING_FOR_QUOTE_ACCEPTANCE', quoteResponse: quote(body.homeTransactionId === 'home-1' ? '2' : '0.5') } };
      accepted++;
      return body.acceptQuote ? { status: 200, body: { transferId: path.split('/')[2], currentState: 'COMPLETED', fulfil:
        { body: { transferState: 'COMMITTED' } } } } : { status: 200, body: { currentState: 'ERROR_OCCURRED' } };
    });
    const stored: RailIds[] = [];
    const results = await makeRail().send(group(3, '1'), { storeRailIds: async (ids) =>
      { assert.equal(accepted, 0, 'nothing accepted before the ids are stored'); stored.push(...ids); } });
    assert.deepEqual(stored.map((s) => [s.transferId, s.railTransferId, s.fee]),
      [['home-0', 'sdk-home-0', '0.5'], ['home-1', 'sdk-home-1', '2'], ['home-2', 'sdk-home-2', '0.5']]);
    assert.deepEqual(results.map((r) => r.outcome), ['completed', 'failed', 'completed']);
    assert.equal((results[0] as Extract<ItemResult, { outcome: 'completed' }>).railTransferId, 'sdk-home-0');
    assert.equal((results[1] as Extract<ItemResult, { outcome: 'failed' }>).errorCode, '4100');
    assert.deepEqual(sdk.calls.filter((c) => c.method === 'PUT').map((c) => c.body),
      [{ acceptQuote: true }, { acceptQuote: false }, { acceptQuote: true }]);
    assert.deepEqual(rail!.warnings(), []);
  });

  it('ids that cannot be stored are never accepted', async () => {
    sdk = await fakeSdk((method, _p, body) => (method === 'POST' ? { status: 200, body:
      { transferId: `sdk-${body.homeTransactionId}`, currentState: 'WAITING_FOR_QUOTE_ACCEPTANCE', quoteResponse: quote() } }
        : { status: 500 }));
    await assert.rejects(makeRail().send(group(2), { storeRailIds: async () => { throw new Error('disk full'); } }), /disk full/);
    assert.equal(sdk.calls.filter((c) => c.method === 'PUT').length, 0);
  });

  it('a 504 after acceptance is in doubt and asked with GET, never resent; a 504 before it is a failure safe to retry', async () => {
    sdk = await fakeSdk((method, path, body) => {
      if (method === 'POST' && body.homeTransactionId === 'home-1') return { status: 504, body:
        { statusCode: '504', message: 'Timeout requesting quote', transferState:
          { transferId: 'sdk-q', currentState: 'ERROR_OCCURRED' } } };
      if (method === 'POST') return { status: 200, body: { transferId: 'sdk-0', currentState: 'WAITING_FOR_QUOTE_ACCEPTANCE', quoteResponse:
        quote() } };
      if (method === 'PUT') return { status: 504, body: { statusCode: '504', message: 'Timeout waiting for fulfil for transfer sdk-0',
        transferState: { transferId: 'sdk-0', currentState: 'ERROR_OCCURRED', quoteResponse: quote() } } };
      return { status: 200, body: { transferId: path.split('/')[2], currentState: 'COMPLETED', fulfil:
        { body: { transferState: 'COMMITTED' } } } };
    });
    const r = makeRail();
    const results = await r.send(group(2), { storeRailIds: async () => undefined });
    const [a, b] = results as Array<Extract<ItemResult, { outcome: 'failed' }>>;
    assert.equal(a.inDoubt, true);
    assert.equal(a.railTransferId, 'sdk-0');
    assert.equal(b.inDoubt, undefined);
    assert.equal(b.newIdSafe, true);
    assert.equal(b.transient, true);
    const asked = await r.query({ ...group(1), items: [{ ...group(1).items[0], railTransferId: 'sdk-0', fee: '0' }] });
    assert.equal(asked[0].outcome, 'completed');
    assert.deepEqual(sdk.calls.map((c) => `${c.method} ${c.path}`).filter((c) => c.startsWith('GET')), ['GET /transfers/sdk-0']);
    assert.equal(sdk.calls.filter((c) => c.method === 'POST').length, 2, 'nothing re-POSTed');
  });

  it('a POST whose answer was lost is held until the quote expiry, then reported never sent; 3208 for a stored id likewise', async () => {
    let lose = true;
    sdk = await fakeSdk((method, path, body) => {
      if (method === 'POST' && lose) return 'hang';
      if (method === 'POST') return { status: 200, body: { transferId: `sdk-${body.homeTransactionId}`, currentState:
        'WAITING_FOR_QUOTE_ACCEPTANCE', quoteResponse: quote() } };
      if (method === 'GET') return { status: 500, body: { statusCode: '3208', transferState:
        { transferId: path.split('/')[2], currentState: 'ERROR_OCCURRED', lastError:
          { mojaloopError: { errorInformation: { errorCode: '3208', errorDescription: 'not found' } } } } } };
      return { status: 200, body: { currentState: 'COMPLETED', fulfil: { body: { transferState: 'COMMITTED' } } } };
    });
    const r = makeRail(300, 300);
    // First learn that this SDK waits for acceptance (an answer that stopped), then lose one.
    lose = false;
    await r.send(group(1), { storeRailIds: async () => undefined });
    lose = true;
    const [lost] = await r.send(group(1), { storeRailIds: async () => undefined });
    assert.equal(lost.outcome === 'failed' && lost.inDoubt, true);
    const g = group(1);
    assert.equal((await r.query(g))[0].outcome, 'failed', 'still held');
    const deadline = Date.now() + 5000;
    let outcome = '';
    while (outcome !== 'unknown' && Date.now() < deadline) {
      outcome = (await r.query(g))[0].outcome;
      if (outcome !== 'unknown') await new Promise((x) => setTimeout(x, 50));
    }
    assert.equal(outcome, 'unknown', 'never accepted and expired: safe to send again');
    const withId = { ...g, items: [{ ...g.items[0], railTransferId: 'sdk-x' }] };
    assert.equal((await r.query(withId))[0].outcome, 'failed', '3208: held first');
  });

  it('an SDK that never stops for acceptance is reported, remembered, and its lost answers are held for an operator', async () => {
    sdk = await fakeSdk((method, _p, body) => (body.homeTransactionId === 'home-0' && method === 'POST'
      ? { status: 200, body: { transferId: 'sdk-auto', currentState: 'COMPLETED', quoteResponse: quote(), fulfil:
        { body: { transferState: 'COMMITTED' } } } }
      : 'hang'));
    const mem = memory();
    const r = makeRail(50, 300, mem);
    const results = await r.send(group(2), { storeRailIds: async () => undefined });
    assert.equal(results[0].outcome, 'completed');
    assert.match(r.warnings().join(' '), /AUTO_ACCEPT_QUOTES=false/);
    assert.deepEqual([...mem.data.values()], ['auto']);
    const held = await r.query({ ...group(2), items: [group(2).items[1]] });
    assert.equal(held[0].outcome === 'failed' && held[0].inDoubt, true, 'never reported as never sent');
    assert.match((held[0] as Extract<ItemResult, { outcome: 'failed' }>).description, /operator/);
    // A restarted rail remembers it.
    await r.close();
    rail = new MojaloopSdkRail({ sdkUrl: sdk.url, mode: 'transfers', timeoutMs: 300, transferHoldMs: 50, memory: mem });
    await rail.query({ ...group(1), items: [] });
    assert.match(rail.warnings().join(' '), /AUTO_ACCEPT_QUOTES/);
  });
});
