/**
 * Every call the engine makes to a rail: slots (at most railConcurrency calls per rail, perFspConcurrency per rail
 * and payee FSP, 4 × railConcurrency lookups), call-level retries with the same ids, and asking the rail until it
 * says what became of a group that may have been sent. It never decides a payment's status: it returns what the
 * rail said, or throws when the rail cannot say.
 */
import { backoffDelay } from '../../shared/backoff';
import { KeyedSemaphores, Semaphore, delay } from '../../shared/concurrency';
import { ErrorCode } from '../../shared/fspiop-errors';
import type { ItemResult, LookupResult, QuoteResult, Rail, RailGroup, SendHooks } from '../rails/port';
import { RailCallError } from '../rails/port';
import type { EngineContext } from './context';
import { failed, toRailError } from './helpers';

export class RailCaller {
  private readonly railSlots: KeyedSemaphores;
  private readonly fspSlots: KeyedSemaphores;
  private readonly lookupSlots: Semaphore;

  constructor(private readonly ctx: EngineContext) {
    const c = ctx.deps.config;
    this.railSlots = new KeyedSemaphores(c.railConcurrency);
    this.fspSlots = new KeyedSemaphores(c.perFspConcurrency);
    this.lookupSlots = new Semaphore(c.railConcurrency * 4);
  }

  private pause(attempt: number): Promise<void> {
    const { baseDelayMs, maxDelayMs } = this.ctx.deps.config.retry;
    return delay(backoffDelay(attempt, { baseDelayMs, maxDelayMs }, this.ctx.deps.random()));
  }

  /** A party lookup with retries on transient failures; a failure that persists is returned, not thrown. */
  async lookup(rail: Rail, idType: string, idValue: string, subValue?: string): Promise<LookupResult> {
    try {
      return await this.withRetry('lookup', async () => {
        const r = await this.lookupSlots.run(() => rail.lookup!(idType, idValue, subValue));
        if ('errorCode' in r && r.transient) throw new RailCallError(r.description, true, r.errorCode);
        return r;
      });
    } catch (err) {
      const e = toRailError(err);
      this.ctx.log.debug({ errorCode: e.errorCode }, 'party lookup failed after retries');
      return { errorCode: e.errorCode, description: e.message, transient: e.transient };
    }
  }

  /**
   * The quotes of a group, with retries on transient call failures. A call that fails for good answers every item
   * failed with its code (`transient` as the caller says such a failure is).
   */
  async quote(rail: Rail, group: RailGroup, failureTransient: (err: RailCallError) => boolean): Promise<QuoteResult[]> {
    return this.slots(rail, group.fsp ?? '', () => this.withRetry('quote', () => rail.quote!(group)),
      (err) => group.items.map((it) => ({ transferId: it.transferId, ok: false, errorCode: err.errorCode, description: err.message,
        transient: failureTransient(err) })));
  }

  /**
   * Sends a group with call-level retries (same ids), then asks about any item the answers left without an outcome.
   * When retries run out the rail is asked what happened; only what it has no trace of is failed.
   */
  async send(batchId: string, rail: Rail, group: RailGroup, hooks: SendHooks): Promise<ItemResult[]> {
    return this.settleUnknown(rail, group, await this.sendWithRetries(batchId, rail, group, hooks));
  }

  private async sendWithRetries(batchId: string, rail: Rail, group: RailGroup, hooks: SendHooks): Promise<ItemResult[]> {
    const { maxAttempts } = this.ctx.deps.config.retry;
    let last: RailCallError | undefined;
    for (let attempt = 1; attempt <= maxAttempts && !this.ctx.stopped(); attempt++) {
      try {
        return await this.slots(rail, group.fsp ?? '', () => rail.send(group, hooks));
      } catch (err) {
        last = toRailError(err);
        this.ctx.deps.metrics?.railError?.('send', last.errorCode);
        this.ctx.log.warn({ batchId, groupId: group.id, attempt, errorCode: last.errorCode, err: last.message }, 'rail call failed');
        if (!last.transient) return group.items.map((it) => failed(it.transferId, last!.errorCode, last!.message, false));
        if (attempt < maxAttempts) await this.pause(attempt);
      }
    }
    // Out of attempts: the rail may still have paid. Ask until it answers, and fail only what it has no trace of.
    const known = await this.ask(rail, group);
    return known.map((r) => (r.outcome === 'unknown' ? failed(r.transferId, last?.errorCode ?? ErrorCode.SERVER_TIMED_OUT,
      `no answer from the rail after ${maxAttempts} attempts`, false) : r));
  }

  /** Items a send left without an outcome are asked about before anything else happens to them. */
  private async settleUnknown(rail: Rail, group: RailGroup, results: ItemResult[]): Promise<ItemResult[]> {
    const known = new Map(results.filter((r) => r.outcome !== 'unknown').map((r) => [r.transferId, r]));
    const open = group.items.filter((it) => !known.has(it.transferId));
    if (!open.length || this.ctx.stopped()) return results;
    const asked = new Map((await this.ask(rail, { ...group, items: open })).map((r) => [r.transferId, r]));
    return group.items.map((it) => known.get(it.transferId) ?? asked.get(it.transferId)
      ?? { transferId: it.transferId, outcome: 'unknown' as const });
  }

  /**
   * What the rail knows about a group that may have been sent, asking again on transient failures (several times the
   * retry budget). If it still cannot say, this throws: the payments stay SENT and the batch run is tried again
   * later; GPO never marks as failed a payment that may have been paid.
   */
  async ask(rail: Rail, group: RailGroup): Promise<ItemResult[]> {
    const { maxAttempts } = this.ctx.deps.config.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.slots(rail, group.fsp ?? '', () => rail.query(group));
      } catch (err) {
        const e = toRailError(err);
        this.ctx.deps.metrics?.railError?.('query', e.errorCode);
        if (!e.transient || attempt >= maxAttempts * 3
          || this.ctx.stopped()) throw new Error(`the rail could not say what became of group ${group.id}: ${e.message}`);
        await this.pause(attempt);
      }
    }
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

  /** Retries a read-only call (lookup, quote) on transient call failures. */
  private async withRetry<T>(operation: 'lookup' | 'quote', fn: () => Promise<T>): Promise<T> {
    const { maxAttempts } = this.ctx.deps.config.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const e = toRailError(err);
        this.ctx.deps.metrics?.railError?.(operation, e.errorCode);
        if (!e.transient || attempt >= maxAttempts || this.ctx.stopped()) throw e;
        await this.pause(attempt);
      }
    }
  }
}
