/**
 * The engine: takes accepted batches through resolve → plan → quote → fee check → transfer → finalize, one slice
 * (≤ chunkSize payments) at a time per worker, with bounded concurrency per rail and per payee FSP, bounded retries,
 * and recovery after a restart (anything possibly sent is asked about on the rail first, then finished or resent with
 * the same ids). This class is the engine's face: intake, operator actions, reads and events. The work is done by
 * its parts: batch-runner.ts (a batch's run and its slices), payment-round.ts (the payment path, fresh and
 * recovered), rail-caller.ts (slots, call retries, asking until known), reads.ts (what the store shows), over the
 * domain's payment state machine (domain/payment-state.ts).
 *
 * State written per slice: (1) at intake, (2) transfer ids and groups just before a group is sent, (3) results.
 * Nothing per payment, nothing logged per payment.
 */
import type { Logger } from 'pino';
import { fromUnits, toUnits } from '../../shared/money';
import { emptySummary, FINAL_BATCH_STATUSES, planSlices, S_RECEIVED, type BatchRecord } from '../domain/model';
import { BatchRejected, validateBatch } from '../domain/validation';
import { BatchStatus, type BatchView, type OrchestratorEvent, type PaymentView, type SubmitBatchCommand, type SubmitOutcome }
  from '../domain/types';
import type { BatchListQuery } from '../store/port';
import { BatchRunner } from './batch-runner';
import { type BatchRun, type EngineContext, type EngineDeps } from './context';
import { CrashPoints } from './crash';
import { EngineReads, type PaymentQuery } from './reads';

export type { EngineDeps, EngineMetrics } from './context';

type Listener = (event: OrchestratorEvent) => void;

export class Engine {
  private readonly runs = new Map<string, BatchRun>();
  private readonly listeners = new Set<Listener>();
  private readonly statusWaiters = new Set<() => void>();
  private readonly intakeLocks = new Map<string, Promise<unknown>>();
  private progressTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly crash: CrashPoints;
  private readonly runner: BatchRunner;
  private readonly reads: EngineReads;

  constructor(private readonly deps: EngineDeps) {
    this.crash = deps.crash ?? new CrashPoints();
    const ctx: EngineContext = {
      deps, log: deps.logger, crash: this.crash, runs: this.runs, stopped: () => this.stopped, now: () => this.now(),
    };
    this.runner = new BatchRunner(ctx, { emit: (e) => this.emit(e), statusChanged: () => {
      for (const w of [...this.statusWaiters]) w();
    } });
    this.reads = new EngineReads(ctx);
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  // -------------------------------------------------------------------------------------------------------------
  // lifecycle

  /** Loads unfinished batches and resumes them (recovery after a restart). */
  async start(): Promise<void> {
    const orphans = await this.deps.store.removeOrphans();
    if (orphans) this.log.warn({ orphans }, 'removed slices of batches whose intake did not complete');
    for (const record of await this.deps.store.listOpenBatches()) {
      const run = await this.runner.load(record);
      this.log.info({ batchId: record._id, status: record.status }, 'resuming batch after restart');
      this.runner.launch(run);
    }
    this.progressTimer = setInterval(() => this.emitProgress(), this.deps.config.notify.progressEveryMs);
    this.progressTimer.unref();
  }

  /** Stops scheduling; in-flight calls are abandoned (their state is recovered at the next start). */
  stop(): void {
    this.stopped = true;
    if (this.progressTimer) clearInterval(this.progressTimer);
    for (const run of this.runs.values()) run.resume?.resolve();
  }

  /** Resolves when every running batch has ended (tests, orderly shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.done));
  }

  // -------------------------------------------------------------------------------------------------------------
  // intake

  async submit(cmd: SubmitBatchCommand): Promise<SubmitOutcome> {
    const key = `${cmd.source}:${cmd.sourceKey}`;
    // Two identical requests racing: the second waits for the first and then sees it as a replay.
    while (this.intakeLocks.has(key)) await this.intakeLocks.get(key)!.catch(() => undefined);
    const p = this.submitLocked(cmd);
    this.intakeLocks.set(key, p);
    try {
      return await p;
    } finally {
      this.intakeLocks.delete(key);
    }
  }

  private async submitLocked(cmd: SubmitBatchCommand): Promise<SubmitOutcome> {
    const existing = await this.deps.store.findBatchBySource(cmd.source, cmd.sourceKey);
    if (existing) {
      const batch = (await this.getBatch(existing._id))!;
      return existing.requestHash === cmd.requestHash ? { outcome: 'replayed', batch } : { outcome: 'conflict', batch };
    }
    const { problems, totalUnits } = validateBatch(cmd, this.deps.config.duplicatePayees);
    if (problems.length) throw new BatchRejected(problems);
    const now = this.now();
    const id = this.deps.newId();
    const { inputs, states } = planSlices(id, cmd.payments, this.deps.config.chunkSize, now);
    const record: BatchRecord = {
      _id: id, source: cmd.source, sourceKey: cmd.sourceKey, sourceIdx: `${cmd.source}:${cmd.sourceKey}`, requestHash: cmd.requestHash,
      status: BatchStatus.RECEIVED, currency: cmd.currency, rail: cmd.rail ?? this.deps.config.rail,
      totalCount: cmd.payments.length, totalAmount: fromUnits(totalUnits), sliceCount: inputs.length, createdAt: now, updatedAt: now,
    };
    const railMode = cmd.railMode ?? (record.rail === 'mojaloop-sdk' ? this.deps.config.railMode : undefined);
    if (railMode) record.railMode = railMode;
    if (cmd.payer) record.payer = cmd.payer;
    if (cmd.note !== undefined) record.note = cmd.note;
    if (cmd.meta) record.meta = cmd.meta;
    if (cmd.callback) record.callback = cmd.callback;
    if (cmd.declaredCount !== undefined) record.declaredCount = cmd.declaredCount;
    if (cmd.declaredAmount !== undefined) record.declaredAmount = cmd.declaredAmount;
    // Fail fast on a rail that cannot be built, before anything is stored.
    this.deps.railFor(record.rail, record.railMode);
    await this.deps.store.createBatch(record, inputs, states);
    this.crash.pass('intake');
    const summaries = states.map((s) => {
      const sum = emptySummary();
      sum.counts[S_RECEIVED] = s.n;
      for (let i = s.start; i < s.start + s.n; i++) sum.units[S_RECEIVED] += toUnits(cmd.payments[i].amount);
      return sum;
    });
    const run: BatchRun = { record, summaries, live: new Map(), paused: false, cancel: false, dirty: true };
    this.runs.set(id, run);
    this.log.info({ batchId: id, source: cmd.source, count: record.totalCount, amount: record.totalAmount, rail: record.rail, railMode:
      record.railMode }, 'batch accepted');
    const batch = this.viewOf(run);
    setImmediate(() => this.runner.launch(run));
    return { outcome: 'created', batch };
  }

  // -------------------------------------------------------------------------------------------------------------
  // operator actions

  async resumeBatch(batchId: string): Promise<BatchView | undefined> {
    const run = this.runs.get(batchId);
    if (!run) return this.getBatch(batchId);
    if (run.paused) {
      run.paused = false;
      await this.runner.setStatus(run, BatchStatus.PROCESSING, { pausedReason: undefined });
      run.resume?.resolve();
      this.log.info({ batchId }, 'batch resumed');
    }
    return this.viewOf(run);
  }

  async cancelBatch(batchId: string): Promise<BatchView | undefined> {
    const run = this.runs.get(batchId);
    if (!run) return this.getBatch(batchId);
    if (!run.cancel) {
      run.cancel = true;
      run.record.cancelRequested = true;
      await this.deps.store.updateBatch(batchId, { cancelRequested: true, updatedAt: this.now() });
      run.resume?.resolve();
      this.log.info({ batchId }, 'batch cancel requested');
    }
    // What is on the wire finishes; everything else stops at once. Give it a moment to settle.
    return this.waitForBatch(batchId, 5000);
  }

  // -------------------------------------------------------------------------------------------------------------
  // reads and events

  /** Payments the rail reported in doubt (2004: may still commit) and not yet known, over the slices worked on (metrics). */
  inDoubtCount(): number {
    let n = 0;
    for (const run of this.runs.values()) n += this.runner.payments.inDoubt(run.live.values());
    return n;
  }

  /** Current counts per payment status over unfinished batches (metrics). */
  liveStatusCounts(): Record<string, number> {
    return this.reads.liveStatusCounts();
  }

  private viewOf(run: BatchRun): BatchView {
    return this.reads.viewOf(run);
  }

  getBatch(batchId: string): Promise<BatchView | undefined> {
    return this.reads.getBatch(batchId);
  }

  findBatchBySourceKey(source: string, sourceKey: string): Promise<BatchView | undefined> {
    return this.reads.findBatchBySourceKey(source, sourceKey);
  }

  findBatchByTransaction(senderId: string, transactionId: string): Promise<BatchView | undefined> {
    return this.reads.findBatchByTransaction(senderId, transactionId);
  }

  /** A page of batches, newest first, each as getBatch shows it (live counts for running ones). */
  listBatches(query: BatchListQuery): Promise<{ total: number; items: BatchView[] }> {
    return this.reads.listBatches(query);
  }

  iteratePayments(batchId: string): AsyncIterable<PaymentView> {
    return this.reads.iteratePayments(batchId);
  }

  listPayments(batchId: string, query: PaymentQuery = {}): Promise<{ total: number; items: PaymentView[] }> {
    return this.reads.listPayments(batchId, query);
  }

  findPaymentsByReference(batchId: string, references: string[]): Promise<PaymentView[]> {
    return this.reads.findPaymentsByReference(batchId, references);
  }

  async waitForBatch(batchId: string, timeoutMs: number, statuses?: BatchStatus[]): Promise<BatchView | undefined> {
    const target = statuses ? new Set(statuses) : FINAL_BATCH_STATUSES;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.getBatch(batchId);
      if (!view || target.has(view.status) || Date.now() >= deadline) return view;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        const waiter = (): void => {
          waiters.delete(waiter);
          done();
        };
        const waiters = this.statusWaiters;
        waiters.add(waiter);
      });
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: OrchestratorEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        this.log.warn({ err }, 'event listener failed');
      }
    }
    this.crash.pass('notify');
  }

  private emitProgress(): void {
    for (const run of this.runs.values()) {
      if (!run.dirty || FINAL_BATCH_STATUSES.has(run.record.status)) continue;
      run.dirty = false;
      this.emit({ type: 'batch-progress', batch: this.viewOf(run) });
    }
  }

}
