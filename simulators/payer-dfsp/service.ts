/**
 * The payer DFSP's use cases behind the SDK outbound API: single transfers (lookup, quote, transfer, with or
 * without the caller's acceptance), party lookups, SDK bulk quotes and bulk transfers, and bulk transactions
 * (lookup every party, group per payee FSP in FSPIOP bulks of at most 1000, quote, transfer, report per item).
 * Money moves through the Treasury (reserve at quote acceptance, debit on COMMITTED). As in the SDK, every
 * POST /transfers and every bulk transaction item is a new transfer with a new transferId (homeTransactionId is
 * only carried along), and a bulkTransactionId used before is ignored; bulkQuoteId and bulkTransferId are
 * idempotent. Behaviours beyond the SDK are extensions (`cfg.extensions`), off unless enabled.
 */
import type { Logger } from 'pino';
import { newId, fspiopNow } from '../../shared/ids';
import { callbackKey, ErrorInformation, FspiopClient, FspiopOutcome } from '../fspiop/client';
import {
  Chunk, Describe, errorFromOutcome, feeWithinLimits, fingerprint, itemError, planChunks, SdkError, sdkError,
} from './domain/model';
import { Treasury } from './domain/treasury';
import { fspiopParty, stripEmpty, transferPartyOf } from './domain/parties';
import type {
  BulkItem, BulkTransaction, ItemRef, ItemStatus, SdkBulkQuoteRecord, SdkBulkTransferRecord, TransferRecord,
} from './domain/records';
import { eachLimited, Gate } from './concurrency';
import type {
  BulkQuoteCallback, BulkTransactionContinuation, BulkTransactionRequest, BulkTransferCallback, Party, QuoteCallback,
  SdkBulkQuoteRequest, SdkBulkTransferRequest, SdkIndividualQuoteResult, SdkIndividualTransferResult, TransferCallback,
  TransferParty, TransferRequest, TransferState,
} from './domain/types';
import { ErrorCode } from '../../shared/fspiop-errors';
import type { PayerExtensions } from './outbound';

export interface PayerServiceConfig {
  fspId: string;
  switchUrl: string;
  alsUrl: string;
  callbackTimeoutMs: number;
  /**
   * How long a single transfer waits for each FSPIOP answer before it ends with 504, as the SDK's
   * REQUEST_PROCESSING_TIMEOUT_SECONDS does (party lookup, quote, fulfil); default callbackTimeoutMs.
   */
  stageTimeoutsMs: { party: number; quote: number; fulfil: number };
  /** Lifetime of a transfer we send (FSPIOP expiration); default callbackTimeoutMs. */
  transferExpiryMs: number;
  autoAcceptParty: boolean;
  autoAcceptQuote: boolean;
  /** Party lookups in flight per bulk transaction. */
  lookupConcurrency: number;
  /** FSPIOP bulks in flight per bulk transaction. */
  bulkConcurrency: number;
  /** The extensions the use cases know of (README: Extensions); absent or false: as the SDK. */
  extensions?: Pick<PayerExtensions, 'bulkAutoAcceptQuote' | 'bulkHomeTransactionIdDedup'>;
}

/** Thrown for a request the API refuses (HTTP 400-ish): carries the FSPIOP-style code. */
export class RequestError extends Error {
  constructor(readonly statusCode: string, message: string, readonly httpStatus = 400) {
    super(message);
  }
}

export type {
  BulkItem, BulkPhase, BulkTransaction, ItemRef, ItemStatus, SdkBulkQuoteRecord, SdkBulkTransferRecord, TransferRecord, TransferStep,
} from './domain/records';

export interface ServiceHooks {
  /** Sends a bulk transaction report to the caller's back office (PUT /bulkTransactions/{id}). */
  report?: (txn: BulkTransaction, body: Record<string, unknown>) => void;
  /** Fault rules: an error to force on a transfer before it is sent (simulating the payer's own refusal). */
  forcedError?: (ctx: { resource: string; amount?: string; partyId?: string }) => ErrorInformation | undefined;
  /** A request asked for a behaviour the real SDK does not have (counted whether the extension is on or not). */
  noteExtension?: (name: keyof PayerExtensions) => void;
}

/** States after which a transfer or bulk transfer cannot change any more. */
const FINAL_STATES = new Set(['COMMITTED', 'ABORTED', 'COMPLETED', 'REJECTED']);

/** FSPIOP's limit of items per bulk quote / bulk transfer. */
const MAX_BULK = 1000;

const TRANSACTION_TYPE = (initiatorType: string) => ({ scenario: 'TRANSFER', initiator: 'PAYER', initiatorType });

export class PayerService {
  readonly byTransferId = new Map<string, ItemRef>();
  readonly byHomeTransactionId = new Map<string, ItemRef>();
  readonly bulkTransactions = new Map<string, BulkTransaction>();
  readonly sdkBulkQuotes = new Map<string, SdkBulkQuoteRecord>();
  readonly sdkBulkTransfers = new Map<string, SdkBulkTransferRecord>();
  /** FSPIOP bulkTransferId → the items it carried (late callbacks). */
  private readonly bulkTransferItems = new Map<string, Array<{ transferId: string; currency: string; amount: string }>>();
  /** FSPIOP bulk sizes sent by anything (bulkQuotes / bulkTransfers), most recent last, up to 10,000. */
  readonly bulkSizes: Array<{ resource: 'bulkQuotes' | 'bulkTransfers'; fspId: string; size: number }> = [];
  /** Payments booked as COMMITTED after the caller was told they had not completed (late answers, rechecks). */
  lateCommits = 0;
  /** Transfer / bulk transfer ids whose outcome is not known yet, with what settles them. */
  private readonly inDoubt = new Map<string, (o: FspiopOutcome<unknown>) => void>();
  private closed = false;

  constructor(
    readonly cfg: PayerServiceConfig,
    private readonly client: FspiopClient,
    readonly treasury: Treasury,
    private readonly describe: Describe,
    private readonly log: Logger,
    private readonly hooks: ServiceHooks = {},
  ) {
    client.onUnmatched = (key, isError, body) => this.onLateCallback(key, isError, body);
  }

  setHooks(h: ServiceHooks): void {
    Object.assign(this.hooks, h);
  }

  private noteBulk(resource: 'bulkQuotes' | 'bulkTransfers', fspId: string, size: number, txn?: BulkTransaction): void {
    const e = { resource, fspId, size };
    this.bulkSizes.push(e);
    if (this.bulkSizes.length > 10_000) this.bulkSizes.shift();
    txn?.bulkSizes.push(e);
  }

  // -------------------------------------------------------------------------------------------------------------
  // FSPIOP steps

  lookup(idType: string, idValue: string, subId?: string,
    timeoutMs = this.cfg.callbackTimeoutMs): Promise<FspiopOutcome<{ party: Party }>> {
    const ids = subId ? [idType, idValue, subId] : [idType, idValue];
    return this.client.request<{ party: Party }>({
      method: 'GET', baseUrl: this.cfg.alsUrl, path: '/parties/' + ids.map(encodeURIComponent).join('/'),
      resource: 'parties', key: callbackKey('parties', ...ids), timeoutMs,
    });
  }

  private postQuote(body: Record<string, unknown>, payeeFsp: string,
    timeoutMs = this.cfg.callbackTimeoutMs): Promise<FspiopOutcome<QuoteCallback>> {
    return this.client.request<QuoteCallback>({
      method: 'POST', baseUrl: this.cfg.switchUrl, path: '/quotes', resource: 'quotes', destination: payeeFsp, body,
      key: callbackKey('quotes', body.quoteId as string), timeoutMs,
    });
  }

  private postTransfer(body: Record<string, unknown>, payeeFsp: string,
    timeoutMs = this.cfg.callbackTimeoutMs): Promise<FspiopOutcome<TransferCallback>> {
    return this.client.request<TransferCallback>({
      method: 'POST', baseUrl: this.cfg.switchUrl, path: '/transfers', resource: 'transfers', destination: payeeFsp, body,
      key: callbackKey('transfers', body.transferId as string), timeoutMs,
    });
  }

  private postBulkQuote(body: Record<string, unknown>, payeeFsp: string): Promise<FspiopOutcome<BulkQuoteCallback>> {
    return this.client.request<BulkQuoteCallback>({
      method: 'POST', baseUrl: this.cfg.switchUrl, path: '/bulkQuotes', resource: 'bulkQuotes', destination: payeeFsp, body,
      key: callbackKey('bulkQuotes', body.bulkQuoteId as string), timeoutMs: this.cfg.callbackTimeoutMs,
    });
  }

  private postBulkTransfer(body: Record<string, unknown>, payeeFsp: string): Promise<FspiopOutcome<BulkTransferCallback>> {
    return this.client.request<BulkTransferCallback>({
      method: 'POST', baseUrl: this.cfg.switchUrl, path: '/bulkTransfers', resource: 'bulkTransfers', destination: payeeFsp, body,
      key: callbackKey('bulkTransfers', body.bulkTransferId as string), timeoutMs: this.cfg.callbackTimeoutMs,
    });
  }

  private expiration(limit?: string): string {
    let at = Date.now() + this.cfg.transferExpiryMs;
    const l = limit ? Date.parse(limit) : NaN;
    if (!Number.isNaN(l) && l < at) at = l;
    return fspiopNow(new Date(at));
  }

  private payerParty(p: Party): Party {
    return { ...p, partyIdInfo: { ...p.partyIdInfo, fspId: this.cfg.fspId } };
  }

  /** A COMMITTED/ABORTED answer that arrives after we stopped waiting: the money moved, so the books follow. */
  private onLateCallback(key: string, isError: boolean, body: unknown): void {
    const slash = key.indexOf('/');
    const resource = key.slice(0, slash);
    const id = key.slice(slash + 1);
    const settle = this.inDoubt.get(id);
    if (settle && (resource === 'transfers' || resource === 'bulkTransfers')) {
      settle(isError
        ? { kind: 'error', errorInformation: (body as { errorInformation: ErrorInformation }).errorInformation }
        : { kind: 'success', body: body as Record<string, unknown> });
      return;
    }
    if (isError) return;
    if (resource === 'transfers') {
      const b = body as TransferCallback;
      const ref = this.byTransferId.get(id);
      if (b?.transferState !== 'COMMITTED' || !ref) return;
      if (ref.kind === 'transfer' && ref.rec.quote) {
        if (this.treasury.commitLate(id, ref.rec.quote.transferAmount.currency, ref.rec.quote.transferAmount.amount)) {
          this.lateCommits++;
          ref.rec.fulfil = b;
          ref.rec.currentState = 'COMPLETED';
          this.log.warn({ transferId: id }, 'transfer committed after it had timed out; treasury debited');
        }
      }
    } else if (resource === 'bulkTransfers') {
      const b = body as BulkTransferCallback;
      const items = this.bulkTransferItems.get(id);
      if (!items || !b?.individualTransferResults) return;
      const byId = new Map(items.map((i) => [i.transferId, i]));
      for (const r of b.individualTransferResults) {
        const it = byId.get(r.transferId);
        if (!it || !r.fulfilment || r.errorInformation) continue;
        if (this.treasury.commitLate(r.transferId, it.currency, it.amount)) {
          this.lateCommits++;
          const ref = this.byTransferId.get(r.transferId);
          if (ref?.kind === 'bulkItem') {
            ref.item.status = 'committed';
            ref.item.fulfil = { transferId: r.transferId, fulfilment: r.fulfilment, transferState: 'COMMITTED' };
          }
        }
      }
      if (items.length) this.log.warn({ bulkTransferId: id },
        'bulk transfer answered after it had timed out; treasury debited for committed items');
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // single transfers

  /**
   * POST /transfers: a new transfer with a new transferId, whatever its homeTransactionId (the SDK never
   * de-duplicates on it), run as far as it goes: to COMPLETED, or to a stop for the caller's acceptance.
   * `overrides` (per-request acceptance) is an extension, used only where the outbound API enables it.
   */
  async startTransfer(req: TransferRequest, overrides: { autoAcceptParty?: boolean;
    autoAcceptQuote?: boolean } = {}): Promise<TransferRecord> {
    const fp = fingerprint(req);
    const rec: TransferRecord = {
      kind: 'transfer', transferId: newId(), homeTransactionId: req.homeTransactionId, fp, request: req,
      step: 'party', currentState: 'WAITING_FOR_PARTY_ACCEPTANCE',
      autoAcceptParty: overrides.autoAcceptParty ?? this.cfg.autoAcceptParty,
      autoAcceptQuote: overrides.autoAcceptQuote ?? this.cfg.autoAcceptQuote,
      transferSent: false, createdAt: fspiopNow(),
    };
    this.byTransferId.set(rec.transferId, { kind: 'transfer', rec });
    await this.run(rec, () => this.advance(rec));
    return rec;
  }

  /** Waits for whatever step is in flight. */
  async settled(rec: { busy?: Promise<void> }): Promise<void> {
    while (rec.busy) await rec.busy;
  }

  private async run(rec: { busy?: Promise<void> }, fn: () => Promise<void>): Promise<void> {
    const p = fn().catch((err: Error) => {
      this.log.error({ err }, 'payer processing failed');
    }).finally(() => {
      if (rec.busy === p) rec.busy = undefined;
    });
    rec.busy = p;
    await p;
  }

  private fail(rec: TransferRecord, e: SdkError): void {
    rec.lastError = e;
    rec.currentState = 'ERROR_OCCURRED';
    rec.step = 'done';
  }

  private async advance(rec: TransferRecord): Promise<void> {
    const req = rec.request;
    if (rec.step === 'party') {
      if (req.skipPartyLookup && req.to.fspId) {
        rec.payeeFsp = req.to.fspId;
        rec.party = fspiopParty(req.to);
      } else {
        const o = await this.lookup(req.to.idType, req.to.idValue, req.to.idSubValue, this.cfg.stageTimeoutsMs.party);
        if (o.kind !== 'success') return this.fail(rec, errorFromOutcome(o, 'party', this.describe));
        rec.party = o.body.party;
        rec.payeeFsp = o.body.party?.partyIdInfo?.fspId;
        if (!rec.payeeFsp) return this.fail(rec, sdkError(ErrorCode.PARTY_NOT_FOUND, this.describe, 'party lookup named no FSP'));
      }
      rec.step = 'quote';
      if (!rec.autoAcceptParty) {
        rec.step = 'partyAcceptance';
        rec.currentState = 'WAITING_FOR_PARTY_ACCEPTANCE';
        return;
      }
    }
    if (rec.step === 'quote') {
      rec.quoteId = newId();
      const body = stripEmpty({
        quoteId: rec.quoteId, transactionId: rec.transferId,
        payee: { partyIdInfo: { ...rec.party!.partyIdInfo, fspId: rec.payeeFsp } },
        payer: fspiopParty(req.from, this.cfg.fspId),
        amountType: req.amountType, amount: { currency: req.currency, amount: req.amount },
        transactionType: TRANSACTION_TYPE(req.from.type ?? 'CONSUMER'), note: req.note,
      });
      const o = await this.postQuote(body, rec.payeeFsp!, this.cfg.stageTimeoutsMs.quote);
      if (o.kind !== 'success') return this.fail(rec, errorFromOutcome(o, 'quote', this.describe));
      rec.quote = o.body;
      rec.step = 'transfer';
      if (!rec.autoAcceptQuote) {
        rec.step = 'quoteAcceptance';
        rec.currentState = 'WAITING_FOR_QUOTE_ACCEPTANCE';
        return;
      }
    }
    if (rec.step === 'transfer') {
      const q = rec.quote!;
      const forced = this.hooks.forcedError?.({ resource: 'transfers', amount: req.amount, partyId: req.to.idValue });
      if (forced) return this.fail(rec, itemError(forced));
      const held = this.treasury.reserve(rec.transferId, q.transferAmount.currency, q.transferAmount.amount);
      if (held === 'insufficient') {
        return this.fail(rec,
          sdkError(ErrorCode.PAYER_FSP_INSUFFICIENT_LIQUIDITY, this.describe,
            `treasury cannot cover ${q.transferAmount.amount} ${q.transferAmount.currency}`));
      }
      rec.transferSent = true;
      const expiration = this.expiration(q.expiration);
      const sent = await this.postTransfer({
        transferId: rec.transferId, payerFsp: this.cfg.fspId, payeeFsp: rec.payeeFsp, amount: q.transferAmount,
        ilpPacket: q.ilpPacket, condition: q.condition, expiration,
      }, rec.payeeFsp!, this.cfg.stageTimeoutsMs.fulfil);
      if (sent.kind !== 'timeout') return this.applyTransferOutcome(rec, sent);
      // As the SDK: 504 with the state reached, no guess. The money stays held until a late answer or the hub settles it.
      this.fail(rec, sdkError(ErrorCode.SERVER_TIMED_OUT, this.describe, `Timeout waiting for fulfil for transfer ${rec.transferId}`, 504));
      this.inDoubt.set(rec.transferId, (x) => {
        this.applyTransferOutcome(rec, x as FspiopOutcome<TransferCallback>);
        if (rec.currentState === 'COMPLETED') this.lateCommits++;
      });
      this.recheck('transfers', rec.transferId, Date.parse(expiration) - Date.now() + 1000);
    }
  }

  private applyTransferOutcome(rec: TransferRecord, o: FspiopOutcome<TransferCallback>): void {
    this.inDoubt.delete(rec.transferId);
    if (o.kind === 'success' && o.body.transferState === 'COMMITTED') {
      this.treasury.commit(rec.transferId);
      rec.fulfil = o.body;
      rec.lastError = undefined;
      rec.currentState = 'COMPLETED';
      rec.step = 'done';
      return;
    }
    this.treasury.release(rec.transferId);
    if (o.kind === 'success') {
      rec.fulfil = o.body;
      return this.fail(rec, sdkError(o.body.transferState === 'ABORTED' ? ErrorCode.TRANSFER_EXPIRED : ErrorCode.PAYEE_FSP_REJECTED_TXN,
        this.describe,
        `transfer ${o.body.transferState}`));
    }
    return this.fail(rec, errorFromOutcome(o, 'transfer', this.describe));
  }

  /** A bulk transfer the hub answered for good needs no record for late answers (they can only repeat it). */
  private forgetBulkItems(bulkTransferId: string, o: FspiopOutcome<unknown>): void {
    if (o.kind === 'success' || o.kind === 'error') this.bulkTransferItems.delete(bulkTransferId);
  }

  /** A transfer we got no answer for and the hub could not settle yet. */
  private inDoubtError(): SdkError {
    return sdkError(ErrorCode.SERVER_TIMED_OUT, this.describe, 'no answer yet and the hub cannot tell the outcome; rechecking', 504);
  }

  /**
   * What to act on after a request: its callback, or when none came in time, the hub's own answer to
   * GET /transfers|bulkTransfers/{id} if that is final. Undefined: nobody knows yet (in doubt).
   */
  private async outcomeOf<T>(o: FspiopOutcome<T>, resource: 'transfers' | 'bulkTransfers', id: string): Promise<FspiopOutcome<T>
    | undefined> {
    if (o.kind !== 'timeout') return o;
    return this.askHub<T>(resource, id);
  }

  private async askHub<T>(resource: 'transfers' | 'bulkTransfers', id: string): Promise<FspiopOutcome<T> | undefined> {
    if (this.closed) return undefined;
    const q = await this.client.request<T>({
      method: 'GET', baseUrl: this.cfg.switchUrl, path: `/${resource}/${encodeURIComponent(id)}`, resource,
      key: callbackKey(resource, id), timeoutMs: Math.min(this.cfg.callbackTimeoutMs, 5000),
    });
    if (q.kind === 'error') return q;
    if (q.kind !== 'success') return undefined;
    const body = q.body as { transferState?: string; bulkTransferState?: string };
    const state = resource === 'transfers' ? body.transferState : body.bulkTransferState;
    return state && FINAL_STATES.has(state) ? q : undefined;
  }

  /**
   * Asks the hub again about something in doubt (after `afterMs`, then every callbackTimeoutMs, three times) and
   * settles it with the answer; gives up with a timeout (hold released; a later COMMITTED is still booked).
   */
  private recheck(resource: 'transfers' | 'bulkTransfers', id: string, afterMs: number): void {
    let tries = 0;
    const run = async () => {
      const settle = this.inDoubt.get(id);
      if (!settle || this.closed) return;
      const q = await this.askHub(resource, id);
      if (q) return settle(q);
      if (++tries >= 3) return settle({ kind: 'timeout', waitedMs: 0 });
      setTimeout(() => void run(), this.cfg.callbackTimeoutMs).unref?.();
    };
    setTimeout(() => void run(), Math.max(100, afterMs)).unref?.();
  }

  /** Stops rechecking (the service is shutting down). */
  close(): void {
    this.closed = true;
  }

  /** PUT /transfers/{transferId} {acceptParty} | {acceptQuote}. */
  async continueTransfer(transferId: string, body: { acceptParty?: boolean; acceptQuote?: boolean }): Promise<TransferRecord> {
    const ref = this.byTransferId.get(transferId);
    if (!ref || ref.kind !== 'transfer') throw new RequestError(ErrorCode.TRANSFER_ID_NOT_FOUND, `no transfer ${transferId}`, 404);
    const rec = ref.rec;
    await this.settled(rec);
    if ('acceptParty' in body) {
      if (rec.step !== 'partyAcceptance') throw new RequestError(ErrorCode.VALIDATION_ERROR,
        `transfer ${transferId} is not waiting for party acceptance`);
      if (!body.acceptParty) {
        this.fail(rec, sdkError(ErrorCode.PAYER_REJECTION, this.describe, 'payer did not accept the party'));
        return rec;
      }
      rec.step = 'quote';
    } else {
      if (rec.step !== 'quoteAcceptance') throw new RequestError(ErrorCode.VALIDATION_ERROR,
        `transfer ${transferId} is not waiting for quote acceptance`);
      if (!body.acceptQuote) {
        this.fail(rec, sdkError(ErrorCode.PAYER_REJECTION, this.describe, 'payer did not accept the quote'));
        return rec;
      }
      rec.step = 'transfer';
    }
    await this.run(rec, () => this.advance(rec));
    return rec;
  }

  /** SDK transferResponse. */
  transferView(rec: TransferRecord): Record<string, unknown> {
    const req = rec.request;
    return stripEmpty({
      transferId: rec.transferId, homeTransactionId: rec.homeTransactionId, from: req.from,
      to: transferPartyOf(req.to, rec.party), amountType: req.amountType, currency: req.currency, amount: req.amount,
      transactionType: req.transactionType, subScenario: req.subScenario, note: req.note, currentState: rec.currentState,
      quoteId: rec.quoteId,
      getPartiesResponse: rec.party ? { body: { party: rec.party }, headers: {} } : undefined,
      quoteResponse: rec.quote ? { body: rec.quote, headers: {} } : undefined,
      quoteResponseSource: rec.quote ? rec.payeeFsp : undefined,
      fulfil: rec.fulfil ? { body: rec.fulfil, headers: {} } : undefined,
      lastError: rec.lastError,
      skipPartyLookup: req.skipPartyLookup,
    });
  }

  /** SDK transferStatusResponse, plus homeTransactionId and lastError. */
  transferStatusView(rec: TransferRecord): Record<string, unknown> {
    const transferState: TransferState = rec.fulfil?.transferState
      ?? (rec.currentState === 'ERROR_OCCURRED' && !this.inDoubt.has(rec.transferId) ? 'ABORTED' : 'RECEIVED');
    return stripEmpty({
      transferId: rec.transferId, currentState: rec.currentState, homeTransactionId: rec.homeTransactionId,
      fulfil: { body: rec.fulfil ?? { transferState }, headers: {} }, lastError: rec.lastError,
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // SDK bulk quotes / bulk transfers (thin wrappers over FSPIOP bulk calls)

  private singlePayeeFsp(tos: TransferParty[], what: string): string {
    const first = tos[0]?.fspId;
    if (!first || tos.some((t) => t.fspId !== first)) {
      throw new RequestError(ErrorCode.VALIDATION_ERROR, `every ${what} needs to.fspId, the same payee FSP for the whole bulk`);
    }
    return first;
  }

  async bulkQuote(req: SdkBulkQuoteRequest): Promise<{ status: number; body: unknown }> {
    const bulkQuoteId = req.bulkQuoteId ?? newId();
    const fp = fingerprint(req);
    const known = this.sdkBulkQuotes.get(bulkQuoteId);
    if (known) {
      if (known.fp !== fp) throw new RequestError(ErrorCode.MODIFIED_REQUEST,
        `bulkQuoteId ${bulkQuoteId} was already used with a different request`);
      await this.settled(known);
      return known.result!;
    }
    const payeeFsp = this.singlePayeeFsp(req.individualQuotes.map((q) => q.to), 'individualQuote');
    const rec: SdkBulkQuoteRecord = { bulkQuoteId, fp, request: req, payeeFsp };
    this.sdkBulkQuotes.set(bulkQuoteId, rec);
    await this.run(rec, async () => {
      const body = {
        bulkQuoteId, payer: fspiopParty(req.from, this.cfg.fspId),
        individualQuotes: req.individualQuotes.map((q) => stripEmpty({
          // the quote id doubles as transaction id, so a caller that reuses it as transfer id meets payees that insist
          quoteId: q.quoteId, transactionId: q.quoteId, payee: fspiopParty(q.to, payeeFsp), amountType: q.amountType,
          amount: { currency: q.currency, amount: q.amount }, transactionType: TRANSACTION_TYPE(req.from.type ?? 'CONSUMER'),
          note: q.note,
        })),
      };
      this.noteBulk('bulkQuotes', payeeFsp, body.individualQuotes.length);
      const o = await this.postBulkQuote(body, payeeFsp);
      const view = (results: SdkIndividualQuoteResult[], expiration: string, state: 'COMPLETED' | 'ERROR_OCCURRED') => stripEmpty({
        bulkQuoteId, homeTransactionId: req.homeTransactionId, expiration, currentState: state, individualQuoteResults: results,
      });
      if (o.kind !== 'success') {
        const e = errorFromOutcome(o, 'quote', this.describe);
        rec.result = {
          status: o.kind === 'timeout' ? 504 : 500,
          body: { statusCode: e.mojaloopError.errorInformation.errorCode, message: e.mojaloopError.errorInformation.errorDescription,
            bulkQuoteState: { ...view([], fspiopNow(), 'ERROR_OCCURRED'), lastError: e } },
        };
        return;
      }
      const byQuote = new Map((o.body.individualQuoteResults ?? []).map((r) => [r.quoteId, r]));
      const results = req.individualQuotes.map((q): SdkIndividualQuoteResult => {
        const r = byQuote.get(q.quoteId);
        if (!r) return { quoteId: q.quoteId, lastError: sdkError(ErrorCode.INTERNAL_SERVER_ERROR, this.describe,
          'no result for this quote in the bulk answer') };
        if (r.errorInformation) return { quoteId: q.quoteId, lastError: itemError(r.errorInformation) };
        return stripEmpty({
          quoteId: q.quoteId, transferAmount: r.transferAmount, payeeReceiveAmount: r.payeeReceiveAmount, payeeFspFee: r.payeeFspFee,
          payeeFspCommission: r.payeeFspCommission, ilpPacket: r.ilpPacket, condition: r.condition,
        });
      });
      rec.result = { status: 200, body: view(results, o.body.expiration, 'COMPLETED') };
    });
    return rec.result!;
  }

  bulkQuoteStatus(id: string): Record<string, unknown> | undefined {
    const rec = this.sdkBulkQuotes.get(id);
    if (!rec) return undefined;
    const body = rec.result?.body as { currentState?: string; individualQuoteResults?: unknown } | undefined;
    return {
      bulkQuoteId: id, currentState: rec.result?.status === 200 ? 'COMPLETED' : 'ERROR_OCCURRED', individualQuotes:
        rec.request.individualQuotes,
      individualQuoteResults: body?.individualQuoteResults,
    };
  }

  async bulkTransfer(req: SdkBulkTransferRequest): Promise<{ status: number; body: unknown }> {
    const fp = fingerprint(req);
    const known = this.sdkBulkTransfers.get(req.bulkTransferId);
    if (known) {
      if (known.fp !== fp) throw new RequestError(ErrorCode.MODIFIED_REQUEST,
        `bulkTransferId ${req.bulkTransferId} was already used with a different request`);
      await this.settled(known);
      return known.result!;
    }
    const payeeFsp = this.singlePayeeFsp(req.individualTransfers.map((t) => t.to), 'individualTransfer');
    const rec: SdkBulkTransferRecord = { bulkTransferId: req.bulkTransferId, fp, request: req, payeeFsp, results: [], sent: [] };
    this.sdkBulkTransfers.set(req.bulkTransferId, rec);
    // a transfer id already sent in an earlier bulk is not sent again: its known result is reported instead
    const priorResults = new Map<number, SdkIndividualTransferResult>();
    const fresh: number[] = [];
    req.individualTransfers.forEach((t, index) => {
      const prior = this.byTransferId.get(t.transferId);
      if (prior) priorResults.set(index, { transferId: t.transferId });
      else this.byTransferId.set(t.transferId, { kind: 'sdkBulkTransfer', rec, index });
      if (!prior) fresh.push(index);
    });
    await this.run(rec, async () => {
      for (const index of priorResults.keys()) {
        const t = req.individualTransfers[index];
        const prior = this.byTransferId.get(t.transferId)!;
        if (prior.kind !== 'sdkBulkTransfer' || prior.rec === rec) {
          priorResults.set(index, { transferId: t.transferId, transferState: 'ABORTED', lastError:
            sdkError(ErrorCode.MODIFIED_REQUEST, this.describe, 'transferId already used for another payment') });
          continue;
        }
        await this.settled(prior.rec);
        if (prior.rec.sent[prior.index]) {
          priorResults.set(index, { ...prior.rec.results[prior.index], transferId: t.transferId });
        } else {
          // never sent (refused locally): this bulk may try it
          this.byTransferId.set(t.transferId, { kind: 'sdkBulkTransfer', rec, index });
          priorResults.delete(index);
          fresh.push(index);
        }
      }
      const results: SdkIndividualTransferResult[] = req.individualTransfers.map((t, i) => priorResults.get(i)
        ?? { transferId: t.transferId });
      rec.results = results;
      const send: number[] = [];
      fresh.sort((a, b) => a - b).forEach((i) => {
        const t = req.individualTransfers[i];
        const forced = this.hooks.forcedError?.({ resource: 'bulkTransfers', amount: t.amount, partyId: t.to.idValue });
        if (forced) {
          results[i].lastError = itemError(forced);
          results[i].transferState = 'ABORTED';
          return;
        }
        const held = this.treasury.reserve(t.transferId, t.currency, t.amount);
        if (held === 'insufficient') {
          results[i].lastError = sdkError(ErrorCode.PAYER_FSP_INSUFFICIENT_LIQUIDITY, this.describe,
            `treasury cannot cover ${t.amount} ${t.currency}`);
          results[i].transferState = 'ABORTED';
        } else {
          send.push(i);
          rec.sent[i] = true;
        }
      });
      const finish = (status: number, state: 'COMPLETED' | 'ERROR_OCCURRED', extra: Record<string, unknown> = {}) => {
        const view = stripEmpty({
          bulkTransferId: req.bulkTransferId, bulkQuoteId: req.bulkQuoteId, homeTransactionId: req.homeTransactionId,
          bulkTransferState: rec.bulkTransferState, completedTimestamp: rec.completedTimestamp, currentState: state,
          individualTransferResults: results.map((r) => stripEmpty({ ...r })),
        });
        rec.result = status === 200 ? { status, body: view } : { status, body: { ...extra, bulkTransferState: view } };
      };
      if (send.length === 0) return finish(200, 'COMPLETED');
      const items = send.map((i) => req.individualTransfers[i]);
      const fspiopItems = items.map((t) => ({ transferId: t.transferId, transferAmount: { currency: t.currency, amount: t.amount },
        ilpPacket: t.ilpPacket, condition: t.condition }));
      this.bulkTransferItems.set(req.bulkTransferId, items.map((t) => ({ transferId: t.transferId, currency: t.currency, amount:
        t.amount })));
      this.noteBulk('bulkTransfers', payeeFsp, items.length);
      const expiration = this.expiration();
      const sentOutcome = await this.postBulkTransfer({
        bulkTransferId: req.bulkTransferId, bulkQuoteId: req.bulkQuoteId, payerFsp: this.cfg.fspId, payeeFsp,
        individualTransfers: fspiopItems, expiration,
      }, payeeFsp);
      const apply = (o: FspiopOutcome<BulkTransferCallback>) => {
        this.inDoubt.delete(req.bulkTransferId);
        this.forgetBulkItems(req.bulkTransferId, o);
        const settled = this.settleBulkItems(o, send.map((i) => req.individualTransfers[i].transferId));
        send.forEach((i, k) => {
          delete results[i].lastError;
          Object.assign(results[i], settled.results[k]);
        });
        // the SDK reports a bulk transfer's state as a TransferState, not the FSPIOP bulk state
        rec.bulkTransferState = settled.results.some((r) => r.transferState === 'COMMITTED') ? 'COMMITTED' : 'ABORTED';
        rec.completedTimestamp = settled.completedTimestamp;
        if (o.kind !== 'success') {
          const e = errorFromOutcome(o, 'transfer', this.describe);
          return finish(o.kind === 'timeout' ? 504 : 500, 'ERROR_OCCURRED',
            { statusCode: e.mojaloopError.errorInformation.errorCode, message: e.mojaloopError.errorInformation.errorDescription });
        }
        finish(200, 'COMPLETED');
      };
      const o = await this.outcomeOf(sentOutcome, 'bulkTransfers', req.bulkTransferId);
      if (o) return apply(o);
      const e = this.inDoubtError();
      for (const i of send) results[i].lastError = e;
      finish(504, 'ERROR_OCCURRED', { statusCode: ErrorCode.SERVER_TIMED_OUT, message: e.mojaloopError.errorInformation.errorDescription });
      this.inDoubt.set(req.bulkTransferId, (x) => {
        apply(x as FspiopOutcome<BulkTransferCallback>);
        this.lateCommits += send.filter((i) => results[i].transferState === 'COMMITTED').length;
      });
      this.recheck('bulkTransfers', req.bulkTransferId, Date.parse(expiration) - Date.now() + 1000);
    });
    return rec.result!;
  }

  bulkTransferStatus(id: string): Record<string, unknown> | undefined {
    const rec = this.sdkBulkTransfers.get(id);
    if (!rec) return undefined;
    return {
      bulkTransferId: id, currentState: rec.result && rec.result.status !== 200 ? 'ERROR_OCCURRED' : 'COMPLETED',
      fulfils: rec.results.length ? rec.results.map((r) => (r.fulfilment ? { fulfilment: r.fulfilment } : {})) : [{}],
      individualTransferResults: rec.results,
    };
  }

  /**
   * Applies a bulk transfer's outcome to the treasury, item by item (same order as `transferIds`): committed
   * items are debited, the others released with their error.
   */
  private settleBulkItems(o: FspiopOutcome<BulkTransferCallback>, transferIds: string[]): {
    results: SdkIndividualTransferResult[]; bulkTransferState?: string; completedTimestamp?: string;
  } {
    if (o.kind !== 'success') {
      const e = errorFromOutcome(o, 'transfer', this.describe);
      for (const id of transferIds) this.treasury.release(id);
      return { results: transferIds.map((transferId) => ({ transferId, transferState: 'ABORTED' as const, lastError: e })) };
    }
    const byId = new Map((o.body.individualTransferResults ?? []).map((r) => [r.transferId, r]));
    const rejected = o.body.bulkTransferState === 'REJECTED';
    const results = transferIds.map((transferId): SdkIndividualTransferResult => {
      const r = byId.get(transferId);
      if (!rejected && r?.fulfilment && !r.errorInformation) {
        this.treasury.commit(transferId);
        return { transferId, fulfilment: r.fulfilment, transferState: 'COMMITTED' };
      }
      this.treasury.release(transferId);
      const lastError = r?.errorInformation
        ? itemError(r.errorInformation)
        : sdkError(ErrorCode.PAYEE_FSP_REJECTED_TXN, this.describe, rejected ? 'bulk transfer REJECTED'
          : 'no fulfilment for this transfer');
      return { transferId, transferState: 'ABORTED', lastError };
    });
    return { results, bulkTransferState: o.body.bulkTransferState, completedTimestamp: o.body.completedTimestamp };
  }

  // -------------------------------------------------------------------------------------------------------------
  // bulk transactions

  /**
   * POST /bulkTransactions: registers the transaction and starts it. Returns the record at once (its work runs on;
   * `txn.busy` settles when it stops: finished, waiting for the caller's acceptance, or stalled), or undefined when
   * the bulkTransactionId is already known: as in the SDK (its aggregate exists already), that request is only logged.
   * `synchronous`: the caller gets the report in the answer (an extension), so none goes to the back office.
   */
  startBulkTransaction(req: BulkTransactionRequest, opts: { synchronous?: boolean } = {}): BulkTransaction | undefined {
    if (this.bulkTransactions.has(req.bulkTransactionId)) {
      this.log.warn({ bulkTransactionId: req.bulkTransactionId }, 'Duplicate: Aggregate already exists in repo; request ignored');
      return undefined;
    }
    const dedup = this.cfg.extensions?.bulkHomeTransactionIdDedup === true;
    const txn: BulkTransaction = {
      kind: 'bulkTransaction', bulkTransactionId: req.bulkTransactionId, request: req, items: [], phase: 'lookup',
      currentState: 'COMPLETED', chunks: [], createdAt: fspiopNow(), bulkSizes: [], synchronous: opts.synchronous === true,
    };
    let repeats = false;
    for (const t of req.individualTransfers) {
      const item: BulkItem = { homeTransactionId: t.homeTransactionId, transferId: newId(), request: t, status: 'new', transferSent:
        false };
      const prior = this.byHomeTransactionId.get(t.homeTransactionId);
      if (prior) repeats = true;
      if (dedup && prior && !this.retryable(prior)) {
        item.status = 'mirror';
        item.mirror = prior;
        if (prior.kind === 'bulkItem') item.transferId = prior.item.transferId;
        else if (prior.kind === 'transfer') item.transferId = prior.rec.transferId;
      } else {
        // as the SDK: a new transfer, whatever its homeTransactionId
        const ref: ItemRef = { kind: 'bulkItem', txn, item };
        this.byHomeTransactionId.set(t.homeTransactionId, ref);
        this.byTransferId.set(item.transferId, ref);
      }
      txn.items.push(item);
    }
    if (repeats) this.hooks.noteExtension?.('bulkHomeTransactionIdDedup');
    this.bulkTransactions.set(req.bulkTransactionId, txn);
    void this.run(txn, () => this.advanceBulk(txn));
    return txn;
  }

  /** A previous attempt for the same homeTransactionId may be tried again only if no money could have moved. */
  private retryable(ref: ItemRef): boolean {
    if (ref.kind === 'transfer') return ref.rec.currentState === 'ERROR_OCCURRED' && !ref.rec.transferSent;
    if (ref.kind === 'bulkItem') return ref.item.status === 'failed' && !ref.item.transferSent;
    return false;
  }

  private failItem(item: BulkItem, e: SdkError): void {
    item.status = 'failed';
    item.lastError = e;
  }

  private async advanceBulk(txn: BulkTransaction): Promise<void> {
    const opts = txn.request.options;
    const t0 = Date.now();
    // Auto-accepting quotes is an extension: the SDK stops after the quotes instead (below).
    const autoQuote = opts.autoAcceptQuote.enabled && this.cfg.extensions?.bulkAutoAcceptQuote === true;
    if (txn.phase === 'lookup' && opts.autoAcceptParty.enabled && autoQuote && !opts.onlyValidateParty) {
      await this.streamBulk(txn);
      this.log.debug({ bulkTransactionId: txn.bulkTransactionId, ms: Date.now() - t0 }, 'resolved, quoted and transferred');
      return this.finishBulk(txn);
    }
    if (txn.phase === 'lookup') {
      await this.resolveParties(txn);
      this.log.debug({ bulkTransactionId: txn.bulkTransactionId, ms: Date.now() - t0 }, 'parties resolved');
      if (opts.onlyValidateParty) return this.finishBulk(txn);
      txn.phase = 'quote';
      if (!opts.autoAcceptParty.enabled && txn.items.some((i) => i.status === 'resolved')) {
        txn.phase = 'partyAcceptance';
        txn.currentState = 'WAITING_FOR_PARTY_ACCEPTANCE';
        this.report(txn);
        return;
      }
    }
    if (txn.phase === 'quote' && autoQuote) {
      // no acceptance to wait for: each chunk goes on to its bulk transfer as soon as its quotes are back
      const expired = this.bulkExpired(txn);
      await eachLimited(this.planQuoteChunks(txn), this.cfg.bulkConcurrency, async (chunk) => {
        await this.quoteChunk(txn, chunk);
        for (const idx of chunk.items) if (txn.items[idx].status === 'quoted') txn.items[idx].status = 'accepted';
        if (expired) this.expireAccepted(txn, chunk);
        else await this.transferChunk(txn, chunk);
      });
      this.log.debug({ bulkTransactionId: txn.bulkTransactionId, ms: Date.now() - t0 }, 'quoted and transferred');
      return this.finishBulk(txn);
    }
    if (txn.phase === 'quote') {
      await eachLimited(this.planQuoteChunks(txn), this.cfg.bulkConcurrency, (chunk) => this.quoteChunk(txn, chunk));
      this.log.debug({ bulkTransactionId: txn.bulkTransactionId, ms: Date.now() - t0 }, 'quotes received');
      txn.phase = 'transfer';
      // As the SDK: unless every item has failed, the quotes go to the caller for acceptance, or with
      // autoAcceptQuote.enabled, nowhere: it has no such step and the transaction stops here for good.
      if (txn.items.some((i) => i.status === 'quoted')) {
        if (opts.autoAcceptQuote.enabled) {
          txn.phase = 'stalled';
          this.log.error({ bulkTransactionId: txn.bulkTransactionId },
            'AutoAcceptQuote === true is not implemented currently (as in the SDK): the bulk transaction stops after its quotes');
          return;
        }
        txn.phase = 'quoteAcceptance';
        txn.currentState = 'WAITING_FOR_QUOTE_ACCEPTANCE';
        this.report(txn);
        return;
      }
    }
    if (txn.phase === 'transfer') {
      const expired = this.bulkExpired(txn);
      await eachLimited(txn.chunks, this.cfg.bulkConcurrency, async (chunk) => {
        if (expired) this.expireAccepted(txn, chunk);
        else await this.transferChunk(txn, chunk);
      });
      await this.finishBulk(txn);
    }
  }

  /**
   * Nothing to accept: each payee FSP's resolved items go to quote and transfer in chunks of 1000 as soon as
   * they are resolved, while the other lookups go on.
   */
  private async streamBulk(txn: BulkTransaction): Promise<void> {
    const gate = new Gate(this.cfg.bulkConcurrency);
    const running: Array<Promise<void>> = [];
    const open = new Map<string, number[]>();
    const dispatch = (fspId: string, items: number[]) => {
      const chunk = { fspId, items, bulkQuoteId: newId() };
      txn.chunks.push(chunk);
      running.push(gate.run(async () => {
        await this.quoteChunk(txn, chunk);
        for (const idx of items) if (txn.items[idx].status === 'quoted') txn.items[idx].status = 'accepted';
        if (this.bulkExpired(txn)) this.expireAccepted(txn, chunk);
        else await this.transferChunk(txn, chunk);
      }));
    };
    await this.resolveParties(txn, (index) => {
      const fspId = txn.items[index].fspId!;
      let list = open.get(fspId);
      if (!list) open.set(fspId, (list = []));
      list.push(index);
      if (list.length === MAX_BULK) {
        open.delete(fspId);
        dispatch(fspId, list);
      }
    });
    for (const [fspId, list] of open) dispatch(fspId, list);
    await Promise.all(running);
  }

  private bulkExpired(txn: BulkTransaction): boolean {
    return Date.parse(this.expiration(txn.request.options.bulkExpiration)) <= Date.now();
  }

  private expireAccepted(txn: BulkTransaction, chunk: Chunk): void {
    for (const idx of chunk.items) {
      const i = txn.items[idx];
      if (i.status === 'accepted') this.failItem(i, sdkError(ErrorCode.TRANSFER_EXPIRED, this.describe, 'bulkExpiration has passed'));
    }
  }

  private async finishBulk(txn: BulkTransaction): Promise<void> {
    // items that repeat a payment still in flight elsewhere are reported once that payment has ended
    const others = new Set<{ busy?: Promise<void> }>();
    for (const i of txn.items) {
      if (i.mirror?.kind === 'bulkItem' && i.mirror.txn !== txn) others.add(i.mirror.txn);
      else if (i.mirror?.kind === 'transfer') others.add(i.mirror.rec);
      else if (i.mirror?.kind === 'sdkBulkTransfer') others.add(i.mirror.rec);
    }
    for (const o of others) await this.settled(o);
    txn.phase = 'done';
    txn.currentState = 'COMPLETED';
    this.report(txn);
    // ILP packets are only needed until the transfers are sent; 10,000 of them weigh about 10 MB
    for (const i of txn.items) {
      if (i.quote && i.status !== 'quoted') {
        delete i.quote.ilpPacket;
        delete i.quote.condition;
      }
    }
  }

  private report(txn: BulkTransaction): void {
    if (txn.synchronous) return;
    try {
      this.hooks.report?.(txn, this.bulkTransactionView(txn));
    } catch (err) {
      this.log.warn({ err, bulkTransactionId: txn.bulkTransactionId }, 'bulk transaction report failed');
    }
  }

  private async resolveParties(txn: BulkTransaction, onResolved?: (index: number) => void): Promise<void> {
    const skip = txn.request.options.skipPartyLookup === true;
    const pending = new Map<string, number[]>();
    txn.items.forEach((item, index) => {
      if (item.status !== 'new') return;
      const info = item.request.to.partyIdInfo;
      if (skip) {
        if (!info.fspId) {
          this.failItem(item, sdkError(ErrorCode.VALIDATION_ERROR, this.describe, 'skipPartyLookup needs to.partyIdInfo.fspId'));
          return;
        }
        item.party = item.request.to;
        item.fspId = info.fspId;
        item.status = 'resolved';
        onResolved?.(index);
        return;
      }
      const key = `${info.partyIdType}/${info.partyIdentifier}/${info.partySubIdOrType ?? ''}`;
      const list = pending.get(key);
      if (list) list.push(index);
      else pending.set(key, [index]);
    });
    const groups = [...pending.values()];
    await eachLimited(groups, this.cfg.lookupConcurrency, async (indexes) => {
      const info = txn.items[indexes[0]].request.to.partyIdInfo;
      const o = await this.lookup(info.partyIdType, info.partyIdentifier, info.partySubIdOrType);
      for (const index of indexes) {
        const item = txn.items[index];
        if (o.kind !== 'success') {
          this.failItem(item, errorFromOutcome(o, 'party', this.describe));
        } else if (!o.body.party?.partyIdInfo?.fspId) {
          this.failItem(item, sdkError(ErrorCode.PARTY_NOT_FOUND, this.describe, 'party lookup named no FSP'));
        } else {
          item.party = o.body.party;
          item.fspId = o.body.party.partyIdInfo.fspId;
          item.status = 'resolved';
          onResolved?.(index);
        }
      }
    });
  }

  /** Resolved items grouped per payee FSP in chunks of at most 1000, each with its bulk quote id. */
  private planQuoteChunks(txn: BulkTransaction): BulkTransaction['chunks'] {
    const chunks = planChunks(txn.items.map((i) => (i.status === 'resolved' ? i.fspId : undefined)))
      .map((c) => ({ ...c, bulkQuoteId: newId() }));
    txn.chunks.push(...chunks);
    return chunks;
  }

  private async quoteChunk(txn: BulkTransaction, chunk: BulkTransaction['chunks'][number]): Promise<void> {
    const req = txn.request;
    const items = txn.items;
    const limits = req.options.autoAcceptQuote.enabled ? req.options.autoAcceptQuote.perTransferFeeLimits : undefined;
    const bulkQuoteId = chunk.bulkQuoteId!;
    const individualQuotes = chunk.items.map((idx) => {
      const item = items[idx];
      item.quoteId = newId();
      item.bulkQuoteId = bulkQuoteId;
      const t = item.request;
      const q: Record<string, unknown> = {
        quoteId: item.quoteId, transactionId: item.transferId,
        payee: { partyIdInfo: { ...item.party!.partyIdInfo, fspId: chunk.fspId } }, amountType: t.amountType,
        amount: { currency: t.currency, amount: t.amount }, transactionType: TRANSACTION_TYPE('BUSINESS'),
      };
      if (t.note) q.note = t.note;
      return q;
    });
    const body: Record<string, unknown> = { bulkQuoteId, payer: this.payerParty(req.from), individualQuotes };
    if (Date.parse(req.options.bulkExpiration) > Date.now()) body.expiration = req.options.bulkExpiration;
    this.noteBulk('bulkQuotes', chunk.fspId, individualQuotes.length, txn);
    const o = await this.postBulkQuote(body, chunk.fspId);
    if (o.kind !== 'success') {
      const e = errorFromOutcome(o, 'quote', this.describe);
      for (const idx of chunk.items) this.failItem(items[idx], e);
      return;
    }
    const byQuote = new Map((o.body.individualQuoteResults ?? []).map((r) => [r.quoteId, r]));
    for (const idx of chunk.items) {
      const item = items[idx];
      const r = byQuote.get(item.quoteId!);
      if (!r) {
        this.failItem(item, sdkError(ErrorCode.INTERNAL_SERVER_ERROR, this.describe, 'no result for this quote in the bulk answer'));
        continue;
      }
      if (r.errorInformation || !r.transferAmount || !r.ilpPacket || !r.condition) {
        this.failItem(item, r.errorInformation ? itemError(r.errorInformation)
          : sdkError(ErrorCode.VALIDATION_ERROR, this.describe, 'quote result lacks terms'));
        continue;
      }
      item.quote = stripEmpty({
        quoteId: item.quoteId!, transferAmount: r.transferAmount, payeeReceiveAmount: r.payeeReceiveAmount, payeeFspFee: r.payeeFspFee,
        payeeFspCommission: r.payeeFspCommission, ilpPacket: r.ilpPacket, condition: r.condition,
      });
      if (!feeWithinLimits(limits, item.request.currency, item.request.amount, r.transferAmount.amount, r.payeeFspFee?.amount)) {
        this.failItem(item, sdkError(ErrorCode.PAYER_REJECTION, this.describe, 'fee above perTransferFeeLimits'));
        continue;
      }
      item.status = 'quoted';
    }
  }

  /** Reserves each accepted item of the chunk on the treasury and sends those that fit as one FSPIOP bulk transfer. */
  private async transferChunk(txn: BulkTransaction, chunk: BulkTransaction['chunks'][number]): Promise<void> {
    const items = txn.items;
    const send: BulkItem[] = [];
    for (const idx of chunk.items) {
      const item = items[idx];
      if (item.status !== 'accepted') continue;
      const q = item.quote!;
      const forced = this.hooks.forcedError?.({ resource: 'bulkTransfers', amount: item.request.amount, partyId:
        item.request.to.partyIdInfo.partyIdentifier });
      if (forced) {
        this.failItem(item, itemError(forced));
        continue;
      }
      const held = this.treasury.reserve(item.transferId, q.transferAmount!.currency, q.transferAmount!.amount);
      if (held === 'insufficient') {
        this.failItem(item,
          sdkError(ErrorCode.PAYER_FSP_INSUFFICIENT_LIQUIDITY, this.describe,
            `treasury cannot cover ${q.transferAmount!.amount} ${q.transferAmount!.currency}`));
        continue;
      }
      send.push(item);
    }
    if (send.length === 0) return;
    const bulkTransferId = newId();
    chunk.bulkTransferId = bulkTransferId;
    for (const item of send) {
      item.status = 'sent';
      item.transferSent = true;
    }
    this.bulkTransferItems.set(bulkTransferId, send.map((i) => ({ transferId: i.transferId, currency: i.quote!.transferAmount!.currency,
      amount: i.quote!.transferAmount!.amount })));
    this.noteBulk('bulkTransfers', chunk.fspId, send.length, txn);
    const expiration = this.expiration(txn.request.options.bulkExpiration);
    const sent = await this.postBulkTransfer({
      bulkTransferId, bulkQuoteId: chunk.bulkQuoteId, payerFsp: this.cfg.fspId, payeeFsp: chunk.fspId, expiration,
      individualTransfers: send.map((i) => ({ transferId: i.transferId, transferAmount: i.quote!.transferAmount, ilpPacket:
        i.quote!.ilpPacket, condition: i.quote!.condition })),
    }, chunk.fspId);
    const apply = (o: FspiopOutcome<BulkTransferCallback>) => {
      this.inDoubt.delete(bulkTransferId);
      this.forgetBulkItems(bulkTransferId, o);
      const settled = this.settleBulkItems(o, send.map((i) => i.transferId));
      send.forEach((item, k) => {
        const r = settled.results[k];
        item.inDoubt = false;
        item.fulfil = stripEmpty({ transferId: r.transferId, fulfilment: r.fulfilment, transferState: r.transferState });
        if (r.transferState === 'COMMITTED') {
          item.status = 'committed';
          item.lastError = undefined;
        } else this.failItem(item, r.lastError ?? sdkError(ErrorCode.PAYEE_FSP_REJECTED_TXN, this.describe));
      });
    };
    const o = await this.outcomeOf(sent, 'bulkTransfers', bulkTransferId);
    if (o) return apply(o);
    // in doubt: the items stay held and unsettled until the hub can tell; the report is sent again then
    const e = this.inDoubtError();
    for (const item of send) {
      item.inDoubt = true;
      this.failItem(item, e);
    }
    this.inDoubt.set(bulkTransferId, (x) => {
      apply(x as FspiopOutcome<BulkTransferCallback>);
      this.lateCommits += send.filter((i) => i.status === 'committed').length;
      if (txn.phase === 'done') this.report(txn);
    });
    this.recheck('bulkTransfers', bulkTransferId, Date.parse(expiration) - Date.now() + 1000);
  }

  /**
   * PUT /bulkTransactions/{id}: the caller's acceptance of parties or quotes. As in the SDK, only the listed items
   * change (an unknown transferId is skipped with a warning), and what an unlisted item does follows from the
   * SDK's next step: only accepted parties are quoted (items left out are not), while every quoted item not
   * rejected is transferred (items left out are).
   */
  async continueBulkTransaction(id: string, body: BulkTransactionContinuation): Promise<BulkTransaction> {
    const txn = this.bulkTransactions.get(id);
    if (!txn) throw new RequestError(ErrorCode.ID_NOT_FOUND, `no bulk transaction ${id}`, 404);
    await this.settled(txn);
    const isParty = body.individualTransfers.some((t) => 'acceptParty' in t);
    const wanted = isParty ? 'partyAcceptance' : 'quoteAcceptance';
    if (txn.phase !== wanted) throw new RequestError(ErrorCode.VALIDATION_ERROR, `bulk transaction ${id} is not waiting for ${isParty
      ? 'party'
      : 'quote'} acceptance (${txn.currentState})`);
    const accepted = new Map<string, boolean>();
    for (const t of body.individualTransfers) accepted.set(t.transferId, Boolean(isParty ? t.acceptParty : t.acceptQuote));
    const from: ItemStatus = isParty ? 'resolved' : 'quoted';
    const known = new Set<string>();
    for (const item of txn.items) {
      known.add(item.transferId);
      if (item.status !== from) continue;
      const a = accepted.get(item.transferId);
      if (isParty ? a === true : a !== false) {
        if (!isParty) item.status = 'accepted';
      } else this.failItem(item, sdkError(ErrorCode.PAYER_REJECTION, this.describe, `payer did not accept the ${isParty ? 'party'
        : 'quote'}`));
    }
    for (const transferId of accepted.keys()) {
      if (!known.has(transferId)) this.log.warn({ bulkTransactionId: id, transferId },
        'Can not find the individual transfer with this id in the bulk transaction; skipped');
    }
    txn.phase = isParty ? 'quote' : 'transfer';
    txn.currentState = 'COMPLETED';
    void this.run(txn, () => this.advanceBulk(txn));
    return txn;
  }

  private itemView(item: BulkItem): Record<string, unknown> {
    const src = item.mirror ? this.refItem(item.mirror) : item;
    const t = item.request;
    const fulfil = src.fulfil;
    return stripEmpty({
      transferId: item.transferId, homeTransactionId: item.homeTransactionId, transactionId: item.transferId,
      to: src.party ?? t.to, reference: t.reference, amountType: t.amountType, currency: t.currency, amount: t.amount, note: t.note,
      quoteId: src.quoteId, quoteResponse: src.quote, fulfil, lastError: src.lastError,
      transferState: fulfil?.transferState ?? (src.lastError && !src.inDoubt ? 'ABORTED' : undefined),
    });
  }

  /** A bulk item's state as seen through any record kind (for resends mirroring an earlier payment). */
  private refItem(ref: ItemRef): Pick<BulkItem, 'party' | 'quoteId' | 'quote' | 'fulfil' | 'lastError' | 'inDoubt'> {
    if (ref.kind === 'bulkItem') return ref.item.mirror ? this.refItem(ref.item.mirror) : ref.item;
    if (ref.kind === 'transfer') {
      const r = ref.rec;
      return {
        party: r.party, quoteId: r.quoteId, lastError: r.lastError,
        quote: r.quote ? { quoteId: r.quoteId!, transferAmount: r.quote.transferAmount, ilpPacket: r.quote.ilpPacket, condition:
          r.quote.condition } : undefined,
        fulfil: r.fulfil ? { transferId: r.transferId, fulfilment: r.fulfil.fulfilment, transferState: r.fulfil.transferState } : undefined,
      };
    }
    const res = ref.rec.results[ref.index];
    return { fulfil: res, lastError: res?.lastError };
  }

  /** The back-office report body (backend bulkTransactionResponse), also what GET /bulkTransactions/{id} returns. */
  bulkTransactionView(txn: BulkTransaction): Record<string, unknown> {
    return {
      bulkHomeTransactionID: txn.request.bulkHomeTransactionID, bulkTransactionId: txn.bulkTransactionId,
      currentState: txn.currentState, options: txn.request.options,
      individualTransferResults: txn.items.map((i) => this.itemView(i)),
    };
  }

  /** Where a bulk transaction stands inside (admin): its phase ('stalled': stopped for good), each item's status. */
  bulkTransactionInfo(txn: BulkTransaction): Record<string, unknown> {
    return {
      bulkTransactionId: txn.bulkTransactionId, phase: txn.phase, currentState: txn.currentState, bulkSizes: txn.bulkSizes,
      items: txn.items.map((i) => ({ transferId: i.transferId, homeTransactionId: i.homeTransactionId, status: i.status })),
    };
  }

  /** Everything known about one transfer id (admin). */
  transferInfo(transferId: string): Record<string, unknown> | undefined {
    const ref = this.byTransferId.get(transferId);
    if (!ref) return undefined;
    const treasury = this.treasury.stateOf(transferId) ?? 'none';
    if (ref.kind === 'transfer') return { kind: 'transfer', treasury, ...this.transferView(ref.rec) };
    if (ref.kind === 'bulkItem') return { kind: 'bulkTransaction', bulkTransactionId: ref.txn.bulkTransactionId, treasury,
      ...this.itemView(ref.item) };
    return { kind: 'bulkTransfer', bulkTransferId: ref.rec.bulkTransferId, treasury, ...ref.rec.results[ref.index] };
  }
}
