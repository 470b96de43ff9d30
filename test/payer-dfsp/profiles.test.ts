/**
 * The payer DFSP simulator's SDK profiles: 'current' (default) and '18.0.2', the last npm release, with its routes
 * only and its bulk defects (docs/orchestrator.md, "SDK versions"). Against 18.0.2 GPO's bulk quotes/transfers mode
 * cannot pay (no quote results to transfer with) and pays nobody; its transfers mode pays.
 */
import { strict as assert } from 'node:assert';
import { request } from 'undici';
import { defaultWorldConfig, startWorld, type World } from '../../simulators/world';
import { startOrchestrator } from '../../orchestrator/index';
import { BatchStatus } from '../../orchestrator/domain/types';
import { batch, ledgerTotals, worldPayments } from '../orchestrator/support/world';
import { readPayeeLedger } from '../../scenarios/environment';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('payer DFSP simulator, SDK profile 18.0.2', function () {
  this.timeout(60_000);
  let world: World;
  let dir: string;
  before(async () => {
    world = await startWorld({ ...defaultWorldConfig(), ports: 'random', seed: 31, pil: false, payerOptions:
      { profile: { name: '18.0.2', bulkDefects: true }, autoAcceptQuote: false } });
    dir = mkdtempSync(path.join(tmpdir(), 'gpo-profile-'));
  });
  after(async () => {
    await world?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no /bulkTransactions, answers bulk quotes without results and refuses GET /bulkTransfers/{id}', async () => {
    const post = await request(`${world.urls.payerOutbound}/bulkTransactions`,
      { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(post.statusCode, 404);
    await post.body.dump();
    const get = await request(`${world.urls.payerOutbound}/bulkTransfers/5b9a8c1e-2f3d-4e5a-8b7c-1d2e3f4a5b6c`);
    assert.equal(get.statusCode, 400);
    await get.body.dump();
  });

  for (const [mode, paid] of [['bulkQuotesTransfers', false], ['transfers', true]] as const) {
    it(`GPO's ${mode} mode ${paid ? 'pays' : 'pays nobody'} through it`, async () => {
      const orch = await startOrchestrator({ port: 0, dataDir: path.join(dir, mode), seed: 3, sdkUrl: world.urls.payerOutbound, railMode:
        mode, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 }, transferHoldMs: 1000 });
      try {
        const payments = worldPayments(6, { knownFsp: true });
        const out = await orch.service.submitBatch(batch(`profile-${mode}`, payments));
        const view = await orch.service.waitForBatch(out.batch.id, 40_000);
        assert.equal(view?.status, paid ? BatchStatus.COMPLETED : BatchStatus.FAILED, JSON.stringify(view?.byStatus));
        const t = ledgerTotals(await Promise.all(['payeefsp1', 'payeefsp2'].map((id) => readPayeeLedger(world.urls[id], id, 'USD'))));
        for (const p of payments) assert.equal(t.balances.get(`MSISDN:${p.payeeIdValue}`) !== undefined, paid, `payee ${p.payeeIdValue}`);
      } finally {
        await orch.stop();
      }
    });
  }
});
