/** What the parts of the engine share: its dependencies, the batches being run, and the slices worked on. */
import type { Logger } from 'pino';
import { toUnits } from '../../shared/money';
import type { OrchestratorConfig } from '../config';
import type { BatchRecord, InputTuple, SliceStateRecord, Summary } from '../domain/model';
import type { PaymentStatus } from '../domain/types';
import type { Rail } from '../rails/port';
import type { Store } from '../store/port';
import type { CrashPoints } from './crash';

export interface EngineMetrics {
  paymentsFinal(status: PaymentStatus, count: number): void;
  chunkStarted(): void;
  chunkEnded(): void;
  /** A rail call that failed (each attempt), by operation and FSPIOP error code. */
  railError?(operation: 'lookup' | 'quote' | 'send' | 'query', errorCode: string): void;
}

export interface EngineDeps {
  store: Store;
  config: OrchestratorConfig;
  logger: Logger;
  /** The rail for a batch (its own rail/mode or the configured default). */
  railFor(rail: BatchRecord['rail'], mode: BatchRecord['railMode']): Rail;
  newId(): string;
  random(): number;
  metrics?: EngineMetrics;
  crash?: CrashPoints;
  now?: () => Date;
}

export interface LiveSlice {
  /** The working state: transitions land here first. */
  state: SliceStateRecord;
  /**
   * While the slice is worked on: the summary of the state as the store last took it, the only one reads show
   * (payment-level reads of a live slice read the store's copy).
   */
  storedSummary?: Summary;
  input: InputTuple[];
  /** Amounts in units, parsed once (summaries are recomputed often while a slice is live). */
  units: bigint[];
}

export interface BatchRun {
  record: BatchRecord;
  summaries: Summary[];
  live: Map<number, LiveSlice>;
  paused: boolean;
  resume?: { promise: Promise<void>; resolve: () => void };
  cancel: boolean;
  dirty: boolean;
  done?: Promise<void>;
}

export interface EngineContext {
  readonly deps: EngineDeps;
  readonly log: Logger;
  readonly crash: CrashPoints;
  /** Unfinished batches, by id. */
  readonly runs: Map<string, BatchRun>;
  /** True once the engine stops: nothing more is scheduled or stored. */
  stopped(): boolean;
  now(): string;
}

/** A slice as the store has it: its state and its inputs, amounts in units. */
export async function loadSlice(store: Store, batchId: string, seq: number): Promise<LiveSlice> {
  const [state, inputRec] = await Promise.all([store.getSliceState(batchId, seq), store.getSliceInput(batchId, seq)]);
  if (!state || !inputRec) throw new Error(`slice ${seq} of batch ${batchId} is missing from the store`);
  const input = JSON.parse(inputRec.data) as InputTuple[];
  return { state, input, units: input.map((t) => toUnits(t[5])) };
}
