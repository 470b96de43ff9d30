/**
 * What the native API shows: the batch summary (counts, amounts and exact percentages by status) and the
 * reconciliation report CSV (RFC 4180). Pure: views in, JSON or text out.
 */
import { fromUnits, toUnits } from '../../../shared/money';
import { BatchStatus, PaymentStatus, type BatchView, type PaymentView } from '../../domain/types';

export interface StatusLine {
  count: number;
  amount: string;
  /** Share of the batch's payments in this status, percent with 2 decimals ("33.33"). */
  countPercentage: string;
  /** Share of the batch's amount in this status, percent with 2 decimals. */
  amountPercentage: string;
}

/** The Payment Hub EE-style summary users expect (REFERENCE.md §5). */
export interface BatchSummary {
  total: number;
  ongoing: number;
  successful: number;
  failed: number;
  cancelled: number;
  totalAmount: string;
  successfulAmount: string;
  pendingAmount: string;
  failedAmount: string;
  cancelledAmount: string;
  successPercentage: string;
  failPercentage: string;
  /** Payments in a final state (completed, failed, cancelled), percent. */
  finishedPercentage: string;
}

export interface NativeBatch {
  id: string;
  /** The API the batch arrived on: native, pil or g2p-connect. */
  source: string;
  reference?: string;
  idempotencyKey: string;
  status: BatchStatus;
  currency: string;
  rail: string;
  railMode?: string;
  note?: string;
  webhookUrl?: string;
  declaredCount?: number;
  declaredAmount?: string;
  totalCount: number;
  totalAmount: string;
  byStatus: Record<PaymentStatus, StatusLine>;
  summary: BatchSummary;
  amountDebited: string;
  amountCredited: string;
  fees: string;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
}

/** part / whole * 100, rounded half up to `decimals` places, computed exactly in bigint. "0.00" when whole is 0. */
export function percentage(part: bigint, whole: bigint, decimals = 2): string {
  if (whole <= 0n) return (0).toFixed(decimals);
  const scale = 10n ** BigInt(decimals);
  const scaled = (part * 100n * scale * 2n + whole) / (whole * 2n);
  const int = scaled / scale;
  const frac = (scaled % scale).toString().padStart(decimals, '0');
  return decimals > 0 ? `${int}.${frac}` : `${int}`;
}

const ONGOING: PaymentStatus[] = [PaymentStatus.RECEIVED, PaymentStatus.RESOLVED, PaymentStatus.QUOTED, PaymentStatus.SENT];

export function toNativeBatch(v: BatchView): NativeBatch {
  const totalCount = BigInt(v.totalCount);
  const totalUnits = toUnits(v.totalAmount);
  const byStatus = {} as Record<PaymentStatus, StatusLine>;
  for (const s of Object.values(PaymentStatus)) {
    const t = v.byStatus?.[s] ?? { count: 0, amount: '0' };
    byStatus[s] = {
      count: t.count,
      amount: t.amount,
      countPercentage: percentage(BigInt(t.count), totalCount),
      amountPercentage: percentage(toUnits(t.amount), totalUnits),
    };
  }
  const sumCount = (ss: PaymentStatus[]) => ss.reduce((n, s) => n + byStatus[s].count, 0);
  const sumAmount = (ss: PaymentStatus[]) => fromUnits(ss.reduce((n, s) => n + toUnits(byStatus[s].amount), 0n));
  const done = sumCount([PaymentStatus.COMPLETED, PaymentStatus.FAILED, PaymentStatus.CANCELLED]);
  return {
    id: v.id,
    source: v.source,
    ...(v.meta?.reference ? { reference: v.meta.reference } : {}),
    idempotencyKey: v.sourceKey,
    status: v.status,
    currency: v.currency,
    rail: v.rail,
    ...(v.railMode ? { railMode: v.railMode } : {}),
    ...(v.note ? { note: v.note } : {}),
    // The webhook secret, when one was given, is never shown.
    ...(v.callback?.kind === 'webhook' ? { webhookUrl: v.callback.url } : {}),
    ...(v.declaredCount !== undefined ? { declaredCount: v.declaredCount } : {}),
    ...(v.declaredAmount !== undefined ? { declaredAmount: v.declaredAmount } : {}),
    totalCount: v.totalCount,
    totalAmount: v.totalAmount,
    byStatus,
    summary: {
      total: v.totalCount,
      ongoing: sumCount(ONGOING),
      successful: byStatus.COMPLETED.count,
      failed: byStatus.FAILED.count,
      cancelled: byStatus.CANCELLED.count,
      totalAmount: v.totalAmount,
      successfulAmount: byStatus.COMPLETED.amount,
      pendingAmount: sumAmount(ONGOING),
      failedAmount: byStatus.FAILED.amount,
      cancelledAmount: byStatus.CANCELLED.amount,
      successPercentage: byStatus.COMPLETED.countPercentage,
      failPercentage: byStatus.FAILED.countPercentage,
      finishedPercentage: percentage(BigInt(done), totalCount),
    },
    amountDebited: v.amountDebited,
    amountCredited: v.amountCredited,
    fees: v.fees,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    ...(v.completedAt ? { completedAt: v.completedAt } : {}),
  };
}

/** Payments with an error code, grouped by code: how many, for how much, and what the rail said. */
export interface FailureLine {
  errorCode: string;
  /** The description the rail gave with the first payment seen with this code. */
  errorDescription?: string;
  /** Statuses those payments are in (FAILED, CANCELLED, or not final yet while they are retried). */
  statuses: string[];
  count: number;
  amount: string;
}

/** Failures by error code over every payment of a batch, the most frequent first. */
export async function failureSummary(payments: AsyncIterable<PaymentView>): Promise<FailureLine[]> {
  const by = new Map<string, { description?: string; statuses: Set<string>; count: number; units: bigint }>();
  for await (const p of payments) {
    if (!p.errorCode) continue;
    let line = by.get(p.errorCode);
    if (!line) {
      line = { description: p.errorDescription, statuses: new Set(), count: 0, units: 0n };
      by.set(p.errorCode, line);
    }
    line.statuses.add(p.status);
    line.count++;
    line.units += toUnits(p.amount);
  }
  return [...by.entries()]
    .map(([errorCode, l]) => ({ errorCode, ...(l.description ? { errorDescription: l.description } : {}), statuses: [...l.statuses].sort(),
      count: l.count, amount: fromUnits(l.units) }))
    .sort((a, b) => b.count - a.count || a.errorCode.localeCompare(b.errorCode));
}

/** A payment as GET /v1/batches/{id}/payments lists it. */
export function toNativePayment(p: PaymentView): PaymentView {
  return p;
}

/** The report's columns, in order. */
export const REPORT_COLUMNS = [
  'position', 'reference', 'payee_id_type', 'payee_id_value', 'payee_fsp', 'amount', 'currency', 'status',
  'transfer_id', 'amount_debited', 'amount_credited', 'fee', 'error_code', 'error_description', 'completed_at',
] as const;

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
export function csvField(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportHeader(): string {
  return REPORT_COLUMNS.join(',') + '\r\n';
}

export function reportRow(p: PaymentView): string {
  return [
    p.position, p.reference, p.payeeIdType, p.payeeIdValue, p.payeeFsp, p.amount, p.currency, p.status,
    p.transferId, p.amountDebited, p.amountCredited, p.fee, p.errorCode, p.errorDescription, p.completedAt,
  ].map(csvField).join(',') + '\r\n';
}

/** The report as text chunks: header, then rows, grouped so a large batch streams in few writes. */
export async function* reportChunks(payments: AsyncIterable<PaymentView>, rowsPerChunk = 500): AsyncGenerator<string> {
  yield reportHeader();
  let buf = '';
  let n = 0;
  for await (const p of payments) {
    buf += reportRow(p);
    if (++n >= rowsPerChunk) {
      yield buf;
      buf = '';
      n = 0;
    }
  }
  if (buf) yield buf;
}
