/**
 * The mojaloop-sdk rail's `transfers` mode, two-phase: money moves only under a transfer id GPO stored first.
 *
 * The SDK scheme adapter starts a new transfer with a new `transferId` on every `POST /transfers` (it never
 * de-duplicates on `homeTransactionId`). With its quotes accepted by the caller (`AUTO_ACCEPT_QUOTES=false`) the POST
 * stops at WAITING_FOR_QUOTE_ACCEPTANCE and returns that transferId before anything is sent to the hub:
 *
 * 1. `POST /transfers` per payment (homeTransactionId = GPO's id for this attempt); party acceptance when asked;
 * 2. the SDK transferIds (and the quoted fees) are stored through `hooks.storeRailIds` — one write per group;
 * 3. `PUT /transfers/{transferId} {acceptQuote}` within the fee limit (over it: `acceptQuote: false`, 4100).
 *
 * What is uncertain is asked about, never resent: `GET /transfers/{transferId}` for a stored id. A POST whose answer
 * was lost may have created a transfer whose id GPO never learned: nobody can accept it, so once the SDK's quote
 * expiry has passed (`holdMs`) it can no longer complete and the rail reports the payment as never sent (`unknown`):
 * the engine sends it again under a new homeTransactionId (`newIdOnResend`), a new transfer for the SDK. An SDK that accepts quotes by
 * itself moves money before GPO learns the id: detected from its
 * answers, reported in `warnings()` and the log, and a payment whose answer was lost there is held in doubt for an
 * operator (reconciliation report), never resent.
 */
import type { Logger } from 'pino';
import { toUnits } from '../../shared/money';
import { mapLimit } from '../../shared/concurrency';
import type { JsonClient, JsonResponse } from './http';
import { errorCodeOf } from './http';
import type { ItemResult, RailGroup, RailIds, RailItem, RailMemory, SendHooks } from './port';
import { amountsFrom, lastErrorOf, type Obj } from './sdk-answers';
import { payeeFspOf, sdkCompleted as completed, sdkInDoubt as inDoubt, SdkTransferStatus } from './sdk-transfer-status';
import { ErrorCode, isTransientCode } from '../../shared/fspiop-errors';

export interface SdkTransfersOptions {
  http: JsonClient;
  /** Parallel POST /transfers (and PUT) calls within one group. */
  perGroup: number;
  /**
   * How long after its request a transfer the SDK may have started (id never learned, or accepted but unknown to
   * the hub) can still complete: the SDK's REQUEST_PROCESSING_TIMEOUT_SECONDS for the lookup and quote plus its
   * EXPIRY_SECONDS (quote and transfer expiration), with a margin.
   */
  holdMs: number;
  logger?: Logger;
  /** Keeps the SDK's observed quote acceptance across restarts (a restart may find payments whose answer was lost). */
  memory?: RailMemory;
}

/** How the SDK treats quotes, as its answers showed. */
export type QuoteAcceptance = 'unknown' | 'caller' | 'auto';

/** Where phase 1 left a payment. */
type Prepared =
  | { kind: 'waiting'; railTransferId: string; view: Obj }
  | { kind: 'done'; result: ItemResult };

const MEMORY_KEY = 'sdk-transfers.quoteAcceptance';

const AUTO_ACCEPT_WARNING = 'the payer DFSP SDK accepts quotes by itself (AUTO_ACCEPT_QUOTES=true): money moves before GPO can store '
  + 'the transfer id, so a payment whose answer is lost is held in doubt for an operator. Set AUTO_ACCEPT_QUOTES=false on the SDK.';

export class SdkTransfers {
  private acceptance: QuoteAcceptance = 'unknown';
  /** The acceptance last written to memory, and the write (or the first read) in progress. */
  private remembered: QuoteAcceptance = 'unknown';
  private memoryOp: Promise<void>;
  /** Asks about stored ids; remembers when an answer that may have created or moved a transfer was lost. */
  private readonly status: SdkTransferStatus;

  constructor(private readonly opts: SdkTransfersOptions) {
    this.status = new SdkTransferStatus(opts.http, opts.holdMs);
    this.memoryOp = (async () => {
      const v = await opts.memory?.get(MEMORY_KEY).catch(() => undefined);
      if ((v === 'caller' || v === 'auto') && this.acceptance === 'unknown') {
        this.remembered = v;
        this.observe(v);
      }
    })();
  }

  /** Makes what was observed durable: done before any id is stored, so a restart knows how the SDK behaved. */
  private async remember(): Promise<void> {
    await this.memoryOp;
    if (this.acceptance === this.remembered || this.acceptance === 'unknown' || !this.opts.memory) return;
    const a = this.acceptance;
    this.memoryOp = this.opts.memory.set(MEMORY_KEY, a).then(() => { this.remembered = a; }, (err) => {
      this.opts.logger?.warn({ err }, 'could not store what the SDK does with quotes');
    });
    await this.memoryOp;
  }

  get quoteAcceptance(): QuoteAcceptance {
    return this.acceptance;
  }

  warnings(): string[] {
    return this.acceptance === 'auto' ? [AUTO_ACCEPT_WARNING] : [];
  }

  private observe(a: 'caller' | 'auto'): void {
    if (this.acceptance === a) return;
    this.acceptance = a;
    if (a === 'auto') this.opts.logger?.error({ railMode: 'transfers' }, AUTO_ACCEPT_WARNING);
    else this.opts.logger?.info({ railMode: 'transfers' }, 'the payer DFSP SDK waits for GPO to accept each quote (two-phase transfers)');
  }

  // ------------------------------------------------------------------------------------------------------------

  async send(group: RailGroup, hooks?: SendHooks): Promise<ItemResult[]> {
    const prepared = await mapLimit(group.items, this.opts.perGroup, (it) => this.prepare(group, it));
    await this.remember();
    const waiting: Array<{ it: RailItem; p: Extract<Prepared, { kind: 'waiting' }> }> = [];
    prepared.forEach((p, k) => { if (p.kind === 'waiting') waiting.push({ it: group.items[k], p }); });
    if (waiting.length) {
      const ids: RailIds[] = waiting.map(({ it, p }) => {
        const fee = p.view.quoteResponse ? amountsFrom(it.amount, p.view.quoteResponse).fee : undefined;
        const fsp = payeeFspOf(p.view);
        return { transferId: it.transferId, railTransferId: p.railTransferId, ...(fee !== undefined ? { fee } : {}),
          ...(fsp ? { payeeFsp: fsp } : {}) };
      });
      // Nothing is accepted before the ids are durable; if they cannot be stored nothing is accepted at all.
      await hooks?.storeRailIds(ids);
    }
    const accepted = await mapLimit(waiting, this.opts.perGroup, ({ it, p }) => this.accept(group, it, p.railTransferId, p.view));
    const byItem = new Map(waiting.map((w, k) => [w.it, accepted[k]]));
    return group.items.map((it, k) => {
      const p = prepared[k];
      return p.kind === 'done' ? p.result : (byItem.get(it) as ItemResult);
    });
  }

  /** Phase 1: POST /transfers, as far as the SDK goes before it needs GPO's acceptance of the quote. */
  private async prepare(group: RailGroup, it: RailItem): Promise<Prepared> {
    const body: Obj = {
      homeTransactionId: it.transferId, from: transferParty(group), to: payeeParty(it), amountType: 'SEND',
      currency: it.currency, amount: it.amount, transactionType: 'TRANSFER',
    };
    if (it.note) body.note = it.note.slice(0, 128);
    if (it.payeeFsp) body.skipPartyLookup = true;
    let res: JsonResponse;
    try {
      res = await this.opts.http.call('POST', '/transfers', 'transfers', body);
    } catch (err) {
      return { kind: 'done', result: this.lost(it, err) };
    }
    for (let step = 0; step < 2; step++) {
      const view = viewOf(res);
      const state = view.currentState;
      const sdkId = typeof view.transferId === 'string' ? view.transferId : undefined;
      if (state === 'WAITING_FOR_QUOTE_ACCEPTANCE' && sdkId) {
        this.observe('caller');
        return { kind: 'waiting', railTransferId: sdkId, view };
      }
      if (state === 'WAITING_FOR_PARTY_ACCEPTANCE' && sdkId && step === 0) {
        // Accepting the party lets an SDK that accepts quotes by itself go on to pay: the id is known already.
        try {
          res = await this.opts.http.call('PUT', `/transfers/${encodeURIComponent(sdkId)}`, 'transfers.accept', { acceptParty: true });
        } catch (err) {
          return { kind: 'done', result: this.lost(it, err, sdkId) };
        }
        continue;
      }
      if (state === 'COMPLETED') {
        // It never stopped for acceptance: this SDK accepts quotes by itself.
        this.observe('auto');
        return { kind: 'done', result: completed(it, view, sdkId) };
      }
      // An error before GPO accepted anything. A quote in the answer means the SDK went on by itself.
      if (view.quoteResponse && res.status !== 200) this.observe('auto');
      return { kind: 'done', result: this.failedAnswer(it, res, view, sdkId, !!view.quoteResponse) };
    }
    return { kind: 'done', result: this.lost(it, new Error('unexpected answer to the party acceptance'),
      typeof viewOf(res).transferId === 'string' ? String(viewOf(res).transferId) : undefined) };
  }

  /** Phase 2: the fee check, then PUT /transfers/{id} {acceptQuote}. The id is stored. */
  private async accept(group: RailGroup, it: RailItem, sdkId: string, view: Obj): Promise<ItemResult> {
    const fee = amountsFrom(it.amount, view.quoteResponse).fee;
    const path = `/transfers/${encodeURIComponent(sdkId)}`;
    if (group.feeLimit !== undefined && toUnits(fee) > toUnits(group.feeLimit)) {
      // Declined: nothing moves under this id (and GPO never accepts it later).
      await this.opts.http.call('PUT', path, 'transfers.accept', { acceptQuote: false }).catch(() => undefined);
      return { transferId: it.transferId, railTransferId: sdkId, outcome: 'failed', errorCode: ErrorCode.PAYER_REJECTION, description:
        `fee ${fee} above the limit of ${group.feeLimit}`, transient: false, newIdSafe: true };
    }
    let res: JsonResponse;
    try {
      res = await this.opts.http.call('PUT', path, 'transfers.accept', { acceptQuote: true });
    } catch (err) {
      return this.lost(it, err, sdkId);
    }
    const after = viewOf(res);
    if (after.currentState === 'COMPLETED') return completed(it, { ...view, ...after, quoteResponse: after.quoteResponse
      ?? view.quoteResponse }, sdkId);
    return this.failedAnswer(it, res, after, sdkId, true);
  }

  /** No answer (timeout, connection lost): the SDK may have started or sent a transfer. */
  private lost(it: RailItem, err: unknown, sdkId?: string): ItemResult {
    this.status.since(sdkId ?? it.transferId);
    const message = err instanceof Error ? err.message : String(err);
    return inDoubt(it, sdkId, `no answer from the SDK (${message}); asking before anything is sent again`);
  }

  /**
   * An error answer. Before acceptance (mayHaveMoved false) nothing was sent: failed, safe under a new id. After it,
   * an FSPIOP error from the hub or payee ends the transfer; a 504 or an error without a code leaves it in doubt.
   */
  private failedAnswer(it: RailItem, res: JsonResponse, view: Obj, sdkId: string | undefined, mayHaveMoved: boolean): ItemResult {
    const e = lastErrorOf(view) ?? errorCodeOf(res.body);
    const description = e.description || String(((res.body ?? {}) as Obj).message ?? `HTTP ${res.status}`);
    if (mayHaveMoved && (res.status === 504 || !e.code || e.code === ErrorCode.SERVER_TIMED_OUT)) {
      this.status.since(sdkId ?? it.transferId);
      return inDoubt(it, sdkId, `${description} (after the quote was accepted); asking the SDK`);
    }
    if (!mayHaveMoved && res.status >= 500 && !sdkId) {
      // The SDK failed without saying which transfer it started, if any.
      return this.lost(it, new Error(`HTTP ${res.status}: ${description}`));
    }
    const code = e.code ?? (res.status === 504 ? ErrorCode.SERVER_TIMED_OUT : res.status >= 500 ? ErrorCode.INTERNAL_SERVER_ERROR
      : ErrorCode.VALIDATION_ERROR);
    return {
      transferId: it.transferId, outcome: 'failed', errorCode: code, description, newIdSafe: true,
      transient: isTransientCode(code) || (!mayHaveMoved && res.status >= 500), ...(sdkId ? { railTransferId: sdkId } : {}),
    };
  }

  // ------------------------------------------------------------------------------------------------------------

  /** What became of payments that may have been sent: GET /transfers/{id} for stored ids, the hold for the others. */
  async query(group: RailGroup): Promise<ItemResult[]> {
    await this.memoryOp;
    return mapLimit(group.items, this.opts.perGroup, async (it) => (it.railTransferId ? this.ask(it, it.railTransferId)
      : this.unconfirmed(it)));
  }

  private ask(it: RailItem, sdkId: string): Promise<ItemResult> {
    // Never accepted, or accepted and expired unseen: it can no longer move money. Nothing was paid.
    return this.status.ask(it, sdkId, () => (this.acceptance !== 'caller' ? this.heldForOperator(it, sdkId)
      : { transferId: it.transferId, outcome: 'unknown' }));
  }

  /** A POST whose answer was lost: the SDK may hold a transfer GPO has no id for. */
  private unconfirmed(it: RailItem): ItemResult {
    if (this.acceptance !== 'caller') return this.heldForOperator(it, undefined);
    const waited = Date.now() - this.status.since(it.transferId);
    if (waited < this.opts.holdMs) return inDoubt(it, undefined,
      `the SDK may hold an unaccepted transfer for it; sent again once its quote has expired (${this.opts.holdMs - waited} ms)`);
    this.status.forget(it.transferId);
    // Any transfer the SDK started for it was never accepted (nobody knows its id) and its quote has expired.
    return { transferId: it.transferId, outcome: 'unknown' };
  }

  private heldForOperator(it: RailItem, sdkId: string | undefined): ItemResult {
    return inDoubt(it, sdkId, this.acceptance === 'auto'
      ? 'held for an operator: the SDK accepts quotes by itself and this answer was lost, so it may have paid under an id GPO cannot ask ' +
        'about; reconcile with the payer DFSP'
      : 'held: whether the SDK waits for quote acceptance is not known yet');
  }
}

function viewOf(res: JsonResponse): Obj {
  const b = (res.body ?? {}) as Obj;
  return ((res.status === 200 ? b : (b.transferState as Obj | undefined)) ?? {}) as Obj;
}

export function transferParty(group: RailGroup): Obj {
  const p = group.payer;
  const out: Obj = { idType: p.idType, idValue: p.idValue };
  if (p.displayName) out.displayName = p.displayName;
  return out;
}

export function payeeParty(it: RailItem): Obj {
  const to: Obj = { idType: it.payeeIdType, idValue: it.payeeIdValue };
  if (it.payeeIdSubValue) to.idSubValue = it.payeeIdSubValue;
  if (it.payeeFsp) to.fspId = it.payeeFsp;
  return to;
}
