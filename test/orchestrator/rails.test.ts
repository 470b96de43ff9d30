/**
 * Rail adapters against small fake servers: the answers a payer DFSP or PIL may give that the simulated world does
 * not (202 then polling, items still in flight, whole-call errors), mapped to item results.
 */
import { strict as assert } from 'node:assert';
import Hapi from '@hapi/hapi';
import { MojaloopSdkRail } from '../../orchestrator/rails/mojaloop-sdk';
import { PilRail } from '../../orchestrator/rails/pil';
import { RailCallError, type RailGroup } from '../../orchestrator/rails/port';

function group(n: number): RailGroup {
  return {
    id: 'b1f0f3a4-3d0e-4a8e-9a55-0d2c6c1c0001', batchId: 'batch', currency: 'USD', payer: { idType: 'ACCOUNT_ID', idValue: 'treasury' },
    items: Array.from({ length: n }, (_, i) => ({ transferId: `t-${i}`, reference: String(i), payeeIdType: 'MSISDN', payeeIdValue:
      `2547100000${i}`, amount: '10', currency: 'USD' })),
  };
}

describe('rail adapters (fake servers)', () => {
  let server: Hapi.Server;
  let url: string;
  let polls = 0;
  const posted: unknown[] = [];

  before(async () => {
    server = Hapi.server({ port: 0, host: '127.0.0.1' });
    server.route({ method: 'POST', path: '/bulkTransactions', handler: (req, h) =>
      { posted.push(req.payload); return h.response({ bulkTransactionId:
        (req.payload as { bulkTransactionId: string }).bulkTransactionId }).code(202); } });
    server.route({
      method: 'GET', path: '/bulkTransactions/{id}',
      handler: () => {
        polls++;
        const done = polls >= 3;
        return {
          bulkTransactionId: 'x', currentState: done ? 'COMPLETED' : 'PROCESSING',
          individualTransferResults: [
            { homeTransactionId: 't-0', to: { partyIdInfo: { fspId: 'payeefsp1' } }, transferState: done ? 'COMMITTED' : undefined,
              quoteResponse: { transferAmount: { amount: '10', currency: 'USD' }, payeeReceiveAmount: { amount: '9.5', currency: 'USD' },
                payeeFspFee: { amount: '0.5', currency: 'USD' } } },
            { homeTransactionId: 't-1', lastError: { httpStatusCode: 500, mojaloopError:
              { errorInformation: { errorCode: '3204', errorDescription: 'Party not found' } } } },
          ],
        };
      },
    });
    server.route({ method: 'POST', path: '/disbursement', handler: (_req, h) =>
      h.response({ errorInformation: { errorCode: '2003', errorDescription: 'Service currently unavailable' } }).code(503) });
    server.route({ method: 'GET', path: '/disbursement/{id}', handler: (_req, h) =>
      h.response({ errorInformation: { errorCode: '3200', errorDescription: 'not found' } }).code(404) });
    await server.start();
    url = `http://127.0.0.1:${server.info.port}`;
  });
  after(async () => server.stop());

  it('bulkTransactions: a 202 is followed by polling until every item has an outcome', async () => {
    const rail = new MojaloopSdkRail({ sdkUrl: url, mode: 'bulkTransactions', timeoutMs: 5000 });
    const g = group(2);
    g.feeLimit = '1';
    const results = await rail.send(g);
    await rail.close();
    assert.ok(polls >= 3);
    assert.deepEqual(results[0], { transferId: 't-0', outcome: 'completed', amountDebited: '10', amountCredited: '9.5', fee: '0.5',
      payeeFsp: 'payeefsp1' });
    assert.equal(results[1].outcome, 'failed');
    assert.equal(results[1].outcome === 'failed' && results[1].errorCode, '3204');
    const body = posted[0] as { options: { autoAcceptQuote: { perTransferFeeLimits: unknown }; synchronous: boolean };
      individualTransfers: Array<{ homeTransactionId: string }> };
    assert.deepEqual(body.options.autoAcceptQuote.perTransferFeeLimits, [{ currency: 'USD', amount: '1' }]);
    assert.deepEqual(body.individualTransfers.map((t) => t.homeTransactionId), ['t-0', 't-1']);
  });

  it('pil: a 503 is a transient whole-call failure; an unknown disbursement is "never seen"', async () => {
    const rail = new PilRail(url, 2000);
    await assert.rejects(rail.send(group(1)), (e: unknown) => e instanceof RailCallError && e.transient && e.errorCode === '2003');
    const q = await rail.query(group(2));
    assert.deepEqual(q.map((r) => r.outcome), ['unknown', 'unknown']);
    await rail.close();
  });

  it('a peer that does not answer in time is a transient 2004', async () => {
    const slow = Hapi.server({ port: 0, host: '127.0.0.1' });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    slow.route({ method: 'POST', path: '/bulkTransactions', handler: async () => { await held; return {}; } });
    await slow.start();
    const rail = new MojaloopSdkRail({ sdkUrl: `http://127.0.0.1:${slow.info.port}`, mode: 'bulkTransactions', timeoutMs: 200 });
    await assert.rejects(rail.send(group(1)), (e: unknown) => e instanceof RailCallError && e.transient && e.errorCode === '2004');
    release();
    await rail.close();
    await slow.stop();
  });
});
