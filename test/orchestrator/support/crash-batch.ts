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

/** The G2P Connect disburse message of the test (transaction tx-notify-1, sender notify-sender). */
export function g2pMessage(receiver: string): unknown {
  const payments = crashPayments(6).map((p, i) => ({
    reference_id: `g-${i}`, payer_fa: 'account:treasury@gpo', payee_fa: `mobile:${p.payeeIdValue}@payeefsp${(i % 2) + 1}`, amount: p.amount,
    currency_code: 'USD',
  }));
  return {
    header: {
      version: '1.0.0', message_id: 'msg-notify-1', message_ts: '2026-01-01T00:00:00.000Z', action: 'disburse', sender_id: 'notify-sender',
      sender_uri: `${receiver}/g2p`, receiver_id: 'gpo', total_count: payments.length, is_msg_encrypted: false,
    },
    message: { transaction_id: 'tx-notify-1', disbursements: payments },
  };
}
