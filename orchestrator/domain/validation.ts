/** A batch checked at submit time: control totals, currencies, amounts and duplicate payees. Nothing is stored on a refusal. */
import { fromUnits, toUnits } from '../../shared/money';
import type { PaymentInput } from './types';

export interface ValidationProblem {
  code: 'COUNT_MISMATCH' | 'AMOUNT_MISMATCH' | 'DUPLICATE_PAYEE' | 'EMPTY_BATCH' | 'CURRENCY_MISMATCH' | 'INVALID_AMOUNT';
  message: string;
  positions?: number[];
}

export class BatchRejected extends Error {
  constructor(readonly problems: ValidationProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'BatchRejected';
  }
  get code(): string {
    return this.problems[0]?.code ?? 'INVALID_BATCH';
  }
}

/** Control totals, currencies, amounts and duplicate payees; returns the total amount in units. */
export function validateBatch(
  cmd: { currency: string; declaredCount?: number; declaredAmount?: string; payments: PaymentInput[] },
  duplicatePayees: 'reject' | 'allow',
): { problems: ValidationProblem[]; totalUnits: bigint } {
  const problems: ValidationProblem[] = [];
  if (cmd.payments.length === 0) problems.push({ code: 'EMPTY_BATCH', message: 'the batch has no payments' });
  let total = 0n;
  const badAmount: number[] = [];
  const badCurrency: number[] = [];
  cmd.payments.forEach((p, i) => {
    try {
      const u = toUnits(p.amount);
      if (u <= 0n) badAmount.push(i);
      total += u;
    } catch {
      badAmount.push(i);
    }
    if (p.currency !== cmd.currency) badCurrency.push(i);
  });
  if (badAmount.length) problems.push({ code: 'INVALID_AMOUNT', message: `invalid amount at position(s) ${badAmount.slice(0,
    20).join(', ')}`, positions: badAmount });
  if (badCurrency.length) problems.push({ code: 'CURRENCY_MISMATCH', message:
    `currency differs from the batch's ${cmd.currency} at position(s) ${badCurrency.slice(0, 20).join(', ')}`, positions: badCurrency });
  if (cmd.declaredCount !== undefined && cmd.declaredCount !== cmd.payments.length) {
    problems.push({ code: 'COUNT_MISMATCH', message: `declared count ${cmd.declaredCount} but ${cmd.payments.length} payments` });
  }
  if (cmd.declaredAmount !== undefined && !badAmount.length) {
    let declared: bigint | undefined;
    try { declared = toUnits(cmd.declaredAmount); } catch { declared = undefined; }
    if (declared === undefined || declared !== total) problems.push({ code: 'AMOUNT_MISMATCH', message:
      `declared amount ${cmd.declaredAmount} but payments sum to ${fromUnits(total)}` });
  }
  if (duplicatePayees === 'reject') {
    const dups = findDuplicatePayees(cmd.payments);
    if (dups.length) problems.push({ code: 'DUPLICATE_PAYEE', message: `payee appears more than once at position(s) ${dups.slice(0,
      20).join(', ')}`, positions: dups });
  }
  return { problems, totalUnits: total };
}

/** Positions of payments whose payee (type, id, sub-id) already appeared earlier in the batch. */
export function findDuplicatePayees(payments: PaymentInput[]): number[] {
  const seen = new Set<string>();
  const dups: number[] = [];
  payments.forEach((p, i) => {
    const key = `${p.payeeIdType}\u0000${p.payeeIdValue}\u0000${p.payeeIdSubValue ?? ''}`;
    if (seen.has(key)) dups.push(i); else seen.add(key);
  });
  return dups;
}
