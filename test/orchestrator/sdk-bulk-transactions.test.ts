/**
 * The bulkTransactions mode against a scripted SDK: POST answered 202, backend prompts delivered to the rail as the
 * SDK sends them, acceptances recorded. Money may move only under transfer ids stored first; what was never accepted
 * is safe to send again; what may have been accepted is asked about, never resent.
 */
import { strict as assert } from 'node:assert';
import Hapi from '@hapi/hapi';
import { MojaloopSdkRail } from '../../orchestrator/rails/mojaloop-sdk';
import type { ItemResult, RailGroup, RailIds } from '../../orchestrator/rails/port';
import { ErrorCode } from '../../shared/fspiop-errors';
import { request } from 'undici';
import { startOrchestrator } from '../../orchestrator/index';
import { tmpDataDir } from '../support/tmp';

type Obj = Record<string, unknown>;

function group(n: number, extra: Partial<RailGroup> = {}): RailGroup {
  return {
    id: 'b1f0f3a4-3d0e-4a8e-9a55-0d2c6c1c0001', batchId: 'batch', currency: 'USD', payer: { idType: 'ACCOUNT_ID', idValue: 'treasury' },
    items: Array.from({ length: n }, (_, i) => ({ transferId: `t-${i}`, reference: String(i), payeeIdType: 'MSISDN', payeeIdValue:
      `2547100000${i}`, amount: '10', currency: 'USD' })),
    ...extra,
  };
}

const party = (i: number): Obj => ({ partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: `2547100000${i}`, fspId: 'payeefsp1' } });
const quote = (fee: string): Obj => ({ quoteId: `q-${fee}`, transferAmount: { currency: 'USD', amount: '10' }, payeeReceiveAmount:
  { currency: 'USD', amount: String(10 - Number(fee)) }, payeeFspFee: { currency: 'USD', amount: fee }, ilpPacket: 'AYIB', condition:
  'c'.repeat(43) });
const error = (code: string, description: string): Obj => ({ httpStatusCode: 500, mojaloopError: { errorInformation: { errorCode: code,
  errorDescription: description } } });

interface Script {
  onPost?: (body: Obj) => void;
  onPut?: (id: string, body: { individualTransfers: Obj[] }) => void;
  transfer?: (id: string) => { status: number; body: Obj };
  holdPost?: Promise<void>;
}

describe('mojaloop-sdk rail, bulkTransactions mode (scripted SDK)', () => {
  let server: Hapi.Server;
  let url: string;
  let script: Script = {};
  const posts: Obj[] = [];
  const puts: Array<{ id: string; body: { individualTransfers: Obj[] } }> = [];
  const gets: string[] = [];

  before(async () => {
    server = Hapi.server({ port: 0, host: '127.0.0.1' });
    server.route({ method: 'POST', path: '/bulkTransactions', handler: async (req, h) => {
      const body = req.payload as Obj;
      posts.push(body);
      if (script.holdPost) await script.holdPost;
      setImmediate(() => script.onPost?.(body));
      return h.response({ bulkTransactionId: body.bulkTransactionId }).code(202);
    } });
    server.route({ method: 'PUT', path: '/bulkTransactions/{id}', handler: (req, h) => {
      const body = req.payload as { individualTransfers: Obj[] };
      const id = String(req.params.id);
      puts.push({ id, body });
      setImmediate(() => script.onPut?.(id, body));
      return h.response().code(202);
    } });
    server.route({ method: 'GET', path: '/transfers/{id}', handler: (req, h) => {
      const id = String(req.params.id);
      gets.push(id);
      const r = script.transfer?.(id) ?? { status: 500, body: { statusCode: '3208', message: 'not found', transferState:
        { lastError: error('3208', 'Transfer ID not found') } } };
      return h.response(r.body).code(r.status);
    } });
    await server.start();
    url = `http://127.0.0.1:${server.info.port}`;
  });
  after(async () => server.stop());
  beforeEach(() => {
    script = {};
    posts.length = 0;
    puts.length = 0;
    gets.length = 0;
  });

  const rail = (o: { timeoutMs?: number; stage?: number; hold?: number } = {}) => new MojaloopSdkRail({ sdkUrl: url, mode:
    'bulkTransactions', timeoutMs: o.timeoutMs ?? 5000, bulkStageTimeoutMs: o.stage ?? 5000, transferHoldMs: o.hold ?? 5000 });

  it('accepts parties and quotes item by item, stores the SDK transfer ids before accepting, declines fees over the limit, and ' +
    'ends with the report', async () => {
    const r = rail();
    const g = group(3, { feeLimit: '1' });
    const stored: Array<{ ids: RailIds[]; putsBefore: number }> = [];
    script.onPost = (body) => r.backendRequest(String(body.bulkTransactionId), { bulkTransactionId: body.bulkTransactionId,
      currentState: 'WAITING_FOR_PARTY_ACCEPTANCE', individualTransferResults: [
        { transferId: 's-0', homeTransactionId: 't-0', to: party(0) },
        { transferId: 's-1', homeTransactionId: 't-1', lastError: error('3204', 'Party not found') },
        { transferId: 's-2', homeTransactionId: 't-2', to: party(2) },
      ] });
    script.onPut = (id, body) => {
      if ('acceptParty' in body.individualTransfers[0]) {
        r.backendRequest(id, { currentState: 'WAITING_FOR_QUOTE_ACCEPTANCE', individualTransferResults: [
          { transferId: 's-0', homeTransactionId: 't-0', to: party(0), quoteResponse: quote('0.5') },
          { transferId: 's-2', homeTransactionId: 't-2', to: party(2), quoteResponse: quote('2') },
        ] });
      } else {
        r.backendRequest(id, { currentState: 'COMPLETED', individualTransferResults: [
          { transferId: 's-0', homeTransactionId: 't-0', to: party(0), quoteResponse: quote('0.5'), fulfil: { transferState: 'COMMITTED' } },
          { transferId: 's-1', homeTransactionId: 't-1', lastError: error('3204', 'Party not found') },
          { transferId: 's-2', homeTransactionId: 't-2', to: party(2), quoteResponse: quote('2'), lastError: error('4100', 'rejected') },
        ] });
      }
    };
    const results = await r.send(g, { storeRailIds: async (ids) => { stored.push({ ids, putsBefore: puts.length }); } });
    await r.close();

    const options = posts[0].options as Obj;
    assert.deepEqual([options.autoAcceptParty, options.autoAcceptQuote], [{ enabled: false }, { enabled: false }]);
    assert.equal(options.synchronous, undefined, 'no simulator extension asked for');
    assert.equal(posts[0].bulkTransactionId, g.id);
    assert.deepEqual(puts.map((p) => p.body.individualTransfers), [
      [{ transferId: 's-0', acceptParty: true }, { transferId: 's-1', acceptParty: false }, { transferId: 's-2', acceptParty: true }],
      [{ transferId: 's-0', acceptQuote: true }, { transferId: 's-2', acceptQuote: false }],
    ]);
    assert.deepEqual(stored, [{ ids: [{ transferId: 't-0', railTransferId: 's-0', fee: '0.5', payeeFsp: 'payeefsp1' }], putsBefore: 1 }],
      'only the accepted id, stored before the quote acceptance left');
    assert.deepEqual(results[0], { transferId: 't-0', outcome: 'completed', amountDebited: '10', amountCredited: '9.5', fee: '0.5',
      railTransferId: 's-0', payeeFsp: 'payeefsp1' });
    assert.deepEqual(pick(results[1]), { outcome: 'failed', errorCode: '3204', newIdSafe: true, railTransferId: undefined });
    assert.deepEqual(pick(results[2]), { outcome: 'failed', errorCode: ErrorCode.PAYER_REJECTION, newIdSafe: true, railTransferId:
      undefined });
    assert.match(String((results[2] as { description: string }).description), /fee 2 above the limit of 1/);
  });

  it('ids that cannot be stored are never accepted: every quote is declined and nothing is reported paid', async () => {
    const r = rail();
    script.onPost = (body) => r.backendRequest(String(body.bulkTransactionId), { currentState: 'WAITING_FOR_QUOTE_ACCEPTANCE',
      individualTransferResults: [{ transferId: 's-0', homeTransactionId: 't-0', to: party(0), quoteResponse: quote('0.5') }] });
    const results = await r.send(group(1), { storeRailIds: () => Promise.reject(new Error('store closed')) });
    await r.close();
    assert.deepEqual(puts.map((p) => p.body.individualTransfers), [[{ transferId: 's-0', acceptQuote: false }]]);
    assert.deepEqual(pick(results[0]), { outcome: 'failed', errorCode: ErrorCode.INTERNAL_SERVER_ERROR, newIdSafe: true, railTransferId: undefined });
  });

  it('declines, item by item, the prompts of a bulk transaction it is not waiting for', async () => {
    const r = rail();
    const declined = new Promise<void>((resolve) => { script.onPut = () => resolve(); });
    r.backendRequest('0b7e1c59-9d55-4d0b-8f0c-3a1c1d2e3f40', { currentState: 'WAITING_FOR_QUOTE_ACCEPTANCE', individualTransferResults: [
      { transferId: 'old-0', homeTransactionId: 'x-0', quoteResponse: quote('0') },
      { transferId: 'old-1', homeTransactionId: 'x-1', quoteResponse: quote('0') }] });
    await declined;
    // A report for it changes nothing and asks nothing.
    r.backendRequest('0b7e1c59-9d55-4d0b-8f0c-3a1c1d2e3f40', { currentState: 'COMPLETED', individualTransferResults: [] });
    await r.close();
    assert.deepEqual(puts, [{ id: '0b7e1c59-9d55-4d0b-8f0c-3a1c1d2e3f40', body: { individualTransfers: [
      { transferId: 'old-0', acceptQuote: false }, { transferId: 'old-1', acceptQuote: false }] } }]);
  });

  it('a POST whose answer is lost fails every item safe to send again under new ids; its late prompt is declined', async () => {
    const r = rail({ timeoutMs: 200 });
    let release!: () => void;
    script.holdPost = new Promise<void>((resolve) => { release = resolve; });
    const results = await r.send(group(2), { storeRailIds: () => assert.fail('nothing to store') });
    assert.deepEqual(results.map(pick), [0, 1].map(() => ({ outcome: 'failed', errorCode: '2004', newIdSafe: true, railTransferId:
      undefined })));
    const declined = new Promise<void>((resolve) => { script.onPut = () => resolve(); });
    script.onPost = (body) => r.backendRequest(String(body.bulkTransactionId), { currentState: 'WAITING_FOR_PARTY_ACCEPTANCE',
      individualTransferResults: [{ transferId: 's-0', homeTransactionId: 't-0', to: party(0) }] });
    release();
    await declined;
    await r.close();
    assert.deepEqual(puts.map((p) => p.body.individualTransfers), [[{ transferId: 's-0', acceptParty: false }]]);
  });

  it('a stage that never ends: items never accepted fail safely, accepted ones are asked about by their stored id', async () => {
    const r = rail({ stage: 300 });
    script.onPost = (body) => r.backendRequest(String(body.bulkTransactionId), { currentState: 'WAITING_FOR_QUOTE_ACCEPTANCE',
      individualTransferResults: [{ transferId: 's-0', homeTransactionId: 't-0', to: party(0), quoteResponse: quote('0.5') }] });
    // No report ever comes.
    const results = await r.send(group(2), { storeRailIds: async () => undefined });
    assert.deepEqual(results[0], { transferId: 't-0', outcome: 'unknown' }, 'accepted: asked about, never failed or resent');
    assert.deepEqual(pick(results[1]), { outcome: 'failed', errorCode: '2004', newIdSafe: true, railTransferId: undefined });
    script.transfer = (id) => ({ status: 200, body: { transferId: id, currentState: 'COMPLETED', fulfil: { body: { transferState:
      'COMMITTED' } } } });
    const g = group(1);
    g.items[0] = { ...g.items[0], railTransferId: 's-0', fee: '0.5' };
    const asked = await r.query(g);
    await r.close();
    assert.deepEqual(gets, ['s-0']);
    assert.deepEqual(asked[0], { transferId: 't-0', outcome: 'completed', amountDebited: '10', amountCredited: '9.5', fee: '0.5',
      railTransferId: 's-0' });
  });

  it('the orchestrator serves the SDK backend endpoint: bad bodies refused in the SDK format, a foreign prompt declined', async () => {
    const dir = tmpDataDir('gpo-sdk-backend-');
    const orch = await startOrchestrator({ port: 0, host: '127.0.0.1', dataDir: dir.path, sdkUrl: url, auth: { mode: 'on' } });
    try {
      assert.equal(orch.sdkBackendUrl, `${orch.url}/sdk-backend`);
      const put = async (id: string, body: string) => {
        const res = await request(`${orch.sdkBackendUrl}/bulkTransactions/${id}`, { method: 'PUT', body, headers:
          { 'content-type': 'application/json' } });
        const text = await res.body.text();
        return { status: res.statusCode, body: text ? JSON.parse(text) as Obj : undefined };
      };
      const id = '0b7e1c59-9d55-4d0b-8f0c-3a1c1d2e3f41';
      const broken = await put(id, '{"currentState": ');
      assert.equal(broken.status, 400);
      assert.equal(broken.body?.statusCode, '3101');
      const shapeless = await put(id, JSON.stringify({ individualTransferResults: [] }));
      assert.deepEqual([shapeless.status, shapeless.body?.statusCode], [400, '3100']);
      const elsewhere = await put(id, JSON.stringify({ bulkTransactionId: 'another', currentState: 'COMPLETED' }));
      assert.deepEqual([elsewhere.status, elsewhere.body?.statusCode], [400, '3100']);
      assert.deepEqual(puts, [], 'nothing was acted on');
      // Without credentials (the SDK sends none), even with authentication on; GPO is not waiting for it: declined.
      const declined = new Promise<void>((resolve) => { script.onPut = () => resolve(); });
      const prompt = await put(id, JSON.stringify({ bulkTransactionId: id, currentState: 'WAITING_FOR_PARTY_ACCEPTANCE',
        individualTransferResults: [{ transferId: 'old-0', homeTransactionId: 'x-0', to: party(0) }] }));
      assert.equal(prompt.status, 200);
      await declined;
      assert.deepEqual(puts, [{ id, body: { individualTransfers: [{ transferId: 'old-0', acceptParty: false }] } }]);
    } finally {
      await orch.stop();
      dir.remove();
    }
  });

  it('recovery: no stored id means never accepted (no call); a stored id the hub never saw is in doubt through the hold, then ' +
    'never sent', async () => {
    const r = rail({ hold: 150 });
    const g = group(2);
    g.items[1] = { ...g.items[1], railTransferId: 's-1' };
    const first = await r.query(g);
    assert.deepEqual(first[0], { transferId: 't-0', outcome: 'unknown' });
    assert.deepEqual(pick(first[1]), { outcome: 'failed', errorCode: '2004', newIdSafe: undefined, railTransferId: 's-1' });
    assert.equal((first[1] as { inDoubt?: boolean }).inDoubt, true);
    // The hold is time itself (the transfer's expiry), not a stand-in for an event.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const later = await r.query(g);
    await r.close();
    assert.deepEqual(later[1], { transferId: 't-1', outcome: 'unknown' });
    assert.deepEqual(gets, ['s-1', 's-1'], 'only the stored id is asked about');
  });
});

function pick(r: ItemResult): Obj {
  const f = r as Obj;
  return { outcome: f.outcome, errorCode: f.errorCode, newIdSafe: f.newIdSafe, railTransferId: f.railTransferId };
}
