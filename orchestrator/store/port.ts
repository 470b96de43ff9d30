/**
 * The store port. The engine writes state per slice (never per payment) and the batch record last at intake, so a
 * batch exists only once all its slices are durable.
 */
import type { BatchRecord, OutboxChannel, SliceInputRecord, SliceStateRecord } from '../domain/model';
import type { OutboxChange } from '../domain/outbox';
import type { BatchSource, BatchStatus } from '../domain/types';

/** A page of batches, newest first (createdAt descending, then id). */
export interface BatchListQuery {
  /** Any of these statuses (all when absent or empty). */
  statuses?: BatchStatus[];
  source?: BatchSource;
  /** createdAt >= from and < to: ISO 8601 timestamps as toISOString() writes them. */
  from?: string;
  to?: string;
  offset: number;
  limit: number;
}

export interface BatchListPage {
  /** Batches matching the query, all pages together. */
  total: number;
  items: BatchRecord[];
}

export interface Store {
  open(): Promise<void>;
  /** Durable before it resolves: slices first, batch record last. */
  createBatch(batch: BatchRecord, inputs: SliceInputRecord[], states: SliceStateRecord[]): Promise<void>;
  getBatch(id: string): Promise<BatchRecord | undefined>;
  findBatchBySource(source: string, sourceKey: string): Promise<BatchRecord | undefined>;
  updateBatch(id: string, patch: Partial<BatchRecord>): Promise<BatchRecord | undefined>;
  /**
   * Applies `change` to the batch's outbox entries and writes them with `patch` in one atomic operation, after every
   * earlier outbox change of that batch (changes of one batch never interleave). Undefined when there is no such batch.
   */
  updateOutbox(id: string, change: OutboxChange, patch?: Partial<BatchRecord>): Promise<BatchRecord | undefined>;
  /** Batches matching the query, a page of them newest first. */
  listBatches(query: BatchListQuery): Promise<BatchListPage>;
  /** Batches not yet in a final status (resumed after a restart). */
  listOpenBatches(): Promise<BatchRecord[]>;
  /** Batches with an outbox entry still pending on this channel, oldest first (resumed after a restart). */
  listPendingOutbox(channel: OutboxChannel): Promise<BatchRecord[]>;
  /** Batches with a dead outbox entry (a dead letter an operator may replay), oldest first. */
  listDeadOutbox(): Promise<BatchRecord[]>;
  /** Batches of one G2P Connect sender's transaction_id, newest first (status queries after restarts). */
  findBatchesByTransaction(senderId: string, transactionId: string): Promise<BatchRecord[]>;
  getSliceInput(batchId: string, seq: number): Promise<SliceInputRecord | undefined>;
  getSliceState(batchId: string, seq: number): Promise<SliceStateRecord | undefined>;
  saveSliceState(state: SliceStateRecord): Promise<void>;
  /** Removes slices left by an intake that crashed before its batch record was written. */
  removeOrphans(): Promise<number>;
  /** Next value of a persistent counter (restarts of a seeded orchestrator must not repeat ids). */
  nextCounter(name: string): Promise<number>;
  /** A small named value kept across restarts (what a rail learned about its peer), undefined when never set. */
  getMeta(name: string): Promise<unknown>;
  setMeta(name: string, value: unknown): Promise<void>;
  /** Rewrites the data files without superseded records. */
  compact(): Promise<void>;
  close(): Promise<void>;
}
