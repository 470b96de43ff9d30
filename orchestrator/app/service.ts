import type { BatchListQuery } from '../store/port';
import type { BatchStatus, BatchView, OrchestratorEvent, PaymentStatus, PaymentView, SubmitBatchCommand,
  SubmitOutcome } from '../domain/types';

/**
 * The application service the northbound APIs (orchestrator/intake) call. It hides the engine and the store.
 * Contract: submitBatch resolves only once the batch is durable (invariant 3: nothing half-stored), and it
 * validates nothing about the API's own format: intake plugins validate with joi before calling it.
 */
export interface DisbursementService {
  submitBatch(cmd: SubmitBatchCommand): Promise<SubmitOutcome>;
  getBatch(batchId: string): Promise<BatchView | undefined>;
  findBatchBySourceKey(source: SubmitBatchCommand['source'], sourceKey: string): Promise<BatchView | undefined>;
  /** The newest G2P Connect batch of a sender's transaction_id (a store index: works after restarts). */
  findBatchByTransaction(senderId: string, transactionId: string): Promise<BatchView | undefined>;
  /** Batches newest first, filtered by status, source and creation time, a page at a time. */
  listBatches(query: BatchListQuery): Promise<{ total: number; items: BatchView[] }>;
  listPayments(batchId: string, query?: { status?: PaymentStatus; errorCode?: string; offset?: number;
    limit?: number }): Promise<{ total: number; items: PaymentView[] }>;
  /** Streams every payment of a batch in position order (report.csv, PIL results), without loading all at once. */
  iteratePayments(batchId: string): AsyncIterable<PaymentView>;
  /** Payments of a batch selected by their upstream references (G2P Connect txn status). */
  findPaymentsByReference(batchId: string, references: string[]): Promise<PaymentView[]>;
  /** Stops every payment not yet sent on the rail; returns the batch afterwards. */
  cancelBatch(batchId: string): Promise<BatchView | undefined>;
  /** Resumes a batch paused on insufficient liquidity. */
  resumeBatch(batchId: string): Promise<BatchView | undefined>;
  /** Resolves when the batch reaches a final status or the timeout passes (then returns its current view). */
  waitForBatch(batchId: string, timeoutMs: number, statuses?: BatchStatus[]): Promise<BatchView | undefined>;
  subscribe(listener: (event: OrchestratorEvent) => void): () => void;
}

/**
 * What submitBatch rejects with when the batch itself is unacceptable (control totals, duplicate payees, amounts,
 * currency): `code` is the first problem's code, `problems` lists each with the positions concerned. Nothing is
 * stored. Any other rejection is an internal error.
 */
export { BatchRejected, type ValidationProblem } from '../domain/validation';
