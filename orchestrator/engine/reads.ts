/**
 * The engine's read side: batches and payments as the store has them. A running batch shows, per slice worked on,
 * the summary of the state the store last took; payment-level reads of such a slice read the store's copy. Nothing
 * here shows a status a crash could undo.
 */
import {
  addSummary, batchView, emptySummary, paymentView, STATUS_CODES, summarizeSlice, summaryFromRecord, type Summary,
} from '../domain/model';
import type { BatchView, PaymentStatus, PaymentView } from '../domain/types';
import type { BatchListQuery } from '../store/port';
import { loadSlice, type BatchRun, type EngineContext, type LiveSlice } from './context';

export interface PaymentQuery {
  status?: PaymentStatus;
  errorCode?: string;
  offset?: number;
  limit?: number;
}

export class EngineReads {
  constructor(private readonly ctx: EngineContext) {}

  private get store() {
    return this.ctx.deps.store;
  }

  liveSummary(run: BatchRun): Summary {
    const total = emptySummary();
    run.summaries.forEach((s, seq) => {
      const live = run.live.get(seq);
      addSummary(total, live ? live.storedSummary ?? summarizeSlice(live.state, live.units) : s);
    });
    return total;
  }

  viewOf(run: BatchRun): BatchView {
    return batchView(run.record, this.liveSummary(run));
  }

  /** Current counts per payment status over unfinished batches (metrics). */
  liveStatusCounts(): Record<string, number> {
    const total = emptySummary();
    for (const run of this.ctx.runs.values()) addSummary(total, this.liveSummary(run));
    return Object.fromEntries(STATUS_CODES.map((s, i) => [s, total.counts[i]]));
  }

  async getBatch(batchId: string): Promise<BatchView | undefined> {
    const run = this.ctx.runs.get(batchId);
    if (run) return this.viewOf(run);
    const record = await this.store.getBatch(batchId);
    if (!record) return undefined;
    if (record.final) return batchView(record, summaryFromRecord(record.final));
    const total = emptySummary();
    for (let seq = 0; seq < record.sliceCount; seq++) {
      const { state, units } = await loadSlice(this.store, batchId, seq);
      addSummary(total, summarizeSlice(state, units));
    }
    return batchView(record, total);
  }

  async findBatchBySourceKey(source: string, sourceKey: string): Promise<BatchView | undefined> {
    const record = await this.store.findBatchBySource(source, sourceKey);
    return record ? this.getBatch(record._id) : undefined;
  }

  async findBatchByTransaction(senderId: string, transactionId: string): Promise<BatchView | undefined> {
    const [newest] = await this.store.findBatchesByTransaction(senderId, transactionId);
    return newest ? this.getBatch(newest._id) : undefined;
  }

  /** A page of batches, newest first, each as getBatch shows it (live counts for running ones). */
  async listBatches(query: BatchListQuery): Promise<{ total: number; items: BatchView[] }> {
    const page = await this.store.listBatches(query);
    const items = await Promise.all(page.items.map(async (r) => (await this.getBatch(r._id)) ?? batchView(r, emptySummary())));
    return { total: page.total, items };
  }

  /** A slice as stored: a live one's last stored state, or the store's own copy. */
  private async slice(batchId: string, seq: number): Promise<LiveSlice> {
    const live = this.ctx.runs.get(batchId)?.live.get(seq);
    if (!live) return loadSlice(this.store, batchId, seq);
    const state = await this.store.getSliceState(batchId, seq);
    if (!state) throw new Error(`slice ${seq} of batch ${batchId} is missing from the store`);
    return { state, input: live.input, units: live.units };
  }

  async *iteratePayments(batchId: string): AsyncIterable<PaymentView> {
    const record = this.ctx.runs.get(batchId)?.record ?? (await this.store.getBatch(batchId));
    if (!record) return;
    for (let seq = 0; seq < record.sliceCount; seq++) {
      const { state, input } = await this.slice(batchId, seq);
      for (let i = 0; i < state.n; i++) yield paymentView(batchId, input[i], state, i);
    }
  }

  async listPayments(batchId: string, query: PaymentQuery = {}): Promise<{ total: number; items: PaymentView[] }> {
    const run = this.ctx.runs.get(batchId);
    const record = run?.record ?? (await this.store.getBatch(batchId));
    if (!record) return { total: 0, items: [] };
    const offset = Math.max(0, query.offset ?? 0);
    const limit = Math.max(0, query.limit ?? 100);
    const code = query.status ? STATUS_CODES.indexOf(query.status) : -1;
    // Per-slice counts let a page skip the slices it does not need without loading them.
    const counts: Array<number[] | undefined> = run ? run.summaries.map((s, seq) => (run.live.has(seq) ? undefined : s.counts))
      : record.sliceCounts ?? [];
    const items: PaymentView[] = [];
    let total = 0;
    for (let seq = 0; seq < record.sliceCount; seq++) {
      // Counts say nothing of error codes: with that filter every slice is read.
      const c = query.errorCode === undefined ? counts[seq] : undefined;
      if (c) {
        const matching = code >= 0 ? c[code] : c.reduce((a, b) => a + b, 0);
        if (matching === 0) continue;
        if (total + matching <= offset || items.length >= limit) {
          total += matching;
          continue;
        }
      }
      const { state, input } = await this.slice(batchId, seq);
      for (let i = 0; i < state.n; i++) {
        if (code >= 0 && state.st[i] !== code) continue;
        if (query.errorCode !== undefined && state.err[i] !== query.errorCode) continue;
        if (total >= offset && items.length < limit) items.push(paymentView(batchId, input[i], state, i));
        total++;
      }
    }
    return { total, items };
  }

  async findPaymentsByReference(batchId: string, references: string[]): Promise<PaymentView[]> {
    const wanted = new Set(references);
    const found: PaymentView[] = [];
    for await (const p of this.iteratePayments(batchId)) if (wanted.has(p.reference)) found.push(p);
    return found;
  }
}
