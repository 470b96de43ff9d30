/**
 * The mojaloop-sdk rail's `bulkTransactions` mode: the SDK scheme adapter's asynchronous bulk protocol (outbound and
 * backend API v2.1), in which money moves only under transfer ids GPO stored first.
 *
 * 1. `POST /bulkTransactions` (one per group; bulkTransactionId = the group id GPO stored) with both acceptances left
 *    to the caller. The SDK answers 202 and works on: it gives every item a transferId of its own.
 * 2. The SDK asks the payer's backend, which is GPO (`PUT {backend}/bulkTransactions/{id}`, served at
 *    SDK_BACKEND_PATH): WAITING_FOR_PARTY_ACCEPTANCE, answered with `PUT /bulkTransactions/{id}` listing every item
 *    (parties found: accepted; lookups failed: not accepted).
 * 3. WAITING_FOR_QUOTE_ACCEPTANCE: the fee check per item; the SDK's transfer ids (and fees) of the items to accept are
 *    stored through `hooks.storeRailIds`; then `PUT /bulkTransactions/{id}` lists every item, accepted or not (the
 *    SDK transfers any quoted item the acceptance does not reject).
 * 4. The final report (COMPLETED or ERROR_OCCURRED) gives each item's outcome.
 *
 * The SDK has no `GET /bulkTransactions/{id}`, and sends each backend request once. So a stage that does not move on
 * within `stageTimeoutMs` ends the wait: items never accepted failed (nothing can move under them: safe under a new
 * id), accepted ones asked about one by one (`GET /transfers/{transferId}`, the hold of SdkTransferStatus). Recovery
 * after a restart is the same: an item with a stored transfer id was maybe accepted and is asked about; one without was
 * never accepted and is sent again. A prompt for a bulk transaction GPO is not waiting for (an earlier life's, a
 * timed-out one's) is declined item by item, so it can never pay.
 */
import type { Logger } from 'pino';
import { fspiopNow } from '../../shared/ids';
import { toUnits } from '../../shared/money';
import { mapLimit } from '../../shared/concurrency';
import { ErrorCode, isTransientCode } from '../../shared/fspiop-errors';
import type { JsonClient } from './http';
import { errorCodeOf } from './http';
import type { ItemResult, RailGroup, RailIds, RailItem, SendHooks } from './port';
import { amountsFrom, failedMaybeInDoubt, lastErrorOf, type Obj } from './sdk-answers';
import { payeeFspOf, SdkTransferStatus } from './sdk-transfer-status';

/** Where GPO serves the SDK's backend API (bulk transaction prompts and reports): the SDK's BACKEND_ENDPOINT. */
export const SDK_BACKEND_PATH = '/sdk-backend';

export interface SdkBulkTransactionsOptions {
  http: JsonClient;
  /** How long the SDK may take to move from one stage to the next (POST to prompt, acceptance to the next). */
  stageTimeoutMs: number;
  /** How long a transfer the hub does not know may still arrive there (SdkTransferStatus). */
  holdMs: number;
  logger?: Logger;
}

/** A bulk transaction GPO is waiting on. */
interface Open {
  group: RailGroup;
  hooks?: SendHooks;
  /** The group's items by homeTransactionId (GPO's transfer id). */
  byHome: Map<string, RailItem>;
  /** Outcomes known before the report (lookups or quotes failed, fees refused), by GPO transfer id. */
  known: Map<string, ItemResult>;
  /** GPO transfer ids whose quote acceptance was (or may have been) sent. */
  accepted: Set<string>;
  /** Serialises this transaction's prompts. */
  queue: Promise<void>;
  timer?: NodeJS.Timeout;
  done: (results: ItemResult[]) => void;
}

type Decision = { transferId: string; acceptParty: boolean } | { transferId: string; acceptQuote: boolean };

export class SdkBulkTransactions {
  private readonly open = new Map<string, Open>();
  private readonly status: SdkTransferStatus;

  constructor(private readonly opts: SdkBulkTransactionsOptions) {
    this.status = new SdkTransferStatus(opts.http, opts.holdMs);
  }

  private body(group: RailGroup): Obj {
    const options: Obj = {
      autoAcceptParty: { enabled: false },
      autoAcceptQuote: { enabled: false },
      bulkExpiration: fspiopNow(new Date(Date.now() + Math.max(this.opts.holdMs, this.opts.stageTimeoutMs))),
    };
    // Payees whose FSP is known (financial address, CSV column) need no lookup by the SDK.
    if (group.items.every((it) => it.payeeFsp)) options.skipPartyLookup = true;
    return {
      bulkTransactionId: group.id,
      bulkHomeTransactionID: group.id,
      from: { partyIdInfo: { partyIdType: group.payer.idType, partyIdentifier: group.payer.idValue } },
      options,
      individualTransfers: group.items.map((it) => {
        const partyIdInfo: Obj = { partyIdType: it.payeeIdType, partyIdentifier: it.payeeIdValue };
        if (it.payeeIdSubValue) partyIdInfo.partySubIdOrType = it.payeeIdSubValue;
        if (it.payeeFsp) partyIdInfo.fspId = it.payeeFsp;
        const t: Obj = { homeTransactionId: it.transferId, to: { partyIdInfo }, amountType: 'SEND', currency: it.currency, amount:
          it.amount, reference: it.reference };
        if (it.note) t.note = it.note.slice(0, 128);
        return t;
      }),
    };
  }

  async send(group: RailGroup, hooks?: SendHooks): Promise<ItemResult[]> {
    let done!: (r: ItemResult[]) => void;
    const finished = new Promise<ItemResult[]>((r) => { done = r; });
    const o: Open = { group, hooks, byHome: new Map(group.items.map((it) => [it.transferId, it])), known: new Map(), accepted: new Set(),
      queue: Promise.resolve(), done };
    // Registered before the POST: the SDK may prompt before its 202 arrives.
    this.open.set(group.id, o);
    this.arm(o);
    let failure: string | undefined;
    let code: string = ErrorCode.SERVER_TIMED_OUT;
    let transient = true;
    try {
      const res = await this.opts.http.call('POST', '/bulkTransactions', 'bulkTransactions', this.body(group));
      if (res.status !== 202 && res.status !== 200) {
        const e = errorCodeOf(res.body);
        code = e.code ?? (res.status >= 500 ? ErrorCode.INTERNAL_SERVER_ERROR : ErrorCode.VALIDATION_ERROR);
        transient = res.status >= 500 || isTransientCode(code);
        failure = `bulk transaction refused: HTTP ${res.status} ${e.description ?? ''}`.trim();
      }
    } catch (err) {
      failure = `no answer to POST /bulkTransactions (${err instanceof Error ? err.message : String(err)}); its prompts will be declined`;
    }
    if (failure !== undefined && this.open.get(group.id) === o && !o.accepted.size) {
      // Nothing was accepted, so nothing can move under this bulk transaction: safe to send again under new ids.
      this.close(o, group.items.map((it) => o.known.get(it.transferId) ?? notSent(it, code, failure!, transient)));
    }
    return finished;
  }

  /** (Re)starts the stage timer: when it fires, the wait ends with what is known. */
  private arm(o: Open): void {
    if (o.timer) clearTimeout(o.timer);
    o.timer = setTimeout(() => {
      if (this.open.get(o.group.id) !== o) return;
      this.opts.logger?.warn({ bulkTransactionId: o.group.id, accepted: o.accepted.size, stageTimeoutMs: this.opts.stageTimeoutMs },
        'the SDK did not move the bulk transaction on in time; asking about accepted items one by one');
      this.close(o, o.group.items.map((it) => o.known.get(it.transferId) ?? (o.accepted.has(it.transferId)
        ? { transferId: it.transferId, outcome: 'unknown' as const }
        : notSent(it, ErrorCode.SERVER_TIMED_OUT, `the SDK did not prompt for acceptance within ${this.opts.stageTimeoutMs} ms`, true))));
    }, this.opts.stageTimeoutMs);
    o.timer.unref?.();
  }

  private close(o: Open, results: ItemResult[]): void {
    if (o.timer) clearTimeout(o.timer);
    if (this.open.get(o.group.id) === o) this.open.delete(o.group.id);
    o.done(results);
  }

  /**
   * A backend request from the SDK (`PUT {backend}/bulkTransactions/{id}`): acted on in order per transaction, after
   * the SDK has had its answer.
   */
  report(id: string, body: Obj): void {
    const o = this.open.get(id);
    if (!o) {
      void this.decline(id, body);
      return;
    }
    o.queue = o.queue.then(() => this.handle(o, body)).catch((err) => {
      this.opts.logger?.error({ err, bulkTransactionId: id }, 'bulk transaction prompt could not be handled');
    });
  }

  private async handle(o: Open, body: Obj): Promise<void> {
    if (this.open.get(o.group.id) !== o) return this.decline(o.group.id, body);
    const state = body.currentState;
    const results = ((body.individualTransferResults as Obj[] | undefined) ?? []).filter((r) => typeof r.transferId === 'string');
    this.arm(o);
    if (state === 'WAITING_FOR_PARTY_ACCEPTANCE') return this.acceptParties(o, results);
    if (state === 'WAITING_FOR_QUOTE_ACCEPTANCE') return this.acceptQuotes(o, results);
    if (state === 'COMPLETED' || state === 'ERROR_OCCURRED') return this.finish(o, results);
    this.opts.logger?.warn({ bulkTransactionId: o.group.id, currentState: state }, 'bulk transaction report in an unexpected state');
  }

  private itemOf(o: Open, r: Obj): RailItem | undefined {
    return o.byHome.get(String(r.homeTransactionId));
  }

  private async acceptParties(o: Open, results: Obj[]): Promise<void> {
    const decisions: Decision[] = results.map((r) => {
      const it = this.itemOf(o, r);
      const le = lastErrorOf(r);
      if (it && le) o.known.set(it.transferId, failedBeforeTransfer(it, le.code ?? ErrorCode.PARTY_NOT_FOUND, le.description
        ?? 'party lookup failed'));
      return { transferId: String(r.transferId), acceptParty: !!it && !le };
    });
    await this.put(o.group.id, decisions);
  }

  private async acceptQuotes(o: Open, results: Obj[]): Promise<void> {
    const { group } = o;
    const ids: RailIds[] = [];
    const decisions: Decision[] = results.map((r) => {
      const it = this.itemOf(o, r);
      const sdkId = String(r.transferId);
      if (!it) return { transferId: sdkId, acceptQuote: false };
      const le = lastErrorOf(r);
      if (le || !r.quoteResponse) {
        o.known.set(it.transferId, failedBeforeTransfer(it, le?.code ?? ErrorCode.INTERNAL_SERVER_ERROR, le?.description
          ?? 'no quote for this payment'));
        return { transferId: sdkId, acceptQuote: false };
      }
      const fee = amountsFrom(it.amount, r.quoteResponse).fee;
      if (group.feeLimit !== undefined && toUnits(fee) > toUnits(group.feeLimit)) {
        o.known.set(it.transferId, { transferId: it.transferId, outcome: 'failed', errorCode:
          ErrorCode.PAYER_REJECTION, description: `fee ${fee} above the limit of ${group.feeLimit}`, transient: false, newIdSafe: true });
        return { transferId: sdkId, acceptQuote: false };
      }
      const fsp = payeeFspOf(r);
      ids.push({ transferId: it.transferId, railTransferId: sdkId, fee, ...(fsp ? { payeeFsp: fsp } : {}) });
      return { transferId: sdkId, acceptQuote: true };
    });
    if (ids.length) {
      try {
        // Nothing is accepted before the ids are durable.
        await o.hooks?.storeRailIds(ids);
      } catch (err) {
        this.opts.logger?.warn({ bulkTransactionId: group.id, err: (err as Error).message }, 'rail ids not stored: declining every quote');
        await this.put(group.id, decisions.map((d) => ({ transferId: d.transferId, acceptQuote: false })));
        this.close(o, group.items.map((it) => o.known.get(it.transferId) ?? notSent(it, ErrorCode.INTERNAL_SERVER_ERROR,
          'stopped before the transfer ids were stored', true)));
        return;
      }
      for (const x of ids) o.accepted.add(x.transferId);
    }
    await this.put(group.id, decisions);
    if (!ids.length) this.close(o, group.items.map((it) => o.known.get(it.transferId) ?? notSent(it, ErrorCode.INTERNAL_SERVER_ERROR,
      'the SDK asked for no quote acceptance for this payment', true)));
  }

  private finish(o: Open, results: Obj[]): void {
    const byItem = new Map<string, ItemResult>();
    for (const r of results) {
      const it = this.itemOf(o, r);
      if (!it) continue;
      const sdkId = String(r.transferId);
      const fulfil = r.fulfil as Obj | undefined;
      const state = ((fulfil?.body as Obj | undefined) ?? fulfil)?.transferState;
      const accepted = o.accepted.has(it.transferId);
      const le = lastErrorOf(r);
      if (state === 'COMMITTED') {
        if (!accepted) this.opts.logger?.error({ bulkTransactionId: o.group.id, transferId: sdkId }, 'the SDK paid an item GPO did not accept');
        const fsp = payeeFspOf(r);
        byItem.set(it.transferId, { transferId: it.transferId, outcome: 'completed', ...amountsFrom(it.amount, r.quoteResponse),
          railTransferId: sdkId, ...(fsp ? { payeeFsp: fsp } : {}) });
      } else if (o.known.has(it.transferId)) {
        byItem.set(it.transferId, o.known.get(it.transferId)!);
      } else if (!accepted) {
        byItem.set(it.transferId, failedBeforeTransfer(it, le?.code ?? ErrorCode.PAYER_REJECTION, le?.description
          ?? 'the SDK ended the payment before its quote was accepted'));
      } else if (le || state === 'ABORTED') {
        const f = failedMaybeInDoubt(it.transferId, le?.code, le?.description ?? 'the transfer was aborted',
          ErrorCode.PAYEE_FSP_REJECTED_TXN, true);
        byItem.set(it.transferId, { ...f, railTransferId: sdkId, ...(f.inDoubt ? {} : { newIdSafe: true }) });
      }
    }
    // An accepted item the report leaves without an outcome is asked about (`unknown` makes the engine ask).
    this.close(o, o.group.items.map((it) => byItem.get(it.transferId) ?? o.known.get(it.transferId)
      ?? (o.accepted.has(it.transferId) ? { transferId: it.transferId, outcome: 'unknown' as const }
        : notSent(it, ErrorCode.INTERNAL_SERVER_ERROR, 'the report of the bulk transaction did not list this payment', true))));
  }

  /** A prompt GPO did not ask for or no longer waits on: every listed item not accepted. */
  private async decline(id: string, body: Obj): Promise<void> {
    const state = body.currentState;
    if (state !== 'WAITING_FOR_PARTY_ACCEPTANCE' && state !== 'WAITING_FOR_QUOTE_ACCEPTANCE') return;
    const results = ((body.individualTransferResults as Obj[] | undefined) ?? []).filter((r) => typeof r.transferId === 'string');
    this.opts.logger?.info({ bulkTransactionId: id, currentState: state, items: results.length },
      'declining a bulk transaction GPO is not waiting for');
    await this.put(id, results.map((r) => (state === 'WAITING_FOR_PARTY_ACCEPTANCE'
      ? { transferId: String(r.transferId), acceptParty: false } : { transferId: String(r.transferId), acceptQuote: false })));
  }

  /** PUT /bulkTransactions/{id} on the outbound API. A lost answer is left to the stage timer. */
  private async put(id: string, individualTransfers: Decision[]): Promise<void> {
    if (!individualTransfers.length) return;
    try {
      const res = await this.opts.http.call('PUT', `/bulkTransactions/${encodeURIComponent(id)}`, 'bulkTransactions.accept',
        { individualTransfers });
      if (res.status >= 300) this.opts.logger?.warn({ bulkTransactionId: id, status: res.status, error: errorCodeOf(res.body) },
        'the SDK refused the acceptance');
    } catch (err) {
      this.opts.logger?.warn({ bulkTransactionId: id, err: (err as Error).message }, 'acceptance not confirmed by the SDK');
    }
  }

  /**
   * What became of a group that may have been sent: an item with a stored SDK transfer id may have been accepted and is
   * asked about (GET /transfers/{id}); one without was never accepted (ids are stored first), so nothing moved.
   */
  query(group: RailGroup): Promise<ItemResult[]> {
    return mapLimit(group.items, 16, async (it) => (it.railTransferId
      ? this.status.ask(it, it.railTransferId, () => ({ transferId: it.transferId, outcome: 'unknown' }))
      : { transferId: it.transferId, outcome: 'unknown' as const }));
  }

  /** Bulk transactions still waited on (tests, shutdown). */
  get waiting(): number {
    return this.open.size;
  }

  /** Ends every wait (the rail is closing): accepted items are asked about after a restart. */
  abandonAll(): void {
    for (const o of [...this.open.values()]) this.close(o, o.group.items.map((it) => o.known.get(it.transferId)
      ?? (o.accepted.has(it.transferId) ? { transferId: it.transferId, outcome: 'unknown' as const }
        : notSent(it, ErrorCode.INTERNAL_SERVER_ERROR, 'the rail was closed', true))));
  }
}

/** Nothing was accepted for this payment, so nothing can move under it: failed, safe to send again under a new id. */
function notSent(it: RailItem, code: string, description: string, transient: boolean): ItemResult {
  return { transferId: it.transferId, outcome: 'failed', errorCode: code, description, transient, newIdSafe: true };
}

/** Failed at the lookup or the quote (the SDK's transfer id never reached the hub, so it is not kept). */
function failedBeforeTransfer(it: RailItem, code: string, description: string): ItemResult {
  return notSent(it, code, description, isTransientCode(code));
}
