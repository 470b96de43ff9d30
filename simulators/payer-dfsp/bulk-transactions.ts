/**
 * The payer DFSP's bulk transaction use case (POST and PUT /bulkTransactions, as the SDK scheme adapter runs them):
 * look every party up, group per payee FSP in FSPIOP bulks of at most 1000, quote, stop for the caller's acceptance
 * (or, with the extension bulkAutoAcceptQuote, go on at once), transfer, and report per item to the back office.
 * The FSPIOP requests, the treasury and the payments in doubt belong to PayerService, which lends them through
 * BulkPorts.
 */
import type { Logger } from 'pino';
import { newId, fspiopNow } from '../../shared/ids';
import { ErrorCode } from '../../shared/fspiop-errors';
import type { FspiopOutcome } from '../fspiop/client';
import { eachLimited, Gate } from './concurrency';
import {
  Chunk, Describe, errorFromOutcome, feeWithinLimits, itemError, planChunks, SdkError, sdkError,
} from './domain/model';
import { stripEmpty, transactionType } from './domain/parties';
import type { BulkItem, BulkTransaction, ItemRef, ItemStatus } from './domain/records';
import type { Treasury } from './domain/treasury';
import type {
  BulkQuoteCallback, BulkTransactionContinuation, BulkTransactionRequest, BulkTransferCallback, Party, SdkIndividualTransferResult,
} from './domain/types';
import { RequestError } from './request-error';
import type { PayerServiceConfig, ServiceHooks } from './service';

/** FSPIOP's limit of items per bulk quote / bulk transfer. */
const MAX_BULK = 1000;

/** What a bulk transaction needs of the payer DFSP's service: its settings, records, FSPIOP requests and books. */
export interface BulkPorts {
  readonly cfg: PayerServiceConfig;
  readonly log: Logger;
  readonly describe: Describe;
  readonly treasury: Treasury;
  readonly hooks: ServiceHooks;
  /** Where each transfer id lives (shared with single transfers and SDK bulk transfers). */
  readonly byTransferId: Map<string, ItemRef>;
  /** The latest bulk item per homeTransactionId. */
  readonly byHomeTransactionId: Map<string, ItemRef>;
  lookup(idType: string, idValue: string, subId?: string): Promise<FspiopOutcome<{ party: Party }>>;
  postBulkQuote(body: Record<string, unknown>, payeeFsp: string): Promise<FspiopOutcome<BulkQuoteCallback>>;
  postBulkTransfer(body: Record<string, unknown>, payeeFsp: string): Promise<FspiopOutcome<BulkTransferCallback>>;
  noteBulk(resource: 'bulkQuotes' | 'bulkTransfers', fspId: string, size: number, txn?: BulkTransaction): void;
  /** FSPIOP expiration for what we send: now + transferExpiryMs, or `limit` if sooner. */
  expiration(limit?: string): string;
  payerParty(p: Party): Party;
  /** Runs a step as the record's `busy` promise. */
  run(rec: { busy?: Promise<void> }, fn: () => Promise<void>): Promise<void>;
  /** Waits for whatever step is in flight. */
  settled(rec: { busy?: Promise<void> }): Promise<void>;
  /** The callback's outcome, or the hub's final answer when none came; undefined: in doubt. */
  outcomeOf<T>(o: FspiopOutcome<T>, resource: 'transfers' | 'bulkTransfers', id: string): Promise<FspiopOutcome<T> | undefined>;
  /** Debits committed items, releases the others (same order as `transferIds`). */
  settleBulkItems(o: FspiopOutcome<BulkTransferCallback>, transferIds: string[]): { results: SdkIndividualTransferResult[] };
  forgetBulkItems(bulkTransferId: string, o: FspiopOutcome<unknown>): void;
  inDoubtError(): SdkError;
  recheck(resource: 'transfers' | 'bulkTransfers', id: string, afterMs: number): void;
  /** Registers what settles a bulk transfer in doubt (a late callback or a recheck). */
  holdInDoubt(bulkTransferId: string, settle: (o: FspiopOutcome<unknown>) => void): void;
  clearInDoubt(bulkTransferId: string): void;
  /** The items a bulk transfer carried, for a late answer. */
  trackBulkTransferItems(bulkTransferId: string, items: Array<{ transferId: string; currency: string; amount: string }>): void;
  noteLateCommits(count: number): void;
}

export class BulkTransactions {
  readonly bulkTransactions = new Map<string, BulkTransaction>();

  constructor(private readonly p: BulkPorts) {}

  /**
   * POST /bulkTransactions: registers the transaction and starts it. Returns the record at once (its work runs on;
   * `txn.busy` settles when it stops: finished, waiting for the caller's acceptance, or stalled), or undefined when
   * the bulkTransactionId is already known: as in the SDK (its aggregate exists already), that request is only logged.
   * `synchronous`: the caller gets the report in the answer (an extension), so none goes to the back office.
   */
  startBulkTransaction(req: BulkTransactionRequest, opts: { synchronous?: boolean } = {}): BulkTransaction | undefined {
    if (this.bulkTransactions.has(req.bulkTransactionId)) {
      this.p.log.warn({ bulkTransactionId: req.bulkTransactionId }, 'Duplicate: Aggregate already exists in repo; request ignored');
      return undefined;
    }
    const dedup = this.p.cfg.extensions?.bulkHomeTransactionIdDedup === true;
    const txn: BulkTransaction = {
      kind: 'bulkTransaction', bulkTransactionId: req.bulkTransactionId, request: req, items: [], phase: 'lookup',
      currentState: 'COMPLETED', chunks: [], createdAt: fspiopNow(), bulkSizes: [], synchronous: opts.synchronous === true,
    };
    let repeats = false;
    for (const t of req.individualTransfers) {
      const item: BulkItem = { homeTransactionId: t.homeTransactionId, transferId: newId(), request: t, status: 'new', transferSent:
        false };
      const prior = this.p.byHomeTransactionId.get(t.homeTransactionId);
      if (prior) repeats = true;
      if (dedup && prior && !this.retryable(prior)) {
        item.status = 'mirror';
        item.mirror = prior;
        if (prior.kind === 'bulkItem') item.transferId = prior.item.transferId;
        else if (prior.kind === 'transfer') item.transferId = prior.rec.transferId;
      } else {
        // as the SDK: a new transfer, whatever its homeTransactionId
        const ref: ItemRef = { kind: 'bulkItem', txn, item };
        this.p.byHomeTransactionId.set(t.homeTransactionId, ref);
        this.p.byTransferId.set(item.transferId, ref);
      }
      txn.items.push(item);
    }
    if (repeats) this.p.hooks.noteExtension?.('bulkHomeTransactionIdDedup');
    this.bulkTransactions.set(req.bulkTransactionId, txn);
    void this.p.run(txn, () => this.advanceBulk(txn));
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
    const autoQuote = opts.autoAcceptQuote.enabled && this.p.cfg.extensions?.bulkAutoAcceptQuote === true;
    if (txn.phase === 'lookup' && opts.autoAcceptParty.enabled && autoQuote && !opts.onlyValidateParty) {
      await this.streamBulk(txn);
      this.p.log.debug({ bulkTransactionId: txn.bulkTransactionId, ms: Date.now() - t0 }, 'resolved, quoted and transferred');
      return this.finishBulk(txn);
    }
    if (txn.phase === 'lookup') {
      await this.resolveParties(txn);
      this.p.log.debug({ bulkTransactionId: txn.bulkTransactionId, ms: Date.now() - t0 }, 'parties resolved');
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
      await eachLimited(this.planQuoteChunks(txn), this.p.cfg.bulkConcurrency, async (chunk) => {
        await this.quoteChunk(txn, chunk);
        for (const idx of chunk.items) if (txn.items[idx].status === 'quoted') txn.items[idx].status = 'accepted';
        if (expired) this.expireAccepted(txn, chunk);
        else await this.transferChunk(txn, chunk);
      });
      this.p.log.debug({ bulkTransactionId: txn.bulkTransactionId, ms: Date.now() - t0 }, 'quoted and transferred');
      return this.finishBulk(txn);
    }
    if (txn.phase === 'quote') {
      await eachLimited(this.planQuoteChunks(txn), this.p.cfg.bulkConcurrency, (chunk) => this.quoteChunk(txn, chunk));
      this.p.log.debug({ bulkTransactionId: txn.bulkTransactionId, ms: Date.now() - t0 }, 'quotes received');
      txn.phase = 'transfer';
      // As the SDK: unless every item has failed, the quotes go to the caller for acceptance, or with
      // autoAcceptQuote.enabled, nowhere: it has no such step and the transaction stops here for good.
      if (txn.items.some((i) => i.status === 'quoted')) {
        if (opts.autoAcceptQuote.enabled) {
          txn.phase = 'stalled';
          this.p.log.error({ bulkTransactionId: txn.bulkTransactionId },
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
      await eachLimited(txn.chunks, this.p.cfg.bulkConcurrency, async (chunk) => {
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
    const gate = new Gate(this.p.cfg.bulkConcurrency);
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
    return Date.parse(this.p.expiration(txn.request.options.bulkExpiration)) <= Date.now();
  }

  private expireAccepted(txn: BulkTransaction, chunk: Chunk): void {
    for (const idx of chunk.items) {
      const i = txn.items[idx];
      if (i.status === 'accepted') this.failItem(i, sdkError(ErrorCode.TRANSFER_EXPIRED, this.p.describe, 'bulkExpiration has passed'));
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
    for (const o of others) await this.p.settled(o);
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
      this.p.hooks.report?.(txn, this.bulkTransactionView(txn));
    } catch (err) {
      this.p.log.warn({ err, bulkTransactionId: txn.bulkTransactionId }, 'bulk transaction report failed');
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
          this.failItem(item, sdkError(ErrorCode.VALIDATION_ERROR, this.p.describe, 'skipPartyLookup needs to.partyIdInfo.fspId'));
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
    await eachLimited(groups, this.p.cfg.lookupConcurrency, async (indexes) => {
      const info = txn.items[indexes[0]].request.to.partyIdInfo;
      const o = await this.p.lookup(info.partyIdType, info.partyIdentifier, info.partySubIdOrType);
      for (const index of indexes) {
        const item = txn.items[index];
        if (o.kind !== 'success') {
          this.failItem(item, errorFromOutcome(o, 'party', this.p.describe));
        } else if (!o.body.party?.partyIdInfo?.fspId) {
          this.failItem(item, sdkError(ErrorCode.PARTY_NOT_FOUND, this.p.describe, 'party lookup named no FSP'));
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
        amount: { currency: t.currency, amount: t.amount }, transactionType: transactionType('BUSINESS'),
      };
      if (t.note) q.note = t.note;
      return q;
    });
    const body: Record<string, unknown> = { bulkQuoteId, payer: this.p.payerParty(req.from), individualQuotes };
    if (Date.parse(req.options.bulkExpiration) > Date.now()) body.expiration = req.options.bulkExpiration;
    this.p.noteBulk('bulkQuotes', chunk.fspId, individualQuotes.length, txn);
    const o = await this.p.postBulkQuote(body, chunk.fspId);
    if (o.kind !== 'success') {
      const e = errorFromOutcome(o, 'quote', this.p.describe);
      for (const idx of chunk.items) this.failItem(items[idx], e);
      return;
    }
    const byQuote = new Map((o.body.individualQuoteResults ?? []).map((r) => [r.quoteId, r]));
    for (const idx of chunk.items) {
      const item = items[idx];
      const r = byQuote.get(item.quoteId!);
      if (!r) {
        this.failItem(item, sdkError(ErrorCode.INTERNAL_SERVER_ERROR, this.p.describe, 'no result for this quote in the bulk answer'));
        continue;
      }
      if (r.errorInformation || !r.transferAmount || !r.ilpPacket || !r.condition) {
        this.failItem(item, r.errorInformation ? itemError(r.errorInformation)
          : sdkError(ErrorCode.VALIDATION_ERROR, this.p.describe, 'quote result lacks terms'));
        continue;
      }
      item.quote = stripEmpty({
        quoteId: item.quoteId!, transferAmount: r.transferAmount, payeeReceiveAmount: r.payeeReceiveAmount, payeeFspFee: r.payeeFspFee,
        payeeFspCommission: r.payeeFspCommission, ilpPacket: r.ilpPacket, condition: r.condition,
      });
      if (!feeWithinLimits(limits, item.request.currency, item.request.amount, r.transferAmount.amount, r.payeeFspFee?.amount)) {
        this.failItem(item, sdkError(ErrorCode.PAYER_REJECTION, this.p.describe, 'fee above perTransferFeeLimits'));
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
      const forced = this.p.hooks.forcedError?.({ resource: 'bulkTransfers', amount: item.request.amount, partyId:
        item.request.to.partyIdInfo.partyIdentifier });
      if (forced) {
        this.failItem(item, itemError(forced));
        continue;
      }
      const held = this.p.treasury.reserve(item.transferId, q.transferAmount!.currency, q.transferAmount!.amount);
      if (held === 'insufficient') {
        this.failItem(item,
          sdkError(ErrorCode.PAYER_FSP_INSUFFICIENT_LIQUIDITY, this.p.describe,
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
    this.p.trackBulkTransferItems(bulkTransferId, send.map((i) => ({ transferId: i.transferId, currency: i.quote!.transferAmount!.currency,
      amount: i.quote!.transferAmount!.amount })));
    this.p.noteBulk('bulkTransfers', chunk.fspId, send.length, txn);
    const expiration = this.p.expiration(txn.request.options.bulkExpiration);
    const sent = await this.p.postBulkTransfer({
      bulkTransferId, bulkQuoteId: chunk.bulkQuoteId, payerFsp: this.p.cfg.fspId, payeeFsp: chunk.fspId, expiration,
      individualTransfers: send.map((i) => ({ transferId: i.transferId, transferAmount: i.quote!.transferAmount, ilpPacket:
        i.quote!.ilpPacket, condition: i.quote!.condition })),
    }, chunk.fspId);
    const apply = (o: FspiopOutcome<BulkTransferCallback>) => {
      this.p.clearInDoubt(bulkTransferId);
      this.p.forgetBulkItems(bulkTransferId, o);
      const settled = this.p.settleBulkItems(o, send.map((i) => i.transferId));
      send.forEach((item, k) => {
        const r = settled.results[k];
        item.inDoubt = false;
        item.fulfil = stripEmpty({ transferId: r.transferId, fulfilment: r.fulfilment, transferState: r.transferState });
        if (r.transferState === 'COMMITTED') {
          item.status = 'committed';
          item.lastError = undefined;
        } else this.failItem(item, r.lastError ?? sdkError(ErrorCode.PAYEE_FSP_REJECTED_TXN, this.p.describe));
      });
    };
    const o = await this.p.outcomeOf(sent, 'bulkTransfers', bulkTransferId);
    if (o) return apply(o);
    // in doubt: the items stay held and unsettled until the hub can tell; the report is sent again then
    const e = this.p.inDoubtError();
    for (const item of send) {
      item.inDoubt = true;
      this.failItem(item, e);
    }
    this.p.holdInDoubt(bulkTransferId, (x) => {
      apply(x as FspiopOutcome<BulkTransferCallback>);
      this.p.noteLateCommits(send.filter((i) => i.status === 'committed').length);
      if (txn.phase === 'done') this.report(txn);
    });
    this.p.recheck('bulkTransfers', bulkTransferId, Date.parse(expiration) - Date.now() + 1000);
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
    await this.p.settled(txn);
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
      } else this.failItem(item, sdkError(ErrorCode.PAYER_REJECTION, this.p.describe, `payer did not accept the ${isParty ? 'party'
        : 'quote'}`));
    }
    for (const transferId of accepted.keys()) {
      if (!known.has(transferId)) this.p.log.warn({ bulkTransactionId: id, transferId },
        'Can not find the individual transfer with this id in the bulk transaction; skipped');
    }
    txn.phase = isParty ? 'quote' : 'transfer';
    txn.currentState = 'COMPLETED';
    void this.p.run(txn, () => this.advanceBulk(txn));
    return txn;
  }

  itemView(item: BulkItem): Record<string, unknown> {
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
}
