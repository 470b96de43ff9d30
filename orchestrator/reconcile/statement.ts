/**
 * A bank statement as the reconciliation reads it, whatever it arrived as (MT940, camt.053): its balances and one
 * line per booked movement, amounts as decimal strings. Readers: mt940.ts, camt053.ts; matching: match.ts.
 */

/** Why money came back, as the bank said it, normalised; `OTHER` keeps the bank's own words in `raw`. */
export type ReversalReasonCode = 'ACCOUNT_CLOSED' | 'ACCOUNT_DORMANT' | 'ACCOUNT_DECEASED' | 'ACCOUNT_NOT_FOUND' | 'OTHER';

export interface StatementLine {
  statementId: string;
  /** Position in its statement, from 0. */
  index: number;
  direction: 'debit' | 'credit';
  /** The bank marked it a reversal (MT940 RD/RC, camt.053 RvslInd). */
  reversal: boolean;
  /** Positive decimal string. */
  amount: string;
  currency: string;
  /** YYYY-MM-DD */
  valueDate: string;
  /** References that may name the payment, most specific first (customer reference, end-to-end id, ...). */
  references: string[];
  bankReference?: string;
  /** For money that came back: the reason, when the bank gave one. */
  reason?: { code: ReversalReasonCode; raw: string };
  details?: string;
}

export interface Statement {
  format: 'mt940' | 'camt.053';
  id: string;
  account: string;
  currency: string;
  /** Statement number (MT940 28C, camt.053 ElctrncSeqNb). */
  number?: string;
  /** Signed decimal strings (negative: the account was overdrawn). */
  openingBalance: string;
  closingBalance: string;
  lines: StatementLine[];
}

export class StatementError extends Error {
  constructor(readonly code: 'STATEMENT_UNREADABLE' | 'STATEMENT_UNBALANCED', message: string) {
    super(message);
    this.name = 'StatementError';
  }
}

const ISO_REASONS: Record<string, ReversalReasonCode> = { AC04: 'ACCOUNT_CLOSED', AC06: 'ACCOUNT_DORMANT', MD07: 'ACCOUNT_DECEASED', AC01:
  'ACCOUNT_NOT_FOUND', AC03: 'ACCOUNT_NOT_FOUND' };
const WORDS: Array<[RegExp, ReversalReasonCode]> = [
  [/ACCOUNT[ _]CLOSED|\bCLOSED\b/i, 'ACCOUNT_CLOSED'],
  [/ACCOUNT[ _]DORMANT|\bDORMANT\b/i, 'ACCOUNT_DORMANT'],
  [/ACCOUNT[ _]DECEASED|\bDECEASED\b/i, 'ACCOUNT_DECEASED'],
  [/ACCOUNT[ _]NOT[ _]FOUND|NO SUCH ACCOUNT/i, 'ACCOUNT_NOT_FOUND'],
];

/** The reason in an ISO 20022 code or the bank's words ("ACCOUNT_CLOSED", "AC04"); OTHER when neither says. */
export function reversalReason(code: string | undefined, text: string | undefined): { code: ReversalReasonCode; raw: string } | undefined {
  if (code && ISO_REASONS[code.toUpperCase()]) return { code: ISO_REASONS[code.toUpperCase()], raw: text ? `${code} ${text}` : code };
  const words = `${code ?? ''} ${text ?? ''}`.trim();
  if (!words) return undefined;
  for (const [re, c] of WORDS) if (re.test(words)) return { code: c, raw: words };
  const iso = /\b(AC0[1346]|MD07)\b/.exec(words);
  if (iso) return { code: ISO_REASONS[iso[1]], raw: words };
  return { code: 'OTHER', raw: words.slice(0, 200) };
}
