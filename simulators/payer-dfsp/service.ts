/**
 * The payer DFSP's use cases behind the SDK outbound API: single transfers (lookup, quote, transfer, with or
 * without the caller's acceptance), party lookups, SDK bulk quotes and bulk transfers, and bulk transactions
 * (bulk-transactions.ts: lookup every party, group per payee FSP in FSPIOP bulks of at most 1000, quote, transfer,
 * report per item), which use this service's FSPIOP requests, treasury and payments in doubt.
 * Money moves through the Treasury (reserve at quote acceptance, debit on COMMITTED). As in the SDK, every
 * POST /transfers and every bulk transaction item is a new transfer with a new transferId (homeTransactionId is
 * only carried along), and a bulkTransactionId used before is ignored; bulkQuoteId and bulkTransferId are
 * idempotent. Behaviours beyond the SDK are extensions (`cfg.extensions`), off unless enabled.
 */
import type { Logger } from 'pino';
import { newId, fspiopNow } from '../../shared/ids';
import { callbackKey, ErrorInformation, FspiopClient, FspiopOutcome } from '../fspiop/client';
import { Describe, errorFromOutcome, fingerprint, itemError, SdkError, sdkError } from './domain/model';
import { Treasury } from './domain/treasury';
import { fspiopParty, stripEmpty, transactionType, transferPartyOf } from './domain/parties';
import { BulkTransactions } from './bulk-transactions';
import { RequestError } from './request-error';
import type { BulkTransaction, ItemRef, SdkBulkQuoteRecord, SdkBulkTransferRecord, TransferRecord } from './domain/records';
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

export { RequestError } from './request-error';

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


export class PayerService {
  readonly byTransferId = new Map<string, ItemRef>();
  readonly byHomeTransactionId = new Map<string, ItemRef>();
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
  /** The bulk transaction use case (bulk-transactions.ts). */
  private readonly bulk: BulkTransactions;

  constructor(
    readonly cfg: PayerServiceConfig,
    private readonly client: FspiopClient,
    readonly treasury: Treasury,
    private readonly describe: Describe,
    private readonly log: Logger,
    private readonly hooks: ServiceHooks = {},
  ) {
    client.onUnmatched = (key, isError, body) => this.onLateCallback(key, isError, body);
    this.bulk = new BulkTransactions({
      cfg, log, describe, treasury, hooks: this.hooks, byTransferId: this.byTransferId, byHomeTransactionId: this.byHomeTransactionId,
      lookup: (idType, idValue, subId) => this.lookup(idType, idValue, subId),
      postBulkQuote: (body, payeeFsp) => this.postBulkQuote(body, payeeFsp),
      postBulkTransfer: (body, payeeFsp) => this.postBulkTransfer(body, payeeFsp),
      noteBulk: (resource, fspId, size, txn) => this.noteBulk(resource, fspId, size, txn),
      expiration: (limit) => this.expiration(limit),
      payerParty: (party) => this.payerParty(party),
      run: (rec, fn) => this.run(rec, fn),
      settled: (rec) => this.settled(rec),
      outcomeOf: (o, resource, id) => this.outcomeOf(o, resource, id),
      settleBulkItems: (o, transferIds) => this.settleBulkItems(o, transferIds),
      forgetBulkItems: (id, o) => this.forgetBulkItems(id, o),
      inDoubtError: () => this.inDoubtError(),
      recheck: (resource, id, afterMs) => this.recheck(resource, id, afterMs),
      holdInDoubt: (id, settle) => { this.inDoubt.set(id, settle); },
      clearInDoubt: (id) => { this.inDoubt.delete(id); },
      trackBulkTransferItems: (id, items) => { this.bulkTransferItems.set(id, items); },
      noteLateCommits: (count) => { this.lateCommits += count; },
    });
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
        transactionType: transactionType(req.from.type ?? 'CONSUMER'), note: req.note,
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
          amount: { currency: q.currency, amount: q.amount }, transactionType: transactionType(req.from.type ?? 'CONSUMER'),
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
  // bulk transactions (bulk-transactions.ts)

  /** Bulk transactions by bulkTransactionId. */
  get bulkTransactions(): Map<string, BulkTransaction> {
    return this.bulk.bulkTransactions;
  }

  /** POST /bulkTransactions (see BulkTransactions.startBulkTransaction). */
  startBulkTransaction(req: BulkTransactionRequest, opts: { synchronous?: boolean } = {}): BulkTransaction | undefined {
    return this.bulk.startBulkTransaction(req, opts);
  }

  /** PUT /bulkTransactions/{id}: the caller's acceptance of parties or quotes. */
  continueBulkTransaction(id: string, body: BulkTransactionContinuation): Promise<BulkTransaction> {
    return this.bulk.continueBulkTransaction(id, body);
  }

  /** The back-office report body (backend bulkTransactionResponse), also what GET /bulkTransactions/{id} returns. */
  bulkTransactionView(txn: BulkTransaction): Record<string, unknown> {
    return this.bulk.bulkTransactionView(txn);
  }

  /** Where a bulk transaction stands inside (admin). */
  bulkTransactionInfo(txn: BulkTransaction): Record<string, unknown> {
    return this.bulk.bulkTransactionInfo(txn);
  }

  /** Everything known about one transfer id (admin). */
  transferInfo(transferId: string): Record<string, unknown> | undefined {
    const ref = this.byTransferId.get(transferId);
    if (!ref) return undefined;
    const treasury = this.treasury.stateOf(transferId) ?? 'none';
    if (ref.kind === 'transfer') return { kind: 'transfer', treasury, ...this.transferView(ref.rec) };
    if (ref.kind === 'bulkItem') return { kind: 'bulkTransaction', bulkTransactionId: ref.txn.bulkTransactionId, treasury,
      ...this.bulk.itemView(ref.item) };
    return { kind: 'bulkTransfer', bulkTransferId: ref.rec.bulkTransferId, treasury, ...ref.rec.results[ref.index] };
  }
}
