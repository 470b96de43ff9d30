/**
 * The treasury account at the payer DFSP: one balance per currency, in bigint units (shared/money). A payment
 * reserves its transfer amount when its quote is accepted, so a payment beyond what is left fails before anything
 * is sent, without touching the others; the reservation becomes a debit when the transfer is COMMITTED and is
 * released otherwise. Keyed by transfer id: reserving, committing or releasing twice changes nothing.
 */
import { fromUnits, toUnits } from '../../../shared/money';

export type ReserveResult = 'reserved' | 'already' | 'insufficient';

interface Account {
  /** What is left: initial balance minus debits. */
  balance: bigint;
  debited: bigint;
  reserved: bigint;
  completedCount: number;
}

interface Hold {
  currency: string;
  units: bigint;
  state: 'reserved' | 'committed' | 'released';
}

export interface TreasuryTotals {
  balance: string;
  debited: string;
  reserved: string;
  available: string;
  completedCount: number;
}

export class Treasury {
  private readonly accounts = new Map<string, Account>();
  private readonly holds = new Map<string, Hold>();

  constructor(balances: Record<string, string>) {
    for (const [currency, amount] of Object.entries(balances)) this.setBalance(currency, amount);
  }

  private account(currency: string): Account {
    let a = this.accounts.get(currency);
    if (!a) {
      a = { balance: 0n, debited: 0n, reserved: 0n, completedCount: 0 };
      this.accounts.set(currency, a);
    }
    return a;
  }

  /** Sets what is left in a currency (admin / configuration). */
  setBalance(currency: string, amount: string): void {
    this.account(currency).balance = toUnits(amount);
  }

  available(currency: string): bigint {
    const a = this.accounts.get(currency);
    return a ? a.balance - a.reserved : 0n;
  }

  /** Holds `amount` for the transfer; 'insufficient' when the balance left (after other holds) is short. */
  reserve(transferId: string, currency: string, amount: string): ReserveResult {
    const existing = this.holds.get(transferId);
    if (existing && existing.state !== 'released') return 'already';
    const units = toUnits(amount);
    const a = this.account(currency);
    if (a.balance - a.reserved < units) return 'insufficient';
    a.reserved += units;
    this.holds.set(transferId, { currency, units, state: 'reserved' });
    return 'reserved';
  }

  /** The transfer was COMMITTED: its hold becomes a debit. True when this call debited. */
  commit(transferId: string): boolean {
    const h = this.holds.get(transferId);
    if (!h || h.state !== 'reserved') return false;
    const a = this.account(h.currency);
    a.reserved -= h.units;
    a.balance -= h.units;
    a.debited += h.units;
    a.completedCount++;
    h.state = 'committed';
    return true;
  }

  /** The transfer failed: its hold goes back to the balance. */
  release(transferId: string): boolean {
    const h = this.holds.get(transferId);
    if (!h || h.state !== 'reserved') return false;
    this.account(h.currency).reserved -= h.units;
    h.state = 'released';
    return true;
  }

  /**
   * A transfer already given up (timed out, hold released) turned out COMMITTED: the money left, so it is debited
   * even if that takes the balance below zero, keeping treasury debits equal to what payees received.
   */
  commitLate(transferId: string, currency: string, amount: string): boolean {
    const h = this.holds.get(transferId);
    if (h?.state === 'committed') return false;
    if (h?.state === 'reserved') return this.commit(transferId);
    const units = toUnits(amount);
    const a = this.account(currency);
    a.balance -= units;
    a.debited += units;
    a.completedCount++;
    this.holds.set(transferId, { currency, units, state: 'committed' });
    return true;
  }

  stateOf(transferId: string): Hold['state'] | undefined {
    return this.holds.get(transferId)?.state;
  }

  totals(): Record<string, TreasuryTotals> {
    const out: Record<string, TreasuryTotals> = {};
    for (const [c, a] of this.accounts) {
      out[c] = {
        balance: fromUnits(a.balance), debited: fromUnits(a.debited), reserved: fromUnits(a.reserved),
        available: fromUnits(a.balance - a.reserved), completedCount: a.completedCount,
      };
    }
    return out;
  }
}
