/**
 * Asking the SDK scheme adapter what became of one transfer whose id GPO stored (`GET /transfers/{transferId}`: the
 * SDK asks the hub). Shared by the two-phase modes (`transfers`, `bulkTransactions`). A transfer the hub does not
 * know may still arrive there until it expires: it counts as never sent only after `holdMs` of asking.
 */
import type { JsonClient } from './http';
import { errorCodeOf } from './http';
import type { ItemResult, RailItem } from './port';
import { RailCallError } from './port';
import { amountsFrom, amountsFromFee, lastErrorOf, transferStateOf, type Obj } from './sdk-answers';
import { ErrorCode } from '../../shared/fspiop-errors';

export class SdkTransferStatus {
  /** Since when an outcome has been unknown, per GPO id (homeTransactionId) or SDK transfer id. */
  private readonly lostAt = new Map<string, number>();

  constructor(private readonly http: JsonClient, readonly holdMs: number) {}

  /** When the outcome of `key` was first found unknown (now, the first time). */
  since(key: string): number {
    let t = this.lostAt.get(key);
    if (t === undefined) this.lostAt.set(key, (t = Date.now()));
    return t;
  }

  forget(key: string): void {
    this.lostAt.delete(key);
  }

  /**
   * GET /transfers/{sdkId}. Committed or aborted at the hub: the outcome. Unknown to the hub: in doubt while the hold
   * lasts, then `neverSent()` (the caller decides whether that is safe to send again).
   */
  async ask(it: RailItem, sdkId: string, neverSent: () => ItemResult): Promise<ItemResult> {
    const res = await this.http.call('GET', `/transfers/${encodeURIComponent(sdkId)}`, 'transfers.get');
    const b = (res.body ?? {}) as Obj;
    const view = ((res.status === 200 ? b : (b.transferState as Obj | undefined)) ?? {}) as Obj;
    const state = transferStateOf(view);
    if (res.status === 200 && state === 'COMMITTED') {
      this.forget(sdkId);
      return sdkCompleted(it, view, sdkId, amountsFromFee(it.amount, it.fee));
    }
    if (res.status === 200 && state === 'ABORTED') {
      this.forget(sdkId);
      return { transferId: it.transferId, railTransferId: sdkId, outcome: 'failed', errorCode: ErrorCode.PAYEE_FSP_REJECTED_TXN,
        description: 'the hub aborted the transfer', transient: true, newIdSafe: true };
    }
    if (res.status === 200) return sdkInDoubt(it, sdkId, `the hub has the transfer ${state ?? 'without a state'}; asking again`);
    const e = lastErrorOf(view) ?? errorCodeOf(res.body);
    if (e.code === ErrorCode.TRANSFER_ID_NOT_FOUND || e.code === ErrorCode.ID_NOT_FOUND) {
      // The hub never saw it: either it was never accepted, or its prepare may still arrive until it expires.
      const waited = Date.now() - this.since(sdkId);
      if (waited < this.holdMs) return sdkInDoubt(it, sdkId,
        `the hub does not know transfer ${sdkId} yet; waiting ${this.holdMs - waited} ms more before it counts as never sent`);
      const r = neverSent();
      if (r.outcome === 'unknown') this.forget(sdkId);
      return r;
    }
    throw new RailCallError(`GET /transfers/${sdkId}: HTTP ${res.status} ${e.description ?? ''}`.trim(), true, res.status === 504
      ? ErrorCode.SERVER_TIMED_OUT : ErrorCode.INTERNAL_SERVER_ERROR, res.status);
  }
}

/** May have been sent, no outcome yet (2004): asked about again, never sent again as new. */
export function sdkInDoubt(it: RailItem, sdkId: string | undefined, description: string): ItemResult {
  return { transferId: it.transferId, outcome: 'failed', errorCode: ErrorCode.SERVER_TIMED_OUT, description, transient: true, inDoubt: true,
    ...(sdkId ? { railTransferId: sdkId } : {}) };
}

/** The payee FSP an SDK answer names (`to.fspId`, `to.partyIdInfo.fspId` or the quote's source). */
export function payeeFspOf(view: Obj): string | undefined {
  const to = view.to as Obj | undefined;
  const fsp = to?.fspId ?? (to?.partyIdInfo as Obj | undefined)?.fspId ?? view.quoteResponseSource;
  return typeof fsp === 'string' ? fsp : undefined;
}

/** Completed under the SDK's transfer id, amounts from the quote in the answer (or as stored). */
export function sdkCompleted(it: RailItem, view: Obj, sdkId: string | undefined, amounts = amountsFrom(it.amount, view.quoteResponse
  ?? { payeeFspFee: { amount: it.fee ?? '0' } })): ItemResult {
  const fsp = payeeFspOf(view);
  return { transferId: it.transferId, outcome: 'completed', ...amounts, ...(fsp ? { payeeFsp: fsp } : {}),
    ...(sdkId ? { railTransferId: sdkId } : {}) };
}
