/**
 * The payee DFSP's ledger: one record per transfer id (its state, what it owes which account, the answer sent),
 * balances per account and totals per currency. A transfer is credited at most once, whatever arrives twice.
 * Amounts are bigint units (shared/money).
 */
import { fromUnits } from '../../../shared/money';

export type PayeeTransferState = 'RESERVED' | 'COMMITTED' | 'ABORTED' | 'REJECTED';

export interface TransferRecord {
  transferId: string;
  /** Fingerprint of the request body, for FSPIOP idempotency (same id, different body: 3106). */
  bodyHash: string;
  state: PayeeTransferState;
  currency: string;
  /** Transfer amount received from the payer FSP. */
  amount: bigint;
  /** Credited to the party's account (amount - fee). */
  credit: bigint;
  fee: bigint;
  account?: string;
  quoteId?: string;
  bulkTransferId?: string;
  fulfilment?: string;
  completedTimestamp?: string;
  errorCode?: string;
  errorDescription?: string;
}

export interface CurrencyTotals {
  /** Transfers committed (credited). */
  committedCount: number;
  transferred: bigint;
  credited: bigint;
  fees: bigint;
  /** Reserved but not yet committed (RESERVED answering mode). */
  reservedCount: number;
  reserved: bigint;
  abortedCount: number;
  rejectedCount: number;
}

export type BeginResult =
  | { kind: 'new' }
  | { kind: 'duplicate'; record: TransferRecord }
  | { kind: 'modified'; record: TransferRecord };

function emptyTotals(): CurrencyTotals {
  return { committedCount: 0, transferred: 0n, credited: 0n, fees: 0n, reservedCount: 0, reserved: 0n, abortedCount: 0, rejectedCount: 0 };
}

export class PayeeLedger {
  private readonly transfers = new Map<string, TransferRecord>();
  /** currency → account → credited units (one map per currency, not one per account: a million accounts fit). */
  private readonly balances = new Map<string, Map<string, bigint>>();
  private readonly totalsByCurrency = new Map<string, CurrencyTotals>();

  /** Idempotency gate: is this transfer id new, a resend of the same body, or a modified request? */
  begin(transferId: string, bodyHash: string): BeginResult {
    const record = this.transfers.get(transferId);
    if (!record) return { kind: 'new' };
    return record.bodyHash === bodyHash ? { kind: 'duplicate', record } : { kind: 'modified', record };
  }

  get(transferId: string): TransferRecord | undefined {
    return this.transfers.get(transferId);
  }

  private totals(currency: string): CurrencyTotals {
    let t = this.totalsByCurrency.get(currency);
    if (!t) this.totalsByCurrency.set(currency, (t = emptyTotals()));
    return t;
  }

  /** Stores a refused transfer so that a resend gets the same error. Never credits. */
  reject(rec: Omit<TransferRecord, 'state' | 'credit' | 'fee'> & { errorCode: string }): TransferRecord {
    const record: TransferRecord = { ...rec, state: 'REJECTED', credit: 0n, fee: 0n };
    // a refused transfer keeps its requested amount for idempotency checks; totals count it separately
    this.transfers.set(record.transferId, record);
    this.totals(record.currency).rejectedCount++;
    return record;
  }

  /** Accepts a transfer as RESERVED: nothing is credited until commit(). */
  reserve(rec: Omit<TransferRecord, 'state'>): TransferRecord {
    if (this.transfers.has(rec.transferId)) throw new Error(`transfer ${rec.transferId} already recorded`);
    const record: TransferRecord = { ...rec, state: 'RESERVED' };
    this.transfers.set(record.transferId, record);
    const t = this.totals(record.currency);
    t.reservedCount++;
    t.reserved += record.amount;
    return record;
  }

  /** Credits a reserved transfer. Returns false (and changes nothing) unless it was RESERVED. */
  commit(transferId: string, completedTimestamp?: string): boolean {
    const record = this.transfers.get(transferId);
    if (!record || record.state !== 'RESERVED') return false;
    record.state = 'COMMITTED';
    if (completedTimestamp) record.completedTimestamp = completedTimestamp;
    const t = this.totals(record.currency);
    t.reservedCount--;
    t.reserved -= record.amount;
    t.committedCount++;
    t.transferred += record.amount;
    t.credited += record.credit;
    t.fees += record.fee;
    if (record.account) {
      let cur = this.balances.get(record.currency);
      if (!cur) this.balances.set(record.currency, (cur = new Map()));
      cur.set(record.account, (cur.get(record.account) ?? 0n) + record.credit);
    }
    return true;
  }

  /** Releases a reserved transfer. Returns false unless it was RESERVED. */
  abort(transferId: string, errorCode?: string, errorDescription?: string): boolean {
    const record = this.transfers.get(transferId);
    if (!record || record.state !== 'RESERVED') return false;
    record.state = 'ABORTED';
    record.errorCode = errorCode;
    record.errorDescription = errorDescription;
    const t = this.totals(record.currency);
    t.reservedCount--;
    t.reserved -= record.amount;
    t.abortedCount++;
    return true;
  }

  /**
   * The hub aborted a transfer this payee had already committed (its fulfilment came too late or was refused):
   * the credit is taken back so the ledger matches the hub. Returns false unless it was COMMITTED.
   */
  reverse(transferId: string, errorCode?: string, errorDescription?: string): boolean {
    const record = this.transfers.get(transferId);
    if (!record || record.state !== 'COMMITTED') return false;
    record.state = 'ABORTED';
    record.errorCode = errorCode;
    record.errorDescription = errorDescription;
    const t = this.totals(record.currency);
    t.committedCount--;
    t.transferred -= record.amount;
    t.credited -= record.credit;
    t.fees -= record.fee;
    t.abortedCount++;
    if (record.account) {
      const cur = this.balances.get(record.currency);
      if (cur) cur.set(record.account, (cur.get(record.account) ?? 0n) - record.credit);
    }
    return true;
  }

  balance(account: string, currency: string): bigint {
    return this.balances.get(currency)?.get(account) ?? 0n;
  }

  balancesOf(account: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [cur, byAccount] of this.balances) {
      const units = byAccount.get(account);
      if (units !== undefined) out[cur] = fromUnits(units);
    }
    return out;
  }

  get transferCount(): number {
    return this.transfers.size;
  }

  get accountCount(): number {
    return this.accountNames().size;
  }

  /** Totals per currency as decimal strings (for the admin API and reconciliation). */
  summary(): Record<string, Record<string, string | number>> {
    const out: Record<string, Record<string, string | number>> = {};
    for (const [cur, t] of this.totalsByCurrency) {
      out[cur] = {
        committedCount: t.committedCount,
        transferred: fromUnits(t.transferred),
        credited: fromUnits(t.credited),
        fees: fromUnits(t.fees),
        reservedCount: t.reservedCount,
        reserved: fromUnits(t.reserved),
        abortedCount: t.abortedCount,
        rejectedCount: t.rejectedCount,
      };
    }
    return out;
  }

  /** Raw totals for tests and benchmarks. */
  currencyTotals(currency: string): CurrencyTotals {
    return { ...this.totals(currency) };
  }

  /** Accounts with balances, paged in insertion order. */
  accounts(offset = 0, limit = 1000): Array<{ account: string; balances: Record<string, string> }> {
    const out: Array<{ account: string; balances: Record<string, string> }> = [];
    let i = 0;
    for (const account of this.accountNames().names) {
      if (i++ < offset) continue;
      if (out.length >= limit) break;
      out.push({ account, balances: this.balancesOf(account) });
    }
    return out;
  }

  /** Every account with a balance in any currency (the map itself when there is one currency). */
  private accountNames(): { size: number; names: Iterable<string> } {
    if (this.balances.size === 1) {
      const only = this.balances.values().next().value as Map<string, bigint>;
      return { size: only.size, names: only.keys() };
    }
    const all = new Set<string>();
    for (const byAccount of this.balances.values()) for (const a of byAccount.keys()) all.add(a);
    return { size: all.size, names: all };
  }

  reset(): void {
    this.transfers.clear();
    this.balances.clear();
    this.totalsByCurrency.clear();
  }
}

/** JSON view of a transfer record (amounts as decimal strings, no body hash). */
export function transferView(r: TransferRecord): Record<string, unknown> {
  return {
    transferId: r.transferId,
    state: r.state,
    currency: r.currency,
    amount: r.amount >= 0n ? fromUnits(r.amount) : undefined,
    credited: r.state === 'COMMITTED' ? fromUnits(r.credit) : '0',
    fee: fromUnits(r.fee),
    account: r.account,
    quoteId: r.quoteId,
    bulkTransferId: r.bulkTransferId,
    completedTimestamp: r.completedTimestamp,
    errorCode: r.errorCode,
    errorDescription: r.errorDescription,
  };
}
