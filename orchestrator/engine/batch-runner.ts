/**
 * A batch's run: launched at intake or after a restart, it works every slice (bounded workers), each in rounds until
 * every payment is final: recovery of what may have been sent first, then payment rounds, with backoff between
 * rounds, pauses and cancellation honoured. Then the batch's final status is stored, with the final notification
 * owed upstream in the same write. A run that fails (the rail cannot say what became of a payment) is tried again.
 */
import { backoffDelay } from '../../shared/backoff';
import { delay, mapLimit } from '../../shared/concurrency';
import {
  addSummary, batchView, canTransition, emptySummary, finalBatchStatus, isFinalCode,
  S_CANCELLED, S_COMPLETED, S_FAILED, S_SENT, summarizeSlice, summaryToRecord, type BatchRecord, type SliceStateRecord, type Summary,
} from '../domain/model';
import { oweFinal, startProgress, type OutboxChange } from '../domain/outbox';
import { BatchStatus, type OrchestratorEvent } from '../domain/types';
import { loadSlice, type BatchRun, type EngineContext, type LiveSlice } from './context';
import { deferred, indices } from './helpers';
import { PaymentRound } from './payment-round';
import { RailCaller } from './rail-caller';

export class BatchRunner {
  readonly payments: PaymentRound;

  constructor(private readonly ctx: EngineContext, private readonly events: { emit(e: OrchestratorEvent): void; statusChanged(): void }) {
    this.payments = new PaymentRound(ctx, new RailCaller(ctx), { save: (run, slice) => this.save(run, slice), pause: (run, reason) =>
      this.pause(run, reason) });
  }

  private get deps() {
    return this.ctx.deps;
  }

  /** A stored batch brought back into memory (after a restart). */
  async load(record: BatchRecord): Promise<BatchRun> {
    const summaries: Summary[] = [];
    for (let seq = 0; seq < record.sliceCount; seq++) {
      const { state, units } = await loadSlice(this.deps.store, record._id, seq);
      summaries.push(summarizeSlice(state, units));
    }
    const run: BatchRun = { record, summaries, live: new Map(), paused: record.status === BatchStatus.PAUSED, cancel:
      !!record.cancelRequested, dirty: true };
    if (run.paused) run.resume = deferred();
    this.ctx.runs.set(record._id, run);
    return run;
  }

  launch(run: BatchRun): void {
    if (run.done || this.ctx.stopped()) return;
    run.done = this.runBatch(run).catch((err) => {
      if (this.ctx.stopped()) return;
      // E.g. the rail could not be asked about payments sent before a restart: try the whole run again later
      // (slices reload from the store, so nothing done is lost and nothing is guessed).
      this.ctx.log.error({ err, batchId: run.record._id }, 'batch run failed; trying again shortly');
      setTimeout(() => {
        run.done = undefined;
        this.launch(run);
      }, Math.max(1000, this.deps.config.retry.maxDelayMs)).unref();
    });
  }

  /** Stores a status change; with `owed`, the outbox entries it causes in the same write. */
  async setStatus(run: BatchRun, status: BatchStatus, extra: Partial<BatchRecord> = {}, owed?: OutboxChange): Promise<void> {
    if (!canTransition(run.record.status, status)) return;
    const patch: Partial<BatchRecord> = { status, updatedAt: this.ctx.now(), ...extra };
    Object.assign(run.record, patch);
    if (owed) {
      const stored = await this.deps.store.updateOutbox(run.record._id, owed, patch);
      if (stored) Object.assign(run.record, { outbox: stored.outbox, outboxPending: stored.outboxPending, outboxDead: stored.outboxDead });
    } else {
      await this.deps.store.updateBatch(run.record._id, patch);
    }
    run.dirty = true;
    this.events.statusChanged();
  }

  async pause(run: BatchRun, reason: string): Promise<void> {
    if (run.paused) return;
    run.paused = true;
    run.resume = deferred();
    this.ctx.log.warn({ batchId: run.record._id, reason }, 'batch paused');
    await this.setStatus(run, BatchStatus.PAUSED, { pausedReason: reason });
  }

  private async runBatch(run: BatchRun): Promise<void> {
    const id = run.record._id;
    // Progress is owed upstream from the moment processing starts (stored with that status).
    if (run.record.status === BatchStatus.RECEIVED) {
      await this.setStatus(run, BatchStatus.PROCESSING, {}, startProgress(run.record.callback, this.deps.newId(), this.ctx.now()));
    }
    const seqs = Array.from({ length: run.record.sliceCount }, (_, i) => i);
    const workers = Math.max(2, this.deps.config.railConcurrency * 2);
    await mapLimit(seqs, workers, (seq) => this.processSlice(run, seq));
    if (this.ctx.stopped()) return;
    const total = run.summaries.reduce((acc, s) => addSummary(acc, s), emptySummary());
    const status = finalBatchStatus(total, run.cancel);
    const now = this.ctx.now();
    // The final notification owed upstream is stored with the final status (progress superseded in the same write): a
    // crash cannot lose one without the other.
    await this.setStatus(run, status, { final: summaryToRecord(total), sliceCounts: run.summaries.map((s) => s.counts), completedAt: now,
      pausedReason: undefined }, oweFinal(run.record.callback, this.deps.newId(), now));
    this.ctx.log.info({ batchId: id, status, completed: total.counts[S_COMPLETED], failed: total.counts[S_FAILED], cancelled:
      total.counts[S_CANCELLED] }, 'batch final');
    this.ctx.runs.delete(id);
    this.events.emit({ type: 'batch-final', batch: batchView(run.record, total) });
    await this.deps.store.compact().catch((err) => this.ctx.log.warn({ err }, 'compaction failed'));
  }

  private isComplete(state: SliceStateRecord): boolean {
    for (let i = 0; i < state.n; i++) if (!isFinalCode(state.st[i])) return false;
    return true;
  }

  private async processSlice(run: BatchRun, seq: number): Promise<void> {
    if (this.ctx.stopped()) return;
    const slice = await loadSlice(this.deps.store, run.record._id, seq);
    const { state, units } = slice;
    if (this.isComplete(state)) {
      run.summaries[seq] = summarizeSlice(state, units);
      return;
    }
    slice.storedSummary = summarizeSlice(state, units);
    run.live.set(seq, slice);
    this.deps.metrics?.chunkStarted();
    try {
      const sent = indices(state, (s) => s === S_SENT);
      if (sent.length) await this.payments.recover(run, slice, sent);
      for (let round = 0; !this.ctx.stopped(); round++) {
        if (!run.cancel && run.paused) await run.resume?.promise;
        if (this.ctx.stopped()) return;
        const pending = indices(state, (s) => s < S_SENT);
        // Payments still SENT after a round were reported in doubt: asked about again, never resent as new.
        const doubtful = indices(state, (s) => s === S_SENT);
        if (!pending.length && !doubtful.length) break;
        if (run.cancel && pending.length) {
          this.payments.cancel(slice, pending);
          await this.save(run, slice);
          continue;
        }
        if (round > 0) {
          const attempt = pending.length ? Math.max(...pending.map((i) => state.att[i])) : Math.min(round, 8);
          await delay(backoffDelay(attempt, this.deps.config.retry, this.deps.random()));
          if (this.ctx.stopped()) return;
          if ((run.cancel && !doubtful.length) || (run.paused && !run.cancel)) continue;
        }
        if (doubtful.length) await this.payments.recover(run, slice, doubtful);
        const unsent = indices(state, (s) => s < S_SENT);
        if (unsent.length && !run.cancel && !run.paused) await this.payments.payRound(run, slice, unsent);
      }
    } finally {
      if (!this.ctx.stopped()) {
        run.summaries[seq] = summarizeSlice(state, units);
        run.live.delete(seq);
        run.dirty = true;
        this.deps.metrics?.chunkEnded();
      }
    }
  }

  private async save(run: BatchRun, slice: LiveSlice): Promise<void> {
    slice.state.updatedAt = this.ctx.now();
    const taken = summarizeSlice(slice.state, slice.units);
    await this.deps.store.saveSliceState(slice.state);
    // Only now may reads show it: until the store has it, a crash would undo it.
    slice.storedSummary = taken;
    run.dirty = true;
  }
}
