/**
 * More end-to-end cases over the simulated world: the PIL rail, a cancel mid-batch, and timeouts that never recover.
 * Payee ledgers and the treasury are checked each time.
 */
import { strict as assert } from 'node:assert';
import { request } from 'undici';
import { toUnits } from '../../shared/money';
import { BatchStatus, PaymentStatus } from '../../orchestrator/domain/types';
import { batch, ledgerTotals, startHarness, worldPayments, type Harness } from './support/world';

async function putRules(url: string, rules: unknown[]): Promise<void> {
  const res = await request(`${url}/admin/rules`, { method: 'PUT', body: JSON.stringify({ rules }), headers:
    { 'content-type': 'application/json' } });
  assert.ok(res.statusCode < 300, `rules refused: ${await res.body.text()}`);
  await res.body.dump();
}

describe('orchestrator e2e, more cases', function () {
  this.timeout(120_000);
  let h: Harness;
  afterEach(async () => h?.stop());

  it('pil rail: forwards groups to the PIL, known payees paid once, unknown ones failed', async () => {
    h = await startHarness({ rail: 'pil', chunkSize: 100 });
    const unknown = new Set([7]);
    const payments = worldPayments(250, { unknown });
    const out = await h.orch.service.submitBatch(batch('pil', payments));
    const view = await h.orch.service.waitForBatch(out.batch.id, 90_000);
    assert.equal(view?.status, BatchStatus.PARTIALLY_COMPLETED);
    assert.equal(view?.byStatus.COMPLETED.count, 249);
    const t = ledgerTotals(await h.ledgers());
    assert.equal(t.count, 249);
    assert.equal(await h.treasuryDebited(), t.credited + t.fees);
    for (const [i, p] of payments.entries()) assert.equal(t.balances.get(`MSISDN:${p.payeeIdValue}`), unknown.has(i) ? undefined
      : toUnits(p.amount));
    const failed = (await h.orch.service.listPayments(out.batch.id, { status: PaymentStatus.FAILED })).items;
    assert.equal(failed[0].position, 7);
    assert.ok(failed[0].errorCode);
  });

  it('cancel mid-batch: what was sent is paid once, nothing else is', async () => {
    h = await startHarness({ rail: 'mojaloop-sdk', railMode: 'bulkTransactions', chunkSize: 50, railConcurrency: 1, perFspConcurrency: 1 });
    // Slow the payer DFSP down so the batch is still running when it is cancelled.
    await putRules(h.world.urls.payerOutbound, [{ match: { resource: 'bulkTransactions' }, action: { type: 'delay', ms: 150 } }]);
    const payments = worldPayments(2000);
    const out = await h.orch.service.submitBatch(batch('cancel', payments));
    const seen = new Promise<void>((resolve) => {
      const off = h.orch.service.subscribe((e) => {
        if (e.type === 'batch-progress' && e.batch.byStatus.COMPLETED.count > 0) { off(); resolve(); }
      });
    });
    await seen;
    await h.orch.service.cancelBatch(out.batch.id);
    const view = await h.orch.service.waitForBatch(out.batch.id, 60_000);
    assert.equal(view?.status, BatchStatus.CANCELLED);
    const completed = view!.byStatus.COMPLETED.count;
    assert.ok(completed > 0 && completed < 2000, `completed ${completed}`);
    assert.equal(completed + view!.byStatus.CANCELLED.count, 2000);
    const t = ledgerTotals(await h.ledgers());
    assert.equal(t.count, completed, 'only what was sent before the cancel was paid');
    assert.equal(await h.treasuryDebited(), t.credited + t.fees);
    const cancelled = await h.orch.service.listPayments(out.batch.id, { status: PaymentStatus.CANCELLED, limit: 5000 });
    for (const p of cancelled.items) assert.equal(t.balances.get(`MSISDN:${p.payeeIdValue}`), undefined);
  });

  it('a rail that never answers in time: bounded retries, then each payment fails, nobody is paid', async () => {
    h = await startHarness({ rail: 'mojaloop-sdk', railMode: 'bulkQuotesTransfers', railTimeoutMs: 300, retry:
      { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    await putRules(h.world.urls.payerOutbound, [{ match: { resource: 'bulkQuotes' }, action: { type: 'httpStatus', status: 503 } }]);
    const payments = worldPayments(30, { knownFsp: true });
    const out = await h.orch.service.submitBatch(batch('never', payments));
    const view = await h.orch.service.waitForBatch(out.batch.id, 30_000);
    assert.equal(view?.status, BatchStatus.FAILED);
    const failed = (await h.orch.service.listPayments(out.batch.id, { limit: 100 })).items;
    assert.ok(failed.every((p) => p.status === PaymentStatus.FAILED && p.errorCode === '2003' && p.attempts === 2),
      JSON.stringify(failed[0]));
    const t = ledgerTotals(await h.ledgers());
    assert.equal(t.count, 0);
    assert.equal(await h.treasuryDebited(), 0n);
  });
});
