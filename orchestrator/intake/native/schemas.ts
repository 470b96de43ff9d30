/**
 * The native API's input rules (joi, compiled once) and its error vocabulary. Pure: no I/O.
 * Every rejection names the field (JSON) or the row and column (CSV), a machine-readable code and a readable message.
 */
import Joi from 'joi';
import { currencyExponent, fitsCurrency, isDecimalString } from '../../../shared/money';
import { BatchStatus, PaymentStatus } from '../../domain/types';
import { CURRENCY_RE, fieldPath, maskJoiMessage } from '../common';
import { checkPayee } from '../pil';

export { CURRENCY_RE, fieldPath };

/** FSPIOP PartyIdType values a payee may be addressed by. */
export const PAYEE_ID_TYPES = ['MSISDN', 'EMAIL', 'PERSONAL_ID', 'BUSINESS', 'DEVICE', 'ACCOUNT_ID', 'IBAN', 'ALIAS'] as const;
const ID_TYPES: ReadonlySet<string> = new Set(PAYEE_ID_TYPES);
export const RAILS = ['mojaloop-sdk', 'pil'] as const;
export const RAIL_MODES = ['bulkTransactions', 'bulkQuotesTransfers', 'transfers'] as const;
/** Largest batch one request may carry. */
export const MAX_PAYMENTS = 1_000_000;
/** Largest page of GET /v1/batches/{id}/payments. */
export const MAX_PAGE = 10_000;
export const DEFAULT_PAGE = 1000;
/** At most this many detailed errors are listed in one answer; errorCount still counts all of them. */
export const MAX_LISTED_ERRORS = 1000;

/** One thing wrong with the input: `field` for JSON (payments[3].amount), `row` + `column` for CSV. */
export interface FieldError {
  field?: string;
  row?: number;
  column?: string;
  code: string;
  message: string;
  /** For duplicates: the row (CSV) or index (JSON) of the first occurrence. */
  duplicateOf?: number | string;
}

/** The native API's error body. */
export interface NativeErrorBody {
  errorCode: string;
  message: string;
  errors?: FieldError[];
  /** Total errors found when more than the listed ones. */
  errorCount?: number;
  /** Checking stopped at the error cap: there may be more. */
  errorsTruncated?: boolean;
  details?: Record<string, unknown>;
}

/**
 * Collects errors, listing at most MAX_LISTED_ERRORS. With a cap, checking stops once `cap` errors are found
 * (`full`): a file of a million bad rows is refused after its first thousand, not after reading them all.
 */
export class ErrorList {
  readonly items: FieldError[] = [];
  count = 0;
  constructor(private readonly cap = Number.POSITIVE_INFINITY) {}
  add(e: FieldError): void {
    this.count++;
    if (this.items.length < MAX_LISTED_ERRORS) this.items.push(e);
  }
  get empty(): boolean {
    return this.count === 0;
  }
  /** The cap is reached: stop looking for more. */
  get full(): boolean {
    return this.count >= this.cap;
  }
}


/** An amount at our edge: a plain decimal string, positive, no more decimals than the currency has. */
export function checkAmount(value: unknown, currency: string | undefined): { code: string; message: string } | undefined {
  if (typeof value === 'number') return { code: 'AMOUNT_NOT_STRING', message:
    'amount must be a decimal string such as "10.50", not a JSON number' };
  if (typeof value !== 'string') return { code: 'WRONG_TYPE', message: 'amount must be a decimal string' };
  if (!isDecimalString(value)) return { code: 'AMOUNT_INVALID', message: `"${value.slice(0,
    40)}" is not a plain decimal amount (digits, optional point and at most 4 decimals, no sign, exponent or leading zeros)` };
  // A plain decimal with no non-zero digit is zero (cheaper than bigint arithmetic on every payment).
  if (!/[1-9]/.test(value)) return { code: 'AMOUNT_NOT_POSITIVE', message: 'amount must be greater than zero' };
  if (currency && CURRENCY_RE.test(currency) && !fitsCurrency(value, currency)) {
    return { code: 'AMOUNT_TOO_MANY_DECIMALS', message:
      `${currency} allows at most ${currencyExponent(currency)} decimals, got "${value}"` };
  }
  return undefined;
}

const amountField = Joi.any().custom((value, helpers) => {
  const currency = (helpers.state.ancestors[0] as { currency?: unknown } | undefined)?.currency;
  const problem = checkAmount(value, typeof currency === 'string' ? currency : undefined);
  if (problem) return helpers.message({ custom: problem.message } as never, { gpoCode: problem.code });
  return value;
});

const batchAmountField = Joi.any().custom((value, helpers) => {
  if (typeof value === 'number') return helpers.message({ custom: 'declaredAmount must be a decimal string, not a JSON number' } as never,
    { gpoCode: 'AMOUNT_NOT_STRING' });
  if (typeof value !== 'string' || !isDecimalString(value)) return helpers.message({ custom:
    'declaredAmount must be a plain decimal string' } as never, { gpoCode: 'AMOUNT_INVALID' });
  return value;
});

const text = (max: number) => Joi.string().min(1).max(max);

/** The payee identifier has the shape its type requires (MSISDN digits, IBAN, ...): the rule the PIL API applies too. */
function payeeShapeProblem(idType: unknown, idValue: unknown): string | undefined {
  if (typeof idType !== 'string' || typeof idValue !== 'string' || !ID_TYPES.has(idType)) return undefined;
  return checkPayee(idType, idValue)[0];
}

const payeeIdValueField = text(128).custom((value, helpers) => {
  const problem = payeeShapeProblem((helpers.state.ancestors[0] as { payeeIdType?: unknown } | undefined)?.payeeIdType, value);
  if (problem) return helpers.message({ custom: problem } as never, { gpoCode: 'INVALID_FORMAT' });
  return value;
});

/** One payment of a JSON batch (CSV rows are mapped to the same shape and checked by the same schema). */
export const paymentSchema = Joi.object({
  reference: text(128).required(),
  payeeIdType: Joi.string().valid(...PAYEE_ID_TYPES).required(),
  payeeIdValue: payeeIdValueField.required(),
  payeeIdSubValue: text(128),
  payeeFsp: text(32),
  amount: amountField.required(),
  currency: Joi.string().pattern(CURRENCY_RE).required(),
  note: Joi.string().allow('').max(128),
}).required();

/** The JSON batch envelope; `payments` items are checked one by one with paymentSchema (bounded error list). */
export const batchSchema = Joi.object({
  reference: text(128),
  currency: Joi.string().pattern(CURRENCY_RE).required(),
  note: Joi.string().allow('').max(128),
  rail: Joi.string().valid(...RAILS),
  railMode: Joi.string().valid(...RAIL_MODES),
  webhookUrl: Joi.string().uri({ scheme: ['http', 'https'] }).max(2048),
  webhookSecret: Joi.string().min(16).max(256),
  declaredCount: Joi.number().integer().min(1).max(MAX_PAYMENTS).strict(),
  declaredAmount: batchAmountField,
  payer: Joi.object({ idType: Joi.string().valid(...PAYEE_ID_TYPES).required(), idValue: text(128).required() }),
  payments: Joi.array().min(1).max(MAX_PAYMENTS).required(),
}).required();

/** Batch-level fields of a CSV upload, from the query string (and the X-CallbackURL header). */
export const csvQuerySchema = Joi.object({
  reference: text(128),
  currency: Joi.string().pattern(CURRENCY_RE),
  note: Joi.string().allow('').max(128),
  rail: Joi.string().valid(...RAILS),
  railMode: Joi.string().valid(...RAIL_MODES),
  webhookUrl: Joi.string().uri({ scheme: ['http', 'https'] }).max(2048),
  declaredCount: Joi.number().integer().min(1).max(MAX_PAYMENTS),
  declaredAmount: batchAmountField,
  /** Payment Hub EE's ?type=csv is accepted and ignored. */
  type: Joi.string().valid('csv'),
});

/** An FSPIOP error code (4 digits) or one of GPO's own (FEE_LIMIT, ...). */
export const errorCodeSchema = Joi.string().min(1).max(64).pattern(/^[A-Za-z0-9_.:-]+$/);

export const paymentsQuerySchema = Joi.object({
  status: Joi.string().valid(...Object.values(PaymentStatus)),
  errorCode: errorCodeSchema,
  offset: Joi.number().integer().min(0).default(0),
  limit: Joi.number().integer().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
});

/** Largest page of GET /v1/batches. */
export const MAX_BATCH_PAGE = 500;
export const DEFAULT_BATCH_PAGE = 50;
export const BATCH_SOURCES = ['native', 'pil', 'g2p-connect'] as const;
const BATCH_STATUSES: ReadonlySet<string> = new Set(Object.values(BatchStatus));

/** `status=A,B` or `status=A&status=B`: every one a batch status. */
const statusList = Joi.alternatives(Joi.array().items(Joi.string()), Joi.string()).custom((value, helpers) => {
  const list = (Array.isArray(value) ? value : [value]).flatMap((v: string) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const bad = list.find((v) => !BATCH_STATUSES.has(v));
  if (bad !== undefined) return helpers.message({ custom: `status ${bad.slice(0,
    40)} is not one of ${[...BATCH_STATUSES].join(', ')}` } as never, { gpoCode: 'NOT_ALLOWED' });
  return [...new Set(list)];
});

/**
 * GET /v1/batches: a page of batches newest first, filtered by status, source and creation time (from inclusive,
 * to exclusive, ISO 8601); or the batch submitted with an idempotency key.
 */
export const batchListSchema = Joi.object({
  idempotencyKey: Joi.string().min(1).max(256).pattern(/^[\x21-\x7e]+$/),
  status: statusList,
  source: Joi.string().valid(...BATCH_SOURCES),
  from: Joi.date().iso(),
  to: Joi.date().iso(),
  offset: Joi.number().integer().min(0).max(1_000_000_000).default(0),
  limit: Joi.number().integer().min(1).max(MAX_BATCH_PAGE).default(DEFAULT_BATCH_PAGE),
});

/** Batch ids are the UUIDs GPO hands out on submission; anything else (a batch reference, say) is refused as malformed. */
export const BATCH_ID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const batchIdSchema = Joi.string().pattern(new RegExp(BATCH_ID_PATTERN));
export const idempotencyKeySchema = Joi.string().min(1).max(256).pattern(/^[\x21-\x7e]+$/);

function codeFor(d: Joi.ValidationErrorItem): string {
  const gpo = (d.context as { gpoCode?: string } | undefined)?.gpoCode;
  if (gpo) return gpo;
  switch (d.type) {
    case 'any.required': return 'REQUIRED';
    case 'object.unknown': return 'UNKNOWN_FIELD';
    case 'any.only': return 'NOT_ALLOWED';
    case 'string.max': return 'TOO_LONG';
    case 'string.min': case 'string.empty': return d.path.length ? 'EMPTY' : 'INVALID';
    case 'array.min': return 'TOO_FEW';
    case 'array.max': return 'TOO_MANY';
    case 'string.pattern.base': case 'string.uri': case 'string.uriCustomScheme': case 'date.format': return 'INVALID_FORMAT';
    case 'number.min': case 'number.max': case 'number.integer': return 'OUT_OF_RANGE';
    default:
      if (/\.base$/.test(d.type)) return 'WRONG_TYPE';
      return 'INVALID';
  }
}

/** joi details as FieldErrors (message without joi's quoting noise). */
export function joiErrors(err: Joi.ValidationError | undefined, where: (path: (string | number)[]) => Pick<FieldError, 'field' | 'row'
  | 'column'>): FieldError[] {
  if (!err) return [];
  return err.details.map((d) => ({ ...where(d.path), code: codeFor(d), message: maskJoiMessage(d).replace(/"/g, '') }));
}

export const JOI_OPTS: Joi.ValidationOptions = { abortEarly: false, convert: false };

const PAYMENT_KEYS = new Set(['reference', 'payeeIdType', 'payeeIdValue', 'payeeIdSubValue', 'payeeFsp', 'amount', 'currency', 'note']);
const str = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && v.length >= min && v.length <= max;

/**
 * The common case fast: true only when paymentSchema would accept the item too (same rules, written out), so
 * joi runs only on items that have something to report. A million-payment batch is checked in a fraction of the
 * time joi alone takes.
 */
export function quickPaymentCheck(item: unknown): boolean {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return false;
  const p = item as Record<string, unknown>;
  for (const k in p) if (!PAYMENT_KEYS.has(k)) return false;
  return str(p.reference, 1, 128)
    && typeof p.payeeIdType === 'string' && ID_TYPES.has(p.payeeIdType)
    && str(p.payeeIdValue, 1, 128)
    && payeeShapeProblem(p.payeeIdType, p.payeeIdValue) === undefined
    && (p.payeeIdSubValue === undefined || str(p.payeeIdSubValue, 1, 128))
    && (p.payeeFsp === undefined || str(p.payeeFsp, 1, 32))
    && typeof p.currency === 'string' && CURRENCY_RE.test(p.currency)
    && (p.note === undefined || str(p.note, 0, 128))
    && checkAmount(p.amount, p.currency) === undefined;
}
