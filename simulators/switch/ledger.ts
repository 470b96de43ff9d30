/**
 * The switch's transfer ledger: reserve the payer's position on prepare (within its net debit cap), commit on a
 * valid fulfilment (sha256(fulfilment) == condition), release on error or expiry; the same for each item of a bulk.
 * Idempotency by transfer id and a fingerprint of the request body. Pure: no I/O, amounts in bigint units.
 */
import { createHash } from 'node:crypto';
import { toUnits } from '../../shared/money';
import { fulfilmentMatchesCondition } from '../fspiop/ilp';
import { Participants } from './participants';
import { ErrorCode } from '../../shared/fspiop-errors';

export type TransferState = 'RESERVED' | 'COMMITTED' | 'ABORTED';

/** A callback the switch sent to the payer for a transfer, kept to answer a resend. */
export interface StoredCallback {
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface TransferRecord {
  id: string;
  payer: string;
  payee: string;
  amount: bigint;
  currency: string;
  condition: string;
  expiresAt: number;
  state: TransferState;
  fingerprint: string;
  createdAt: number;
  fulfilment?: string;
  completedTimestamp?: string;
  errorCode?: string;
  bulkId?: string;
  /** The last callback sent to the payer (resent on a duplicate prepare once final). */
  lastCallback?: StoredCallback;
}

export interface BulkRecord {
  id: string;
  payer: string;
  payee: string;
  itemIds: string[];
  expiresAt: number;
  state: 'PROCESSING' | 'COMPLETED' | 'REJECTED';
  fingerprint: string;
  createdAt: number;
  completedTimestamp?: string;
  lastCallback?: StoredCallback;
}

export type PrepareOutcome =
  | { kind: 'reserved'; record: TransferRecord }
  | { kind: 'duplicate'; record: TransferRecord }
  | { kind: 'rejected'; errorCode: string; detail: string };

export type BulkPrepareOutcome =
  | { kind: 'reserved'; bulk: BulkRecord }
  | { kind: 'duplicate'; bulk: BulkRecord }
  | { kind: 'rejected'; errorCode: string; detail: string };

export type FulfilOutcome =
  | { kind: 'committed'; record: TransferRecord }
  | { kind: 'aborted'; record: TransferRecord; errorCode: string; detail: string }
  /** Not in flight any more (already committed or aborted). */
  | { kind: 'final'; record: TransferRecord }
  | { kind: 'unknown' };

export interface BulkItemResult {
  transferId: string;
  fulfilment?: string;
  errorInformation?: { errorCode: string; errorDescription: string };
  extensionList?: unknown;
}

/** Fingerprint of a request body for idempotency: the raw bytes as received, or a JSON value serialised. */
export function fingerprint(body: unknown): string {
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return createHash('sha256').update(data).digest('base64url');
}

export interface PrepareInput {
  transferId: string;
  payerFsp: string;
  payeeFsp: string;
  amount: { amount: string; currency: string };
  condition: string;
  expiration: string;
}

export interface BulkPrepareInput {
  bulkTransferId: string;
  payerFsp: string;
  payeeFsp: string;
  expiration: string;
  individualTransfers: Array<{ transferId: string; transferAmount: { amount: string; currency: string }; condition: string }>;
}

export class SwitchLedger {
  readonly transfers = new Map<string, TransferRecord>();
  readonly bulks = new Map<string, BulkRecord>();
  /** Transfers and bulks still in flight, for the expiry sweep. */
  private readonly inflight = new Set<TransferRecord>();
  private readonly inflightBulks = new Set<BulkRecord>();

  constructor(private readonly participants: Participants) {}

  /** Checks the payer's cap for `amount` more and reserves it, or says why not. */
  private reserve(payer: string, currency: string, amount: bigint, now: Date): { errorCode: string; detail: string } | undefined {
    const acc = this.participants.get(payer)?.accounts.get(currency);
    if (!acc || acc.netDebitCap === undefined) return { errorCode: ErrorCode.PAYER_FSP_INSUFFICIENT_LIQUIDITY, detail:
      `${payer} has no ${currency} position with a net debit cap` };
    if (acc.value + acc.reserved + amount > acc.netDebitCap) return { errorCode: ErrorCode.PAYER_FSP_INSUFFICIENT_LIQUIDITY, detail:
      `${payer} would exceed its net debit cap` };
    acc.reserved += amount;
    acc.changedDate = now;
    return undefined;
  }

  private release(r: TransferRecord, now: Date): void {
    const acc = this.participants.get(r.payer)?.accounts.get(r.currency);
    if (acc) {
      acc.reserved -= r.amount;
      acc.changedDate = now;
    }
  }

  /** POST /transfers. */
  prepare(input: PrepareInput, fp: string, now = new Date()): PrepareOutcome {
    const existing = this.transfers.get(input.transferId);
    if (existing) {
      if (existing.fingerprint !== fp) return { kind: 'rejected', errorCode: ErrorCode.MODIFIED_REQUEST, detail:
        `transfer ${input.transferId} was sent before with a different body` };
      return { kind: 'duplicate', record: existing };
    }
    const expiresAt = Date.parse(input.expiration);
    if (!(expiresAt > now.getTime())) return { kind: 'rejected', errorCode: ErrorCode.TRANSFER_EXPIRED, detail:
      'expiration is in the past' };
    let amount: bigint;
    try {
      amount = toUnits(input.amount.amount);
    } catch {
      return { kind: 'rejected', errorCode: ErrorCode.VALIDATION_ERROR, detail: 'invalid amount' };
    }
    if (input.payerFsp === input.payeeFsp) return { kind: 'rejected', errorCode: ErrorCode.VALIDATION_ERROR, detail:
      'payer and payee FSP are the same' };
    const refused = this.reserve(input.payerFsp, input.amount.currency, amount, now);
    if (refused) return { kind: 'rejected', ...refused };
    const record: TransferRecord = {
      id: input.transferId, payer: input.payerFsp, payee: input.payeeFsp, amount, currency: input.amount.currency,
      condition: input.condition, expiresAt, state: 'RESERVED', fingerprint: fp, createdAt: now.getTime(),
    };
    this.transfers.set(record.id, record);
    this.inflight.add(record);
    return { kind: 'reserved', record };
  }

  private commitRecord(r: TransferRecord, fulfilment: string, completedTimestamp: string, now: Date): void {
    this.release(r, now);
    const payer = this.participants.accountFor(r.payer, r.currency, now);
    const payee = this.participants.accountFor(r.payee, r.currency, now);
    if (payer) payer.value += r.amount;
    if (payee) {
      payee.value -= r.amount;
      payee.changedDate = now;
    }
    r.state = 'COMMITTED';
    r.fulfilment = fulfilment;
    r.completedTimestamp = completedTimestamp;
    this.inflight.delete(r);
  }

  private abortRecord(r: TransferRecord, errorCode: string, now: Date): void {
    if (r.state !== 'RESERVED') return;
    this.release(r, now);
    r.state = 'ABORTED';
    r.errorCode = errorCode;
    r.completedTimestamp = now.toISOString();
    this.inflight.delete(r);
  }

  /** PUT /transfers/{id} with COMMITTED or RESERVED from the payee. */
  fulfil(id: string, fulfilment: unknown, completedTimestamp: string | undefined, now = new Date()): FulfilOutcome {
    const r = this.transfers.get(id);
    if (!r) return { kind: 'unknown' };
    if (r.state !== 'RESERVED') return { kind: 'final', record: r };
    if (r.expiresAt <= now.getTime()) {
      this.abortRecord(r, ErrorCode.TRANSFER_EXPIRED, now);
      return { kind: 'aborted', record: r, errorCode: ErrorCode.TRANSFER_EXPIRED, detail: 'the transfer expired before it was fulfilled' };
    }
    if (!fulfilmentMatchesCondition(fulfilment, r.condition)) {
      this.abortRecord(r, ErrorCode.VALIDATION_ERROR, now);
      return { kind: 'aborted', record: r, errorCode: ErrorCode.VALIDATION_ERROR, detail:
        'invalid fulfilment: sha256(fulfilment) does not match the condition' };
    }
    this.commitRecord(r, fulfilment as string, completedTimestamp ?? now.toISOString(), now);
    return { kind: 'committed', record: r };
  }

  /** PUT /transfers/{id}/error (or ABORTED): release the reservation. */
  abort(id: string, errorCode: string, now = new Date()): TransferRecord | undefined {
    const r = this.transfers.get(id);
    if (!r) return undefined;
    this.abortRecord(r, errorCode, now);
    return r;
  }

  /** Transfers (not bulk items) past their expiration, now aborted with 3303. */
  expireTransfers(now = new Date()): TransferRecord[] {
    const out: TransferRecord[] = [];
    const t = now.getTime();
    for (const r of this.inflight) {
      if (r.bulkId || r.expiresAt > t) continue;
      this.abortRecord(r, ErrorCode.TRANSFER_EXPIRED, now);
      out.push(r);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------
  // bulk

  /** POST /bulkTransfers: reserves the sum of the items at once (all or nothing). */
  prepareBulk(input: BulkPrepareInput, fp: string, now = new Date()): BulkPrepareOutcome {
    const existing = this.bulks.get(input.bulkTransferId);
    if (existing) {
      if (existing.fingerprint !== fp) return { kind: 'rejected', errorCode: ErrorCode.MODIFIED_REQUEST, detail:
        `bulk transfer ${input.bulkTransferId} was sent before with a different body` };
      return { kind: 'duplicate', bulk: existing };
    }
    const expiresAt = Date.parse(input.expiration);
    if (!(expiresAt > now.getTime())) return { kind: 'rejected', errorCode: ErrorCode.TRANSFER_EXPIRED, detail:
      'expiration is in the past' };
    if (input.payerFsp === input.payeeFsp) return { kind: 'rejected', errorCode: ErrorCode.VALIDATION_ERROR, detail:
      'payer and payee FSP are the same' };
    const seen = new Set<string>();
    const totals = new Map<string, bigint>();
    const amounts: bigint[] = [];
    for (const it of input.individualTransfers) {
      if (seen.has(it.transferId)) return { kind: 'rejected', errorCode: ErrorCode.VALIDATION_ERROR, detail:
        `transferId ${it.transferId} appears twice in the bulk` };
      seen.add(it.transferId);
      if (this.transfers.has(it.transferId)) return { kind: 'rejected', errorCode: ErrorCode.MODIFIED_REQUEST, detail:
        `transferId ${it.transferId} was already used` };
      let units: bigint;
      try {
        units = toUnits(it.transferAmount.amount);
      } catch {
        return { kind: 'rejected', errorCode: ErrorCode.VALIDATION_ERROR, detail: `invalid amount for ${it.transferId}` };
      }
      amounts.push(units);
      totals.set(it.transferAmount.currency, (totals.get(it.transferAmount.currency) ?? 0n) + units);
    }
    const done: Array<[string, bigint]> = [];
    for (const [currency, total] of totals) {
      const refused = this.reserve(input.payerFsp, currency, total, now);
      if (refused) {
        for (const [c, t] of done) {
          const acc = this.participants.get(input.payerFsp)?.accounts.get(c);
          if (acc) acc.reserved -= t;
        }
        return { kind: 'rejected', ...refused };
      }
      done.push([currency, total]);
    }
    const bulk: BulkRecord = {
      id: input.bulkTransferId, payer: input.payerFsp, payee: input.payeeFsp, itemIds: [], expiresAt,
      state: 'PROCESSING', fingerprint: fp, createdAt: now.getTime(),
    };
    input.individualTransfers.forEach((it, i) => {
      const r: TransferRecord = {
        id: it.transferId, payer: input.payerFsp, payee: input.payeeFsp, amount: amounts[i], currency: it.transferAmount.currency,
        condition: it.condition, expiresAt, state: 'RESERVED', fingerprint: '', createdAt: now.getTime(), bulkId: bulk.id,
      };
      this.transfers.set(r.id, r);
      this.inflight.add(r);
      bulk.itemIds.push(r.id);
    });
    this.bulks.set(bulk.id, bulk);
    this.inflightBulks.add(bulk);
    return { kind: 'reserved', bulk };
  }

  /**
   * PUT /bulkTransfers/{id} from the payee: commits each item with a valid fulfilment, aborts the rest. Returns
   * the results to send the payer (an invalid fulfilment becomes a 3100 error; a missing item a 2001 error),
   * or undefined when the bulk is unknown or no longer in flight.
   */
  fulfilBulk(id: string, results: BulkItemResult[], completedTimestamp: string | undefined,
    describe: (code: string, detail?: string) => string, now = new Date()): BulkItemResult[] | undefined {
    const bulk = this.bulks.get(id);
    if (!bulk || bulk.state !== 'PROCESSING') return undefined;
    const byId = new Map(results.map((r) => [r.transferId, r]));
    const out: BulkItemResult[] = [];
    const ts = completedTimestamp ?? now.toISOString();
    for (const itemId of bulk.itemIds) {
      const r = this.transfers.get(itemId)!;
      const res = byId.get(itemId);
      if (r.state !== 'RESERVED') {
        out.push(r.state === 'COMMITTED' ? { transferId: itemId, fulfilment: r.fulfilment }
          : { transferId: itemId, errorInformation: { errorCode: r.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR, errorDescription:
            describe(r.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR) } });
        continue;
      }
      if (!res) {
        this.abortRecord(r, ErrorCode.INTERNAL_SERVER_ERROR, now);
        out.push({ transferId: itemId, errorInformation: { errorCode: ErrorCode.INTERNAL_SERVER_ERROR, errorDescription:
          describe(ErrorCode.INTERNAL_SERVER_ERROR, 'no result from the payee FSP') } });
      } else if (res.errorInformation || !res.fulfilment) {
        const code = res.errorInformation?.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR;
        this.abortRecord(r, code, now);
        out.push(res.errorInformation ? res : { transferId: itemId, errorInformation:
          { errorCode: code, errorDescription: describe(code) } });
      } else if (!fulfilmentMatchesCondition(res.fulfilment, r.condition)) {
        this.abortRecord(r, ErrorCode.VALIDATION_ERROR, now);
        out.push({ transferId: itemId, errorInformation: { errorCode: ErrorCode.VALIDATION_ERROR, errorDescription:
          describe(ErrorCode.VALIDATION_ERROR, 'invalid fulfilment') } });
      } else {
        this.commitRecord(r, res.fulfilment, ts, now);
        out.push(res);
      }
    }
    bulk.state = 'COMPLETED';
    bulk.completedTimestamp = ts;
    this.inflightBulks.delete(bulk);
    return out;
  }

  /** PUT /bulkTransfers/{id}/error: every item still reserved is released. */
  abortBulk(id: string, errorCode: string, now = new Date()): BulkRecord | undefined {
    const bulk = this.bulks.get(id);
    if (!bulk) return undefined;
    if (bulk.state !== 'PROCESSING') return bulk;
    for (const itemId of bulk.itemIds) this.abortRecord(this.transfers.get(itemId)!, errorCode, now);
    bulk.state = 'REJECTED';
    bulk.completedTimestamp = now.toISOString();
    this.inflightBulks.delete(bulk);
    return bulk;
  }

  /** Bulks past their expiration: each reserved item aborted with 3303, the bulk COMPLETED. */
  expireBulks(now = new Date()): BulkRecord[] {
    const out: BulkRecord[] = [];
    for (const b of this.inflightBulks) {
      if (b.expiresAt > now.getTime()) continue;
      for (const itemId of b.itemIds) this.abortRecord(this.transfers.get(itemId)!, ErrorCode.TRANSFER_EXPIRED, now);
      b.state = 'COMPLETED';
      b.completedTimestamp = now.toISOString();
      this.inflightBulks.delete(b);
      out.push(b);
    }
    return out;
  }

  /** The per-item results of a bulk as they stand (for GET /bulkTransfers/{id} and expiry). */
  bulkResults(bulk: BulkRecord, describe: (code: string) => string): BulkItemResult[] {
    const out: BulkItemResult[] = [];
    for (const itemId of bulk.itemIds) {
      const r = this.transfers.get(itemId)!;
      if (r.state === 'COMMITTED') out.push({ transferId: itemId, fulfilment: r.fulfilment });
      else if (r.state === 'ABORTED') out.push({ transferId: itemId, errorInformation:
        { errorCode: r.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR, errorDescription:
          describe(r.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR) } });
    }
    return out;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }
}
