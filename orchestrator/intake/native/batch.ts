/**
 * From a native request (JSON body or CSV upload) to a SubmitBatchCommand, or to the errors that refuse it.
 * No I/O; long loops yield to the event loop now and then. The order of checks is fixed: shape and fields, then duplicate references, then
 * control totals,
 * then duplicate payees, so a caller fixes one class of problem at a time.
 */
import { createHash } from 'node:crypto';
import { maskId } from '../../../shared/logger';
import { normalizeAmount, toUnits, fromUnits } from '../../../shared/money';
import type { CallbackTarget, MojaloopSdkMode, PaymentInput, RailName, SubmitBatchCommand } from '../../domain/types';
import { csvLocation, parseBulkCsv, yieldToLoop } from './csv';
import { batchSchema, MAX_PAYMENTS, quickPaymentCheck, checkAmount, CURRENCY_RE, ErrorList, fieldPath, JOI_OPTS, joiErrors, paymentSchema,
  type FieldError, type NativeErrorBody } from './schemas';

export interface BatchFields {
  reference?: string;
  currency: string;
  note?: string;
  rail?: RailName;
  railMode?: MojaloopSdkMode;
  webhookUrl?: string;
  webhookSecret?: string;
  declaredCount?: number;
  declaredAmount?: string;
  payer?: { idType: string; idValue: string };
}

export type BuildResult =
  | { ok: true; command: SubmitBatchCommand; warnings: FieldError[]; duplicatePayees: number }
  | { ok: false; status: number; body: NativeErrorBody };

export interface BuildOptions {
  sourceKey: string;
  duplicatePayees: 'reject' | 'allow';
  /** Most payments one batch may carry (default MAX_PAYMENTS). */
  maxPayments?: number;
  /** Checking stops after this many errors (default 1000). */
  maxCsvErrors?: number;
}

const ITEMS_PER_YIELD = 5000;
/** Items refused by the schema between two yields: building an error report costs far more than passing an item. */
const REFUSALS_PER_YIELD = 25;
/** The schema's options when only "is there an error" matters. */
const FIRST_ERROR = { ...JOI_OPTS, abortEarly: true };
const DEFAULT_ERROR_CAP = 1000;

/** Where an error sits: a JSON field path, or a CSV row + column. */
type Locate = (index: number, path: (string | number)[]) => Pick<FieldError, 'field' | 'row' | 'column'>;

const jsonLocate: Locate = (i, path) => ({ field: fieldPath(['payments', i, ...path]) });

function refused(errors: ErrorList, errorCode: string, message: string, status = 400): BuildResult {
  return {
    ok: false, status,
    body: { errorCode, message, errors: errors.items, ...(errors.count > errors.items.length ? { errorCount: errors.count } : {}),
      ...(errors.full ? { errorsTruncated: true } : {}) },
  };
}

function tooMany(count: number, max: number, kind: string): BuildResult {
  const errors = new ErrorList();
  errors.add({ field: 'payments', code: 'TOO_MANY', message:
    `the ${kind} has ${count} payments; at most ${max} are accepted in one batch` });
  return refused(errors, 'VALIDATION_FAILED', `the ${kind} has too many payments; nothing was stored`, 413);
}

/** A JSON body (already parsed) to a command. */
export async function buildFromJson(body: unknown, opts: BuildOptions): Promise<BuildResult> {
  const errors = new ErrorList(opts.maxCsvErrors ?? DEFAULT_ERROR_CAP);
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const max = Math.min(opts.maxPayments ?? MAX_PAYMENTS, MAX_PAYMENTS);
  if (Array.isArray(b.payments) && b.payments.length > max) return tooMany(b.payments.length, max, 'batch');
  const { error } = batchSchema.validate(body, JOI_OPTS);
  for (const e of joiErrors(error, (path) => ({ field: path.length ? fieldPath(path) : 'body' }))) errors.add(e);
  const raw = Array.isArray(b.payments) ? b.payments : [];
  if (raw.length > MAX_PAYMENTS || (!errors.empty && !Array.isArray(b.payments))) return refused(errors, 'VALIDATION_FAILED',
    'the batch is not valid; nothing was stored');
  const fields = b as unknown as BatchFields;
  return finish(fields, raw, jsonLocate, errors, opts);
}

/** A CSV upload to a command; batch fields come from the query string (validated by the caller). */
export async function buildFromCsv(csvText: string, query: Partial<BatchFields>, opts: BuildOptions): Promise<BuildResult> {
  const cap = opts.maxCsvErrors ?? DEFAULT_ERROR_CAP;
  const errors = new ErrorList(cap);
  // A quick look at each row as it is read: once `cap` rows are bad the file is refused whatever follows, so
  // reading stops there instead of holding a whole file of bad rows (the full checks below run on what was read).
  let badRows = 0;
  const file = await parseBulkCsv(csvText, errors, (p) => {
    if (!quickPaymentCheck(p.item) && paymentSchema.validate(p.item, FIRST_ERROR).error) badRows++;
    return badRows + errors.count >= cap;
  });
  const max = Math.min(opts.maxPayments ?? MAX_PAYMENTS, MAX_PAYMENTS);
  if (file.payments.length > max) return tooMany(file.payments.length, max, 'file');
  if (file.payments.length === 0) return refused(errors, 'CSV_INVALID',
    'the file cannot be read as a bulk payment file; nothing was stored');
  const currency = query.currency ?? file.payments[0].item.currency ?? '';
  if (!CURRENCY_RE.test(currency)) {
    errors.add({ row: 2, column: 'currency', code: 'INVALID_FORMAT', message:
      'currency must be an ISO 4217 code such as USD (give ?currency= or fill the currency column)' });
  }
  const fields: BatchFields = { ...query, currency, reference: query.reference ?? file.requestId, payer: file.payer };
  const rows = file.payments.map((p) => p.row);
  const locate: Locate = (i, path) => csvLocation(rows[i], path);
  return finish(fields, file.payments.map((p) => p.item), locate, errors, opts, rows);
}

async function finish(fields: BatchFields, raw: unknown[], locate: Locate, errors: ErrorList, opts: BuildOptions,
  rows?: number[]): Promise<BuildResult> {
  const kind = rows ? 'file' : 'batch';
  const payments: PaymentInput[] = new Array(raw.length);
  const firstRef = new Map<string, number>();
  let total = 0n;
  let sinceYield = 0;
  for (let i = 0; i < raw.length; i++) {
    if (++sinceYield >= ITEMS_PER_YIELD) {
      sinceYield = 0;
      await yieldToLoop();
    }
    if (errors.full) break;
    const item = raw[i];
    const quick = quickPaymentCheck(item);
    if (!quick) sinceYield += ITEMS_PER_YIELD / REFUSALS_PER_YIELD;
    const error = quick ? undefined : paymentSchema.validate(item, JOI_OPTS).error;
    const p = item as PaymentInput;
    let bad = false;
    if (error) {
      for (const e of joiErrors(error, (path) => locate(i, path))) errors.add(e);
      bad = true;
    }
    if (!bad && CURRENCY_RE.test(fields.currency) && p.currency !== fields.currency) {
      errors.add({ ...locate(i, ['currency']), code: 'CURRENCY_MISMATCH', message:
        `payment currency ${p.currency} differs from the batch currency ${fields.currency}` });
      bad = true;
    }
    const ref = p && typeof p === 'object' && typeof p.reference === 'string' ? p.reference : undefined;
    if (ref !== undefined) {
      const seen = firstRef.get(ref);
      if (seen !== undefined) {
        errors.add({ ...locate(i, ['reference']), code: 'DUPLICATE_REFERENCE', message: `reference ${ref} is used twice in one batch`,
          duplicateOf: where(seen, rows) });
        bad = true;
      } else {
        firstRef.set(ref, i);
      }
    }
    if (bad) continue;
    const units = toUnits(p.amount);
    total += units;
    // The validated item is reused as the command's payment (it has only known fields): no second million objects.
    p.amount = fromUnits(units);
    if (p.note === '') delete p.note;
    payments[i] = p;
  }
  if (!errors.empty) return refused(errors, rows ? 'CSV_INVALID' : 'VALIDATION_FAILED',
    `the ${kind} has ${errors.count} error${errors.count === 1 ? '' : 's'}; nothing was stored`);

  // Control totals: what the caller declared must be what it sent.
  const totals = new ErrorList();
  if (fields.declaredCount !== undefined && Number(fields.declaredCount) !== payments.length) {
    totals.add({ field: 'declaredCount', code: 'COUNT_MISMATCH', message:
      `declared ${fields.declaredCount} payments, the ${kind} has ${payments.length}` });
  }
  if (fields.declaredAmount !== undefined && toUnits(fields.declaredAmount) !== total) {
    totals.add({ field: 'declaredAmount', code: 'AMOUNT_MISMATCH', message:
      `declared ${fields.declaredAmount}, the payments add up to ${fromUnits(total)}` });
  }
  if (!totals.empty) {
    const r = refused(totals, 'CONTROL_TOTAL_MISMATCH', 'the declared control totals do not match the payments; nothing was stored', 422);
    if (!r.ok) r.body.details = { declaredCount: fields.declaredCount, actualCount: payments.length, declaredAmount: fields.declaredAmount,
      actualAmount: fromUnits(total) };
    return r;
  }

  // The same payee twice in one batch: refused or flagged, per configuration.
  const dupes = new ErrorList();
  const firstPayee = new Map<string, number>();
  for (let i = 0; i < payments.length; i++) {
    if (i % (ITEMS_PER_YIELD * 10) === ITEMS_PER_YIELD * 10 - 1) await yieldToLoop();
    const p = payments[i];
    const key = `${p.payeeIdType}\u0000${p.payeeIdValue}\u0000${p.payeeIdSubValue ?? ''}`;
    const seen = firstPayee.get(key);
    if (seen === undefined) firstPayee.set(key, i);
    else dupes.add({ ...locate(i, ['payeeIdValue']), code: 'DUPLICATE_PAYEE', message:
      `payee ${p.payeeIdType} ${maskId(p.payeeIdValue)} already appears in this ${kind}`, duplicateOf: where(seen, rows) });
  }
  if (!dupes.empty && opts.duplicatePayees === 'reject') {
    return refused(dupes, 'DUPLICATE_PAYEES', `${dupes.count} payment${dupes.count === 1 ? ''
      : 's'} go to a payee already in this ${kind}; nothing was stored (duplicate payees are refused by configuration)`, 422);
  }

  const callback: CallbackTarget | undefined = fields.webhookUrl ? { kind: 'webhook', url: fields.webhookUrl,
    ...(fields.webhookSecret ? { secret: fields.webhookSecret } : {}) } : undefined;
  const command: SubmitBatchCommand = {
    source: 'native',
    sourceKey: opts.sourceKey,
    requestHash: '',
    currency: fields.currency,
    ...(fields.payer ? { payer: fields.payer } : {}),
    ...(fields.note ? { note: fields.note } : {}),
    ...(fields.declaredCount !== undefined ? { declaredCount: Number(fields.declaredCount) } : {}),
    ...(fields.declaredAmount !== undefined ? { declaredAmount: normalizeAmount(fields.declaredAmount) } : {}),
    ...(fields.rail ? { rail: fields.rail } : {}),
    ...(fields.railMode ? { railMode: fields.railMode } : {}),
    ...(callback ? { callback } : {}),
    ...(fields.reference ? { meta: { reference: fields.reference } } : {}),
    payments,
  };
  command.requestHash = requestHash(command);
  return { ok: true, command, warnings: dupes.items, duplicatePayees: dupes.count };
}

function where(index: number, rows?: number[]): number | string {
  return rows ? rows[index] : `payments[${index}]`;
}

/**
 * sha256 over the canonical request: the normalised command without its key, fields in a fixed order, so the same
 * batch sent as JSON or as CSV, with "10.50" or "10.5", hashes the same. Fed incrementally: no giant string.
 */
export function requestHash(cmd: SubmitBatchCommand): string {
  const h = createHash('sha256');
  const cb = cmd.callback?.kind === 'webhook' ? cmd.callback.url : '';
  h.update(JSON.stringify([cmd.source, cmd.currency, cmd.note ?? '', cmd.rail ?? '', cmd.railMode ?? '', cmd.declaredCount ?? null,
    cmd.declaredAmount ?? '', cmd.payer?.idType ?? '', cmd.payer?.idValue ?? '', cb, cmd.meta?.reference ?? '', cmd.payments.length]));
  for (const p of cmd.payments) {
    h.update('\n');
    h.update(JSON.stringify([p.reference, p.payeeIdType, p.payeeIdValue, p.payeeIdSubValue ?? '', p.payeeFsp ?? '', p.amount, p.currency,
      p.note ?? '']));
  }
  return h.digest('hex');
}

export { checkAmount };
