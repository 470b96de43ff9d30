/**
 * An in-memory DisbursementService for the northbound API tests: faithful to the contract in
 * orchestrator/app/service.ts (idempotency by source + sourceKey + requestHash, payments in position order,
 * counts and amounts by status, waitForBatch, batch-progress / batch-final events), with no engine behind it.
 *
 * Payments are settled by a configurable rule: automatically after submit (default) or by the test calling
 * settle(). Every submitBatch call is recorded, so a test can assert that a rejected request stored nothing.
 */
import { EventEmitter } from 'node:events';
import type { DisbursementService } from '../../orchestrator/app/service';
import type { BatchListQuery } from '../../orchestrator/store/port';
import {
  BatchStatus,
  FINAL_PAYMENT_STATUSES,
  PaymentStatus,
  type BatchView,
  type OrchestratorEvent,
  type PaymentInput,
  type PaymentView,
  type StatusTotals,
  type SubmitBatchCommand,
  type SubmitOutcome,
} from '../../orchestrator/domain/types';
import { fromUnits, toUnits } from '../../shared/money';

export type FakeOutcome =
  | { status: PaymentStatus.COMPLETED; fee?: string }
  | { status: PaymentStatus.FAILED; errorCode: string; errorDescription?: string }
  /** Leave the payment SENT: it never ends unless a later settle() with another rule ends it. */
  | { status: PaymentStatus.SENT };

export type OutcomeRule = (payment: PaymentInput, position: number, batch: BatchView) => FakeOutcome;

export interface FakeServiceOptions {
  /** Final outcome per payment; default: every payment COMPLETED with no fee. */
  outcome?: OutcomeRule;
  /** 'auto' settles each batch right after submit (asynchronously, in steps); 'manual' waits for settle(). */
  settle?: 'auto' | 'manual';
  /** Payments settled per step; a batch-progress event follows every step (default 100). */
  stepSize?: number;
  /** Rail recorded on batches (default 'mojaloop-sdk'). */
  rail?: BatchView['rail'];
}

/** A handy rule: payees whose id value matches the pattern fail with the code, the others complete. */
export function failWhen(pattern: RegExp, errorCode = '3204', errorDescription = 'Party not found'): OutcomeRule {
  return (p) => (pattern.test(p.payeeIdValue)
    ? { status: PaymentStatus.FAILED, errorCode, errorDescription }
    : { status: PaymentStatus.COMPLETED });
}

interface StoredBatch {
  view: BatchView;
  requestHash: string;
  payments: PaymentView[];
  inputs: PaymentInput[];
}

const FINAL_BATCH: ReadonlySet<BatchStatus> = new Set([BatchStatus.COMPLETED, BatchStatus.PARTIALLY_COMPLETED, BatchStatus.FAILED,
  BatchStatus.CANCELLED]);

function emptyByStatus(): Record<PaymentStatus, StatusTotals> {
  const out = {} as Record<PaymentStatus, StatusTotals>;
  for (const s of Object.values(PaymentStatus)) out[s] = { count: 0, amount: '0' };
  return out;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

export class FakeDisbursementService implements DisbursementService {
  /** Every submitBatch call, in order, whatever its outcome. */
  readonly submitCalls: SubmitBatchCommand[] = [];
  /** Every event emitted, in order. */
  readonly events: OrchestratorEvent[] = [];
  private readonly batches = new Map<string, StoredBatch>();
  private readonly byKey = new Map<string, string>();
  private readonly emitter = new EventEmitter();
  private seq = 0;
  private rule: OutcomeRule;

  constructor(private readonly opts: FakeServiceOptions = {}) {
    this.rule = opts.outcome ?? (() => ({ status: PaymentStatus.COMPLETED }));
    this.emitter.setMaxListeners(100);
  }

  /** Change the settlement rule for payments not yet settled. */
  setOutcome(rule: OutcomeRule): void {
    this.rule = rule;
  }

  /** Batches created (replays and conflicts excluded). */
  get createdCount(): number {
    return this.batches.size;
  }

  async submitBatch(cmd: SubmitBatchCommand): Promise<SubmitOutcome> {
    this.submitCalls.push(clone(cmd));
    const key = `${cmd.source}\u0000${cmd.sourceKey}`;
    const existingId = this.byKey.get(key);
    if (existingId) {
      const existing = this.batches.get(existingId)!;
      return { outcome: existing.requestHash === cmd.requestHash ? 'replayed' : 'conflict', batch: clone(existing.view) };
    }
    // GPO's batch ids are UUIDs; the fake numbers its own in that shape.
    const id = `00000000-0000-4000-8000-${String(++this.seq).padStart(12, '0')}`;
    const now = new Date().toISOString();
    let total = 0n;
    const payments: PaymentView[] = cmd.payments.map((p, position) => {
      total += toUnits(p.amount);
      return {
        batchId: id, position, reference: p.reference, payeeIdType: p.payeeIdType, payeeIdValue: p.payeeIdValue,
        payeeFsp: p.payeeFsp, amount: p.amount, currency: p.currency, status: PaymentStatus.RECEIVED, attempts: 0,
        meta: p.meta ? { ...p.meta } : undefined, updatedAt: now,
      };
    });
    const view: BatchView = {
      id, source: cmd.source, sourceKey: cmd.sourceKey, status: BatchStatus.RECEIVED, currency: cmd.currency,
      rail: cmd.rail ?? this.opts.rail ?? 'mojaloop-sdk', railMode: cmd.railMode, note: cmd.note,
      meta: cmd.meta ? { ...cmd.meta } : undefined, callback: cmd.callback ? { ...cmd.callback } : undefined,
      declaredCount: cmd.declaredCount, declaredAmount: cmd.declaredAmount, totalCount: payments.length,
      totalAmount: fromUnits(total), byStatus: emptyByStatus(), amountDebited: '0', amountCredited: '0', fees: '0',
      createdAt: now, updatedAt: now,
    };
    const stored: StoredBatch = { view, requestHash: cmd.requestHash, payments, inputs: clone(cmd.payments) };
    this.batches.set(id, stored);
    this.byKey.set(key, id);
    this.recount(stored);
    if ((this.opts.settle ?? 'auto') === 'auto') setImmediate(() => { void this.settle(id); });
    return { outcome: 'created', batch: clone(view) };
  }

  /**
   * Settles the batch's open payments by the rule, `stepSize` at a time, emitting batch-progress after each step
   * and batch-final when every payment has ended. `count` limits how many payments this call settles.
   */
  async settle(batchId: string, count = Infinity): Promise<BatchView | undefined> {
    const b = this.batches.get(batchId);
    if (!b) return undefined;
    const step = Math.max(1, this.opts.stepSize ?? 100);
    let settled = 0;
    if (b.view.status === BatchStatus.RECEIVED) b.view.status = BatchStatus.PROCESSING;
    const open = b.payments.filter((p) => !FINAL_PAYMENT_STATUSES.has(p.status) && p.status !== PaymentStatus.SENT);
    const sentOpen = b.payments.filter((p) => p.status === PaymentStatus.SENT);
    const queue = [...open, ...sentOpen];
    for (let i = 0; i < queue.length && settled < count; i += step) {
      for (const p of queue.slice(i, Math.min(i + step, i + (count - settled)))) {
        this.apply(b, p, this.rule(b.inputs[p.position], p.position, b.view));
        settled++;
      }
      this.recount(b);
      if (!FINAL_BATCH.has(b.view.status)) this.emit({ type: 'batch-progress', batch: clone(b.view) });
      await new Promise((r) => setImmediate(r));
    }
    this.recount(b);
    if (FINAL_BATCH.has(b.view.status)) this.emit({ type: 'batch-final', batch: clone(b.view) });
    return clone(b.view);
  }

  private apply(b: StoredBatch, p: PaymentView, o: FakeOutcome): void {
    const now = new Date().toISOString();
    p.attempts = Math.max(1, p.attempts);
    p.transferId ??= `tx-${b.view.id}-${p.position}`;
    p.updatedAt = now;
    p.status = o.status;
    if (o.status === PaymentStatus.COMPLETED) {
      const fee = o.fee ?? '0';
      p.fee = fee;
      p.amountCredited = p.amount;
      p.amountDebited = fromUnits(toUnits(p.amount) + toUnits(fee));
      p.completedAt = now;
    } else if (o.status === PaymentStatus.FAILED) {
      p.errorCode = o.errorCode;
      p.errorDescription = o.errorDescription;
      p.completedAt = now;
    }
  }

  private recount(b: StoredBatch): void {
    const units = new Map<PaymentStatus, { count: number; units: bigint }>();
    let debited = 0n;
    let credited = 0n;
    let fees = 0n;
    for (const p of b.payments) {
      const u = units.get(p.status) ?? { count: 0, units: 0n };
      u.count++;
      u.units += toUnits(p.amount);
      units.set(p.status, u);
      if (p.status === PaymentStatus.COMPLETED) {
        debited += toUnits(p.amountDebited ?? p.amount);
        credited += toUnits(p.amountCredited ?? p.amount);
        fees += toUnits(p.fee ?? '0');
      }
    }
    const byStatus = emptyByStatus();
    for (const [s, u] of units) byStatus[s] = { count: u.count, amount: fromUnits(u.units) };
    const v = b.view;
    v.byStatus = byStatus;
    v.amountDebited = fromUnits(debited);
    v.amountCredited = fromUnits(credited);
    v.fees = fromUnits(fees);
    v.updatedAt = new Date().toISOString();
    const finals = byStatus.COMPLETED.count + byStatus.FAILED.count + byStatus.CANCELLED.count;
    if (v.status === BatchStatus.CANCELLED) return;
    if (finals === v.totalCount && v.totalCount > 0) {
      v.status = byStatus.COMPLETED.count === v.totalCount ? BatchStatus.COMPLETED
        : byStatus.COMPLETED.count === 0 ? BatchStatus.FAILED : BatchStatus.PARTIALLY_COMPLETED;
      v.completedAt ??= v.updatedAt;
    }
  }

  private emit(e: OrchestratorEvent): void {
    this.events.push(e);
    this.emitter.emit('event', e);
  }

  async getBatch(batchId: string): Promise<BatchView | undefined> {
    const b = this.batches.get(batchId);
    return b ? clone(b.view) : undefined;
  }

  async findBatchByTransaction(senderId: string, transactionId: string): Promise<BatchView | undefined> {
    let found: BatchView | undefined;
    for (const id of this.batches.keys()) {
      const b = await this.getBatch(id);
      if (b?.meta?.sender_id === senderId && b.meta.transaction_id === transactionId) found = b;
    }
    return found;
  }

  async findBatchBySourceKey(source: SubmitBatchCommand['source'], sourceKey: string): Promise<BatchView | undefined> {
    const id = this.byKey.get(`${source}\u0000${sourceKey}`);
    return id ? this.getBatch(id) : undefined;
  }

  async listBatches(q: BatchListQuery): Promise<{ total: number; items: BatchView[] }> {
    const all = [...this.batches.values()].map((b) => b.view)
      .filter((v) => (!q.statuses?.length || q.statuses.includes(v.status)) && (!q.source || v.source === q.source)
        && (q.from === undefined || v.createdAt >= q.from) && (q.to === undefined || v.createdAt < q.to))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    return { total: all.length, items: clone(all.slice(q.offset, q.offset + q.limit)) };
  }

  async listPayments(batchId: string, query: { status?: PaymentStatus; errorCode?: string; offset?: number;
    limit?: number } = {}): Promise<{ total: number; items: PaymentView[] }> {
    const b = this.batches.get(batchId);
    if (!b) return { total: 0, items: [] };
    const all = b.payments.filter((p) => (!query.status || p.status === query.status)
      && (query.errorCode === undefined || p.errorCode === query.errorCode));
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 100;
    return { total: all.length, items: clone(all.slice(offset, offset + limit)) };
  }

  async *iteratePayments(batchId: string): AsyncIterable<PaymentView> {
    const b = this.batches.get(batchId);
    if (!b) return;
    for (const p of b.payments) yield clone(p);
  }

  async findPaymentsByReference(batchId: string, references: string[]): Promise<PaymentView[]> {
    const b = this.batches.get(batchId);
    if (!b) return [];
    const wanted = new Set(references);
    return clone(b.payments.filter((p) => wanted.has(p.reference)));
  }

  async cancelBatch(batchId: string): Promise<BatchView | undefined> {
    const b = this.batches.get(batchId);
    if (!b) return undefined;
    if (FINAL_BATCH.has(b.view.status)) return clone(b.view);
    const now = new Date().toISOString();
    for (const p of b.payments) {
      if (p.status === PaymentStatus.RECEIVED || p.status === PaymentStatus.RESOLVED || p.status === PaymentStatus.QUOTED) {
        p.status = PaymentStatus.CANCELLED;
        p.updatedAt = now;
        p.completedAt = now;
      }
    }
    this.recount(b);
    const open = b.payments.some((p) => !FINAL_PAYMENT_STATUSES.has(p.status));
    if (!open) {
      b.view.status = BatchStatus.CANCELLED;
      b.view.completedAt ??= now;
      this.emit({ type: 'batch-final', batch: clone(b.view) });
    }
    return clone(b.view);
  }

  async resumeBatch(batchId: string): Promise<BatchView | undefined> {
    const b = this.batches.get(batchId);
    if (!b) return undefined;
    if (b.view.status === BatchStatus.PAUSED) b.view.status = BatchStatus.PROCESSING;
    return clone(b.view);
  }

  async waitForBatch(batchId: string, timeoutMs: number, statuses?: BatchStatus[]): Promise<BatchView | undefined> {
    const wanted: ReadonlySet<BatchStatus> = statuses?.length ? new Set(statuses) : FINAL_BATCH;
    const current = this.batches.get(batchId);
    if (!current) return undefined;
    if (wanted.has(current.view.status)) return clone(current.view);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off('event', onEvent);
        resolve(clone(this.batches.get(batchId)!.view));
      };
      const onEvent = (e: OrchestratorEvent) => {
        if (e.batch.id === batchId && wanted.has(e.batch.status)) done();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.emitter.on('event', onEvent);
    });
  }

  subscribe(listener: (event: OrchestratorEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => { this.emitter.off('event', listener); };
  }
}
