/**
 * FSPIOP v1.1 value formats: amounts without trailing zeros (at most 4 decimals), DateTime with exactly three
 * fractional digits, UUID correlation ids.
 */
import { FSPIOP_AMOUNT_RE, fromUnits, toUnits } from '../../shared/money';
import { UUID_RE } from '../../shared/ids';

/** The spec's DateTime: ISO 8601 with exactly 3 fractional digits and a zone. */
export const FSPIOP_DATETIME_RE =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export function isFspiopAmount(value: unknown): value is string {
  return typeof value === 'string' && FSPIOP_AMOUNT_RE.test(value);
}

/** Canonical FSPIOP amount for a decimal string or units: "10.50" -> "10.5", 105000n -> "10.5". */
export function fspiopAmount(value: string | bigint): string {
  return typeof value === 'bigint' ? fromUnits(value) : fromUnits(toUnits(value));
}

export function isFspiopDateTime(value: unknown): value is string {
  return typeof value === 'string' && FSPIOP_DATETIME_RE.test(value) && !Number.isNaN(Date.parse(value));
}

/** A Date (or epoch ms) as an FSPIOP DateTime, e.g. 2026-01-01T10:00:00.000Z. */
export function fspiopDateTime(at: Date | number = new Date()): string {
  return (typeof at === 'number' ? new Date(at) : at).toISOString();
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}
