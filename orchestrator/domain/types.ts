/**
 * The orchestrator's domain vocabulary. Pure types: no I/O here.
 * Amounts are decimal strings (shared/money.ts); arithmetic happens in bigint units.
 */

export type BatchSource = 'pil' | 'g2p-connect' | 'native';

export type RailName = 'mojaloop-sdk' | 'pil';
/** How the mojaloop-sdk rail drives the payer DFSP's SDK outbound API. */
export type MojaloopSdkMode = 'bulkTransactions' | 'bulkQuotesTransfers' | 'transfers';

export enum BatchStatus {
  RECEIVED = 'RECEIVED',
  PROCESSING = 'PROCESSING',
  /** Paused by insufficient liquidity (4001) when configured to pause; resumed by an operator. */
  PAUSED = 'PAUSED',
  COMPLETED = 'COMPLETED',
  PARTIALLY_COMPLETED = 'PARTIALLY_COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

export enum PaymentStatus {
  RECEIVED = 'RECEIVED',
  RESOLVED = 'RESOLVED',
  QUOTED = 'QUOTED',
  SENT = 'SENT',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

export const FINAL_PAYMENT_STATUSES: ReadonlySet<PaymentStatus> = new Set([
  PaymentStatus.COMPLETED,
  PaymentStatus.FAILED,
  PaymentStatus.CANCELLED,
]);

/** Where upstream wants to hear about the batch. */
export type CallbackTarget =
  | { kind: 'g2p-connect'; senderUri: string; senderId: string; receiverId?: string }
  | { kind: 'webhook'; url: string; secret?: string };

/** One payment as accepted from upstream, before the engine touches it. */
export interface PaymentInput {
  /** The caller's reference: PIL position ("0", "1", ...), G2P Connect reference_id, native reference. */
  reference: string;
  payeeIdType: string;
  payeeIdValue: string;
  payeeIdSubValue?: string;
  /** Known payee FSP (e.g. from a G2P Connect financial address); skips the party lookup. */
  payeeFsp?: string;
  amount: string;
  currency: string;
  note?: string;
  /** API-specific fields echoed back upstream (payer_fa, payee_fa, payee_name, ...). */
  meta?: Record<string, string>;
}

export interface SubmitBatchCommand {
  source: BatchSource;
  /** The caller's idempotency key: PIL disbursementId, G2P Connect message_id, native Idempotency-Key. */
  sourceKey: string;
  /** Hash of the canonical request: a replay with the same key and another hash is a conflict. */
  requestHash: string;
  currency: string;
  payer?: { idType: string; idValue: string };
  note?: string;
  declaredCount?: number;
  declaredAmount?: string;
  rail?: RailName;
  railMode?: MojaloopSdkMode;
  callback?: CallbackTarget;
  /** API-specific batch fields echoed back upstream (G2P Connect transaction_id, sender_id, ...). */
  meta?: Record<string, string>;
  payments: PaymentInput[];
}

export interface StatusTotals {
  count: number;
  amount: string;
}

export interface BatchView {
  id: string;
  source: BatchSource;
  sourceKey: string;
  status: BatchStatus;
  currency: string;
  rail: RailName;
  railMode?: MojaloopSdkMode;
  note?: string;
  meta?: Record<string, string>;
  callback?: CallbackTarget;
  declaredCount?: number;
  declaredAmount?: string;
  totalCount: number;
  totalAmount: string;
  /** Counts and amounts per PaymentStatus (every status present, zero when none). */
  byStatus: Record<PaymentStatus, StatusTotals>;
  /** Sum actually debited from the treasury and credited to payees, and fees, over completed payments. */
  amountDebited: string;
  amountCredited: string;
  fees: string;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
}

export interface PaymentView {
  batchId: string;
  /** Position in the upstream request, 0-based: PIL results are matched by position. */
  position: number;
  reference: string;
  payeeIdType: string;
  payeeIdValue: string;
  payeeFsp?: string;
  amount: string;
  currency: string;
  status: PaymentStatus;
  /**
   * The Mojaloop transfer id: the id the hub and the payee's ledger book the payment under, once the rail reported
   * it (GPO's own id in the bulk quotes/transfers mode, the SDK's in the others).
   */
  transferId?: string;
  /** GPO's own id for the payment's current attempt, chosen and stored before any request for it leaves GPO (the SDK's homeTransactionId).
   * */
  homeTransactionId?: string;
  fee?: string;
  amountDebited?: string;
  amountCredited?: string;
  errorCode?: string;
  errorDescription?: string;
  attempts: number;
  meta?: Record<string, string>;
  updatedAt: string;
  completedAt?: string;
}

export type SubmitOutcome =
  | { outcome: 'created'; batch: BatchView }
  /** Same key, same request: the original batch, nothing new is paid. */
  | { outcome: 'replayed'; batch: BatchView }
  /** Same key, different request. */
  | { outcome: 'conflict'; batch: BatchView };

/** Events the engine emits for the northbound APIs' notifiers. */
export type OrchestratorEvent =
  | { type: 'batch-progress'; batch: BatchView }
  | { type: 'batch-final'; batch: BatchView };
