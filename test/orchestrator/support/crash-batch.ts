import type { PaymentInput, SubmitBatchCommand } from '../../../orchestrator/domain/types';

/**
 * The crash test's batch: n distinct payees alternating between payeefsp1 and payeefsp2, amounts 1..9.99. Nine in
 * ten come with their payee FSP (as a G2P Connect financial address would), the others are looked up.
 */
export function crashPayments(n: number): PaymentInput[] {
  return Array.from({ length: n }, (_, i) => {
    const p: PaymentInput = {
      reference: `c-${i}`, payeeIdType: 'MSISDN', payeeIdValue: `2547${(i % 2) + 1}${String(2_000_000 + i).padStart(7, '0')}`,
      amount: `${1 + (i % 9)}.${String(i % 100).padStart(2, '0')}`.replace(/\.?0+$/, '') || '1', currency: 'USD',
    };
    if (i % 10 !== 0) p.payeeFsp = `payeefsp${(i % 2) + 1}`;
    return p;
  });
}

export function crashBatch(n: number, key = `crash-${n}`): SubmitBatchCommand {
  return { source: 'native', sourceKey: key, requestHash: `${key}-v1`, currency: 'USD', payments: crashPayments(n) };
}
