/**
 * Rail `mojaloop-sdk`: the payer DFSP's Mojaloop SDK scheme adapter outbound API (v2.1), in three modes.
 * - bulkTransactions: POST /bulkTransactions (synchronous) per group; the SDK looks parties up, quotes with our fee
 *   limit and transfers. Items are keyed by homeTransactionId = our transfer id. Recovery: GET /bulkTransactions/{id}.
 * - bulkQuotesTransfers (older SDKs): GET /parties lookups by the engine, POST /bulkQuotes then POST /bulkTransfers
 *   per payee FSP group; transfer ids are ours end to end. Recovery: GET /bulkTransfers/{id}.
 * - transfers: two-phase POST /transfers then PUT /transfers/{id} {acceptQuote} per payee, the SDK's transferId
 *   stored in between (sdk-transfers.ts). Recovery: GET /transfers/{transferId}.
 */
import type { Logger } from 'pino';
import { fspiopNow } from '../../shared/ids';
import type { MojaloopSdkMode } from '../domain/types';
import { pollUntil } from '../../shared/backoff';
import { mapLimit } from '../../shared/concurrency';
import { errorCodeOf, JsonClient } from './http';
import type { ItemResult, LookupResult, QuoteResult, Rail, RailGroup, RailItem, RailMemory, RailTimings, SendHooks } from './port';
import { RailCallError } from './port';
import { amountsFrom, amountsFromFee, failedMaybeInDoubt, lastErrorOf, transferStateOf, type Obj } from './sdk-answers';
import { payeeParty, SdkTransfers, transferParty } from './sdk-transfers';
import { ErrorCode, isTransientCode } from '../../shared/fspiop-errors';

export interface MojaloopSdkRailOptions {
  sdkUrl: string;
  mode: MojaloopSdkMode;
  timeoutMs: number;
  timings?: RailTimings;
  /** Parallel POST /transfers calls within one group (transfers mode). */
  transfersPerGroup?: number;
  /** transfers mode: how long a transfer the SDK may have started without GPO knowing can still complete (ms). */
  transferHoldMs?: number;
  logger?: Logger;
  /** Where the transfers mode keeps what it learned of the SDK's quote acceptance across restarts. */
  memory?: RailMemory;
}

export class MojaloopSdkRail implements Rail {
  readonly name = 'mojaloop-sdk' as const;
  readonly mode: MojaloopSdkMode;
  readonly needsPayeeFsp: boolean;
  readonly quotesSeparately: boolean;
  readonly reusesTransferIds: boolean;
  readonly newIdOnResend: boolean;
  private readonly http: JsonClient;
  private readonly transfers?: SdkTransfers;

  constructor(private readonly opts: MojaloopSdkRailOptions) {
    this.mode = opts.mode;
    this.needsPayeeFsp = opts.mode === 'bulkQuotesTransfers';
    this.quotesSeparately = opts.mode === 'bulkQuotesTransfers';
    // The SDK starts a new transfer on every POST /transfers: a new attempt there always gets a new homeTransactionId.
    this.reusesTransferIds = opts.mode === 'bulkTransactions';
    this.newIdOnResend = opts.mode === 'transfers';
    this.http = new JsonClient(opts.sdkUrl, opts.timeoutMs, opts.timings, 64);
    if (opts.mode === 'transfers') {
      this.transfers = new SdkTransfers({ http: this.http, perGroup: opts.transfersPerGroup ?? 16, holdMs: opts.transferHoldMs ?? 150_000,
        logger: opts.logger, memory: opts.memory });
    }
  }

  warnings(): string[] {
    return this.transfers?.warnings() ?? [];
  }

  // ------------------------------------------------------------------------------------------------------------
  // lookups (bulkQuotesTransfers)

  async lookup(idType: string, idValue: string, subValue?: string): Promise<LookupResult> {
    const path = `/parties/${encodeURIComponent(idType)}/${encodeURIComponent(idValue)}${subValue ? `/${encodeURIComponent(subValue)}`
      : ''}`;
    const res = await this.http.call('GET', path, 'lookup');
    const b = (res.body ?? {}) as Obj;
    if (res.status === 200) {
      const party = ((b.party as Obj | undefined)?.body ?? b.party) as Obj | undefined;
      const fsp = (party?.partyIdInfo as Obj | undefined)?.fspId;
      if (typeof fsp === 'string') return { fsp };
      return { errorCode: ErrorCode.PARTY_NOT_FOUND, description: 'party found without an FSP', transient: false };
    }
    const e = errorCodeOf(b);
    const code = e.code ?? (res.status === 504 ? ErrorCode.SERVER_TIMED_OUT : res.status >= 500 ? ErrorCode.DESTINATION_COMMUNICATION_ERROR
      : ErrorCode.PARTY_NOT_FOUND);
    return { errorCode: code, description: e.description || `party lookup HTTP ${res.status}`, transient: isTransientCode(code)
      || res.status >= 500 };
  }

  // ------------------------------------------------------------------------------------------------------------
  // bulk quotes then bulk transfers

  private bulkQuoteBody(group: RailGroup): Obj {
    return {
      homeTransactionId: group.quoteId ?? group.id,
      bulkQuoteId: group.quoteId,
      from: transferParty(group),
      individualQuotes: group.items.map((it) => ({
        quoteId: it.transferId, to: payeeParty(it), amountType: 'SEND', currency: it.currency, amount: it.amount, transactionType:
          'TRANSFER',
        ...(it.note ? { note: it.note.slice(0, 128) } : {}),
      })),
    };
  }

  async quote(group: RailGroup): Promise<QuoteResult[]> {
    const res = await this.http.call('POST', '/bulkQuotes', 'bulkQuotes', this.bulkQuoteBody(group));
    const b = (res.body ?? {}) as Obj;
    if (res.status !== 200) {
      const e = errorCodeOf(b);
      const code = e.code ?? (res.status === 504 ? ErrorCode.SERVER_TIMED_OUT : ErrorCode.INTERNAL_SERVER_ERROR);
      if (res.status >= 500 && isTransientCode(code)) throw new RailCallError(`bulk quote: ${e.description ?? res.status}`, true, code,
        res.status);
      if (res.status >= 500 && !e.code) throw new RailCallError(`bulk quote HTTP ${res.status}`, true, ErrorCode.INTERNAL_SERVER_ERROR,
        res.status);
      return group.items.map((it) => ({ transferId: it.transferId, ok: false, errorCode: code, description: e.description
        ?? `bulk quote HTTP ${res.status}`, transient: isTransientCode(code) }));
    }
    const byId = new Map(((b.individualQuoteResults as Obj[] | undefined) ?? []).map((r) => [String(r.quoteId), r]));
    return group.items.map((it): QuoteResult => {
      const r = byId.get(it.transferId);
      if (!r) return { transferId: it.transferId, ok: false, errorCode: ErrorCode.INTERNAL_SERVER_ERROR, description:
        'no quote result for this payment', transient:
        true };
      const le = lastErrorOf(r);
      if (le || !r.ilpPacket || !r.condition) {
        const code = le?.code ?? ErrorCode.INTERNAL_SERVER_ERROR;
        return { transferId: it.transferId, ok: false, errorCode: code, description: le?.description ?? 'quote failed', transient:
          isTransientCode(code) };
      }
      const a = amountsFrom(it.amount, r);
      return { transferId: it.transferId, ok: true, fee: a.fee, amountDebited: a.amountDebited, amountCredited: a.amountCredited, quote:
        { ilpPacket: r.ilpPacket, condition: r.condition, amount: a.amountDebited, amounts: a } };
    });
  }

  private async sendBulkTransfer(group: RailGroup): Promise<ItemResult[]> {
    const body = {
      homeTransactionId: group.id, bulkTransferId: group.id, bulkQuoteId: group.quoteId, from: transferParty(group),
      individualTransfers: group.items.map((it) => {
        const q = it.quote as { ilpPacket: string; condition: string; amount: string };
        return { transferId: it.transferId, to: payeeParty(it), amountType: 'SEND', currency: it.currency, amount: q.amount, ilpPacket:
          q.ilpPacket, condition: q.condition };
      }),
    };
    const res = await this.http.call('POST', '/bulkTransfers', 'bulkTransfers', body);
    const b = (res.body ?? {}) as Obj;
    const view = (res.status === 200 ? b : (b.bulkTransferState as Obj | undefined)) ?? {};
    const results = view.individualTransferResults as Obj[] | undefined;
    if (res.status !== 200 && !(results && results.length)) {
      const e = errorCodeOf(b);
      const code = e.code ?? (res.status === 504 ? ErrorCode.SERVER_TIMED_OUT : ErrorCode.INTERNAL_SERVER_ERROR);
      throw new RailCallError(`bulk transfer: ${e.description ?? `HTTP ${res.status}`}`, res.status >= 500 || isTransientCode(code), code,
        res.status);
    }
    return this.bulkTransferResults(group, results ?? []);
  }

  private bulkTransferResults(group: RailGroup, results: Obj[]): ItemResult[] {
    const byId = new Map(results.map((r) => [String(r.transferId), r]));
    return group.items.map((it): ItemResult => {
      const r = byId.get(it.transferId);
      if (!r) return { transferId: it.transferId, outcome: 'unknown' };
      const state = transferStateOf(r);
      if (state === 'COMMITTED' || (r.fulfilment && !r.lastError)) {
        // After a restart the quote is gone: the fee agreed in it was stored with the payment.
        const a = (it.quote as { amounts?: { amountDebited: string; amountCredited: string; fee: string } } | undefined)?.amounts
          ?? amountsFromFee(it.amount, it.fee);
        return { transferId: it.transferId, outcome: 'completed', ...a, railTransferId: it.transferId };
      }
      const le = lastErrorOf(r);
      if (le || state === 'ABORTED') return { ...failedMaybeInDoubt(it.transferId, le?.code, le?.description,
        ErrorCode.PAYEE_FSP_REJECTED_TXN, true), railTransferId:
        it.transferId };
      return { transferId: it.transferId, outcome: 'unknown' };
    });
  }

  // ------------------------------------------------------------------------------------------------------------
  // bulk transactions

  private bulkTransactionBody(group: RailGroup): Obj {
    const options: Obj = {
      autoAcceptParty: { enabled: true },
      autoAcceptQuote: group.feeLimit !== undefined
        ? { enabled: true, perTransferFeeLimits: [{ currency: group.currency, amount: group.feeLimit }] }
        : { enabled: true },
      // Deterministic so that a resend of the same group is the same request.
      bulkExpiration: fspiopNow(new Date(Date.UTC(2100, 0, 1))),
      synchronous: true,
    };
    // Payees whose FSP is known (financial address, CSV column, engine lookup) need no lookup by the SDK.
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

  private bulkTransactionResults(group: RailGroup, view: Obj): { results: ItemResult[]; pending: number } {
    const byHome = new Map(((view.individualTransferResults as Obj[] | undefined) ?? []).map((r) => [String(r.homeTransactionId), r]));
    let pending = 0;
    const results = group.items.map((it): ItemResult => {
      const r = byHome.get(it.transferId);
      if (!r) return { transferId: it.transferId, outcome: 'unknown' };
      const state = transferStateOf(r);
      // The SDK's own transfer id for the item: the one the hub and the payee book.
      const rid = typeof r.transferId === 'string' ? { railTransferId: r.transferId } : {};
      if (state === 'COMMITTED') {
        const fsp = ((r.to as Obj | undefined)?.partyIdInfo as Obj | undefined)?.fspId;
        return { transferId: it.transferId, outcome: 'completed', ...amountsFrom(it.amount, r.quoteResponse),
          ...(typeof fsp === 'string' ? { payeeFsp: fsp } : {}), ...rid };
      }
      const le = lastErrorOf(r);
      // Quote accepted means the transfer may have gone out; before that nothing was sent.
      if (le || state === 'ABORTED') return { ...failedMaybeInDoubt(it.transferId, le?.code, le?.description,
        ErrorCode.PAYEE_FSP_REJECTED_TXN, !!r.quoteResponse),
        ...rid };
      pending++;
      return { transferId: it.transferId, outcome: 'unknown' };
    });
    return { results, pending };
  }

  private async sendBulkTransaction(group: RailGroup): Promise<ItemResult[]> {
    const res = await this.http.call('POST', '/bulkTransactions', 'bulkTransactions', this.bulkTransactionBody(group));
    const b = (res.body ?? {}) as Obj;
    if (res.status === 200 && Array.isArray(b.individualTransferResults)) {
      const { results, pending } = this.bulkTransactionResults(group, b);
      if (!pending) return results;
      return this.pollBulkTransaction(group);
    }
    if (res.status === 202) return this.pollBulkTransaction(group);
    const e = errorCodeOf(b);
    const code = e.code ?? (res.status === 504 ? ErrorCode.SERVER_TIMED_OUT : ErrorCode.INTERNAL_SERVER_ERROR);
    throw new RailCallError(`bulk transaction: ${e.description ?? `HTTP ${res.status}`}`, res.status >= 500 || isTransientCode(code), code,
      res.status);
  }

  /** Polls GET /bulkTransactions/{id} until every item has an outcome or the timeout passes. */
  private pollBulkTransaction(group: RailGroup): Promise<ItemResult[]> {
    return pollUntil<ItemResult[]>(async () => {
      const res = await this.http.call('GET', `/bulkTransactions/${group.id}`, 'bulkTransactions.get');
      if (res.status === 404) return { done: true, value: group.items.map((it) => ({ transferId: it.transferId, outcome: 'unknown' })) };
      if (res.status !== 200) throw new RailCallError(`GET bulk transaction HTTP ${res.status}`, true, res.status === 504
        ? ErrorCode.SERVER_TIMED_OUT : ErrorCode.INTERNAL_SERVER_ERROR,
        res.status);
      const { results, pending } = this.bulkTransactionResults(group, (res.body ?? {}) as Obj);
      return pending ? { done: false, pending } : { done: true, value: results };
    }, { timeoutMs: this.opts.timeoutMs, timedOut: (pending) => new RailCallError(
      `bulk transaction ${group.id} still has ${pending} payments in flight`, true, ErrorCode.SERVER_TIMED_OUT) });
  }

  // ------------------------------------------------------------------------------------------------------------

  async send(group: RailGroup, hooks?: SendHooks): Promise<ItemResult[]> {
    if (this.mode === 'bulkTransactions') return this.sendBulkTransaction(group);
    if (this.mode === 'bulkQuotesTransfers') return this.sendBulkTransfer(group);
    return this.transfers!.send(group, hooks);
  }

  async query(group: RailGroup): Promise<ItemResult[]> {
    if (this.mode === 'bulkTransactions') return this.pollBulkTransaction(group);
    if (this.mode === 'bulkQuotesTransfers') return this.pollBulkTransfer(group);
    return this.transfers!.query(group);
  }

  /**
   * GET /bulkTransfers/{id} until every item has an outcome: a bulk the payer DFSP knows but has not finished is
   * waited for, never resent. Items it does not list are asked about one by one; a 404 means "never seen".
   */
  private pollBulkTransfer(group: RailGroup): Promise<ItemResult[]> {
    return pollUntil<ItemResult[]>(async () => {
      const res = await this.http.call('GET', `/bulkTransfers/${group.id}`, 'bulkTransfers.get');
      if (res.status === 404) return { done: true, value: group.items.map((it) => ({ transferId: it.transferId, outcome: 'unknown' })) };
      if (res.status !== 200) throw new RailCallError(`GET bulk transfer HTTP ${res.status}`, true, ErrorCode.INTERNAL_SERVER_ERROR,
        res.status);
      const listed = ((res.body ?? {}) as Obj).individualTransferResults as Obj[] | undefined;
      const byId = new Map((listed ?? []).map((r) => [String(r.transferId), r]));
      const results = this.bulkTransferResults(group, listed ?? []);
      const pending = results.filter((r, k) => r.outcome === 'unknown' && byId.has(group.items[k].transferId)).length;
      if (pending) return { done: false, pending };
      return { done: true, value: await mapLimit(results, 16, async (r, k) => (r.outcome === 'unknown' ? this.queryTransfer(group.items[k])
        : r)) };
    }, { timeoutMs: this.opts.timeoutMs, timedOut: (pending) => new RailCallError(
      `bulk transfer ${group.id} still has ${pending} payments in flight`, true, ErrorCode.SERVER_TIMED_OUT) });
  }

  /** GET /transfers/{id} (transfer ids are ours in the bulk quotes/transfers mode). */
  private async queryTransfer(it: RailItem): Promise<ItemResult> {
    const res = await this.http.call('GET', `/transfers/${it.transferId}`, 'transfers.get');
    if (res.status === 404) return { transferId: it.transferId, outcome: 'unknown' };
    if (res.status !== 200) throw new RailCallError(`GET transfer HTTP ${res.status}`, true, ErrorCode.INTERNAL_SERVER_ERROR, res.status);
    const b = (res.body ?? {}) as Obj;
    const state = transferStateOf(b);
    if (state === 'COMMITTED' || b.currentState === 'COMPLETED') return { transferId: it.transferId, outcome: 'completed',
      ...amountsFrom(it.amount, b.quoteResponse ?? b.quote ?? { payeeFspFee: { amount: it.fee ?? '0' } }), railTransferId: it.transferId };
    const le = lastErrorOf(b);
    if (le || state === 'ABORTED' || b.currentState === 'ERROR_OCCURRED') return { ...failedMaybeInDoubt(it.transferId, le?.code,
      le?.description, ErrorCode.PAYEE_FSP_REJECTED_TXN, true), railTransferId: it.transferId };
    return { transferId: it.transferId, outcome: 'unknown' };
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
