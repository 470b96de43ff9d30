/**
 * Rail `mojaloop-sdk`: the payer DFSP's Mojaloop SDK scheme adapter outbound API (v2.1), in three modes.
 * - bulkTransactions: POST /bulkTransactions (synchronous) per group; the SDK looks parties up, quotes with our fee
 *   limit and transfers. Items are keyed by homeTransactionId = our transfer id. Recovery: GET /bulkTransactions/{id}.
 * - bulkQuotesTransfers (older SDKs): GET /parties lookups by the engine, POST /bulkQuotes then POST /bulkTransfers
 *   per payee FSP group; transfer ids are ours end to end. Recovery: GET /bulkTransfers/{id}.
 * - transfers: POST /transfers per payee (homeTransactionId = our transfer id), accepting party and quote (the quote
 *   only within the fee limit). Recovery: the same POST, which the SDK answers from its record for that
 *   homeTransactionId without paying again.
 */
import { fromUnits, toUnits } from '../../shared/money';
import { fspiopNow } from '../../shared/ids';
import type { MojaloopSdkMode } from '../domain/types';
import { isTransientCode } from '../domain/model';
import { mapLimit } from '../engine/limits';
import { errorCodeOf, JsonClient } from './http';
import type { ItemResult, LookupResult, QuoteResult, Rail, RailGroup, RailItem, RailTimings } from './port';
import { RailCallError } from './port';

type Obj = Record<string, unknown>;

export interface MojaloopSdkRailOptions {
  sdkUrl: string;
  mode: MojaloopSdkMode;
  timeoutMs: number;
  timings?: RailTimings;
  /** Parallel POST /transfers calls within one group (transfers mode). */
  transfersPerGroup?: number;
}

const money = (m: unknown): string | undefined => {
  const v = (m as { amount?: unknown } | undefined)?.amount;
  return typeof v === 'string' ? v : undefined;
};

/** Amounts of a completed payment from the quote the SDK reports: debited = credited + fee. */
function amountsFrom(amount: string, quote: unknown): { amountDebited: string; amountCredited: string; fee: string } {
  const q = (quote ?? {}) as Obj;
  const body = ((q.body as Obj | undefined) ?? q) as Obj;
  const fee = money(body.payeeFspFee) ?? '0';
  const debited = money(body.transferAmount) ?? amount;
  const credited = money(body.payeeReceiveAmount) ?? fromUnits(toUnits(debited) - toUnits(fee));
  return { amountDebited: debited, amountCredited: credited, fee };
}

function failedItem(transferId: string, code: string | undefined, description: string | undefined, fallback = '2001'): ItemResult {
  const c = code ?? fallback;
  return { transferId, outcome: 'failed', errorCode: c, description: description || `error ${c}`, transient: isTransientCode(c) };
}

/** A failed result; a 2004 after the transfer may have gone out is "in doubt". */
function failedMaybeInDoubt(transferId: string, code: string | undefined, description: string | undefined, fallback: string, mayHaveBeenSent: boolean): ItemResult {
  const r = failedItem(transferId, code, description, fallback);
  if (r.outcome === 'failed' && r.errorCode === '2004' && mayHaveBeenSent) r.inDoubt = true;
  return r;
}

function lastErrorOf(x: Obj): { code?: string; description?: string } | undefined {
  const le = x.lastError as Obj | undefined;
  if (!le) return undefined;
  const info = ((le.mojaloopError as Obj | undefined)?.errorInformation ?? le.errorInformation) as Obj | undefined;
  return { code: typeof info?.errorCode === 'string' ? info.errorCode : undefined, description: typeof info?.errorDescription === 'string' ? info.errorDescription : undefined };
}

function transferStateOf(x: Obj): string | undefined {
  const fulfil = x.fulfil as Obj | undefined;
  const body = (fulfil?.body as Obj | undefined) ?? fulfil;
  return (body?.transferState as string | undefined) ?? (x.transferState as string | undefined);
}

export class MojaloopSdkRail implements Rail {
  readonly name = 'mojaloop-sdk' as const;
  readonly mode: MojaloopSdkMode;
  readonly needsPayeeFsp: boolean;
  readonly quotesSeparately: boolean;
  readonly reusesTransferIds: boolean;
  private readonly http: JsonClient;

  constructor(private readonly opts: MojaloopSdkRailOptions) {
    this.mode = opts.mode;
    this.needsPayeeFsp = opts.mode === 'bulkQuotesTransfers';
    this.quotesSeparately = opts.mode === 'bulkQuotesTransfers';
    this.reusesTransferIds = opts.mode !== 'bulkQuotesTransfers';
    this.http = new JsonClient(opts.sdkUrl, opts.timeoutMs, opts.timings, 64);
  }

  private party(group: RailGroup): Obj {
    const p = group.payer;
    return { partyIdInfo: { partyIdType: p.idType, partyIdentifier: p.idValue } };
  }

  private transferParty(group: RailGroup): Obj {
    const p = group.payer;
    const out: Obj = { idType: p.idType, idValue: p.idValue };
    if (p.displayName) out.displayName = p.displayName;
    return out;
  }

  private to(it: RailItem): Obj {
    const to: Obj = { idType: it.payeeIdType, idValue: it.payeeIdValue };
    if (it.payeeIdSubValue) to.idSubValue = it.payeeIdSubValue;
    if (it.payeeFsp) to.fspId = it.payeeFsp;
    return to;
  }

  // ------------------------------------------------------------------------------------------------------------
  // lookups (bulkQuotesTransfers)

  async lookup(idType: string, idValue: string, subValue?: string): Promise<LookupResult> {
    const path = `/parties/${encodeURIComponent(idType)}/${encodeURIComponent(idValue)}${subValue ? `/${encodeURIComponent(subValue)}` : ''}`;
    const res = await this.http.call('GET', path, 'lookup');
    const b = (res.body ?? {}) as Obj;
    if (res.status === 200) {
      const party = ((b.party as Obj | undefined)?.body ?? b.party) as Obj | undefined;
      const fsp = (party?.partyIdInfo as Obj | undefined)?.fspId;
      if (typeof fsp === 'string') return { fsp };
      return { errorCode: '3204', description: 'party found without an FSP', transient: false };
    }
    const e = errorCodeOf(b);
    const code = e.code ?? (res.status === 504 ? '2004' : res.status >= 500 ? '1001' : '3204');
    return { errorCode: code, description: e.description || `party lookup HTTP ${res.status}`, transient: isTransientCode(code) || res.status >= 500 };
  }

  // ------------------------------------------------------------------------------------------------------------
  // bulk quotes then bulk transfers

  private bulkQuoteBody(group: RailGroup): Obj {
    return {
      homeTransactionId: group.quoteId ?? group.id,
      bulkQuoteId: group.quoteId,
      from: this.transferParty(group),
      individualQuotes: group.items.map((it) => ({
        quoteId: it.transferId, to: this.to(it), amountType: 'SEND', currency: it.currency, amount: it.amount, transactionType: 'TRANSFER',
        ...(it.note ? { note: it.note.slice(0, 128) } : {}),
      })),
    };
  }

  async quote(group: RailGroup): Promise<QuoteResult[]> {
    const res = await this.http.call('POST', '/bulkQuotes', 'bulkQuotes', this.bulkQuoteBody(group));
    const b = (res.body ?? {}) as Obj;
    if (res.status !== 200) {
      const e = errorCodeOf(b);
      const code = e.code ?? (res.status === 504 ? '2004' : '2001');
      if (res.status >= 500 && isTransientCode(code)) throw new RailCallError(`bulk quote: ${e.description ?? res.status}`, true, code, res.status);
      if (res.status >= 500 && !e.code) throw new RailCallError(`bulk quote HTTP ${res.status}`, true, '2001', res.status);
      return group.items.map((it) => ({ transferId: it.transferId, ok: false, errorCode: code, description: e.description ?? `bulk quote HTTP ${res.status}`, transient: isTransientCode(code) }));
    }
    const byId = new Map(((b.individualQuoteResults as Obj[] | undefined) ?? []).map((r) => [String(r.quoteId), r]));
    return group.items.map((it): QuoteResult => {
      const r = byId.get(it.transferId);
      if (!r) return { transferId: it.transferId, ok: false, errorCode: '2001', description: 'no quote result for this payment', transient: true };
      const le = lastErrorOf(r);
      if (le || !r.ilpPacket || !r.condition) {
        const code = le?.code ?? '2001';
        return { transferId: it.transferId, ok: false, errorCode: code, description: le?.description ?? 'quote failed', transient: isTransientCode(code) };
      }
      const a = amountsFrom(it.amount, r);
      return { transferId: it.transferId, ok: true, fee: a.fee, amountDebited: a.amountDebited, amountCredited: a.amountCredited, quote: { ilpPacket: r.ilpPacket, condition: r.condition, amount: a.amountDebited, amounts: a } };
    });
  }

  private async sendBulkTransfer(group: RailGroup): Promise<ItemResult[]> {
    const body = {
      homeTransactionId: group.id, bulkTransferId: group.id, bulkQuoteId: group.quoteId, from: this.transferParty(group),
      individualTransfers: group.items.map((it) => {
        const q = it.quote as { ilpPacket: string; condition: string; amount: string };
        return { transferId: it.transferId, to: this.to(it), amountType: 'SEND', currency: it.currency, amount: q.amount, ilpPacket: q.ilpPacket, condition: q.condition };
      }),
    };
    const res = await this.http.call('POST', '/bulkTransfers', 'bulkTransfers', body);
    const b = (res.body ?? {}) as Obj;
    const view = (res.status === 200 ? b : (b.bulkTransferState as Obj | undefined)) ?? {};
    const results = view.individualTransferResults as Obj[] | undefined;
    if (res.status !== 200 && !(results && results.length)) {
      const e = errorCodeOf(b);
      const code = e.code ?? (res.status === 504 ? '2004' : '2001');
      throw new RailCallError(`bulk transfer: ${e.description ?? `HTTP ${res.status}`}`, res.status >= 500 || isTransientCode(code), code, res.status);
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
        const a = (it.quote as { amounts?: { amountDebited: string; amountCredited: string; fee: string } } | undefined)?.amounts ?? amountsFrom(it.amount, { payeeFspFee: { amount: it.fee ?? '0' } });
        return { transferId: it.transferId, outcome: 'completed', ...a };
      }
      const le = lastErrorOf(r);
      if (le || state === 'ABORTED') return failedMaybeInDoubt(it.transferId, le?.code, le?.description, '5105', true);
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
      from: this.party(group),
      options,
      individualTransfers: group.items.map((it) => {
        const partyIdInfo: Obj = { partyIdType: it.payeeIdType, partyIdentifier: it.payeeIdValue };
        if (it.payeeIdSubValue) partyIdInfo.partySubIdOrType = it.payeeIdSubValue;
        if (it.payeeFsp) partyIdInfo.fspId = it.payeeFsp;
        const t: Obj = { homeTransactionId: it.transferId, to: { partyIdInfo }, amountType: 'SEND', currency: it.currency, amount: it.amount, reference: it.reference };
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
      if (state === 'COMMITTED') {
        const fsp = ((r.to as Obj | undefined)?.partyIdInfo as Obj | undefined)?.fspId;
        return { transferId: it.transferId, outcome: 'completed', ...amountsFrom(it.amount, r.quoteResponse), ...(typeof fsp === 'string' ? { payeeFsp: fsp } : {}) };
      }
      const le = lastErrorOf(r);
      // Quote accepted means the transfer may have gone out; before that nothing was sent.
      if (le || state === 'ABORTED') return failedMaybeInDoubt(it.transferId, le?.code, le?.description, '5105', !!r.quoteResponse);
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
    const code = e.code ?? (res.status === 504 ? '2004' : '2001');
    throw new RailCallError(`bulk transaction: ${e.description ?? `HTTP ${res.status}`}`, res.status >= 500 || isTransientCode(code), code, res.status);
  }

  /** Polls GET /bulkTransactions/{id} until every item has an outcome or the timeout passes. */
  private async pollBulkTransaction(group: RailGroup): Promise<ItemResult[]> {
    const deadline = Date.now() + this.opts.timeoutMs;
    let wait = 50;
    for (;;) {
      const res = await this.http.call('GET', `/bulkTransactions/${group.id}`, 'bulkTransactions.get');
      if (res.status === 404) return group.items.map((it) => ({ transferId: it.transferId, outcome: 'unknown' }));
      if (res.status !== 200) throw new RailCallError(`GET bulk transaction HTTP ${res.status}`, true, res.status === 504 ? '2004' : '2001', res.status);
      const { results, pending } = this.bulkTransactionResults(group, (res.body ?? {}) as Obj);
      if (!pending) return results;
      if (Date.now() > deadline) throw new RailCallError(`bulk transaction ${group.id} still has ${pending} payments in flight`, true, '2004');
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(1000, wait * 2);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // single transfers

  private async sendTransfer(group: RailGroup, it: RailItem): Promise<ItemResult> {
    const body: Obj = {
      homeTransactionId: it.transferId, from: this.transferParty(group), to: this.to(it), amountType: 'SEND',
      currency: it.currency, amount: it.amount, transactionType: 'TRANSFER',
    };
    if (it.note) body.note = it.note.slice(0, 128);
    if (it.payeeFsp) body.skipPartyLookup = true;
    let res = await this.http.call('POST', '/transfers', 'transfers', body);
    for (let step = 0; step < 3; step++) {
      const b = (res.body ?? {}) as Obj;
      const view = (res.status === 200 ? b : (b.transferState as Obj | undefined)) ?? {};
      const state = view.currentState as string | undefined;
      if (state === 'COMPLETED') {
        const fsp = (view.to as Obj | undefined)?.fspId ?? view.quoteResponseSource;
        return { transferId: it.transferId, outcome: 'completed', ...amountsFrom(it.amount, view.quoteResponse), ...(typeof fsp === 'string' ? { payeeFsp: fsp } : {}) };
      }
      if (state === 'WAITING_FOR_PARTY_ACCEPTANCE' || state === 'WAITING_FOR_QUOTE_ACCEPTANCE') {
        const sdkId = String(view.transferId);
        let accept: Obj = { acceptParty: true };
        if (state === 'WAITING_FOR_QUOTE_ACCEPTANCE') {
          const fee = amountsFrom(it.amount, view.quoteResponse).fee;
          const ok = group.feeLimit === undefined || toUnits(fee) <= toUnits(group.feeLimit);
          accept = { acceptQuote: ok };
          if (!ok) {
            await this.http.call('PUT', `/transfers/${sdkId}`, 'transfers.accept', accept);
            return { transferId: it.transferId, outcome: 'failed', errorCode: '4100', description: `fee ${fee} above the limit of ${group.feeLimit}`, transient: false };
          }
        }
        res = await this.http.call('PUT', `/transfers/${sdkId}`, 'transfers.accept', accept);
        continue;
      }
      if (res.status === 200 && !state) break;
      const le = lastErrorOf(view);
      const e = le ?? errorCodeOf(b);
      if (res.status >= 500 && !e.code) throw new RailCallError(`transfer HTTP ${res.status}`, true, res.status === 504 ? '2004' : '2001', res.status);
      if (res.status === 400 && e.code === '3106') throw new RailCallError(`transfer: ${e.description}`, false, '3106', 400);
      const result = failedMaybeInDoubt(it.transferId, e.code, e.description, res.status === 504 ? '2004' : '2001', !!view.quoteResponse);
      // The SDK answers a known homeTransactionId from its record: a retry needs a new one, which is safe only when
      // nothing was sent (no quote accepted yet, or the payer's own liquidity refusal before the transfer).
      if (result.outcome === 'failed' && (!view.quoteResponse || result.errorCode === '4001')) result.newIdSafe = true;
      return result;
    }
    throw new RailCallError('transfer: unexpected answer from the SDK', true, '2001');
  }

  // ------------------------------------------------------------------------------------------------------------

  async send(group: RailGroup): Promise<ItemResult[]> {
    if (this.mode === 'bulkTransactions') return this.sendBulkTransaction(group);
    if (this.mode === 'bulkQuotesTransfers') return this.sendBulkTransfer(group);
    return mapLimit(group.items, this.opts.transfersPerGroup ?? 16, async (it) => {
      try {
        return await this.sendTransfer(group, it);
      } catch (err) {
        const e = err instanceof RailCallError ? err : new RailCallError(String(err), true, '1001');
        // One payee's call failing must not fail the others: report it per item (same id on the retry).
        return { transferId: it.transferId, outcome: 'failed', errorCode: e.errorCode, description: e.message, transient: e.transient } as ItemResult;
      }
    });
  }

  async query(group: RailGroup): Promise<ItemResult[]> {
    if (this.mode === 'bulkTransactions') return this.pollBulkTransaction(group);
    if (this.mode === 'bulkQuotesTransfers') return this.pollBulkTransfer(group);
    // transfers: the same request again is answered from the SDK's record for this homeTransactionId.
    return this.send(group);
  }

  /**
   * GET /bulkTransfers/{id} until every item has an outcome: a bulk the payer DFSP knows but has not finished is
   * waited for, never resent. Items it does not list are asked about one by one; a 404 means "never seen".
   */
  private async pollBulkTransfer(group: RailGroup): Promise<ItemResult[]> {
    const deadline = Date.now() + this.opts.timeoutMs;
    let wait = 50;
    for (;;) {
      const res = await this.http.call('GET', `/bulkTransfers/${group.id}`, 'bulkTransfers.get');
      if (res.status === 404) return group.items.map((it) => ({ transferId: it.transferId, outcome: 'unknown' }));
      if (res.status !== 200) throw new RailCallError(`GET bulk transfer HTTP ${res.status}`, true, '2001', res.status);
      const listed = ((res.body ?? {}) as Obj).individualTransferResults as Obj[] | undefined;
      const byId = new Map((listed ?? []).map((r) => [String(r.transferId), r]));
      const results = this.bulkTransferResults(group, listed ?? []);
      const pending = results.filter((r, k) => r.outcome === 'unknown' && byId.has(group.items[k].transferId)).length;
      if (!pending) {
        return mapLimit(results, 16, async (r, k) => (r.outcome === 'unknown' ? this.queryTransfer(group.items[k]) : r));
      }
      if (Date.now() > deadline) throw new RailCallError(`bulk transfer ${group.id} still has ${pending} payments in flight`, true, '2004');
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(1000, wait * 2);
    }
  }

  /** GET /transfers/{id} (transfer ids are ours in the bulk quotes/transfers mode). */
  private async queryTransfer(it: RailItem): Promise<ItemResult> {
    const res = await this.http.call('GET', `/transfers/${it.transferId}`, 'transfers.get');
    if (res.status === 404) return { transferId: it.transferId, outcome: 'unknown' };
    if (res.status !== 200) throw new RailCallError(`GET transfer HTTP ${res.status}`, true, '2001', res.status);
    const b = (res.body ?? {}) as Obj;
    const state = transferStateOf(b);
    if (state === 'COMMITTED' || b.currentState === 'COMPLETED') return { transferId: it.transferId, outcome: 'completed', ...amountsFrom(it.amount, b.quoteResponse ?? b.quote ?? { payeeFspFee: { amount: it.fee ?? '0' } }) };
    const le = lastErrorOf(b);
    if (le || state === 'ABORTED' || b.currentState === 'ERROR_OCCURRED') return failedMaybeInDoubt(it.transferId, le?.code, le?.description, '5105', true);
    return { transferId: it.transferId, outcome: 'unknown' };
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
