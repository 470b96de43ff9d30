/** G2P Connect statuses and envelopes: GPO's payment and batch statuses as G2P Connect reports them, ACK and ERR. */
import { newId } from '../../../shared/ids';
import { formatFixed, toUnits } from '../../../shared/money';
import { BatchStatus, PaymentStatus, type BatchView, type PaymentView } from '../../domain/types';
import { G2P_VERSION, type G2pRejection, type G2pStatus } from './messages';

// ---------------------------------------------------------------------------------------------------------------
// Answers and callbacks (pure builders)

export function g2pStatus(status: PaymentStatus): G2pStatus {
  switch (status) {
    case PaymentStatus.RECEIVED: return 'rcvd';
    case PaymentStatus.COMPLETED: return 'succ';
    case PaymentStatus.FAILED:
    case PaymentStatus.CANCELLED: return 'rjct';
    default: return 'pdng';
  }
}

export interface DisbursementStatusItem {
  reference_id: string;
  timestamp: string;
  status: G2pStatus;
  status_reason_code?: string;
  status_reason_message?: string;
  amount: string;
  payer_fa?: string;
  payee_fa?: string;
  payee_name?: string;
  currency_code: string;
}

/**
 * One payment as a disbursements_status item. A failed payment's status_reason_code is the rail's error code
 * (FSPIOP, e.g. 3204 party not found): the spec's reason codes only cover request validation, which never gets
 * this far.
 */
export function disbursementStatusItem(p: PaymentView): DisbursementStatusItem {
  const status = g2pStatus(p.status);
  const item: DisbursementStatusItem = {
    reference_id: p.reference,
    timestamp: p.completedAt ?? p.updatedAt,
    status,
    amount: formatFixed(toUnits(p.amount), p.currency),
    payer_fa: p.meta?.payer_fa,
    payee_fa: p.meta?.payee_fa,
    currency_code: p.currency,
  };
  if (p.meta?.payee_name) item.payee_name = p.meta.payee_name;
  if (p.status === PaymentStatus.FAILED) {
    item.status_reason_code = p.errorCode ?? 'rjct.payment.failed';
    item.status_reason_message = p.errorDescription ?? 'payment failed';
  } else if (p.status === PaymentStatus.CANCELLED) {
    item.status_reason_code = 'rjct.payment.cancelled';
    item.status_reason_message = 'cancelled before it was sent';
  }
  return item;
}

export const FINAL_BATCH: ReadonlySet<BatchStatus> = new Set([BatchStatus.COMPLETED, BatchStatus.PARTIALLY_COMPLETED, BatchStatus.FAILED,
  BatchStatus.CANCELLED]);

export function completedCount(batch: BatchView): number {
  return batch.byStatus.COMPLETED.count + batch.byStatus.FAILED.count + batch.byStatus.CANCELLED.count;
}

/** Header status of a batch: succ once final with at least one payment made, rjct if final with none, else pdng. */
export function batchHeaderStatus(batch: BatchView): { status: G2pStatus; reason?: string } {
  if (!FINAL_BATCH.has(batch.status)) return { status: batch.status === BatchStatus.RECEIVED ? 'rcvd' : 'pdng' };
  if (batch.byStatus.COMPLETED.count > 0) {
    return { status: 'succ', reason: batch.status === BatchStatus.PARTIALLY_COMPLETED
      ? `${batch.byStatus.COMPLETED.count} of ${batch.totalCount} paid` : undefined };
  }
  return { status: 'rjct', reason: batch.status === BatchStatus.CANCELLED ? 'batch cancelled' : 'no payment succeeded' };
}

export function callbackHeader(batch: BatchView, action: string, ours: string, theirs: string | undefined) {
  const s = batchHeaderStatus(batch);
  return {
    version: G2P_VERSION,
    message_id: newId(),
    message_ts: new Date().toISOString(),
    action,
    status: s.status,
    ...(s.reason ? { status_reason_message: s.reason } : {}),
    total_count: batch.totalCount,
    completed_count: completedCount(batch),
    sender_id: ours,
    ...(theirs ? { receiver_id: theirs } : {}),
    is_msg_encrypted: false,
  };
}

export function ack(correlationId: string, timestamp = new Date().toISOString()) {
  return { message: { ack_status: 'ACK', timestamp, correlation_id: correlationId } };
}

export function err(r: G2pRejection, correlationId?: string) {
  return {
    message: {
      ack_status: 'ERR',
      timestamp: new Date().toISOString(),
      ...(correlationId ? { correlation_id: correlationId } : {}),
      error: { code: r.code, message: r.message, ...(r.details.length ? { details: r.details } : {}) },
    },
  };
}

