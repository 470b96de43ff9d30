/**
 * The orchestrator's records and the pure rules over them: slices (up to chunkSize payments stored together),
 * compact per-slice payment state, summaries, the batch state machine and fee limits (validation at submit time:
 * validation.ts; the payment state machine: payment-state.ts). No I/O here.
 *
 * Storage shape (what makes 1,000,000 payments cheap): a batch is cut at intake into position-ordered slices of at
 * most chunkSize payments. Each slice has an immutable input record (one JSON string) and a state record holding
 * the payments' mutable fields as parallel arrays. State is written per slice, a handful of times in its life.
 */
import { fromUnits, toUnits } from '../../shared/money';
import {
  BatchStatus,
  PaymentStatus,
  type BatchSource,
  type BatchView,
  type CallbackTarget,
  type MojaloopSdkMode,
  type PaymentInput,
  type PaymentView,
  type RailName,
  type StatusTotals,
} from './types';

/** Payment statuses as small integers in state arrays (order matters: < SENT means nothing left GPO yet). */
export const STATUS_CODES: readonly PaymentStatus[] = [
  PaymentStatus.RECEIVED,
  PaymentStatus.RESOLVED,
  PaymentStatus.QUOTED,
  PaymentStatus.SENT,
  PaymentStatus.COMPLETED,
  PaymentStatus.FAILED,
  PaymentStatus.CANCELLED,
];
export const S_RECEIVED = 0;
export const S_RESOLVED = 1;
export const S_QUOTED = 2;
export const S_SENT = 3;
export const S_COMPLETED = 4;
export const S_FAILED = 5;
export const S_CANCELLED = 6;
export const isFinalCode = (s: number): boolean => s >= S_COMPLETED;
export const statusCode = (s: PaymentStatus): number => STATUS_CODES.indexOf(s);

export interface BatchRecord {
  _id: string;
  source: BatchSource;
  sourceKey: string;
  /** `${source}:${sourceKey}`: the idempotency index. */
  sourceIdx: string;
  requestHash: string;
  status: BatchStatus;
  currency: string;
  rail: RailName;
  railMode?: MojaloopSdkMode;
  payer?: { idType: string; idValue: string };
  note?: string;
  meta?: Record<string, string>;
  callback?: CallbackTarget;
  declaredCount?: number;
  declaredAmount?: string;
  totalCount: number;
  totalAmount: string;
  sliceCount: number;
  cancelRequested?: boolean;
  pausedReason?: string;
  /** Totals frozen when the batch ends (live batches are summed from slice summaries). */
  final?: SummaryRecord;
  /** Counts per status code per slice, frozen when the batch ends (paging without loading every slice). */
  sliceCounts?: number[][];
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  /**
   * What GPO owes upstream about this batch, each entry written in the same store operation as the state change that
   * causes it (domain/outbox.ts): progress from the start of processing, the final notification with the final
   * status, an on-status answer with the acceptance of its request. Delivered at least once under stable ids.
   */
  outbox?: OutboxEntry[];
  /** True while an outbox entry is pending (the store's index of notifications still to deliver). */
  outboxPending?: boolean;
  /** True while an outbox entry is dead (attempts exhausted): the store's index of dead letters for the operator. */
  outboxDead?: boolean;
}

export type OutboxChannel = 'webhook' | 'g2p-connect';
/** superseded: a progress entry once the batch's final notification is owed (nothing more to say about progress). */
export type OutboxState = 'pending' | 'delivered' | 'dead' | 'superseded';
export type OutboxEvent = 'batch.progress' | 'batch.completed' | 'on-disburse.progress' | 'on-disburse.final' | 'on-status';

/** What an on-status answer needs from its request (the answer itself is built from the stored batch when sent). */
export interface StatusRequest {
  /** {sender_uri}/disburse/txn/on-status */
  url: string;
  transactionId: string;
  /** reference_id_list: only these payments; absent: the whole batch. */
  references?: string[];
  /** The request's receiver_id (ours in the answer) and sender_id (theirs). */
  receiverId?: string;
  senderId: string;
}

/**
 * One notification GPO must deliver upstream. `id` is stable across retries and restarts: receivers de-duplicate by it.
 * A progress entry stands for the batch's stream of progress snapshots: snapshot n goes out as event `<id>.<n>`, n
 * stored before it is sent (`sent`), so no two snapshots share an id, even across a crash.
 */
export interface OutboxEntry {
  id: string;
  channel: OutboxChannel;
  event: OutboxEvent;
  state: OutboxState;
  attempts: number;
  createdAt: string;
  deliveredAt?: string;
  lastError?: string;
  /** Progress entries: snapshots numbered so far. */
  sent?: number;
  /** on-status entries: what the request asked. */
  request?: StatusRequest;
}

/** One payment's input, as a tuple inside a slice's JSON string. */
export type InputTuple = [reference: string, idType: string, idValue: string, subValue: string, fsp: string, amount: string,
  currency: string, note: string, meta: Record<string, string> | 0];

export interface SliceInputRecord {
  _id: string;
  batchId: string;
  seq: number;
  start: number;
  /** JSON of InputTuple[]: one string per slice keeps the store's memory close to the raw bytes. */
  data: string;
}

/** A rail call that may have carried some of this slice's payments (bulk id, disbursement id, ...). */
export interface GroupRecord {
  id: string;
  fsp: string;
  /** For bulk quotes then bulk transfers: the bulk quote id used. */
  quoteId?: string;
}

export interface SliceStateRecord {
  _id: string;
  batchId: string;
  seq: number;
  start: number;
  n: number;
  st: number[];
  fsp: Array<string | null>;
  tid: Array<string | null>;
  /**
   * The rail's transfer id (the Mojaloop transferId the hub and the payee book) once the rail reported it; absent in
   * states stored before it existed.
   */
  mid?: Array<string | null>;
  /** Index into groups of the rail call that carries the payment's current transfer id (-1: none). */
  g: number[];
  att: number[];
  fee: Array<string | null>;
  deb: Array<string | null>;
  cred: Array<string | null>;
  err: Array<string | null>;
  ed: Array<string | null>;
  /** When the payment reached its final status. */
  at: Array<string | null>;
  groups: GroupRecord[];
  updatedAt: string;
}

/** Counts and amounts (in units, as strings for storage) per status code, plus money actually moved. */
export interface SummaryRecord {
  counts: number[];
  units: string[];
  debited: string;
  credited: string;
  fees: string;
}

export interface Summary {
  counts: number[];
  units: bigint[];
  debited: bigint;
  credited: bigint;
  fees: bigint;
}

export function emptySummary(): Summary {
  return { counts: STATUS_CODES.map(() => 0), units: STATUS_CODES.map(() => 0n), debited: 0n, credited: 0n, fees: 0n };
}

export function addSummary(into: Summary, s: Summary): Summary {
  for (let i = 0; i < into.counts.length; i++) {
    into.counts[i] += s.counts[i];
    into.units[i] += s.units[i];
  }
  into.debited += s.debited;
  into.credited += s.credited;
  into.fees += s.fees;
  return into;
}

export function summaryToRecord(s: Summary): SummaryRecord {
  return { counts: [...s.counts], units: s.units.map(String), debited: String(s.debited), credited: String(s.credited), fees:
    String(s.fees) };
}

export function summaryFromRecord(r: SummaryRecord): Summary {
  return { counts: [...r.counts], units: r.units.map((u) => BigInt(u)), debited: BigInt(r.debited), credited: BigInt(r.credited), fees:
    BigInt(r.fees) };
}

export function summarizeSlice(state: SliceStateRecord, input: InputTuple[] | bigint[]): Summary {
  const s = emptySummary();
  for (let i = 0; i < state.n; i++) {
    const code = state.st[i];
    s.counts[code]++;
    const amount = input[i];
    s.units[code] += typeof amount === 'bigint' ? amount : toUnits(amount[5]);
    if (code === S_COMPLETED) {
      if (state.deb[i]) s.debited += toUnits(state.deb[i] as string);
      if (state.cred[i]) s.credited += toUnits(state.cred[i] as string);
      if (state.fee[i]) s.fees += toUnits(state.fee[i] as string);
    }
  }
  return s;
}

export function sliceId(batchId: string, seq: number): string {
  return `${batchId}:${seq}`;
}

export function encodeInput(p: PaymentInput): InputTuple {
  return [p.reference, p.payeeIdType, p.payeeIdValue, p.payeeIdSubValue ?? '', p.payeeFsp ?? '', p.amount, p.currency, p.note ?? '', p.meta
    ?? 0];
}

export function newSliceState(batchId: string, seq: number, start: number, n: number, now: string): SliceStateRecord {
  const nulls = (): null[] => new Array<null>(n).fill(null);
  return {
    _id: sliceId(batchId, seq), batchId, seq, start, n,
    st: new Array<number>(n).fill(S_RECEIVED), fsp: nulls(), tid: nulls(), mid: nulls(), g: new Array<number>(n).fill(-1), att:
      new Array<number>(n).fill(0),
    fee: nulls(), deb: nulls(), cred: nulls(), err: nulls(), ed: nulls(), at: nulls(), groups: [], updatedAt: now,
  };
}

/** Cuts a batch's payments into slices of at most `size`, in position order. */
export function planSlices(batchId: string, payments: PaymentInput[], size: number, now: string): { inputs: SliceInputRecord[];
  states: SliceStateRecord[] } {
  const inputs: SliceInputRecord[] = [];
  const states: SliceStateRecord[] = [];
  for (let start = 0, seq = 0; start < payments.length; start += size, seq++) {
    const part = payments.slice(start, start + size);
    inputs.push({ _id: sliceId(batchId, seq), batchId, seq, start, data: JSON.stringify(part.map(encodeInput)) });
    states.push(newSliceState(batchId, seq, start, part.length, now));
  }
  return { inputs, states };
}

export function paymentView(batchId: string, input: InputTuple, state: SliceStateRecord, i: number): PaymentView {
  const [reference, idType, idValue, , inFsp, amount, currency, , meta] = input;
  const v: PaymentView = {
    batchId, position: state.start + i, reference, payeeIdType: idType, payeeIdValue: idValue,
    amount, currency, status: STATUS_CODES[state.st[i]], attempts: state.att[i], updatedAt: state.at[i] ?? state.updatedAt,
  };
  const fsp = state.fsp[i] ?? (inFsp || undefined);
  if (fsp) v.payeeFsp = fsp;
  if (state.mid?.[i]) v.transferId = state.mid[i] as string;
  if (state.tid[i]) v.homeTransactionId = state.tid[i] as string;
  if (state.fee[i]) v.fee = state.fee[i] as string;
  if (state.deb[i]) v.amountDebited = state.deb[i] as string;
  if (state.cred[i]) v.amountCredited = state.cred[i] as string;
  if (state.err[i]) v.errorCode = state.err[i] as string;
  if (state.ed[i]) v.errorDescription = state.ed[i] as string;
  if (meta) v.meta = meta;
  if (state.at[i]) v.completedAt = state.at[i] as string;
  return v;
}

export function batchView(b: BatchRecord, s: Summary): BatchView {
  const byStatus = {} as Record<PaymentStatus, StatusTotals>;
  STATUS_CODES.forEach((st, i) => { byStatus[st] = { count: s.counts[i], amount: fromUnits(s.units[i]) }; });
  const v: BatchView = {
    id: b._id, source: b.source, sourceKey: b.sourceKey, status: b.status, currency: b.currency, rail: b.rail,
    totalCount: b.totalCount, totalAmount: b.totalAmount, byStatus,
    amountDebited: fromUnits(s.debited), amountCredited: fromUnits(s.credited), fees: fromUnits(s.fees),
    createdAt: b.createdAt, updatedAt: b.updatedAt,
  };
  if (b.railMode) v.railMode = b.railMode;
  if (b.note !== undefined) v.note = b.note;
  if (b.meta) v.meta = b.meta;
  if (b.callback) v.callback = b.callback;
  if (b.declaredCount !== undefined) v.declaredCount = b.declaredCount;
  if (b.declaredAmount !== undefined) v.declaredAmount = b.declaredAmount;
  if (b.completedAt) v.completedAt = b.completedAt;
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// batch state machine

export const FINAL_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set([BatchStatus.COMPLETED, BatchStatus.PARTIALLY_COMPLETED,
  BatchStatus.FAILED, BatchStatus.CANCELLED]);

const BATCH_TRANSITIONS: Record<BatchStatus, BatchStatus[]> = {
  [BatchStatus.RECEIVED]: [BatchStatus.PROCESSING, BatchStatus.CANCELLED, BatchStatus.FAILED],
  [BatchStatus.PROCESSING]: [BatchStatus.PAUSED, BatchStatus.COMPLETED, BatchStatus.PARTIALLY_COMPLETED, BatchStatus.FAILED,
    BatchStatus.CANCELLED],
  [BatchStatus.PAUSED]: [BatchStatus.PROCESSING, BatchStatus.CANCELLED, BatchStatus.COMPLETED, BatchStatus.PARTIALLY_COMPLETED,
    BatchStatus.FAILED],
  [BatchStatus.COMPLETED]: [],
  [BatchStatus.PARTIALLY_COMPLETED]: [],
  [BatchStatus.FAILED]: [],
  [BatchStatus.CANCELLED]: [],
};

export function canTransition(from: BatchStatus, to: BatchStatus): boolean {
  return from === to || BATCH_TRANSITIONS[from].includes(to);
}

/** The final status of a batch whose payments are all final. */
export function finalBatchStatus(s: Summary, cancelRequested: boolean): BatchStatus {
  const done = s.counts[S_COMPLETED];
  const total = s.counts.reduce((a, b) => a + b, 0);
  if (cancelRequested && s.counts[S_CANCELLED] > 0) return BatchStatus.CANCELLED;
  if (total > 0 && done === total) return BatchStatus.COMPLETED;
  if (done > 0) return BatchStatus.PARTIALLY_COMPLETED;
  return BatchStatus.FAILED;
}

// ---------------------------------------------------------------------------------------------------------------
// fees

/** True when the fee is within the configured limit for the currency (no limit configured: any fee). */
export function feeWithinLimit(fee: string | undefined, currency: string, limits: Record<string, string>): boolean {
  const limit = limits[currency];
  if (limit === undefined || fee === undefined) return true;
  return toUnits(fee) <= toUnits(limit);
}

export function sumAmounts(amounts: string[]): string {
  let t = 0n;
  for (const a of amounts) t += toUnits(a);
  return fromUnits(t);
}
