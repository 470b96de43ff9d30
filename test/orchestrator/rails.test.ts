/**
 * Rail adapters against small fake servers: the answers a payer DFSP or PIL may give that the simulated world does
 * not (whole-call errors, peers that do not answer), mapped to item results. The SDK's bulk transactions protocol:
 * sdk-bulk-transactions.test.ts.
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

  before(async () => {
    server = Hapi.server({ port: 0, host: '127.0.0.1' });
    server.route({ method: 'POST', path: '/disbursement', handler: (_req, h) =>
      h.response({ errorInformation: { errorCode: '2003', errorDescription: 'Service currently unavailable' } }).code(503) });
    server.route({ method: 'GET', path: '/disbursement/{id}', handler: (_req, h) =>
      h.response({ errorInformation: { errorCode: '3200', errorDescription: 'not found' } }).code(404) });
    await server.start();
    url = `http://127.0.0.1:${server.info.port}`;
  });
  after(async () => server.stop());

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
    slow.route({ method: 'POST', path: '/bulkQuotes', handler: async () => { await held; return {}; } });
    await slow.start();
    const rail = new MojaloopSdkRail({ sdkUrl: `http://127.0.0.1:${slow.info.port}`, mode: 'bulkQuotesTransfers', timeoutMs: 200 });
    await assert.rejects(rail.quote(group(1)), (e: unknown) => e instanceof RailCallError && e.transient && e.errorCode === '2004');
    release();
    await rail.close();
    await slow.stop();
  });
});
