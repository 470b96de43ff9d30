/**
 * The engine: takes accepted batches through resolve → plan → quote → fee check → transfer → finalize, one slice
 * (≤ chunkSize payments) at a time per worker, with bounded concurrency per rail and per payee FSP, bounded retries,
 * and recovery after a restart (anything possibly sent is asked about on the rail first, then finished or resent with
 * the same ids).
 *
 * State written per slice: (1) at intake, (2) transfer ids and groups just before a group is sent, (3) results.
 * Nothing per payment, nothing logged per payment.
 */
import type { Logger } from 'pino';
import { fromUnits, toUnits } from '../../shared/money';
import type { OrchestratorConfig } from '../config';
import {
  addSummary, batchView, canTransition, emptySummary, feeWithinLimit, finalBatchStatus, FINAL_BATCH_STATUSES,
  finalOutboxEntry, isFinalCode, paymentView, planSlices, S_CANCELLED, S_COMPLETED,
  S_FAILED, S_QUOTED, S_RECEIVED,
  S_RESOLVED, S_SENT, STATUS_CODES, summarizeSlice, summaryFromRecord, summaryToRecord, validateBatch, BatchRejected,
  type BatchRecord, type GroupRecord, type InputTuple, type SliceStateRecord, type Summary,
} from '../domain/model';
import { BatchStatus, type BatchView, type OrchestratorEvent, type PaymentStatus, type PaymentView, type SubmitBatchCommand,
  type SubmitOutcome } from '../domain/types';
import type { ItemResult, Rail, RailGroup, RailItem, SendHooks } from '../rails/port';
import { RailCallError } from '../rails/port';
import type { BatchListQuery, Store } from '../store/port';
import { CrashPoints } from './crash';
import { backoffDelay } from '../../shared/backoff';
import { delay, KeyedSemaphores, mapLimit, Semaphore } from '../../shared/concurrency';
import { deferred, failed, indices, toRailError } from './helpers';
import { noteRailId, railIdHooks, railIds } from './rail-ids';
import { ErrorCode, isExpiredCode, isInDoubtCode } from '../../shared/fspiop-errors';

export interface EngineMetrics {
  paymentsFinal(status: PaymentStatus, count: number): void;
  chunkStarted(): void;
  chunkEnded(): void;
  /** A rail call that failed (each attempt), by operation and FSPIOP error code. */
  railError?(operation: 'lookup' | 'quote' | 'send' | 'query', errorCode: string): void;
}

export interface EngineDeps {
  store: Store;
  config: OrchestratorConfig;
  logger: Logger;
  /** The rail for a batch (its own rail/mode or the configured default). */
  railFor(rail: BatchRecord['rail'], mode: BatchRecord['railMode']): Rail;
  newId(): string;
  random(): number;
  metrics?: EngineMetrics;
  crash?: CrashPoints;
  now?: () => Date;
}

interface LiveSlice {
  /** The working state: transitions land here first. */
  state: SliceStateRecord;
  /**
   * While the slice is worked on: the summary of the state as the store last took it, the only one reads show
   * (payment-level reads of a live slice read the store's copy).
   */
  storedSummary?: Summary;
  input: InputTuple[];
  /** Amounts in units, parsed once (summaries are recomputed often while a slice is live). */
  units: bigint[];
}

interface BatchRun {
  record: BatchRecord;
  summaries: Summary[];
  live: Map<number, LiveSlice>;
  paused: boolean;
  resume?: { promise: Promise<void>; resolve: () => void };
  cancel: boolean;
  dirty: boolean;
  done?: Promise<void>;
}

type Listener = (event: OrchestratorEvent) => void;

export class Engine {
  private readonly runs = new Map<string, BatchRun>();
  private readonly listeners = new Set<Listener>();
  private readonly statusWaiters = new Set<() => void>();
  /** Rail calls in flight per rail (name and mode), and per rail and payee FSP. */
  private readonly railSlots: KeyedSemaphores;
  private readonly fspSlots: KeyedSemaphores;
  private readonly lookupSlots: Semaphore;
  /** Per slice state: payments in doubt (index -> first time reported), asked about again until settled. */
  private readonly doubts = new WeakMap<SliceStateRecord, Map<number, number>>();
  private readonly intakeLocks = new Map<string, Promise<unknown>>();
  private progressTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly crash: CrashPoints;

  constructor(private readonly deps: EngineDeps) {
    this.railSlots = new KeyedSemaphores(deps.config.railConcurrency);
    this.fspSlots = new KeyedSemaphores(deps.config.perFspConcurrency);
    this.lookupSlots = new Semaphore(deps.config.railConcurrency * 4);
    this.crash = deps.crash ?? new CrashPoints();
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
      const run = await this.loadRun(record);
      this.log.info({ batchId: record._id, status: record.status }, 'resuming batch after restart');
      this.launch(run);
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

  private async loadRun(record: BatchRecord): Promise<BatchRun> {
    const summaries: Summary[] = [];
    for (let seq = 0; seq < record.sliceCount; seq++) {
      const { state, units } = await this.loadSlice(record._id, seq);
      summaries.push(summarizeSlice(state, units));
    }
    const run: BatchRun = { record, summaries, live: new Map(), paused: record.status === BatchStatus.PAUSED, cancel:
      !!record.cancelRequested, dirty: true };
    if (run.paused) run.resume = deferred();
    this.runs.set(record._id, run);
    return run;
  }

  private async loadSlice(batchId: string, seq: number): Promise<LiveSlice> {
    const [state, inputRec] = await Promise.all([this.deps.store.getSliceState(batchId, seq), this.deps.store.getSliceInput(batchId, seq)]);
    if (!state || !inputRec) throw new Error(`slice ${seq} of batch ${batchId} is missing from the store`);
    const input = JSON.parse(inputRec.data) as InputTuple[];
    return { state, input, units: input.map((t) => toUnits(t[5])) };
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
    setImmediate(() => this.launch(run));
    return { outcome: 'created', batch };
  }

  private launch(run: BatchRun): void {
    if (run.done || this.stopped) return;
    run.done = this.runBatch(run).catch((err) => {
      if (this.stopped) return;
      // E.g. the rail could not be asked about payments sent before a restart: try the whole run again later
      // (slices reload from the store, so nothing done is lost and nothing is guessed).
      this.log.error({ err, batchId: run.record._id }, 'batch run failed; trying again shortly');
      setTimeout(() => {
        run.done = undefined;
        this.launch(run);
      }, Math.max(1000, this.deps.config.retry.maxDelayMs)).unref();
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // batch run

  private async setStatus(run: BatchRun, status: BatchStatus, extra: Partial<BatchRecord> = {}): Promise<void> {
    if (!canTransition(run.record.status, status)) return;
    const patch: Partial<BatchRecord> = { status, updatedAt: this.now(), ...extra };
    Object.assign(run.record, patch);
    await this.deps.store.updateBatch(run.record._id, patch);
    run.dirty = true;
    for (const w of [...this.statusWaiters]) w();
  }

  private async runBatch(run: BatchRun): Promise<void> {
    const id = run.record._id;
    if (run.record.status === BatchStatus.RECEIVED) await this.setStatus(run, BatchStatus.PROCESSING);
    const seqs = Array.from({ length: run.record.sliceCount }, (_, i) => i);
    const workers = Math.max(2, this.deps.config.railConcurrency * 2);
    await mapLimit(seqs, workers, (seq) => this.processSlice(run, seq));
    if (this.stopped) return;
    const total = run.summaries.reduce((acc, s) => addSummary(acc, s), emptySummary());
    const status = finalBatchStatus(total, run.cancel);
    const now = this.now();
    // The final notification owed upstream is stored with the final status: a crash cannot lose one without the other.
    const owed = FINAL_BATCH_STATUSES.has(run.record.status) ? undefined : finalOutboxEntry(run.record.callback, this.deps.newId(), now);
    const outbox = owed ? { outbox: [...(run.record.outbox ?? []), owed], outboxPending: true } : {};
    await this.setStatus(run, status, { final: summaryToRecord(total), sliceCounts: run.summaries.map((s) => s.counts), completedAt: now,
      pausedReason: undefined, ...outbox });
    this.log.info({ batchId: id, status, completed: total.counts[S_COMPLETED], failed: total.counts[S_FAILED], cancelled:
      total.counts[S_CANCELLED] }, 'batch final');
    this.runs.delete(id);
    this.emit({ type: 'batch-final', batch: batchView(run.record, total) });
    await this.deps.store.compact().catch((err) => this.log.warn({ err }, 'compaction failed'));
  }

  private isComplete(state: SliceStateRecord): boolean {
    for (let i = 0; i < state.n; i++) if (!isFinalCode(state.st[i])) return false;
    return true;
  }

  private async processSlice(run: BatchRun, seq: number): Promise<void> {
    if (this.stopped) return;
    const slice = await this.loadSlice(run.record._id, seq);
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
      if (sent.length) await this.recoverSent(run, slice, sent);
      for (let round = 0; !this.stopped; round++) {
        if (!run.cancel && run.paused) await run.resume?.promise;
        if (this.stopped) return;
        const pending = indices(state, (s) => s < S_SENT);
        // Payments still SENT after a round were reported in doubt: asked about again, never resent as new.
        const doubtful = indices(state, (s) => s === S_SENT);
        if (!pending.length && !doubtful.length) break;
        if (run.cancel && pending.length) {
          const at = this.now();
          for (const i of pending) this.finish(state, i, S_CANCELLED, at, { code: null, description: 'cancelled before it was sent' });
          await this.save(run, slice);
          continue;
        }
        if (round > 0) {
          const attempt = pending.length ? Math.max(...pending.map((i) => state.att[i])) : Math.min(round, 8);
          await delay(backoffDelay(attempt, this.deps.config.retry, this.deps.random()));
          if (this.stopped) return;
          if ((run.cancel && !doubtful.length) || (run.paused && !run.cancel)) continue;
        }
        if (doubtful.length) await this.recoverSent(run, slice, doubtful);
        const unsent = indices(state, (s) => s < S_SENT);
        if (unsent.length && !run.cancel && !run.paused) await this.payRound(run, slice, unsent);
      }
    } finally {
      if (!this.stopped) {
        run.summaries[seq] = summarizeSlice(state, units);
        run.live.delete(seq);
        run.dirty = true;
        this.deps.metrics?.chunkEnded();
      }
    }
  }

  private async save(run: BatchRun, slice: LiveSlice): Promise<void> {
    slice.state.updatedAt = this.now();
    const taken = summarizeSlice(slice.state, slice.units);
    await this.deps.store.saveSliceState(slice.state);
    // Only now may reads show it: until the store has it, a crash would undo it.
    slice.storedSummary = taken;
    run.dirty = true;
  }

  private rail(run: BatchRun): Rail {
    return this.deps.railFor(run.record.rail, run.record.railMode);
  }

  private railItem(slice: LiveSlice, i: number): RailItem {
    const [reference, idType, idValue, subValue, inFsp, amount, currency, note] = slice.input[i];
    const item: RailItem = { transferId: slice.state.tid[i] as string, reference, payeeIdType: idType, payeeIdValue: idValue, amount,
      currency };
    if (subValue) item.payeeIdSubValue = subValue;
    const fsp = slice.state.fsp[i] ?? inFsp;
    if (fsp) item.payeeFsp = fsp;
    if (note) item.note = note;
    if (slice.state.fee[i]) item.fee = slice.state.fee[i] as string;
    if (slice.state.mid?.[i]) item.railTransferId = slice.state.mid[i] as string;
    return item;
  }

  private railGroup(run: BatchRun, g: GroupRecord, items: RailItem[]): RailGroup {
    const c = this.deps.config;
    const group: RailGroup = {
      id: g.id, batchId: run.record._id, currency: run.record.currency,
      payer: run.record.payer ? { ...c.payer, ...run.record.payer } : c.payer, items,
    };
    if (g.fsp) group.fsp = g.fsp;
    if (g.quoteId) group.quoteId = g.quoteId;
    if (run.record.note) group.note = run.record.note;
    const limit = c.feeLimits[run.record.currency];
    if (limit !== undefined) group.feeLimit = limit;
    return group;
  }

  /** One pass over a slice's unsent payments: resolve, group, quote, fee check, store ids, transfer, store results. */
  private async payRound(run: BatchRun, slice: LiveSlice, pending: number[]): Promise<void> {
    const { state, input } = slice;
    const rail = this.rail(run);
    const at = this.now();
    if (rail.needsPayeeFsp && rail.lookup) {
      const unresolved = pending.filter((i) => !(state.fsp[i] ?? input[i][4]));
      await mapLimit(unresolved, Math.max(4, this.deps.config.railConcurrency * 4), async (i) => {
        const [, idType, idValue, subValue] = input[i];
        const r = await this.lookupWithRetry(() => rail.lookup!(idType, idValue, subValue || undefined));
        if ('fsp' in r) {
          state.fsp[i] = r.fsp;
          state.st[i] = S_RESOLVED;
        } else {
          this.finish(state, i, S_FAILED, at, { code: r.errorCode, description: r.description });
        }
      });
    }
    // Plan: one group per payee FSP (unknown FSP: the rail resolves), each at most chunkSize.
    const byFsp = new Map<string, number[]>();
    for (const i of pending) {
      if (isFinalCode(state.st[i])) continue;
      const fsp = state.fsp[i] ?? input[i][4] ?? '';
      const list = byFsp.get(fsp) ?? [];
      list.push(i);
      byFsp.set(fsp, list);
    }
    const planned: Array<{ g: GroupRecord; idx: number[] }> = [];
    for (const [fsp, idx] of byFsp) {
      for (let k = 0; k < idx.length; k += this.deps.config.chunkSize) {
        const part = idx.slice(k, k + this.deps.config.chunkSize);
        const g: GroupRecord = { id: this.deps.newId(), fsp };
        if (rail.quotesSeparately) g.quoteId = this.deps.newId();
        for (const i of part) {
          if (!state.tid[i] || !rail.reusesTransferIds) {
            state.tid[i] = this.deps.newId();
            railIds(state)[i] = null;
          }
          state.att[i]++;
        }
        planned.push({ g, idx: part });
      }
    }
    if (!planned.length) {
      await this.save(run, slice);
      return;
    }
    await Promise.all(planned.map((p) => this.payGroup(run, slice, rail, p.g, p.idx)));
    this.crash.pass('final');
  }

  private async payGroup(run: BatchRun, slice: LiveSlice, rail: Rail, g: GroupRecord, idx: number[], quoted = false): Promise<void> {
    const { state } = slice;
    let items = idx.map((i) => this.railItem(slice, i));
    const at = this.now();
    if (rail.quotesSeparately && rail.quote && !quoted) {
      const quotes = await this.slots(rail, g.fsp, () => this.withRetryCall('quote', () => rail.quote!(this.railGroup(run, g, items))),
        (err) => items.map((it) => ({ transferId: it.transferId, ok: false, errorCode: err.errorCode, description: err.message, transient:
          err.transient })));
      this.crash.pass('quote');
      const byId = new Map(quotes.map((q) => [q.transferId, q]));
      const keep: number[] = [];
      const keepItems: RailItem[] = [];
      idx.forEach((i, k) => {
        const q = byId.get(items[k].transferId);
        if (!q || !q.ok) {
          this.itemFailed(run, state, i, q?.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR, q?.description ?? 'no quote result', q?.transient
            ?? true, at);
        } else if (!feeWithinLimit(q.fee, run.record.currency, this.deps.config.feeLimits)) {
          this.finish(state, i, S_FAILED, at, { code: ErrorCode.PAYER_REJECTION, description:
            `fee ${q.fee} ${run.record.currency} above the limit of ${this.deps.config.feeLimits[run.record.currency]}` });
        } else {
          state.st[i] = S_QUOTED;
          state.fee[i] = q.fee ?? null;
          keep.push(i);
          keepItems.push({ ...items[k], quote: q.quote });
        }
      });
      idx = keep;
      items = keepItems;
    }
    if (!idx.length) {
      await this.save(run, slice);
      return;
    }
    // Invariant: the transfer ids and the group are durable before the first transfer request leaves.
    const gi = state.groups.push(g) - 1;
    for (const i of idx) {
      state.st[i] = S_SENT;
      state.g[i] = gi;
    }
    await this.save(run, slice);
    if (run.cancel && !this.stopped) {
      // Stored as sent but not sent yet: still safe to cancel (a restart would first ask the rail).
      const now = this.now();
      for (const i of idx) this.finish(state, i, S_CANCELLED, now, { code: null, description: 'cancelled before it was sent' });
      await this.save(run, slice);
      return;
    }
    const results = await this.settleUnknown(rail, this.railGroup(run, g, items),
      await this.sendGroup(run, rail, this.railGroup(run, g, items), this.railIdHooks(run, slice, idx)));
    this.crash.pass('transfer');
    if (this.stopped) return;
    this.applyResults(run, state, idx, items, results);
    await this.save(run, slice);
  }

  /** Two-phase rails: the rail's transfer ids are durable before the acceptance that lets money move under them. */
  private railIdHooks(run: BatchRun, slice: LiveSlice, idx: number[]): SendHooks {
    return railIdHooks(slice.state, idx, { save: () => this.save(run, slice), crash: this.crash, stopped: () => this.stopped });
  }

  /** Sends with call-level retries (same ids); when retries are exhausted, asks the rail what happened. */
  private async sendGroup(run: BatchRun, rail: Rail, group: RailGroup, hooks: SendHooks): Promise<ItemResult[]> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.deps.config.retry;
    let last: RailCallError | undefined;
    for (let attempt = 1; attempt <= maxAttempts && !this.stopped; attempt++) {
      try {
        return await this.slots(rail, group.fsp ?? '', () => rail.send(group, hooks));
      } catch (err) {
        last = toRailError(err);
        this.deps.metrics?.railError?.('send', last.errorCode);
        this.log.warn({ batchId: run.record._id, groupId: group.id, attempt, errorCode: last.errorCode, err: last.message },
          'rail call failed');
        if (!last.transient) return group.items.map((it) => failed(it.transferId, last!.errorCode, last!.message, false));
        if (attempt < maxAttempts) await delay(backoffDelay(attempt, { baseDelayMs, maxDelayMs }, this.deps.random()));
      }
    }
    // Out of attempts: the rail may still have paid. Ask until it answers, and fail only what it has no trace of.
    const known = await this.askRail(rail, group);
    return known.map((r) => (r.outcome === 'unknown' ? failed(r.transferId, last?.errorCode ?? ErrorCode.SERVER_TIMED_OUT,
      `no answer from the rail after ${maxAttempts} attempts`, false) : r));
  }

  /** Items a send left without an outcome are asked about before anything else happens to them. */
  private async settleUnknown(rail: Rail, group: RailGroup, results: ItemResult[]): Promise<ItemResult[]> {
    const known = new Map(results.filter((r) => r.outcome !== 'unknown').map((r) => [r.transferId, r]));
    const open = group.items.filter((it) => !known.has(it.transferId));
    if (!open.length || this.stopped) return results;
    const asked = new Map((await this.askRail(rail, { ...group, items: open })).map((r) => [r.transferId, r]));
    return group.items.map((it) => known.get(it.transferId) ?? asked.get(it.transferId)
      ?? { transferId: it.transferId, outcome: 'unknown' as const });
  }

  /**
   * What the rail knows about a group that may have been sent, asking again on transient failures (several times the
   * retry budget). If it still cannot say, this throws: the payments stay SENT and the batch run is tried again
   * later; GPO never marks as failed a payment that may have been paid.
   */
  private async askRail(rail: Rail, group: RailGroup): Promise<ItemResult[]> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.deps.config.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.slots(rail, group.fsp ?? '', () => rail.query(group));
      } catch (err) {
        const e = toRailError(err);
        this.deps.metrics?.railError?.('query', e.errorCode);
        if (!e.transient || attempt >= maxAttempts * 3
          || this.stopped) throw new Error(`the rail could not say what became of group ${group.id}: ${e.message}`);
        await delay(backoffDelay(attempt, { baseDelayMs, maxDelayMs }, this.deps.random()));
      }
    }
  }

  private applyResults(run: BatchRun, state: SliceStateRecord, idx: number[], items: RailItem[], results: ItemResult[]): void {
    const at = this.now();
    const byId = new Map(results.map((r) => [r.transferId, r]));
    idx.forEach((i, k) => {
      const r = byId.get(items[k].transferId);
      if (r) noteRailId(state, i, r);
      if (!r || r.outcome === 'unknown') {
        this.itemFailed(run, state, i, ErrorCode.SERVER_TIMED_OUT, 'the rail returned no result for this transfer', true, at);
      } else if (r.outcome === 'completed') {
        if (r.payeeFsp && !state.fsp[i]) state.fsp[i] = r.payeeFsp;
        state.fee[i] = r.fee;
        state.deb[i] = r.amountDebited;
        state.cred[i] = r.amountCredited;
        this.finish(state, i, S_COMPLETED, at, { code: null, description: null });
      } else if (isInDoubtCode(r.errorCode) && r.inDoubt && state.st[i] === S_SENT) {
        if (this.stillInDoubt(state, i)) {
          // May have been sent and may still commit: stays SENT with its ids, asked about again later.
          state.err[i] = r.errorCode;
          state.ed[i] = r.description;
        } else {
          // Never resent under a new id: that could pay twice. Left to reconciliation with the payer DFSP.
          this.doubts.get(state)?.delete(i);
          this.finish(state, i, S_FAILED, at, { code: r.errorCode, description:
            `outcome still unknown after ${this.deps.config.inDoubtTimeoutMs} ms (${r.description}); reconcile with the payer DFSP` });
        }
      } else {
        this.doubts.get(state)?.delete(i);
        this.itemFailed(run, state, i, r.errorCode, r.description, r.transient, at, r.newIdSafe);
      }
    });
  }

  /** True while a payment reported in doubt is within inDoubtTimeoutMs of the first such report. */
  private stillInDoubt(state: SliceStateRecord, i: number): boolean {
    if (state.st[i] !== S_SENT) return false;
    let m = this.doubts.get(state);
    if (!m) this.doubts.set(state, (m = new Map()));
    const first = m.get(i) ?? Date.now();
    m.set(i, first);
    return Date.now() - first < this.deps.config.inDoubtTimeoutMs;
  }

  /** A payment the rail reported failed: retry with a new transfer id, pause the batch, or fail it. */
  private itemFailed(run: BatchRun, state: SliceStateRecord, i: number, code: string, description: string, transient: boolean, at: string,
    newIdSafe = false): void {
    if (isExpiredCode(code)) {
      transient = true;
      newIdSafe = true;
    }
    if (code === ErrorCode.PAYER_FSP_INSUFFICIENT_LIQUIDITY && this.deps.config.onInsufficientLiquidity === 'pause') {
      this.backToPending(state, i, code, description, newIdSafe);
      state.att[i] = Math.max(0, state.att[i] - 1);
      if (!run.paused) void this.pause(run, `${code} ${description}`);
      return;
    }
    if (transient && state.att[i] < this.deps.config.retry.maxAttempts && !run.cancel) {
      this.backToPending(state, i, code, description, newIdSafe);
      return;
    }
    this.finish(state, i, S_FAILED, at, { code, description });
  }

  private backToPending(state: SliceStateRecord, i: number, code: string, description: string, newIdSafe: boolean): void {
    // The next attempt keeps the id where the rail dedupes on it (unless the rail says nothing was sent),
    // else gets a new one (this one failed for good).
    state.st[i] = state.fsp[i] ? S_RESOLVED : S_RECEIVED;
    if (newIdSafe) {
      state.tid[i] = null;
      railIds(state)[i] = null;
    }
    state.g[i] = -1;
    state.fee[i] = null;
    state.err[i] = code;
    state.ed[i] = description;
  }

  private finish(state: SliceStateRecord, i: number, status: number, at: string,
    err: { code: string | null; description: string | null }): void {
    if (isFinalCode(state.st[i])) return;
    state.st[i] = status;
    state.at[i] = at;
    if (status === S_COMPLETED) {
      state.err[i] = null;
      state.ed[i] = null;
    } else {
      if (err.code !== null) state.err[i] = err.code;
      if (err.description !== null) state.ed[i] = err.description;
      state.deb[i] = null;
      state.cred[i] = null;
      state.fee[i] = null;
    }
    this.deps.metrics?.paymentsFinal(STATUS_CODES[status], 1);
  }

  /** After a restart: ask the rail about every group that may have been sent, then finish or resend with the same ids. */
  private async recoverSent(run: BatchRun, slice: LiveSlice, sent: number[]): Promise<void> {
    const { state } = slice;
    const rail = this.rail(run);
    const byGroup = new Map<number, number[]>();
    for (const i of sent) {
      const list = byGroup.get(state.g[i]) ?? [];
      list.push(i);
      byGroup.set(state.g[i], list);
    }
    await Promise.all([...byGroup].map(async ([gi, idx]) => {
      const g = state.groups[gi];
      const items = idx.map((i) => this.railItem(slice, i));
      if (!g) throw new Error(`slice ${state.seq} of batch ${run.record._id} has sent payments without a group record`);
      const group = this.railGroup(run, g, items);
      // Never guess about money that may have moved: if the rail cannot say, this throws and the run is tried again.
      const known = await this.askRail(rail, group);
      const unknown = new Set(known.filter((r) => r.outcome === 'unknown').map((r) => r.transferId));
      const settled = idx.filter((_, k) => !unknown.has(items[k].transferId));
      this.applyResults(run, state, settled, settled.map((i) => this.railItem(slice, i)), known);
      await this.save(run, slice);
      const resend = idx.filter((_, k) => unknown.has(items[k].transferId));
      if (!resend.length || run.cancel) {
        if (run.cancel && resend.length) {
          const at = this.now();
          for (const i of resend) this.finish(state, i, S_CANCELLED, at, { code: null, description: 'cancelled before it was sent' });
          await this.save(run, slice);
        }
        return;
      }
      this.log.info({ batchId: run.record._id, groupId: g.id, count: resend.length },
        'resending payments the rail never saw, with the same ids');
      for (const i of resend) {
        state.st[i] = S_QUOTED;
        railIds(state)[i] = null; // a resend moves money under a new rail id, if any
        if (rail.newIdOnResend) state.tid[i] = this.deps.newId();
      }
      // Same transfer ids; a bulk quote (if any) is asked again under a new quote id since the old one may have expired.
      const regroup: GroupRecord = { id: resend.length === idx.length ? g.id : this.deps.newId(), fsp: g.fsp };
      if (rail.quotesSeparately) regroup.quoteId = this.deps.newId();
      if (regroup.id === g.id) state.groups[gi] = regroup; // same call id: keep one record
      await this.payGroupExisting(run, slice, rail, regroup, resend, regroup.id === g.id ? gi : -1);
    }));
  }

  /** Like payGroup for payments that already have transfer ids (recovery resend). */
  private async payGroupExisting(run: BatchRun, slice: LiveSlice, rail: Rail, g: GroupRecord, idx: number[], gi: number): Promise<void> {
    const { state } = slice;
    let items = idx.map((i) => this.railItem(slice, i));
    if (rail.quotesSeparately && rail.quote) {
      const at = this.now();
      const quotes = await this.slots(rail, g.fsp, () => this.withRetryCall('quote', () => rail.quote!(this.railGroup(run, g, items))),
        (err) => items.map((it) => ({ transferId: it.transferId, ok: false, errorCode: err.errorCode, description: err.message, transient:
          false })));
      const byId = new Map(quotes.map((q) => [q.transferId, q]));
      const keep: number[] = [];
      const keepItems: RailItem[] = [];
      idx.forEach((i, k) => {
        const q = byId.get(items[k].transferId);
        if (!q || !q.ok) {
          // Never sent (the rail had no trace), so failing or retrying with a new id is safe.
          state.st[i] = S_QUOTED;
          this.itemFailed(run, state, i, q?.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR, q?.description ?? 'no quote result', q?.transient
            ?? true, at);
        } else {
          keep.push(i);
          keepItems.push({ ...items[k], quote: q.quote });
        }
      });
      idx = keep;
      items = keepItems;
    }
    if (!idx.length) {
      await this.save(run, slice);
      return;
    }
    const gIndex = gi >= 0 ? gi : state.groups.push(g) - 1;
    for (const i of idx) {
      state.st[i] = S_SENT;
      state.g[i] = gIndex;
    }
    await this.save(run, slice);
    const results = await this.settleUnknown(rail, this.railGroup(run, g, items),
      await this.sendGroup(run, rail, this.railGroup(run, g, items), this.railIdHooks(run, slice, idx)));
    this.crash.pass('transfer');
    if (this.stopped) return;
    this.applyResults(run, state, idx, items, results);
    await this.save(run, slice);
  }

  private async slots<T>(rail: Rail, fsp: string, fn: () => Promise<T>, onError?: (err: RailCallError) => T): Promise<T> {
    const key = `${rail.name}:${rail.mode ?? ''}`;
    const railSlot = this.railSlots.get(key);
    await railSlot.acquire();
    const fspSlot = fsp ? this.fspSlots.get(`${key}|${fsp}`) : undefined;
    await fspSlot?.acquire();
    try {
      return await fn();
    } catch (err) {
      if (onError) return onError(toRailError(err));
      throw err;
    } finally {
      fspSlot?.release();
      railSlot.release();
    }
  }

  /** Retries a read-only call (lookup, quote, query) on transient call failures. */
  private async withRetryCall<T>(operation: 'lookup' | 'quote', fn: () => Promise<T>): Promise<T> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.deps.config.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const e = toRailError(err);
        this.deps.metrics?.railError?.(operation, e.errorCode);
        if (!e.transient || attempt >= maxAttempts || this.stopped) throw e;
        await delay(backoffDelay(attempt, { baseDelayMs, maxDelayMs }, this.deps.random()));
      }
    }
  }

  /** A party lookup with retries on transient failures, at most 4 × railConcurrency in flight over all batches. */
  private async lookupWithRetry<T extends object>(fn: () => Promise<T>): Promise<T
    | { errorCode: string; description: string; transient: boolean }> {
    try {
      return await this.withRetryCall('lookup', async () => {
        const r = await this.lookupSlots.run(fn);
        if ('errorCode' in r && (r as { transient?: boolean }).transient) {
          const x = r as unknown as { errorCode: string; description: string };
          throw new RailCallError(x.description, true, x.errorCode);
        }
        return r;
      });
    } catch (err) {
      const e = toRailError(err);
      this.log.debug({ errorCode: e.errorCode }, 'party lookup failed after retries');
      return { errorCode: e.errorCode, description: e.message, transient: e.transient };
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // operator actions

  private async pause(run: BatchRun, reason: string): Promise<void> {
    if (run.paused) return;
    run.paused = true;
    run.resume = deferred();
    this.log.warn({ batchId: run.record._id, reason }, 'batch paused');
    await this.setStatus(run, BatchStatus.PAUSED, { pausedReason: reason });
  }

  async resumeBatch(batchId: string): Promise<BatchView | undefined> {
    const run = this.runs.get(batchId);
    if (!run) return this.getBatch(batchId);
    if (run.paused) {
      run.paused = false;
      await this.setStatus(run, BatchStatus.PROCESSING, { pausedReason: undefined });
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
  // views and events

  private liveSummary(run: BatchRun): Summary {
    const total = emptySummary();
    run.summaries.forEach((s, seq) => {
      const live = run.live.get(seq);
      addSummary(total, live ? live.storedSummary ?? summarizeSlice(live.state, live.units) : s);
    });
    return total;
  }

  /** Payments the rail reported in doubt (2004: may still commit) and not yet known, over the slices worked on (metrics). */
  inDoubtCount(): number {
    let n = 0;
    for (const run of this.runs.values()) for (const live of run.live.values()) n += this.doubts.get(live.state)?.size ?? 0;
    return n;
  }

  /** Current counts per payment status over unfinished batches (metrics). */
  liveStatusCounts(): Record<string, number> {
    const total = emptySummary();
    for (const run of this.runs.values()) addSummary(total, this.liveSummary(run));
    return Object.fromEntries(STATUS_CODES.map((s, i) => [s, total.counts[i]]));
  }

  private viewOf(run: BatchRun): BatchView {
    return batchView(run.record, this.liveSummary(run));
  }

  async getBatch(batchId: string): Promise<BatchView | undefined> {
    const run = this.runs.get(batchId);
    if (run) return this.viewOf(run);
    const record = await this.deps.store.getBatch(batchId);
    if (!record) return undefined;
    if (record.final) return batchView(record, summaryFromRecord(record.final));
    const total = emptySummary();
    for (let seq = 0; seq < record.sliceCount; seq++) {
      const { state, units } = await this.loadSlice(batchId, seq);
      addSummary(total, summarizeSlice(state, units));
    }
    return batchView(record, total);
  }

  async findBatchBySourceKey(source: string, sourceKey: string): Promise<BatchView | undefined> {
    const record = await this.deps.store.findBatchBySource(source, sourceKey);
    return record ? this.getBatch(record._id) : undefined;
  }

  async findBatchByTransaction(senderId: string, transactionId: string): Promise<BatchView | undefined> {
    const [newest] = await this.deps.store.findBatchesByTransaction(senderId, transactionId);
    return newest ? this.getBatch(newest._id) : undefined;
  }

  /** A page of batches, newest first, each as getBatch shows it (live counts for running ones). */
  async listBatches(query: BatchListQuery): Promise<{ total: number; items: BatchView[] }> {
    const page = await this.deps.store.listBatches(query);
    const items = await Promise.all(page.items.map(async (r) => (await this.getBatch(r._id)) ?? batchView(r, emptySummary())));
    return { total: page.total, items };
  }

  /** A slice as stored: a live one's last stored state, or the store's own copy. */
  private async slice(batchId: string, seq: number): Promise<LiveSlice> {
    const live = this.runs.get(batchId)?.live.get(seq);
    if (!live) return this.loadSlice(batchId, seq);
    const state = await this.deps.store.getSliceState(batchId, seq);
    if (!state) throw new Error(`slice ${seq} of batch ${batchId} is missing from the store`);
    return { state, input: live.input, units: live.units };
  }

  async *iteratePayments(batchId: string): AsyncIterable<PaymentView> {
    const record = this.runs.get(batchId)?.record ?? (await this.deps.store.getBatch(batchId));
    if (!record) return;
    for (let seq = 0; seq < record.sliceCount; seq++) {
      const { state, input } = await this.slice(batchId, seq);
      for (let i = 0; i < state.n; i++) yield paymentView(batchId, input[i], state, i);
    }
  }

  async listPayments(batchId: string, query: { status?: PaymentStatus; errorCode?: string; offset?: number;
    limit?: number } = {}): Promise<{ total: number; items: PaymentView[] }> {
    const run = this.runs.get(batchId);
    const record = run?.record ?? (await this.deps.store.getBatch(batchId));
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
