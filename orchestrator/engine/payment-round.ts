/**
 * The payment path, one for fresh sends and for recovery: a round over a slice's unsent payments (lookup, group per
 * payee FSP, quote, fee check, ids stored, transfer, results stored), recovery of payments that may have been sent
 * (the rail is asked first; only what it proves it never saw is sent again), and what each rail answer does to a
 * payment: completed, failed, retried, in doubt, or the batch paused. Status changes go through the domain's
 * payment state machine (domain/payment-state.ts).
 */
import { ErrorCode, isExpiredCode, isInDoubtCode } from '../../shared/fspiop-errors';
import { mapLimit } from '../../shared/concurrency';
import {
  feeWithinLimit, isFinalCode, S_CANCELLED, S_COMPLETED, S_FAILED, S_SENT, STATUS_CODES, type GroupRecord, type SliceStateRecord,
} from '../domain/model';
import { markFinal, markQuoted, markResolved, markRetry, markSent, markUnseen, noteDoubt, recordCompletion } from '../domain/payment-state';
import type { ItemResult, Rail, RailGroup, RailItem } from '../rails/port';
import type { BatchRun, EngineContext, LiveSlice } from './context';
import type { RailCaller } from './rail-caller';
import { noteRailId, railIdHooks, railIds } from './rail-ids';

export interface PaymentRoundHooks {
  /** Stores the slice's state; reads show it only once stored. */
  save(run: BatchRun, slice: LiveSlice): Promise<void>;
  /** Pauses the batch (insufficient liquidity with onInsufficientLiquidity = pause). */
  pause(run: BatchRun, reason: string): Promise<void>;
}

const CANCELLED = { code: null, description: 'cancelled before it was sent' };

export class PaymentRound {
  /** Per slice state: payments in doubt (index -> first time reported), asked about again until settled. */
  private readonly doubts = new WeakMap<SliceStateRecord, Map<number, number>>();

  constructor(private readonly ctx: EngineContext, private readonly caller: RailCaller, private readonly hooks: PaymentRoundHooks) {}

  private get config() {
    return this.ctx.deps.config;
  }

  /** Payments reported in doubt and not yet known, over the given slices. */
  inDoubt(slices: Iterable<LiveSlice>): number {
    let n = 0;
    for (const s of slices) n += this.doubts.get(s.state)?.size ?? 0;
    return n;
  }

  rail(run: BatchRun): Rail {
    return this.ctx.deps.railFor(run.record.rail, run.record.railMode);
  }

  /** Final statuses for the unsent payments at `idx` of a cancelled batch. */
  cancel(slice: LiveSlice, idx: number[]): void {
    const at = this.ctx.now();
    for (const i of idx) this.finish(slice.state, i, S_CANCELLED, at, CANCELLED);
  }

  /** One pass over a slice's unsent payments: resolve, group, quote, fee check, store ids, transfer, store results. */
  async payRound(run: BatchRun, slice: LiveSlice, pending: number[]): Promise<void> {
    const { state, input } = slice;
    const rail = this.rail(run);
    const at = this.ctx.now();
    if (rail.needsPayeeFsp && rail.lookup) {
      const unresolved = pending.filter((i) => !(state.fsp[i] ?? input[i][4]));
      await mapLimit(unresolved, Math.max(4, this.config.railConcurrency * 4), async (i) => {
        const [, idType, idValue, subValue] = input[i];
        const r = await this.caller.lookup(rail, idType, idValue, subValue || undefined);
        if ('fsp' in r) markResolved(state, i, r.fsp);
        else this.finish(state, i, S_FAILED, at, { code: r.errorCode, description: r.description });
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
      for (let k = 0; k < idx.length; k += this.config.chunkSize) {
        const part = idx.slice(k, k + this.config.chunkSize);
        const g: GroupRecord = { id: this.ctx.deps.newId(), fsp };
        if (rail.quotesSeparately) g.quoteId = this.ctx.deps.newId();
        for (const i of part) {
          if (!state.tid[i] || !rail.reusesTransferIds) {
            state.tid[i] = this.ctx.deps.newId();
            railIds(state)[i] = null;
          }
          state.att[i]++;
        }
        planned.push({ g, idx: part });
      }
    }
    if (!planned.length) {
      await this.hooks.save(run, slice);
      return;
    }
    await Promise.all(planned.map((p) => this.payGroup(run, slice, rail, p.g, p.idx)));
    this.ctx.crash.pass('final');
  }

  /**
   * One group, fresh or sent again after recovery: quote (when the rail quotes separately), fee check, ids and group
   * stored, transfer, results stored. `resend.groupIndex` reuses the group record a recovered group already has.
   */
  private async payGroup(run: BatchRun, slice: LiveSlice, rail: Rail, g: GroupRecord, idx: number[],
    resend?: { groupIndex: number }): Promise<void> {
    const { state } = slice;
    let items = idx.map((i) => this.railItem(slice, i));
    if (rail.quotesSeparately && rail.quote) {
      const at = this.ctx.now();
      // A quote that fails on a resend fails the payment (the rail has no trace of it, so that is safe).
      const quotes = await this.caller.quote(rail, this.railGroup(run, g, items), (err) => !resend && err.transient);
      if (!resend) this.ctx.crash.pass('quote');
      const byId = new Map(quotes.map((q) => [q.transferId, q]));
      const keep: number[] = [];
      const keepItems: RailItem[] = [];
      const limit = this.config.feeLimits[run.record.currency];
      idx.forEach((i, k) => {
        const q = byId.get(items[k].transferId);
        if (!q || !q.ok) {
          this.itemFailed(run, state, i, q?.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR, q?.description ?? 'no quote result',
            q?.transient ?? true, at);
        } else if (!feeWithinLimit(q.fee, run.record.currency, this.config.feeLimits)) {
          this.finish(state, i, S_FAILED, at, { code: ErrorCode.PAYER_REJECTION, description:
            `fee ${q.fee} ${run.record.currency} above the limit of ${limit}` });
        } else {
          markQuoted(state, i, q.fee ?? null);
          keep.push(i);
          keepItems.push({ ...items[k], quote: q.quote });
        }
      });
      idx = keep;
      items = keepItems;
    }
    if (!idx.length) {
      await this.hooks.save(run, slice);
      return;
    }
    // Invariant: the transfer ids and the group are durable before the first transfer request leaves.
    const gi = resend && resend.groupIndex >= 0 ? resend.groupIndex : state.groups.push(g) - 1;
    for (const i of idx) markSent(state, i, gi);
    await this.hooks.save(run, slice);
    if (run.cancel && !this.ctx.stopped()) {
      // Stored as sent but not sent yet: still safe to cancel (a restart would first ask the rail).
      this.cancel(slice, idx);
      await this.hooks.save(run, slice);
      return;
    }
    const hooks = railIdHooks(state, idx, { save: () => this.hooks.save(run, slice), crash: this.ctx.crash, stopped: this.ctx.stopped });
    const results = await this.caller.send(run.record._id, rail, this.railGroup(run, g, items), hooks);
    this.ctx.crash.pass('transfer');
    if (this.ctx.stopped()) return;
    this.applyResults(run, state, idx, items, results);
    await this.hooks.save(run, slice);
  }

  /** Payments that may have been sent: ask the rail about each group, then finish them or send again what it never saw. */
  async recover(run: BatchRun, slice: LiveSlice, sent: number[]): Promise<void> {
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
      // Never guess about money that may have moved: if the rail cannot say, this throws and the run is tried again.
      const known = await this.caller.ask(rail, this.railGroup(run, g, items));
      const unknown = new Set(known.filter((r) => r.outcome === 'unknown').map((r) => r.transferId));
      const settled = idx.filter((_, k) => !unknown.has(items[k].transferId));
      this.applyResults(run, state, settled, settled.map((i) => this.railItem(slice, i)), known);
      await this.hooks.save(run, slice);
      const resend = idx.filter((_, k) => unknown.has(items[k].transferId));
      if (!resend.length || run.cancel) {
        if (run.cancel && resend.length) {
          this.cancel(slice, resend);
          await this.hooks.save(run, slice);
        }
        return;
      }
      this.ctx.log.info({ batchId: run.record._id, groupId: g.id, count: resend.length },
        rail.newIdOnResend ? 'resending payments the rail never saw, under new ids' : 'resending payments the rail never saw, with the same ids');
      const mid = railIds(state);
      for (const i of resend) markUnseen(state, i, mid, rail.newIdOnResend ? this.ctx.deps.newId() : undefined);
      // Same transfer ids; a bulk quote (if any) is asked again under a new quote id since the old one may have expired.
      // Where the rail takes new ids for a resend (the SDK's bulk transactions and transfers), the group's id is new too.
      const regroup: GroupRecord = { id: resend.length === idx.length && !rail.newIdOnResend ? g.id : this.ctx.deps.newId(), fsp: g.fsp };
      if (rail.quotesSeparately) regroup.quoteId = this.ctx.deps.newId();
      if (regroup.id === g.id) state.groups[gi] = regroup; // same call id: keep one record
      await this.payGroup(run, slice, rail, regroup, resend, { groupIndex: regroup.id === g.id ? gi : -1 });
    }));
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
    const c = this.config;
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

  private applyResults(run: BatchRun, state: SliceStateRecord, idx: number[], items: RailItem[], results: ItemResult[]): void {
    const at = this.ctx.now();
    const byId = new Map(results.map((r) => [r.transferId, r]));
    idx.forEach((i, k) => {
      const r = byId.get(items[k].transferId);
      if (r) noteRailId(state, i, r);
      if (!r || r.outcome === 'unknown') {
        this.itemFailed(run, state, i, ErrorCode.SERVER_TIMED_OUT, 'the rail returned no result for this transfer', true, at);
      } else if (r.outcome === 'completed') {
        recordCompletion(state, i, r);
        this.finish(state, i, S_COMPLETED, at, { code: null, description: null });
      } else if (isInDoubtCode(r.errorCode) && r.inDoubt && state.st[i] === S_SENT) {
        if (this.stillInDoubt(state, i)) {
          // May have been sent and may still commit: stays SENT with its ids, asked about again later.
          noteDoubt(state, i, r.errorCode, r.description);
        } else {
          // Never resent under a new id: that could pay twice. Left to reconciliation with the payer DFSP.
          this.doubts.get(state)?.delete(i);
          this.finish(state, i, S_FAILED, at, { code: r.errorCode, description:
            `outcome still unknown after ${this.config.inDoubtTimeoutMs} ms (${r.description}); reconcile with the payer DFSP` });
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
    return Date.now() - first < this.config.inDoubtTimeoutMs;
  }

  /** A payment the rail reported failed: retry with a new transfer id, pause the batch, or fail it. */
  private itemFailed(run: BatchRun, state: SliceStateRecord, i: number, code: string, description: string, transient: boolean,
    at: string, newIdSafe = false): void {
    if (isExpiredCode(code)) {
      transient = true;
      newIdSafe = true;
    }
    if (code === ErrorCode.PAYER_FSP_INSUFFICIENT_LIQUIDITY && this.config.onInsufficientLiquidity === 'pause') {
      markRetry(state, i, code, description, newIdSafe ? railIds(state) : undefined);
      state.att[i] = Math.max(0, state.att[i] - 1);
      if (!run.paused) void this.hooks.pause(run, `${code} ${description}`);
      return;
    }
    if (transient && state.att[i] < this.config.retry.maxAttempts && !run.cancel) {
      markRetry(state, i, code, description, newIdSafe ? railIds(state) : undefined);
      return;
    }
    this.finish(state, i, S_FAILED, at, { code, description });
  }

  private finish(state: SliceStateRecord, i: number, status: number, at: string,
    err: { code: string | null; description: string | null }): void {
    if (markFinal(state, i, status, at, err)) this.ctx.deps.metrics?.paymentsFinal(STATUS_CODES[status], 1);
  }
}
