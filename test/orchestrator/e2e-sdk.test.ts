/**
 * End to end over HTTP through the simulated world: the orchestrator pays through the payer DFSP's SDK outbound
 * API in each mode; every test checks the payee DFSPs' ledgers and the treasury's debit.
 */
import { strict as assert } from 'node:assert';
import { request } from 'undici';
import { toUnits } from '../../shared/money';
import { BatchStatus, PaymentStatus, type MojaloopSdkMode } from '../../orchestrator/domain/types';
import { batch, ledgerTotals, startHarness, worldPayments, type Harness } from './support/world';

async function putRules(url: string, rules: unknown[]): Promise<void> {
  const res = await request(`${url}/admin/rules`, { method: 'PUT', body: JSON.stringify({ rules }), headers:
    { 'content-type': 'application/json' } });
  assert.ok(res.statusCode < 300, `rules refused: ${await res.body.text()}`);
  await res.body.dump();
}

async function checkMoney(h: Harness, expectCompleted: number): Promise<ReturnType<typeof ledgerTotals>> {
  const t = ledgerTotals(await h.ledgers());
  assert.equal(t.count, expectCompleted, 'payee ledgers: committed transfers');
  assert.equal(await h.treasuryDebited(), t.credited + t.fees, 'treasury debit = credits + fees');
  return t;
}

for (const mode of ['bulkTransactions', 'bulkQuotesTransfers', 'transfers'] as MojaloopSdkMode[]) {
  describe(`orchestrator e2e, mojaloop-sdk rail, ${mode}`, function () {
    this.timeout(120_000);
    let h: Harness;
    beforeEach(async () => {
      // transfers mode needs an SDK that waits for GPO to accept each quote (AUTO_ACCEPT_QUOTES=false).
      h = await startHarness({ rail: 'mojaloop-sdk', railMode: mode, chunkSize: 250, transferHoldMs: 3000 }, mode === 'transfers'
        ? { payerOptions: { autoAcceptQuote: false } } : {});
    });
    afterEach(async () => h.stop());

    it('pays everyone once, fails unknown parties, reconciles ledgers and treasury; a replay pays nothing', async () => {
      const n = mode === 'transfers' ? 120 : 1200;
      const unknown = new Set([3, 50, 101]);
      const payments = worldPayments(n, { unknown });
      const out = await h.orch.service.submitBatch(batch(`all-${mode}`, payments));
      assert.equal(out.outcome, 'created');
      const view = await h.orch.service.waitForBatch(out.batch.id, 90_000);
      assert.equal(view?.status, BatchStatus.PARTIALLY_COMPLETED);
      assert.equal(view?.byStatus.COMPLETED.count, n - unknown.size);
      assert.equal(view?.byStatus.FAILED.count, unknown.size);
      const t = await checkMoney(h, n - unknown.size);
      assert.equal(toUnits(view!.amountCredited), t.credited);
      assert.equal(toUnits(view!.amountDebited), t.credited + t.fees);
      for (const [i, p] of payments.entries()) {
        const bal = t.balances.get(`MSISDN:${p.payeeIdValue}`);
        if (unknown.has(i)) assert.equal(bal, undefined);
        else assert.equal(bal, toUnits(p.amount), `payee ${i} credited exactly once`);
      }
      const done = await h.orch.service.listPayments(out.batch.id, { status: PaymentStatus.COMPLETED, limit: 4 });
      assert.deepEqual(done.items.map((p) => p.payeeFsp), done.items.map((p) => `payeefsp${(p.position % 2) + 1}`),
        'the payee FSP is known once paid');
      const failed = await h.orch.service.listPayments(out.batch.id, { status: PaymentStatus.FAILED });
      assert.deepEqual(failed.items.map((p) => p.position), [...unknown]);
      assert.ok(failed.items.every((p) => /^3\d{3}$/.test(p.errorCode ?? '')), JSON.stringify(failed.items.map((p) => p.errorCode)));
      // The transfer id GPO shows (payments page and report.csv) is the one the payee's ledger booked.
      const shown = (await h.orch.service.listPayments(out.batch.id, { status: PaymentStatus.COMPLETED, limit: 30 })).items;
      const report = await request(`${h.orch.url}/v1/batches/${out.batch.id}/report.csv`);
      const rows = (await report.body.text()).trim().split('\r\n').map((l) => l.split(','));
      const col = rows[0].indexOf('transfer_id');
      for (const p of shown) {
        const booked = await request(`${h.world.urls[p.payeeFsp!]}/admin/ledger/transfers/${p.transferId}`);
        assert.equal(booked.statusCode, 200, `payee ledger knows transfer ${p.transferId} (${mode})`);
        await booked.body.dump();
        assert.equal(rows[p.position + 1][col], p.transferId, 'report.csv shows the same transfer id');
      }
      // The rail asks the simulator for nothing the real SDK lacks, in every mode.
      assert.deepEqual(h.world.payer.extensionUses, {}, 'no simulator extension used');
      const again = await h.orch.service.submitBatch(batch(`all-${mode}`, payments));
      assert.equal(again.outcome, 'replayed');
      assert.equal(again.batch.id, out.batch.id);
      await checkMoney(h, n - unknown.size);
    });

    it('recovers from a rail call that timed out while the payer DFSP went on paying (same ids, paid once)', async () => {
      await putRules(h.world.urls.payerOutbound, [{ match: { resource: mode === 'bulkQuotesTransfers' ? 'bulkTransfers' : mode }, action:
        { type: 'delay', ms: 3000 }, times: 1 }]);
      const h2 = await h.restart({ railTimeoutMs: 1200 });
      const payments = worldPayments(mode === 'transfers' ? 20 : 300);
      const out = await h2.service.submitBatch(batch(`timeout-${mode}`, payments));
      const view = await h2.service.waitForBatch(out.batch.id, 60_000);
      assert.equal(view?.status, BatchStatus.COMPLETED);
      const t = await checkMoney(h, payments.length);
      for (const p of payments) assert.equal(t.balances.get(`MSISDN:${p.payeeIdValue}`), toUnits(p.amount));
    });

    it('fails payee rejections with their code and pays the rest', async () => {
      const rules = mode === 'transfers'
        ? [{ match: { resource: 'quotes', partyId: '^25471.*[05]$' }, action: { type: 'error', errorCode: '5104' } }]
        : [{ match: { resource: 'bulkQuotes' }, action: { type: 'failBulkItems', fraction: 0.2, errorCode: '5104' } }];
      await putRules(h.world.urls.payeefsp1, rules);
      const payments = worldPayments(mode === 'transfers' ? 40 : 400);
      const out = await h.orch.service.submitBatch(batch(`reject-${mode}`, payments));
      const view = await h.orch.service.waitForBatch(out.batch.id, 60_000);
      const failed = view!.byStatus.FAILED.count;
      assert.ok(failed > 0, 'some payments were rejected');
      assert.equal(view?.status, BatchStatus.PARTIALLY_COMPLETED);
      const t = await checkMoney(h, payments.length - failed);
      const list = await h.orch.service.listPayments(out.batch.id, { status: PaymentStatus.FAILED, limit: 1000 });
      for (const p of list.items) {
        assert.equal(p.errorCode, '5104');
        assert.equal(t.balances.get(`MSISDN:${p.payeeIdValue}`), undefined, 'a rejected payee is not credited');
      }
    });

    it('pauses on insufficient liquidity and completes after the treasury is topped up and the batch resumed', async () => {
      const h2 = await h.restart({ onInsufficientLiquidity: 'pause' });
      const set = async (balance: string) => {
        const res = await request(`${h.world.urls.payerOutbound}/admin/treasury`,
          { method: 'PUT', body: JSON.stringify({ currency: 'USD', balance }), headers: { 'content-type': 'application/json' } });
        assert.equal(res.statusCode, 200, await res.body.text());
      };
      await set('100');
      const payments = worldPayments(mode === 'transfers' ? 20 : 200, { amount: () => '10' });
      const out = await h2.service.submitBatch(batch(`liquidity-${mode}`, payments));
      const paused = await h2.service.waitForBatch(out.batch.id, 60_000, [BatchStatus.PAUSED]);
      assert.equal(paused?.status, BatchStatus.PAUSED);
      await set('100000');
      await h2.service.resumeBatch(out.batch.id);
      const view = await h2.service.waitForBatch(out.batch.id, 60_000);
      assert.equal(view?.status, BatchStatus.COMPLETED);
      const t = await checkMoney(h, payments.length);
      for (const p of payments) assert.equal(t.balances.get(`MSISDN:${p.payeeIdValue}`), toUnits(p.amount));
    });
  });
}
