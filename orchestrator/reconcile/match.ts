/**
 * Statement reconciliation, a pure function: the lines of one or more statements of the payer account, in booking
 * order, against the payments GPO sent from it. Each line is matched to a payment by the first of its references
 * that names one, then:
 * - a debit of the payment's amount: `paid`; a second one while the first stands: `duplicate` (paid twice);
 * - money back for a debited payment (a credit, reversal or return): `reversed`, with the bank's reason;
 * - money back for a payment never debited: `reversal-without-debit`;
 * - any amount or currency other than the payment's: `amount-mismatch` (nothing concluded);
 * - no payment named: `unmatched` (e.g. the program's funding, fees, someone else's payment).
 * Each payment ends `paid`, `reversed` or `not-on-statement`. Totals are decimal strings.
 */
import { fromUnits, toUnits } from '../../shared/money';
import type { ReversalReasonCode, StatementLine } from './statement';

export interface ExpectedPayment {
  /** What the payment's statement lines carry as their reference (GPO's id sent to the bank). */
  reference: string;
  amount: string;
  currency: string;
}

export type LineOutcome =
  | { kind: 'paid' | 'duplicate' | 'reversal-without-debit'; line: StatementLine; reference: string }
  | { kind: 'reversed'; line: StatementLine; reference: string; reason: { code: ReversalReasonCode; raw: string } }
  | { kind: 'amount-mismatch'; line: StatementLine; reference: string; expected: { amount: string; currency: string } }
  | { kind: 'unmatched'; line: StatementLine };

export interface PaymentReconciliation {
  reference: string;
  state: 'paid' | 'reversed' | 'not-on-statement';
  /** Debits booked for it (more than one: paid more than once). */
  debits: number;
  reversals: number;
  reason?: { code: ReversalReasonCode; raw: string };
}

export interface Reconciliation {
  lines: LineOutcome[];
  payments: PaymentReconciliation[];
  totals: { debited: string; reversed: string; unmatchedDebits: string; unmatchedCredits: string; paidNet: string };
  counts: Record<LineOutcome['kind'], number>;
}

export function reconcile(lines: readonly StatementLine[], payments: readonly ExpectedPayment[]): Reconciliation {
  const byRef = new Map<string, { p: ExpectedPayment; units: bigint; debits: number; reversals: number;
    reason?: PaymentReconciliation['reason'] }>();
  for (const p of payments) byRef.set(p.reference, { p, units: toUnits(p.amount), debits: 0, reversals: 0 });
  const out: LineOutcome[] = [];
  const counts: Reconciliation['counts'] = { paid: 0, duplicate: 0, reversed: 0, 'reversal-without-debit': 0, 'amount-mismatch': 0,
    unmatched: 0 };
  const t = { debited: 0n, reversed: 0n, unmatchedDebits: 0n, unmatchedCredits: 0n };
  for (const line of lines) {
    const units = toUnits(line.amount);
    const reference = line.references.find((r) => byRef.has(r));
    const rec = reference === undefined ? undefined : byRef.get(reference);
    let o: LineOutcome;
    // A debit marked as a reversal takes back a credit: on the payer account it is no payment of ours.
    if (!rec || reference === undefined || (line.direction === 'debit' && line.reversal)) {
      o = { kind: 'unmatched', line };
      if (line.direction === 'debit') t.unmatchedDebits += units;
      else t.unmatchedCredits += units;
    } else if (units !== rec.units || line.currency !== rec.p.currency) {
      o = { kind: 'amount-mismatch', line, reference, expected: { amount: rec.p.amount, currency: rec.p.currency } };
    } else if (line.direction === 'debit') {
      o = { kind: rec.debits - rec.reversals >= 1 ? 'duplicate' : 'paid', line, reference };
      rec.debits++;
      t.debited += units;
    } else if (rec.debits - rec.reversals >= 1) {
      rec.reversals++;
      rec.reason = line.reason ?? { code: 'OTHER', raw: 'money came back without a reason' };
      o = { kind: 'reversed', line, reference, reason: rec.reason };
      t.reversed += units;
    } else {
      o = { kind: 'reversal-without-debit', line, reference };
      t.unmatchedCredits += units;
    }
    counts[o.kind]++;
    out.push(o);
  }
  const result: PaymentReconciliation[] = payments.map((p) => {
    const r = byRef.get(p.reference)!;
    const state = r.debits === 0 ? 'not-on-statement' : r.debits > r.reversals ? 'paid' : 'reversed';
    return { reference: p.reference, state, debits: r.debits, reversals: r.reversals,
      ...(state === 'reversed' && r.reason ? { reason: r.reason } : {}) };
  });
  return {
    lines: out, payments: result, counts,
    totals: {
      debited: fromUnits(t.debited), reversed: fromUnits(t.reversed), unmatchedDebits: fromUnits(t.unmatchedDebits),
      unmatchedCredits: fromUnits(t.unmatchedCredits), paidNet: fromUnits(t.debited - t.reversed),
    },
  };
}
