/**
 * Rail `mojaloop-sdk`: the payer DFSP's Mojaloop SDK scheme adapter outbound API (v2.1), in three modes.
 * - bulkTransactions: the SDK's asynchronous bulk protocol per group (sdk-bulk-transactions.ts): POST answered 202,
 *   parties and quotes accepted by GPO on the SDK's backend prompts, the SDK's transfer ids stored before the quotes
 *   are accepted, outcomes from its report. Recovery: GET /transfers/{transferId} for stored ids.
 * - bulkQuotesTransfers (older SDKs): GET /parties lookups by the engine, POST /bulkQuotes then POST /bulkTransfers
 *   per payee FSP group; transfer ids are ours end to end. Recovery: GET /bulkTransfers/{id}.
 * - transfers: two-phase POST /transfers then PUT /transfers/{id} {acceptQuote} per payee, the SDK's transferId
 *   stored in between (sdk-transfers.ts). Recovery: GET /transfers/{transferId}.
 */
import type { Logger } from 'pino';
import type { MojaloopSdkMode } from '../domain/types';
import { pollUntil } from '../../shared/backoff';
import { mapLimit } from '../../shared/concurrency';
import { errorCodeOf, JsonClient } from './http';
import type { ItemResult, LookupResult, QuoteResult, Rail, RailGroup, RailItem, RailMemory, RailTimings, SendHooks } from './port';
import { RailCallError } from './port';
import { amountsFrom, amountsFromFee, failedMaybeInDoubt, lastErrorOf, transferStateOf, type Obj } from './sdk-answers';
import { payeeParty, SdkTransfers, transferParty } from './sdk-transfers';
import { SdkBulkTransactions } from './sdk-bulk-transactions';
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
  /** bulkTransactions mode: how long the SDK may take from one stage to the next (default timeoutMs). */
  bulkStageTimeoutMs?: number;
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
  private readonly bulk?: SdkBulkTransactions;

  constructor(private readonly opts: MojaloopSdkRailOptions) {
    this.mode = opts.mode;
    this.needsPayeeFsp = opts.mode === 'bulkQuotesTransfers';
    this.quotesSeparately = opts.mode === 'bulkQuotesTransfers';
    // The SDK starts a new transfer for every POST /transfers and every bulk item (homeTransactionId is only carried
    // along): a new attempt always gets a new homeTransactionId, and a bulk transaction a new id.
    this.reusesTransferIds = false;
    this.newIdOnResend = opts.mode === 'transfers' || opts.mode === 'bulkTransactions';
    this.http = new JsonClient(opts.sdkUrl, opts.timeoutMs, opts.timings, 64);
    if (opts.mode === 'transfers') {
      this.transfers = new SdkTransfers({ http: this.http, perGroup: opts.transfersPerGroup ?? 16, holdMs: opts.transferHoldMs ?? 150_000,
        logger: opts.logger, memory: opts.memory });
    }
    if (opts.mode === 'bulkTransactions') {
      this.bulk = new SdkBulkTransactions({ http: this.http, stageTimeoutMs: opts.bulkStageTimeoutMs ?? opts.timeoutMs, holdMs:
        opts.transferHoldMs ?? 150_000, logger: opts.logger });
    }
  }

  /** A backend request of the SDK for a bulk transaction (served at SDK_BACKEND_PATH); false in other modes. */
  backendRequest(bulkTransactionId: string, body: Record<string, unknown>): boolean {
    if (!this.bulk) return false;
    this.bulk.report(bulkTransactionId, body);
    return true;
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

  async send(group: RailGroup, hooks?: SendHooks): Promise<ItemResult[]> {
    if (this.mode === 'bulkTransactions') return this.bulk!.send(group, hooks);
    if (this.mode === 'bulkQuotesTransfers') return this.sendBulkTransfer(group);
    return this.transfers!.send(group, hooks);
  }

  async query(group: RailGroup): Promise<ItemResult[]> {
    if (this.mode === 'bulkTransactions') return this.bulk!.query(group);
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
    this.bulk?.abandonAll();
    await this.http.close();
  }
}
