/**
 * The payee DFSP's decisions, with no I/O: who its parties are, what a quote costs, whether a transfer matches
 * the terms it quoted, what gets credited. The HTTP layer asks, then sends the answer as a callback.
 */
import { createHash } from 'node:crypto';
import type { v1_1 } from '@mojaloop/api-snippets';
import { fitsCurrency, fromUnits, toUnits } from '../../../shared/money';
import { IlpError, IlpVersion, PayeeIlp, randomFulfilment, transactionObjectFor } from '../../fspiop/ilp';
import { fspiopParty, PartyConfig, PartyDirectory, PartyEntry, PartyGeneratorRule } from './directory';
import { computeFee, FeeRule, validateFeeRule } from './fees';
import { PayeeLedger, TransferRecord } from './ledger';
import { ErrorCode } from '../../../shared/fspiop-errors';

export type QuotesPostRequest = v1_1.Schemas.QuotesPostRequest;
export type QuotesIDPutResponse = v1_1.Schemas.QuotesIDPutResponse;
export type TransfersPostRequest = v1_1.Schemas.TransfersPostRequest;
export type TransfersIDPutResponse = v1_1.Schemas.TransfersIDPutResponse;
export type TransfersIDPatchResponse = v1_1.openapi.components['schemas']['TransfersIDPatchResponse'];
export type BulkQuotesPostRequest = v1_1.Schemas.BulkQuotesPostRequest;
export type BulkQuotesIDPutResponse = v1_1.Schemas.BulkQuotesIDPutResponse;
export type BulkTransfersPostRequest = v1_1.Schemas.BulkTransfersPostRequest;
export type BulkTransfersIDPutResponse = v1_1.Schemas.BulkTransfersIDPutResponse;
export type IndividualQuoteResult = v1_1.Schemas.IndividualQuoteResult;
export type IndividualTransferResult = v1_1.Schemas.IndividualTransferResult;
export type PartiesTypeIDPutResponse = v1_1.Schemas.PartiesTypeIDPutResponse;
type Money = v1_1.Schemas.Money;

/** How the payee answers POST /transfers: commit at once, or reserve and commit on the hub's PATCH. */
export type AnsweringMode = 'COMMITTED' | 'RESERVED';

export interface PayeeCoreConfig {
  fspId: string;
  currencies: string[];
  parties?: PartyConfig[];
  partyRules?: PartyGeneratorRule[];
  fees?: FeeRule[];
  ilpSecret: string;
  ilpVersion?: IlpVersion;
  /** How long a quote stays valid; default 60 s (the SDK's default). */
  quoteTtlMs?: number;
  answeringMode?: AnsweringMode;
  /** Transaction scenarios the payee accepts; default TRANSFER, DEPOSIT, PAYMENT, REFUND. */
  scenarios?: string[];
  /** How long quote and bulk answers are kept for resends after they expire; default 60 s. */
  retentionMs?: number;
}

/** An FSPIOP error the HTTP layer turns into errorInformation (description defaults to the official one). */
export interface PayeeError {
  errorCode: string;
  errorDescription?: string;
}

export type Decision<T> = { ok: true; body: T } | { ok: false; error: PayeeError };

/** Result of an idempotent request: a new answer, the stored answer of a resend, or 3106. */
export type Answer<T> =
  | { kind: 'new'; decision: Decision<T> }
  | { kind: 'resend'; decision: Decision<T> }
  | { kind: 'modified' };

/** Fault hooks the HTTP layer passes in (from the fault rules). */
export interface TransferFaults {
  /** Answer with a fulfilment that matches no condition (and credit nothing). */
  wrongFulfilment?: boolean;
}

export interface BulkTransferFaults extends TransferFaults {
  /** Items to fail: index -> error to report for it. */
  failItems?: Map<number, PayeeError>;
}

interface StoredAnswer<T> {
  hash: string;
  decision: Decision<T>;
  /** Epoch ms after which the entry may be forgotten. */
  forgetAt: number;
}

interface StoredBulkTransfer {
  hash: string;
  transferIds: string[];
  completedTimestamp: string;
  itemErrors: Map<number, PayeeError>;
}

const err = (errorCode: string, errorDescription?: string): { ok: false; error: PayeeError } => ({
  ok: false,
  error: { errorCode, errorDescription },
});

/** Fingerprint of a request body for FSPIOP idempotency. */
export function bodyHash(body: unknown): string {
  return createHash('sha1').update(JSON.stringify(body)).digest('base64url');
}

const currencies = new Map<string, string>();
/** One string instance per currency code, however many records carry it. */
function internCurrency(code: string): string {
  let c = currencies.get(code);
  if (c === undefined && currencies.size < 512) currencies.set(code, (c = code));
  return c ?? code;
}

let lastTimeMs = Number.NaN;
let lastTimeText = '';
/** FSPIOP DateTime for epoch ms (memoised: a bulk stamps a thousand items with the same instant). */
function fspiopTime(ms: number): string {
  if (ms !== lastTimeMs) {
    lastTimeMs = ms;
    lastTimeText = new Date(ms).toISOString();
  }
  return lastTimeText;
}

/** Units of an amount, or -1n when it is not one (never throws: the domain may be called without validation). */
function unitsOrInvalid(amount: string): bigint {
  try {
    return toUnits(amount);
  } catch {
    return -1n;
  }
}

/** How many ids aborted by the hub before they arrived are remembered (oldest forgotten first). */
const HUB_ABORTED_KEEP = 100_000;

function remember(map: Map<string, PayeeError>, id: string, e: PayeeError): void {
  if (map.size >= HUB_ABORTED_KEEP) map.delete(map.keys().next().value as string);
  map.set(id, e);
}

export class PayeeCore {
  readonly fspId: string;
  readonly directory: PartyDirectory;
  readonly ledger = new PayeeLedger();
  readonly ilp: PayeeIlp;
  private readonly fees: FeeRule[];
  private readonly quoteTtlMs: number;
  private readonly retentionMs: number;
  private readonly scenarios: Set<string>;
  answeringMode: AnsweringMode;
  private readonly quotes = new Map<string, StoredAnswer<QuotesIDPutResponse>>();
  /** Fee agreed per quote id, until its transfer arrives (single and bulk quotes). */
  private readonly quoteFees = new Map<string, { fee: bigint; forgetAt: number }>();
  private readonly bulkQuotes = new Map<string, StoredAnswer<BulkQuotesIDPutResponse>>();
  private readonly bulkTransfers = new Map<string, StoredBulkTransfer>();
  private readonly bulkRejections = new Map<string, PayeeError>();
  /**
   * Transfer and bulk ids the hub aborted before this payee saw them (its request still on its way, or lost):
   * if the request shows up after all, it is refused with the hub's error, never credited.
   */
  private readonly hubAborted = new Map<string, PayeeError>();
  private readonly hubAbortedBulks = new Map<string, PayeeError>();

  constructor(private readonly config: PayeeCoreConfig) {
    if (!config.fspId) throw new Error('fspId is required');
    if (!config.currencies?.length) throw new Error('at least one currency is required');
    this.fspId = config.fspId;
    this.directory = new PartyDirectory(config.parties ?? [], config.partyRules ?? [], config.currencies);
    this.fees = config.fees ?? [];
    this.fees.forEach(validateFeeRule);
    this.ilp = new PayeeIlp(config.ilpSecret, config.ilpVersion ?? 'v1');
    this.quoteTtlMs = config.quoteTtlMs ?? 60_000;
    this.retentionMs = config.retentionMs ?? 60_000;
    this.answeringMode = config.answeringMode ?? 'COMMITTED';
    this.scenarios = new Set(config.scenarios ?? ['TRANSFER', 'DEPOSIT', 'PAYMENT', 'REFUND']);
  }

  // -------------------------------------------------------------------------------------------------------------
  // parties

  lookupParty(idType: string, idValue: string, subId?: string): Decision<PartiesTypeIDPutResponse> {
    const entry = this.directory.lookup(idType, idValue, subId);
    if (!entry) return err(ErrorCode.PARTY_NOT_FOUND);
    return { ok: true, body: { party: fspiopParty(entry, this.fspId) as FspiopPartyOut } };
  }

  // -------------------------------------------------------------------------------------------------------------
  // quotes

  /** POST /quotes: the quote response (or error), idempotent by quoteId. */
  quote(req: QuotesPostRequest, now = Date.now()): Answer<QuotesIDPutResponse> {
    const hash = bodyHash(req);
    const prior = this.quotes.get(req.quoteId);
    if (prior) return prior.hash === hash ? { kind: 'resend', decision: prior.decision } : { kind: 'modified' };
    const expiresAt = this.quoteExpiry(req.expiration, now);
    const decision = this.priceQuote(req, req.payer, expiresAt, now);
    this.quotes.set(req.quoteId, { hash, decision, forgetAt: expiresAt + this.retentionMs });
    return { kind: 'new', decision };
  }

  private quoteExpiry(requested: string | undefined, now: number): number {
    const own = now + this.quoteTtlMs;
    if (!requested) return own;
    const t = Date.parse(requested);
    return Number.isNaN(t) ? own : Math.min(own, t);
  }

  private priceQuote(
    req: Pick<QuotesPostRequest, 'quoteId' | 'transactionId' | 'payee' | 'amountType' | 'amount' | 'transactionType' | 'note'
      | 'expiration'>,
    payer: QuotesPostRequest['payer'],
    expiresAt: number,
    now: number,
  ): Decision<QuotesIDPutResponse> {
    if (req.expiration && Date.parse(req.expiration) <= now) return err(ErrorCode.QUOTE_EXPIRED, 'Quote request already expired');
    if (!this.scenarios.has(req.transactionType.scenario)) return err('5102');
    const info = req.payee.partyIdInfo;
    const party = this.directory.lookup(info.partyIdType, info.partyIdentifier, info.partySubIdOrType);
    if (!party) return err(ErrorCode.PARTY_NOT_FOUND);
    const { currency, amount } = req.amount;
    if (!party.currencies.includes(currency)) return err(ErrorCode.PAYEE_UNSUPPORTED_CURRENCY);
    if (!fitsCurrency(amount, currency)) return err(ErrorCode.VALIDATION_ERROR,
      `Amount ${amount} has more decimals than ${currency} allows`);
    const units = toUnits(amount);
    if (units <= 0n) return err(ErrorCode.VALIDATION_ERROR, 'Amount must be greater than zero');
    let transferUnits: bigint;
    let receiveUnits: bigint;
    let fee: bigint;
    if (req.amountType === 'SEND') {
      fee = computeFee(this.fees, units, currency);
      if (fee >= units) return err(ErrorCode.PAYEE_FSP_REJECTED_QUOTE, `Payee fee ${fromUnits(fee)} ${currency} exceeds the amount`);
      transferUnits = units;
      receiveUnits = units - fee;
    } else {
      fee = computeFee(this.fees, units, currency);
      transferUnits = units + fee;
      receiveUnits = units;
    }
    const money = (u: bigint): Money => ({ currency, amount: fromUnits(u) });
    const expiration = fspiopTime(expiresAt);
    const payeeParty = { ...req.payee, partyIdInfo: { ...info, fspId: info.fspId ?? this.fspId } };
    const tx = transactionObjectFor(
      { quoteId: req.quoteId, transactionId: req.transactionId, transactionType: req.transactionType, payee: payeeParty, payer },
      { transferAmount: money(transferUnits), expiration, note: req.note },
    );
    let terms;
    try {
      terms = this.ilp.terms(tx);
    } catch (e) {
      if (e instanceof IlpError) return err(ErrorCode.VALIDATION_ERROR, e.message);
      throw e;
    }
    this.quoteFees.set(req.quoteId, { fee, forgetAt: expiresAt + this.retentionMs });
    const body: QuotesIDPutResponse = {
      transferAmount: money(transferUnits),
      payeeReceiveAmount: money(receiveUnits),
      payeeFspFee: money(fee),
      expiration,
      ilpPacket: terms.ilpPacket,
      condition: terms.condition,
    };
    return { ok: true, body };
  }

  /** Stored answer for GET /quotes/{id}. */
  storedQuote(quoteId: string): Decision<QuotesIDPutResponse> | undefined {
    return this.quotes.get(quoteId)?.decision;
  }

  // -------------------------------------------------------------------------------------------------------------
  // transfers

  /** POST /transfers: check the packet against the transfer, reserve or commit, answer. Idempotent by transferId. */
  transfer(req: TransfersPostRequest, now = Date.now(), faults: TransferFaults = {}): Answer<TransfersIDPutResponse> {
    const hash = bodyHash(req);
    const gate = this.ledger.begin(req.transferId, hash);
    if (gate.kind === 'modified') return { kind: 'modified' };
    if (gate.kind === 'duplicate') return { kind: 'resend', decision: this.transferAnswer(gate.record) };
    const record = this.applyTransfer(
      { transferId: req.transferId, amount: req.amount, ilpPacket: req.ilpPacket, condition: req.condition, expiration: req.expiration,
        payerFsp: req.payerFsp, payeeFsp: req.payeeFsp },
      hash, now, faults.wrongFulfilment === true, undefined, undefined,
    );
    return { kind: 'new', decision: this.transferAnswer(record) };
  }

  /**
   * One transfer (single or bulk item): every check, then a ledger record. Commits at once in COMMITTED mode;
   * RESERVED mode, a wrong-fulfilment fault and bulk items answered RESERVED wait for the hub.
   */
  private applyTransfer(
    t: { transferId: string; amount: Money; ilpPacket: string; condition: string; expiration?: string; payerFsp?: string;
      payeeFsp?: string },
    hash: string,
    now: number,
    wrongFulfilment: boolean,
    bulkTransferId: string | undefined,
    forcedError: PayeeError | undefined,
  ): TransferRecord {
    const base = { transferId: t.transferId, bodyHash: hash, currency: internCurrency(t.amount.currency), amount:
      unitsOrInvalid(t.amount.amount), bulkTransferId };
    const reject = (e: PayeeError, quoteId?: string): TransferRecord =>
      this.ledger.reject({ ...base, quoteId, errorCode: e.errorCode, errorDescription: e.errorDescription });
    if (forcedError) return reject(forcedError);
    const aborted = this.hubAborted.get(t.transferId);
    if (aborted) {
      this.hubAborted.delete(t.transferId);
      return reject(aborted);
    }
    if (t.expiration && Date.parse(t.expiration) <= now) return reject({ errorCode: ErrorCode.TRANSFER_EXPIRED });
    const check = this.ilp.check(t.ilpPacket, { amount: t.amount, condition: t.condition, payerFsp: t.payerFsp, payeeFsp: t.payeeFsp });
    if (!check.ok) return reject({ errorCode: ErrorCode.PAYEE_FSP_REJECTED_TXN, errorDescription:
      `Payee FSP rejected transaction: ${check.reason}` });
    const tx = check.transaction;
    if (tx.expiration && Date.parse(tx.expiration) <= now) return reject({ errorCode: ErrorCode.QUOTE_EXPIRED }, tx.quoteId);
    const info = tx.payee.partyIdInfo;
    const party: PartyEntry | undefined = this.directory.lookup(info.partyIdType, info.partyIdentifier, info.partySubIdOrType);
    if (!party) return reject({ errorCode: ErrorCode.PARTY_NOT_FOUND }, tx.quoteId);
    const amount = base.amount;
    const agreed = this.quoteFees.get(tx.quoteId);
    const fee = agreed ? agreed.fee : computeFee(this.fees, amount, t.amount.currency);
    if (agreed) this.quoteFees.delete(tx.quoteId);
    const record = this.ledger.reserve({
      ...base,
      amount,
      credit: amount - fee,
      fee,
      account: party.account,
      quoteId: tx.quoteId,
      fulfilment: check.fulfilment,
      completedTimestamp: fspiopTime(now),
    });
    this.quotes.delete(tx.quoteId);
    if (wrongFulfilment) {
      record.fulfilment = randomFulfilment();
      return record;
    }
    if (this.answeringMode === 'COMMITTED' || bulkTransferId !== undefined) this.ledger.commit(record.transferId);
    return record;
  }

  /** The PUT /transfers/{id} body (or error) for a transfer record's current state. */
  transferAnswer(record: TransferRecord): Decision<TransfersIDPutResponse> {
    if (record.state === 'REJECTED' || record.state === 'ABORTED') {
      return err(record.errorCode ?? ErrorCode.PAYEE_FSP_REJECTED_TXN, record.errorDescription);
    }
    // a transfer held back by a wrong-fulfilment fault still claims what this payee's mode would claim
    const transferState = record.state === 'RESERVED' && this.answeringMode === 'COMMITTED' ? 'COMMITTED' : record.state;
    return {
      ok: true,
      body: { transferState, fulfilment: record.fulfilment, completedTimestamp: record.completedTimestamp },
    };
  }

  /** GET /transfers/{id}: the current state, or 3208. */
  transferState(transferId: string): Decision<TransfersIDPutResponse> {
    const record = this.ledger.get(transferId);
    return record ? this.transferAnswer(record) : err(ErrorCode.TRANSFER_ID_NOT_FOUND);
  }

  /** PATCH /transfers/{id} from the hub after it committed (or aborted) a RESERVED transfer. */
  patchTransfer(transferId: string, body: TransfersIDPatchResponse): { changed: boolean; error?: PayeeError } {
    const record = this.ledger.get(transferId);
    if (!record) return { changed: false, error: { errorCode: ErrorCode.TRANSFER_ID_NOT_FOUND } };
    if (body.transferState === 'COMMITTED') return { changed: this.ledger.commit(transferId, body.completedTimestamp) };
    if (body.transferState === 'ABORTED') return { changed: this.ledger.abort(transferId, ErrorCode.PAYEE_FSP_REJECTED_TXN,
      'Aborted by the hub') };
    return { changed: false };
  }

  /**
   * PUT /transfers/{id}/error from the hub: the transfer was aborted (expiry, invalid fulfilment, ...). A
   * reservation is released, a credit reversed; an id not seen yet is remembered so it is never credited later.
   */
  transferAborted(transferId: string, errorCode: string, errorDescription?: string): boolean {
    if (!this.ledger.get(transferId)) {
      remember(this.hubAborted, transferId, { errorCode, errorDescription });
      return false;
    }
    return this.ledger.abort(transferId, errorCode, errorDescription) || this.ledger.reverse(transferId, errorCode, errorDescription);
  }

  /**
   * PUT /bulkTransfers/{id}/error from the hub: the bulk was aborted (expired before this payee answered, or the
   * payer gave up), so none of its items can commit at the hub: each item's reservation is released and each
   * credit reversed. Returns how many items changed. An unknown bulk id is remembered and refused if it arrives.
   */
  bulkTransferAborted(bulkTransferId: string, errorCode: string, errorDescription?: string): number {
    const stored = this.bulkTransfers.get(bulkTransferId);
    if (!stored) {
      remember(this.hubAbortedBulks, bulkTransferId, { errorCode, errorDescription });
      return 0;
    }
    let changed = 0;
    for (const transferId of stored.transferIds) {
      const record = this.ledger.get(transferId);
      // only this bulk's own records (an item id already used elsewhere answered 3106 and is not ours to undo)
      if (!record || record.bulkTransferId !== bulkTransferId) continue;
      if (this.ledger.abort(transferId, errorCode, errorDescription) || this.ledger.reverse(transferId, errorCode,
        errorDescription)) changed++;
    }
    return changed;
  }

  // -------------------------------------------------------------------------------------------------------------
  // bulk quotes

  /** POST /bulkQuotes: one result per item, per-item errors; idempotent by bulkQuoteId. */
  bulkQuote(req: BulkQuotesPostRequest, now = Date.now(), failItems?: Map<number, PayeeError>): Answer<BulkQuotesIDPutResponse> {
    const hash = bodyHash(req);
    const prior = this.bulkQuotes.get(req.bulkQuoteId);
    if (prior) return prior.hash === hash ? { kind: 'resend', decision: prior.decision } : { kind: 'modified' };
    const expiresAt = this.quoteExpiry(req.expiration, now);
    let decision: Decision<BulkQuotesIDPutResponse>;
    if (req.expiration && Date.parse(req.expiration) <= now) {
      decision = err(ErrorCode.QUOTE_EXPIRED, 'Bulk quote request already expired');
    } else {
      const results: IndividualQuoteResult[] = req.individualQuotes.map((q, i) => {
        const forced = failItems?.get(i);
        const d = forced ? ({ ok: false, error: forced } as const) : this.priceQuote(q, req.payer, expiresAt, now);
        if (!d.ok) return { quoteId: q.quoteId, errorInformation: this.errorInfo(d.error) };
        const party = this.directory.lookup(q.payee.partyIdInfo.partyIdType, q.payee.partyIdInfo.partyIdentifier,
          q.payee.partyIdInfo.partySubIdOrType);
        return {
          quoteId: q.quoteId,
          payee: party ? (fspiopParty(party, this.fspId) as FspiopPartyOut) : q.payee,
          transferAmount: d.body.transferAmount,
          payeeReceiveAmount: d.body.payeeReceiveAmount,
          payeeFspFee: d.body.payeeFspFee,
          ilpPacket: d.body.ilpPacket,
          condition: d.body.condition,
        };
      });
      decision = { ok: true, body: { individualQuoteResults: results, expiration: fspiopTime(expiresAt) } };
    }
    this.bulkQuotes.set(req.bulkQuoteId, { hash, decision, forgetAt: expiresAt + this.retentionMs });
    return { kind: 'new', decision };
  }

  storedBulkQuote(bulkQuoteId: string): Decision<BulkQuotesIDPutResponse> | undefined {
    return this.bulkQuotes.get(bulkQuoteId)?.decision;
  }

  // -------------------------------------------------------------------------------------------------------------
  // bulk transfers

  /** POST /bulkTransfers: each item checked and credited once; per-item fulfilments and errors. */
  bulkTransfer(req: BulkTransfersPostRequest, now = Date.now(), faults: BulkTransferFaults = {}): Answer<BulkTransfersIDPutResponse> {
    const hash = bodyHash(req);
    const prior = this.bulkTransfers.get(req.bulkTransferId);
    if (prior) return prior.hash === hash ? { kind: 'resend', decision:
      this.bulkTransferAnswer(req.bulkTransferId) as Decision<BulkTransfersIDPutResponse> } : { kind: 'modified' };
    const completedTimestamp = fspiopTime(now);
    const itemErrors = new Map<number, PayeeError>();
    const aborted = this.hubAbortedBulks.get(req.bulkTransferId);
    if (aborted || (req.expiration && Date.parse(req.expiration) <= now)) {
      if (aborted) this.hubAbortedBulks.delete(req.bulkTransferId);
      const decision = aborted ? { ok: false as const, error: aborted } : err(ErrorCode.TRANSFER_EXPIRED, 'Bulk transfer already expired');
      this.bulkTransfers.set(req.bulkTransferId, { hash, transferIds: [], completedTimestamp, itemErrors });
      this.bulkRejections.set(req.bulkTransferId, decision.error);
      return { kind: 'new', decision };
    }
    const transferIds: string[] = [];
    req.individualTransfers.forEach((item, i) => {
      transferIds.push(item.transferId);
      // the condition binds the packet (and so amount, currency and FSPs) for a thousand items at no cost;
      // the stored amount and currency are compared too
      const itemHash = item.condition;
      const gate = this.ledger.begin(item.transferId, itemHash);
      const same = gate.kind === 'duplicate' && gate.record.currency === item.transferAmount.currency
        && gate.record.amount === unitsOrInvalid(item.transferAmount.amount);
      if (same) return; // already answered for this id: keep its record
      if (gate.kind !== 'new') {
        itemErrors.set(i, { errorCode: ErrorCode.MODIFIED_REQUEST, errorDescription: 'Transfer ID already used with a different body' });
        return;
      }
      this.applyTransfer(
        { transferId: item.transferId, amount: item.transferAmount, ilpPacket: item.ilpPacket, condition: item.condition, payerFsp:
          req.payerFsp, payeeFsp: req.payeeFsp },
        itemHash, now, faults.wrongFulfilment === true, req.bulkTransferId, faults.failItems?.get(i),
      );
    });
    this.bulkTransfers.set(req.bulkTransferId, { hash, transferIds, completedTimestamp, itemErrors });
    this.bulkQuotes.delete(req.bulkQuoteId);
    return { kind: 'new', decision: this.bulkTransferAnswer(req.bulkTransferId) as Decision<BulkTransfersIDPutResponse> };
  }

  /** The PUT /bulkTransfers/{id} body rebuilt from the ledger, or undefined if unknown. */
  bulkTransferAnswer(bulkTransferId: string): Decision<BulkTransfersIDPutResponse> | undefined {
    const stored = this.bulkTransfers.get(bulkTransferId);
    if (!stored) return undefined;
    const rejected = this.bulkRejections.get(bulkTransferId);
    if (rejected) return { ok: false, error: rejected };
    const results: IndividualTransferResult[] = stored.transferIds.map((transferId, i) => {
      const itemError = stored.itemErrors.get(i);
      if (itemError) return { transferId, errorInformation: this.errorInfo(itemError) };
      const record = this.ledger.get(transferId);
      if (!record) return { transferId, errorInformation: this.errorInfo({ errorCode: ErrorCode.INTERNAL_SERVER_ERROR }) };
      if (record.state === 'REJECTED' || record.state === 'ABORTED') {
        return { transferId, errorInformation: this.errorInfo({ errorCode: record.errorCode ?? ErrorCode.PAYEE_FSP_REJECTED_TXN,
          errorDescription:
          record.errorDescription }) };
      }
      return { transferId, fulfilment: record.fulfilment };
    });
    return {
      ok: true,
      body: { bulkTransferState: 'COMPLETED', completedTimestamp: stored.completedTimestamp, individualTransferResults: results },
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // housekeeping

  /** Error descriptions are filled in by the HTTP layer; the domain only knows codes. */
  errorDescriber: (e: PayeeError) => { errorCode: string; errorDescription: string } = (e) => ({
    errorCode: e.errorCode,
    errorDescription: e.errorDescription ?? `FSPIOP error ${e.errorCode}`,
  });

  private errorInfo(e: PayeeError): { errorCode: string; errorDescription: string } {
    return this.errorDescriber(e);
  }

  /** Forgets quote and bulk-quote answers whose retention has passed; returns how many were dropped. */
  sweep(now = Date.now()): number {
    let dropped = 0;
    for (const map of [this.quotes, this.bulkQuotes, this.quoteFees] as Array<Map<string, { forgetAt: number }>>) {
      for (const [id, v] of map) {
        if (v.forgetAt <= now) {
          map.delete(id);
          dropped++;
        }
      }
    }
    return dropped;
  }

  get pendingQuotes(): number {
    return this.quotes.size + this.bulkQuotes.size;
  }

  /** Clears ledger and all stored answers (admin reset). */
  reset(): void {
    this.ledger.reset();
    this.quotes.clear();
    this.quoteFees.clear();
    this.bulkQuotes.clear();
    this.bulkTransfers.clear();
    this.bulkRejections.clear();
    this.hubAborted.clear();
    this.hubAbortedBulks.clear();
  }
}

type FspiopPartyOut = v1_1.Schemas.Party;
