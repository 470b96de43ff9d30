/**
 * The sponsor bank's books, without I/O: accounts (book balance, blocked amount, available = book − blocked),
 * fund holds, accepted payment batches, booked entries, later reversals, and statements of what was not yet
 * reported. Money is bigint units (shared/money.ts); nothing here reads a clock: callers pass `now`.
 *
 * What a payment does, as OpenG2P's example bank does it:
 * - debit the remitting (program) account and consume its hold;
 * - credit the beneficiary's own account when the address is a bank account at this bank (intra-bank), else the
 *   clearing account of the other bank or wallet provider (`CLEARING - <code>`);
 * - later, a reversal with a reason (account closed, dormant, deceased, not found) books the money back onto the
 *   program account and into its hold (`RD`), and off the account it had credited (`RC`).
 */
import type { SeededRandom } from '../../shared/ids';

export type ReversalReason = 'ACCOUNT_CLOSED' | 'ACCOUNT_DORMANT' | 'ACCOUNT_DECEASED' | 'ACCOUNT_NOT_FOUND';
export const REVERSAL_REASONS: readonly ReversalReason[] = ['ACCOUNT_CLOSED', 'ACCOUNT_DORMANT', 'ACCOUNT_DECEASED', 'ACCOUNT_NOT_FOUND'];
export type AccountStatus = 'active' | 'closed' | 'dormant' | 'deceased';
export type AccountType = 'BANK_ACCOUNT' | 'MOBILE_WALLET' | 'EMAIL_WALLET';
/** D debit, C credit, RD reversal of a debit (money back in), RC reversal of a credit (money back out). */
export type EntryMark = 'D' | 'C' | 'RD' | 'RC';

export interface Account {
  number: string;
  currency: string;
  holder: string;
  book: bigint;
  blocked: bigint;
  status: AccountStatus;
  clearing: boolean;
}

export interface Hold {
  reference: string;
  account: string;
  currency: string;
  amount: bigint;
  /** Paid out of the hold or released; a reversal puts money back. */
  used: bigint;
}

export interface PaymentInstruction {
  reference: string;
  remittingAccount: string;
  currency: string;
  amount: bigint;
  holdReference: string;
  beneficiaryName: string;
  beneficiaryAccount: string;
  beneficiaryAccountCurrency: string;
  beneficiaryAccountType: AccountType;
  bankCode: string;
  branchCode: string;
  walletProvider?: string;
  phone?: string;
  email?: string;
  emailWalletProvider?: string;
  /** narrative_1 .. narrative_6 */
  narratives: string[];
  paymentDate: string;
}

export interface Entry {
  seq: number;
  account: string;
  mark: EntryMark;
  amount: bigint;
  currency: string;
  /** ISO 8601 UTC with milliseconds. */
  bookedAt: string;
  customerReference: string;
  bankReference: string;
  narratives: string[];
  reason?: ReversalReason;
  counterparty: { name: string; account: string; agent: string };
  reported: boolean;
}

export type PaymentStatus = 'PENDING' | 'PAID' | 'REVERSED';

export interface PaymentRecord {
  instruction: PaymentInstruction;
  batchId: string;
  status: PaymentStatus;
  creditAccount?: string;
  reason?: ReversalReason;
}

export interface Statement {
  id: string;
  /** Sequential per account, from 1. */
  number: number;
  account: string;
  currency: string;
  holder: string;
  opening: bigint;
  closing: bigint;
  available: bigint;
  entries: Entry[];
  createdAt: string;
  from: string;
  to: string;
}

/** A rule that reverses matching payments later with a reason (a regex on each named field; all must match). */
export interface ReversalRule {
  match: { beneficiaryAccount?: string; bankCode?: string; walletProvider?: string; reference?: string };
  reason: ReversalReason;
}

export interface AccountConfig {
  number: string;
  currency: string;
  balance?: string | bigint;
  holder?: string;
  status?: AccountStatus;
}

export class BankError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const STATUS_REASON: Record<Exclude<AccountStatus, 'active'>, ReversalReason> =
  { closed: 'ACCOUNT_CLOSED', dormant: 'ACCOUNT_DORMANT', deceased: 'ACCOUNT_DECEASED' };
/** What MT940 :61: and camt.053 EndToEndId can carry (16x there, 35x here; longer ones are refused up front). */
export const MAX_REFERENCE = 34;

export class SponsorBankLedger {
  readonly accounts = new Map<string, Account>();
  readonly holds = new Map<string, Hold>();
  readonly payments = new Map<string, PaymentRecord>();
  readonly batches = new Map<string, { id: string; references: string[]; status: 'PENDING' | 'PROCESSED' }>();
  readonly entries: Entry[] = [];
  readonly statements = new Map<string, Statement>();
  private readonly customerRe: RegExp;
  private reversalRules: Array<{ rule: ReversalRule; res: Partial<Record<keyof ReversalRule['match'], RegExp>> }> = [];
  private lastClosing = new Map<string, bigint>();
  private lastStatementAt = new Map<string, string>();
  private statementCount = new Map<string, number>();
  private seq = 0;
  private statementSeq = 0;

  constructor(
    readonly bankCode: string,
    accounts: readonly AccountConfig[],
    private readonly random: SeededRandom,
    /** This bank's customers that exist without being listed (their accounts open on first credit). */
    customerPattern = '^SB-[0-9]{1,12}$',
    private readonly refuseDuplicateReferences = false,
  ) {
    this.customerRe = new RegExp(customerPattern);
    for (const a of accounts) this.openAccount(a);
  }

  openAccount(a: AccountConfig, clearing = false): Account {
    const book = typeof a.balance === 'bigint' ? a.balance : BigInt(a.balance ?? 0);
    const acc: Account = { number: a.number, currency: a.currency, holder: a.holder ?? a.number, book, blocked: 0n, status: a.status
      ?? 'active', clearing };
    this.accounts.set(a.number, acc);
    this.lastClosing.set(a.number, book);
    return acc;
  }

  setReversalRules(rules: readonly ReversalRule[]): void {
    this.reversalRules = rules.map((rule) => {
      if (!rule || !REVERSAL_REASONS.includes(rule.reason)) throw new BankError('INVALID_RULE',
        `reason must be one of ${REVERSAL_REASONS.join(', ')}`);
      const res: Partial<Record<keyof ReversalRule['match'], RegExp>> = {};
      for (const [k, v] of Object.entries(rule.match
        ?? {})) if (typeof v === 'string') res[k as keyof ReversalRule['match']] = new RegExp(v);
      return { rule, res };
    });
  }

  available(a: Account): bigint {
    return a.book - a.blocked;
  }

  private account(number: string, currency: string): Account {
    const a = this.accounts.get(number);
    if (!a) throw new BankError('ACCOUNT_NOT_FOUND', 'Account not found');
    if (a.currency !== currency) throw new BankError('CURRENCY_MISMATCH', `the account is held in ${a.currency}, not ${currency}`);
    return a;
  }

  checkFunds(number: string, currency: string, amount: bigint): boolean {
    return this.available(this.account(number, currency)) >= amount;
  }

  blockFunds(number: string, currency: string, amount: bigint): Hold {
    const a = this.account(number, currency);
    if (this.available(a) < amount) throw new BankError('INSUFFICIENT_FUNDS', 'Insufficient funds');
    const hold: Hold = { reference: this.random.uuid(), account: number, currency, amount, used: 0n };
    a.blocked += amount;
    this.holds.set(hold.reference, hold);
    return hold;
  }

  /** Gives back what a hold still blocks (all of it, or `amount`): the program's money is available again. */
  releaseFunds(reference: string, amount?: bigint): Hold {
    const hold = this.holds.get(reference);
    if (!hold) throw new BankError('INVALID_BLOCK_REFERENCE', `no funds block ${reference}`);
    const left = hold.amount - hold.used;
    const take = amount === undefined ? left : amount;
    if (take > left) throw new BankError('BLOCK_EXCEEDED', 'more than the block still holds');
    hold.used += take;
    this.accounts.get(hold.account)!.blocked -= take;
    return hold;
  }

  /** Takes a batch whole or not at all: every block reference, currency, amount and reference is checked first. */
  acceptPayments(batch: readonly PaymentInstruction[]): string {
    const perHold = new Map<string, bigint>();
    const refs = new Set<string>();
    for (const p of batch) {
      const hold = this.holds.get(p.holdReference);
      if (!hold || hold.account !== p.remittingAccount || hold.currency !== p.currency) throw new BankError('INVALID_BLOCK_REFERENCE',
        'Invalid funds block reference or mismatch in details');
      const total = (perHold.get(hold.reference) ?? 0n) + p.amount;
      if (total > hold.amount - hold.used) throw new BankError('BLOCK_EXCEEDED',
        `payments exceed what funds block ${hold.reference} still holds`);
      perHold.set(hold.reference, total);
      if (p.beneficiaryAccountCurrency && p.beneficiaryAccountCurrency !== p.currency) throw new BankError('CURRENCY_MISMATCH',
        `payment ${p.reference.slice(0,
          40)}: the beneficiary account is in ${p.beneficiaryAccountCurrency}, the payment in ${p.currency} (no conversion here)`);
      if (p.reference.length > MAX_REFERENCE) throw new BankError('REFERENCE_TOO_LONG', `payment_reference_number ${p.reference.slice(0,
        40)} is longer than ${MAX_REFERENCE} characters: no statement could carry it`);
      if (refs.has(p.reference)
        || (this.refuseDuplicateReferences && this.payments.has(p.reference))) throw new BankError('DUPLICATE_REFERENCE',
          `payment_reference_number ${p.reference} was used before`);
      refs.add(p.reference);
    }
    const id = this.random.uuid();
    for (const p of batch) this.payments.set(p.reference, { instruction: p, batchId: id, status: 'PENDING' });
    this.batches.set(id, { id, references: batch.map((p) => p.reference), status: 'PENDING' });
    return id;
  }

  private book(account: Account, mark: EntryMark, amount: bigint, p: PaymentInstruction, now: string, counterparty: Entry['counterparty'],
    reason?: ReversalReason): Entry {
    this.seq++;
    const e: Entry = {
      seq: this.seq, account: account.number, mark, amount, currency: account.currency, bookedAt: now, customerReference: p.reference,
      bankReference: `SB${String(this.seq).padStart(14, '0')}`, narratives: p.narratives.slice(0, 6), counterparty, reported: false,
    };
    if (reason) {
      e.reason = reason;
      e.narratives = [...p.narratives.slice(0, 5), ...Array(Math.max(0, 5 - p.narratives.length)).fill(''), reason];
    }
    account.book += mark === 'D' || mark === 'RC' ? -amount : amount;
    this.entries.push(e);
    return e;
  }

  /** Where a payment's money goes, and the reason it will come back when it will. */
  private destination(p: PaymentInstruction): { account: Account; agent: string; reason?: ReversalReason } {
    if (p.beneficiaryAccountType === 'BANK_ACCOUNT' && p.bankCode.toLowerCase() === this.bankCode.toLowerCase()) {
      let a = this.accounts.get(p.beneficiaryAccount);
      if (!a) {
        if (!this.customerRe.test(p.beneficiaryAccount)) {
          return { account: this.clearing(`${this.bankCode} suspense`, p.currency), agent: this.bankCode, reason: 'ACCOUNT_NOT_FOUND' };
        }
        a = this.openAccount({ number: p.beneficiaryAccount, currency: p.beneficiaryAccountCurrency || p.currency, holder:
          p.beneficiaryName, balance: 0n });
      }
      return { account: a, agent: this.bankCode, ...(a.status !== 'active' ? { reason: STATUS_REASON[a.status] } : {}) };
    }
    const code = p.beneficiaryAccountType === 'MOBILE_WALLET' ? p.walletProvider : p.beneficiaryAccountType === 'EMAIL_WALLET'
      ? p.emailWalletProvider : p.bankCode;
    return { account: this.clearing(code || 'UNKNOWN', p.currency), agent: code || 'UNKNOWN' };
  }

  private clearing(code: string, currency: string): Account {
    const number = `CLEARING - ${code}`;
    return this.accounts.get(number) ?? this.openAccount({ number, currency, holder: `Clearing account for ${code}`, balance: 0n }, true);
  }

  private ruleReason(p: PaymentInstruction): ReversalReason | undefined {
    for (const { rule, res } of this.reversalRules) {
      const fields: Record<keyof ReversalRule['match'], string | undefined> =
        { beneficiaryAccount: p.beneficiaryAccount, bankCode: p.bankCode, walletProvider: p.walletProvider, reference: p.reference };
      if (Object.entries(res).every(([k, re]) => re!.test(fields[k as keyof ReversalRule['match']] ?? ''))) return rule.reason;
    }
    return undefined;
  }

  /** Books every payment of a pending batch; returns the payments to reverse later, with their reasons. */
  processBatch(batchId: string, now: string): Array<{ reference: string; reason: ReversalReason }> {
    const batch = this.batches.get(batchId);
    if (!batch || batch.status !== 'PENDING') return [];
    batch.status = 'PROCESSED';
    const toReverse: Array<{ reference: string; reason: ReversalReason }> = [];
    for (const ref of batch.references) {
      const rec = this.payments.get(ref)!;
      const p = rec.instruction;
      const program = this.accounts.get(p.remittingAccount)!;
      const hold = this.holds.get(p.holdReference)!;
      const dest = this.destination(p);
      const beneficiary = { name: p.beneficiaryName, account: p.beneficiaryAccountType === 'MOBILE_WALLET'
        ? (p.phone ?? p.beneficiaryAccount) : p.beneficiaryAccountType === 'EMAIL_WALLET' ? (p.email ?? p.beneficiaryAccount)
          : p.beneficiaryAccount, agent: dest.agent };
      this.book(program, 'D', p.amount, p, now, beneficiary);
      program.blocked -= p.amount;
      hold.used += p.amount;
      this.book(dest.account, 'C', p.amount, p, now, { name: program.holder, account: program.number, agent: this.bankCode });
      rec.status = 'PAID';
      rec.creditAccount = dest.account.number;
      const reason = dest.reason ?? this.ruleReason(p);
      if (reason) toReverse.push({ reference: ref, reason });
    }
    return toReverse;
  }

  /** Reverses a paid payment with a reason: the money comes back onto the program account and into its hold. */
  reverse(reference: string, reason: ReversalReason, now: string): PaymentRecord {
    const rec = this.payments.get(reference);
    if (!rec) throw new BankError('PAYMENT_NOT_FOUND', `no payment ${reference}`);
    if (rec.status !== 'PAID') throw new BankError('NOT_REVERSIBLE', `payment ${reference} is ${rec.status}`);
    if (!REVERSAL_REASONS.includes(reason)) throw new BankError('INVALID_REASON', `reason must be one of ${REVERSAL_REASONS.join(', ')}`);
    const p = rec.instruction;
    const program = this.accounts.get(p.remittingAccount)!;
    const credited = this.accounts.get(rec.creditAccount!)!;
    const hold = this.holds.get(p.holdReference)!;
    this.book(credited, 'RC', p.amount, p, now, { name: program.holder, account: program.number, agent: this.bankCode }, reason);
    const agent = p.beneficiaryAccountType === 'MOBILE_WALLET' ? p.walletProvider : p.beneficiaryAccountType === 'EMAIL_WALLET'
      ? p.emailWalletProvider : p.bankCode;
    this.book(program, 'RD', p.amount, p, now, { name: p.beneficiaryName, account: p.beneficiaryAccount, agent: agent ?? '' }, reason);
    program.blocked += p.amount;
    hold.used -= p.amount;
    rec.status = 'REVERSED';
    rec.reason = reason;
    return rec;
  }

  /** A statement of every entry of the account not reported yet; opening = the previous statement's closing. */
  statement(number: string, now: string): Statement {
    const a = this.accounts.get(number);
    if (!a) throw new BankError('ACCOUNT_NOT_FOUND', 'Account not found');
    const entries = this.entries.filter((e) => e.account === number && !e.reported);
    for (const e of entries) e.reported = true;
    const n = (this.statementCount.get(number) ?? 0) + 1;
    this.statementCount.set(number, n);
    this.statementSeq++;
    const s: Statement = {
      id: `SBSTMT${String(this.statementSeq).padStart(8, '0')}`, number: n, account: number, currency: a.currency, holder: a.holder,
      opening: this.lastClosing.get(number) ?? 0n, closing: a.book, available: this.available(a), entries, createdAt: now,
      from: this.lastStatementAt.get(number) ?? (entries[0]?.bookedAt ?? now), to: now,
    };
    this.lastClosing.set(number, a.book);
    this.lastStatementAt.set(number, now);
    this.statements.set(s.id, s);
    return s;
  }
}
