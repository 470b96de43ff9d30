import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rootLogger } from '../../shared/logger';
import { SeededRandom } from '../../shared/ids';
import { toUnits } from '../../shared/money';
import { resolveConfig, type OrchestratorOptions } from '../../orchestrator/config';
import { Engine } from '../../orchestrator/engine/engine';
import { runSeed } from '../../orchestrator/engine/run-seed';
import { NedbStore } from '../../orchestrator/store/nedb';
import { OrchestratorMetrics } from '../../orchestrator/metrics';
import { S_COMPLETED, type SliceStateRecord } from '../../orchestrator/domain/model';
import { BatchRejected } from '../../orchestrator/domain/validation';
import { BatchStatus, PaymentStatus, type PaymentInput, type SubmitBatchCommand } from '../../orchestrator/domain/types';
import { FakeRail } from './support/fake-rail';
import { deferred } from '../../orchestrator/engine/helpers';

function payments(n: number, amount = '10.5'): PaymentInput[] {
  return Array.from({ length: n }, (_, i) => ({ reference: String(i), payeeIdType: 'MSISDN', payeeIdValue: `2547${String(i).padStart(8,
    '0')}`, amount, currency: 'USD' }));
}

function command(n: number, key: string, extra: Partial<SubmitBatchCommand> = {}): SubmitBatchCommand {
  return { source: 'native', sourceKey: key, requestHash: `h-${key}`, currency: 'USD', payments: payments(n), ...extra };
}

async function makeEngine(rail: FakeRail, opts: OrchestratorOptions = {}, dataDir?: string): Promise<{ engine: Engine; store: NedbStore }> {
  const config = resolveConfig({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 }, notify: { progressEveryMs: 20 }, ...opts }, {});
  const store = new NedbStore(dataDir ? { dataDir } : { inMemory: true });
  await store.open();
  const rnd = new SeededRandom(runSeed(7, await store.nextCounter('starts')));
  const engine = new Engine({ store, config, logger: rootLogger, railFor: () => rail, newId: () => rnd.uuid(), random: () => rnd.next() });
  await engine.start();
  return { engine, store };
}

function totalCredits(rail: FakeRail): bigint {
  let t = 0n;
  for (const v of rail.credits.values()) t += v;
  return t;
}

describe('orchestrator engine (fake rail)', () => {
  it('pays every payment of a multi-slice batch exactly once and reconciles totals', async () => {
    const rail = new FakeRail();
    const { engine } = await makeEngine(rail, { chunkSize: 1000 });
    const out = await engine.submit(command(2500, 'all-paid'));
    assert.equal(out.outcome, 'created');
    const view = await engine.waitForBatch(out.batch.id, 20_000);
    engine.stop();
    assert.equal(view?.status, BatchStatus.COMPLETED);
    assert.equal(view?.byStatus.COMPLETED.count, 2500);
    assert.equal(rail.ledger.size, 2500);
    assert.equal(rail.sendCalls, 3, 'one rail call per slice of at most 1000');
    assert.equal(totalCredits(rail), toUnits('10.5') * 2500n);
    assert.equal(view?.amountDebited, '26250');
    for (const v of rail.credits.values()) assert.equal(v, toUnits('10.5'));
    const page = await engine.listPayments(out.batch.id, { status: PaymentStatus.COMPLETED, offset: 1990, limit: 20 });
    assert.equal(page.total, 2500);
    assert.deepEqual(page.items.map((p) => p.position), Array.from({ length: 20 }, (_, i) => 1990 + i));
    assert.ok(page.items.every((p) => p.transferId && rail.ledger.has(p.transferId)));
  });

  it('fails unknown parties with 3204 after a lookup, fails fees above the limit, pays the rest', async () => {
    const payees = new Map<string, import('./support/fake-rail').PayeeBehaviour>([
      ['254700000003', { kind: 'unknown-party' }],
      ['254700000004', { kind: 'fee', fee: '5' }],
      ['254700000005', { kind: 'fee', fee: '0.5' }],
    ]);
    const rail = new FakeRail({ quotesSeparately: true, needsPayeeFsp: true, payees });
    const { engine } = await makeEngine(rail, { feeLimits: { USD: '1' } });
    const out = await engine.submit(command(10, 'lookups'));
    const view = await engine.waitForBatch(out.batch.id, 10_000);
    engine.stop();
    assert.equal(view?.status, BatchStatus.PARTIALLY_COMPLETED);
    const all = (await engine.listPayments(out.batch.id, { limit: 100 })).items;
    assert.equal(all[3].status, PaymentStatus.FAILED);
    assert.equal(all[3].errorCode, '3204');
    assert.equal(all[4].status, PaymentStatus.FAILED);
    assert.equal(all[4].errorCode, '4100');
    assert.equal(all[5].status, PaymentStatus.COMPLETED);
    assert.equal(all[5].fee, '0.5');
    assert.equal(all[5].amountCredited, '10');
    assert.equal(rail.ledger.size, 8);
    assert.equal(rail.lookupCalls, 10);
    assert.equal(view?.fees, '0.5');
    assert.equal(toUnits(view!.amountDebited), toUnits(view!.amountCredited) + toUnits(view!.fees));
  });

  it('retries transient item failures with new ids, bounded; asks again about payments in doubt; definitive ones fail with their code',
    async () => {
    const payees = new Map<string, import('./support/fake-rail').PayeeBehaviour>([
      ['254700000001', { kind: 'fail', code: '2003', transient: true, times: 2 }],
      ['254700000002', { kind: 'fail', code: '2003', transient: true }],
      ['254700000003', { kind: 'fail', code: '5104' }],
      ['254700000004', { kind: 'fail', code: '2004', transient: true, times: 2 }],
      ['254700000000', { kind: 'fail', code: '3303', times: 1 }],
    ]);
    const rail = new FakeRail({ payees });
    const { engine } = await makeEngine(rail);
    const out = await engine.submit(command(5, 'retries'));
    const view = await engine.waitForBatch(out.batch.id, 10_000);
    engine.stop();
    const all = (await engine.listPayments(out.batch.id)).items;
    assert.equal(all[1].status, PaymentStatus.COMPLETED);
    assert.equal(all[1].attempts, 3);
    assert.equal(all[2].status, PaymentStatus.FAILED);
    assert.equal(all[2].errorCode, '2003');
    assert.equal(all[2].attempts, 3);
    assert.equal(all[3].status, PaymentStatus.FAILED);
    assert.equal(all[3].errorCode, '5104');
    assert.equal(all[3].attempts, 1);
    assert.equal(all[4].status, PaymentStatus.COMPLETED, 'in doubt, asked again with the same id');
    assert.equal(all[4].attempts, 1);
    assert.equal(all[0].status, PaymentStatus.COMPLETED, 'expired by the hub: tried again with a new id');
    assert.equal(all[0].attempts, 2);
    assert.equal(view?.byStatus.COMPLETED.count, 3);
    assert.equal(rail.ledger.size, 3);
  });

  it('resends a call whose answer was lost with the same ids: nobody is paid twice', async () => {
    const rail = new FakeRail({ failSendCalls: 2, lostAnswers: true });
    const { engine } = await makeEngine(rail);
    const out = await engine.submit(command(50, 'lost'));
    const view = await engine.waitForBatch(out.batch.id, 10_000);
    engine.stop();
    assert.equal(view?.status, BatchStatus.COMPLETED);
    assert.equal(rail.sendCalls, 3);
    assert.equal(rail.ledger.size, 50);
    for (const v of rail.credits.values()) assert.equal(v, toUnits('10.5'));
  });

  it('replays an identical submission, rejects a conflicting one, and stores nothing for a rejected batch', async () => {
    const rail = new FakeRail();
    const { engine, store } = await makeEngine(rail);
    const first = await engine.submit(command(3, 'idem'));
    const again = await engine.submit(command(3, 'idem'));
    assert.equal(again.outcome, 'replayed');
    assert.equal(again.batch.id, first.batch.id);
    const other = await engine.submit({ ...command(3, 'idem'), requestHash: 'different' });
    assert.equal(other.outcome, 'conflict');
    await assert.rejects(engine.submit(command(3, 'totals', { declaredCount: 4 })), (e: unknown) => e instanceof BatchRejected
      && e.code === 'COUNT_MISMATCH');
    await assert.rejects(engine.submit(command(3, 'amount', { declaredAmount: '31' })), (e: unknown) => e instanceof BatchRejected
      && e.code === 'AMOUNT_MISMATCH');
    const dup = command(3, 'dups');
    dup.payments[2] = { ...dup.payments[0], reference: '2' };
    await assert.rejects(engine.submit(dup), (e: unknown) => e instanceof BatchRejected && e.code === 'DUPLICATE_PAYEE'
      && e.problems[0].positions?.[0] === 2);
    assert.equal(await store.findBatchBySource('native', 'totals'), undefined);
    assert.equal(await store.getSliceState('x', 0), undefined);
    await engine.waitForBatch(first.batch.id, 10_000);
    engine.stop();
    assert.equal(rail.ledger.size, 3);
  });

  it('pauses on insufficient liquidity and finishes after resume', async () => {
    let dry = true;
    const rail = new FakeRail({ insufficientLiquidity: () => dry });
    const { engine } = await makeEngine(rail, { onInsufficientLiquidity: 'pause' });
    const out = await engine.submit(command(20, 'liquidity'));
    const paused = await engine.waitForBatch(out.batch.id, 10_000, [BatchStatus.PAUSED]);
    assert.equal(paused?.status, BatchStatus.PAUSED);
    assert.equal(rail.ledger.size, 0);
    dry = false;
    await engine.resumeBatch(out.batch.id);
    const view = await engine.waitForBatch(out.batch.id, 10_000);
    engine.stop();
    assert.equal(view?.status, BatchStatus.COMPLETED);
    assert.equal(rail.ledger.size, 20);
  });

  it('fails payments on insufficient liquidity when so configured', async () => {
    const rail = new FakeRail({ insufficientLiquidity: () => true });
    const { engine } = await makeEngine(rail, { onInsufficientLiquidity: 'fail' });
    const out = await engine.submit(command(4, 'liq-fail'));
    const view = await engine.waitForBatch(out.batch.id, 10_000);
    engine.stop();
    assert.equal(view?.status, BatchStatus.FAILED);
    assert.equal(view?.byStatus.FAILED.count, 4);
    assert.equal((await engine.listPayments(out.batch.id)).items[0].errorCode, '4001');
  });

  it('cancel stops everything not yet sent', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstSeen!: () => void;
    const seen = new Promise<void>((r) => (firstSeen = r));
    const rail = new FakeRail({ onSend: async () => { firstSeen(); await held; } });
    const { engine } = await makeEngine(rail, { chunkSize: 10, railConcurrency: 1, perFspConcurrency: 1 });
    const out = await engine.submit(command(100, 'cancel'));
    await seen;
    const cancelling = engine.cancelBatch(out.batch.id);
    release();
    await cancelling;
    const view = await engine.waitForBatch(out.batch.id, 10_000);
    engine.stop();
    assert.equal(view?.status, BatchStatus.CANCELLED);
    assert.ok(rail.ledger.size >= 10 && rail.ledger.size < 100, `paid ${rail.ledger.size}`);
    assert.equal(view?.byStatus.COMPLETED.count, rail.ledger.size);
    assert.equal(view?.byStatus.CANCELLED.count, 100 - rail.ledger.size);
  });

  it('after a restart asks the rail about what was sent and finishes with the same ids', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-engine-'));
    try {
      let calls = 0;
      const rail = new FakeRail({
        onSend: () => {
          calls++;
          if (calls === 2) {
            engine1.stop(); // the process "dies" while the second call is on the wire (it still pays)
          }
        },
      });
      const { engine: engine1, store: store1 } = await makeEngine(rail, { chunkSize: 100, railConcurrency: 1 }, dir);
      const out = await engine1.submit(command(300, 'restart'));
      await new Promise<void>((resolve) => { const t = setInterval(() => { if (calls >= 2) { clearInterval(t); resolve(); } }, 5); });
      const paidBefore = rail.ledger.size;
      // The dead process's files and lock are released as the kernel would; its late writes are refused.
      await store1.close();
      const { engine: engine2 } = await makeEngine(rail, { chunkSize: 100 }, dir);
      const view = await engine2.waitForBatch(out.batch.id, 10_000);
      engine2.stop();

      assert.ok(paidBefore >= 100);
      assert.equal(view?.status, BatchStatus.COMPLETED);
      assert.equal(rail.ledger.size, 300);
      for (const v of rail.credits.values()) assert.equal(v, toUnits('10.5'));
      const ids = new Set((await engine2.listPayments(out.batch.id, { limit: 1000 })).items.map((p) => p.transferId));
      assert.equal(ids.size, 300);
      for (const id of ids) assert.ok(rail.ledger.has(id as string));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('orchestrator engine reads', () => {
  it('never show a status before the store has it: payments paid on the rail stay SENT in every read until their state is stored',
    async () => {
    /** An in-memory store that holds the first write of a COMPLETED payment until told to go on. */
    class HeldStore extends NedbStore {
      readonly reached = deferred();
      readonly release = deferred();
      override async saveSliceState(state: SliceStateRecord): Promise<void> {
        if (state.st.includes(S_COMPLETED)) {
          this.reached.resolve();
          await this.release.promise;
        }
        return super.saveSliceState(state);
      }
    }
    const store = new HeldStore({ inMemory: true });
    await store.open();
    const rail = new FakeRail();
    const config = resolveConfig({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 }, notify: { progressEveryMs: 20 } }, {});
    const rnd = new SeededRandom(11);
    const engine = new Engine({ store, config, logger: rootLogger, railFor: () => rail, newId: () => rnd.uuid(), random: () =>
      rnd.next() });
    await engine.start();
    try {
      const out = await engine.submit(command(40, 'held-reads'));
      await store.reached.promise;
      assert.equal(rail.ledger.size, 40, 'the rail has paid every payment');
      const view = await engine.getBatch(out.batch.id);
      assert.equal(view?.byStatus.COMPLETED.count, 0);
      assert.equal(view?.byStatus.SENT.count, 40);
      assert.equal((await engine.listPayments(out.batch.id, { status: PaymentStatus.COMPLETED })).total, 0);
      const all = await engine.listPayments(out.batch.id, { limit: 100 });
      assert.deepEqual([...new Set(all.items.map((p) => p.status))], [PaymentStatus.SENT]);
      assert.equal((await engine.findPaymentsByReference(out.batch.id, ['3']))[0]?.status, PaymentStatus.SENT);

      store.release.resolve();
      const done = await engine.waitForBatch(out.batch.id, 10_000);
      assert.equal(done?.status, BatchStatus.COMPLETED);
      assert.equal(done?.byStatus.COMPLETED.count, 40);
      assert.equal((await store.getSliceState(out.batch.id, 0))?.st.filter((s) => s === S_COMPLETED).length, 40);
    } finally {
      store.release.resolve();
      engine.stop();
    }
  });
});

describe('orchestrator engine signals', () => {
  it('counts every failed rail call attempt by operation and FSPIOP code', async () => {
    const errors: string[] = [];
    const metrics = { paymentsFinal: () => undefined, chunkStarted: () => undefined, chunkEnded: () => undefined, railError:
      (op: string, code: string) => { errors.push(`${op}:${code}`); } };
    const store = new NedbStore({ inMemory: true });
    await store.open();
    const rail = new FakeRail({ failSendCalls: 2 });
    const config = resolveConfig({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 } }, {});
    const rnd = new SeededRandom(12);
    const engine = new Engine({ store, config, logger: rootLogger, metrics, railFor: () => rail, newId: () => rnd.uuid(), random: () =>
      rnd.next() });
    await engine.start();
    try {
      const out = await engine.submit(command(5, 'rail-errors'));
      const view = await engine.waitForBatch(out.batch.id, 10_000);
      assert.equal(view?.status, BatchStatus.COMPLETED);
      assert.deepEqual(errors, ['send:2004', 'send:2004']);
      assert.equal(rail.ledger.size, 5);
    } finally {
      engine.stop();
    }
  });
});

describe('orchestrator engine in-doubt signal', () => {
  it('counts payments the rail reported in doubt while they are asked about, and none are paid meanwhile', async () => {
    const payees = new Map<string, import('./support/fake-rail').PayeeBehaviour>();
    const cmd = command(6, 'in-doubt');
    for (const p of cmd.payments.slice(0, 2)) payees.set(p.payeeIdValue, { kind: 'fail', code: '2004', transient: true });
    const rail = new FakeRail({ payees });
    const { engine } = await makeEngine(rail, { inDoubtTimeoutMs: 60_000, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 } });
    try {
      assert.equal(engine.inDoubtCount(), 0);
      await engine.submit(cmd);
      for (const deadline = Date.now() + 10_000; engine.inDoubtCount() < 2 && Date.now() < deadline;) await new Promise<void>((resolve) =>
        setImmediate(resolve));
      assert.equal(engine.inDoubtCount(), 2);
      assert.equal(rail.ledger.size, 4, 'the other four paid, the two in doubt not');
      const metrics = new OrchestratorMetrics({ processMetrics: false });
      metrics.addInDoubtGauge(() => engine.inDoubtCount());
      assert.match(await metrics.text(), /^gpo_payments_in_doubt 2$/m);
    } finally {
      engine.stop();
    }
  });
});

describe('orchestrator engine paging', () => {
  it('pages payments by status across slices, live and after the batch ended, with the same answers', async () => {
    const payees = new Map<string, import('./support/fake-rail').PayeeBehaviour>();
    for (let i = 0; i < 2500; i += 7) payees.set(`2547${String(i).padStart(8, '0')}`, { kind: 'fail', code: '5104' });
    const rail = new FakeRail({ payees });
    const { engine } = await makeEngine(rail, { chunkSize: 100 });
    const out = await engine.submit(command(2500, 'paging'));
    await engine.waitForBatch(out.batch.id, 20_000);
    const failedPositions = Array.from({ length: 2500 }, (_, i) => i).filter((i) => i % 7 === 0);
    const page = await engine.listPayments(out.batch.id, { status: PaymentStatus.FAILED, offset: 300, limit: 10 });
    assert.equal(page.total, failedPositions.length);
    assert.deepEqual(page.items.map((p) => p.position), failedPositions.slice(300, 310));
    const all = await engine.listPayments(out.batch.id, { offset: 2495, limit: 10 });
    assert.equal(all.total, 2500);
    assert.deepEqual(all.items.map((p) => p.position), [2495, 2496, 2497, 2498, 2499]);
    const done = await engine.listPayments(out.batch.id, { status: PaymentStatus.COMPLETED, offset: 0, limit: 3 });
    assert.deepEqual(done.items.map((p) => p.position), [1, 2, 3]);
    engine.stop();
  });
});
