/**
 * Helpers every northbound API shares: the canonical request hash behind idempotency, joi error flattening into
 * field-level errors, and amount conversion at the edge. Pure functions, no I/O.
 */
import { createHash } from 'node:crypto';
import type Joi from 'joi';
import { maskId } from '../../shared/logger';
import { amountFromJsonNumber, fitsCurrency, isDecimalString, MoneyError, normalizeAmount } from '../../shared/money';

/** JSON with object keys sorted at every level, so the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** sha256 (hex) of the canonical JSON of a request: equal content, equal hash, whatever the key order. */
export function requestHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export interface FieldError {
  /** Dotted path with array indexes: `payeeList[3].amount`. */
  field: string;
  message: string;
  /** joi's error type (`any.required`, `string.pattern.base`, ...), for machines. */
  type: string;
}

export function fieldPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/**
 * joi's message with the offending value masked: joi quotes the value in some messages ("with value ..."), and a
 * value may be a beneficiary's identifier. Error messages never repeat one in full.
 */
export function maskJoiMessage(d: Joi.ValidationErrorItem): string {
  const value = (d.context as { value?: unknown } | undefined)?.value;
  let m = d.message;
  if (typeof value === 'string' && value.length > 0 && m.includes(value)) m = m.split(value).join(maskId(value));
  return m;
}

/** Every joi error detail as a field error (validate with abortEarly: false to get them all). */
export function fieldErrors(err: Joi.ValidationError, max = 100): FieldError[] {
  return err.details.slice(0, max).map((d) => ({ field: fieldPath(d.path), message: maskJoiMessage(d).replace(/"/g, "'"), type: d.type }));
}

/** Joi options shared by the intake APIs: every error at once, unknown keys tolerated (upstream may add fields). */
export const JOI_OPTIONS: Joi.ValidationOptions = { abortEarly: false, allowUnknown: true, convert: false };

export type AmountResult = { ok: true; amount: string } | { ok: false; reason: string };

/**
 * An amount from upstream (JSON number or decimal string) as a canonical decimal string, without float arithmetic.
 * Rejects negatives, zero (unless allowZero), more decimals than the currency has, and anything not plainly decimal.
 */
export function edgeAmount(value: unknown, currency: string, opts: { allowZero?: boolean } = {}): AmountResult {
  let amount: string;
  try {
    if (typeof value === 'number') amount = amountFromJsonNumber(value);
    else if (typeof value === 'string' && isDecimalString(value)) amount = normalizeAmount(value);
    else return { ok: false, reason: 'must be a non-negative decimal number' };
  } catch (err) {
    return { ok: false, reason: err instanceof MoneyError ? err.message : 'must be a non-negative decimal number' };
  }
  if (!opts.allowZero && amount === '0') return { ok: false, reason: 'must be greater than zero' };
  if (!fitsCurrency(amount, currency)) return { ok: false, reason: `has more decimals than ${currency} allows` };
  return { ok: true, amount };
}

/** ISO 4217 shape (three capital letters). */
export const CURRENCY_RE = /^[A-Z]{3}$/;
