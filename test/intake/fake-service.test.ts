import assert from 'node:assert/strict';
import { BatchStatus, PaymentStatus, type SubmitBatchCommand } from '../../orchestrator/domain/types';
import { FakeDisbursementService, failWhen } from './fake-service';

function command(key: string, amounts: string[], hash = 'h1'): SubmitBatchCommand {
  return {
    source: 'native', sourceKey: key, requestHash: hash, currency: 'USD',
    payments: amounts.map((amount, i) => ({ reference: `r${i}`, payeeIdType: 'MSISDN', payeeIdValue: `25471000000${i}`, amount, currency:
      'USD' })),
  };
}

describe('fake disbursement service (test double for the intake tests)', () => {
  it('settles by its rule, counts by status, emits progress then one final event, and wakes waiters', async () => {
    const s = new FakeDisbursementService({ settle: 'manual', stepSize: 2, outcome: failWhen(/1$/) });
    const { batch } = await s.submitBatch(command('k1', ['1', '2.5', '3', '4', '5']));
    assert.equal(batch.totalAmount, '15.5');
    assert.equal(batch.byStatus.RECEIVED.count, 5);
    const waiting = s.waitForBatch(batch.id, 5000);
    await s.settle(batch.id, 3);
    assert.equal((await s.getBatch(batch.id))!.status, BatchStatus.PROCESSING);
    await s.settle(batch.id);
    const final = await waiting;
    assert.equal(final!.status, BatchStatus.PARTIALLY_COMPLETED);
    assert.deepEqual([final!.byStatus.COMPLETED.count, final!.byStatus.FAILED.count], [4, 1]);
    assert.equal(final!.byStatus.FAILED.amount, '2.5');
    assert.equal(final!.amountCredited, '13');
    const types = s.events.filter((e) => e.batch.id === batch.id).map((e) => e.type);
    assert.equal(types.filter((t) => t === 'batch-final').length, 1);
    assert.equal(types[types.length - 1], 'batch-final');
    assert.ok(types.filter((t) => t === 'batch-progress').length >= 2);
    const failed = await s.listPayments(batch.id, { status: PaymentStatus.FAILED });
    assert.deepEqual(failed.items.map((p) => [p.position, p.errorCode]), [[1, '3204']]);
  });

  it('replays the same key and hash, reports a conflict for another hash, and times out waits', async () => {
    const s = new FakeDisbursementService({ settle: 'manual' });
    const a = await s.submitBatch(command('k', ['1']));
    assert.equal((await s.submitBatch(command('k', ['1']))).outcome, 'replayed');
    const c = await s.submitBatch(command('k', ['2'], 'h2'));
    assert.equal(c.outcome, 'conflict');
    assert.equal(c.batch.id, a.batch.id);
    assert.equal(s.createdCount, 1);
    assert.equal(s.submitCalls.length, 3);
    const started = Date.now();
    const view = await s.waitForBatch(a.batch.id, 20);
    assert.equal(view!.status, BatchStatus.RECEIVED);
    assert.ok(Date.now() - started >= 15);
    assert.equal((await s.cancelBatch(a.batch.id))!.status, BatchStatus.CANCELLED);
  });
});
