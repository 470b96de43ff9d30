/**
 * Money without floats. Amounts travel as decimal strings and are computed as bigint "units" of 1/10^SCALE,
 * SCALE = 4 being the most decimals any API here allows (FSPIOP Amount has at most 4).
 */
export const SCALE = 4;
const FACTOR = 10n ** BigInt(SCALE);

/** FSPIOP v1.1 Amount: no leading zeros, at most 4 decimals, no trailing zeros. */
export const FSPIOP_AMOUNT_RE = /^([0]|([1-9][0-9]{0,17}))([.][0-9]{0,3}[1-9])?$/;
/** Any plain non-negative decimal (what we accept at our own edges before normalising). */
const DECIMAL_RE = /^(0|[1-9][0-9]{0,17})(\.[0-9]{1,4})?$/;

/** ISO 4217 minor units for the currencies GPO is most likely to see; others default to 2. */
const MINOR_UNITS: Record<string, number> = {
  USD: 2, EUR: 2, KES: 2, TZS: 2, UGX: 0, RWF: 0, XOF: 0, XAF: 0, JPY: 0, INR: 2, PHP: 2, ZMW: 2, MWK: 2,
  ETB: 2, NGN: 2, GHS: 2, SLE: 2, BHD: 3, KWD: 3, OMR: 3, TND: 3,
};

export function currencyExponent(currency: string): number {
  return MINOR_UNITS[currency] ?? 2;
}

export class MoneyError extends Error {
  constructor(message: string, readonly value: unknown) {
    super(message);
    this.name = 'MoneyError';
  }
}

export function isDecimalString(value: string): boolean {
  return DECIMAL_RE.test(value);
}

/** "10.5" -> 105000n. Throws MoneyError for anything that is not a plain decimal string. */
export function toUnits(amount: string): bigint {
  if (typeof amount !== 'string' || !DECIMAL_RE.test(amount)) throw new MoneyError(`not a valid amount: ${String(amount)}`, amount);
  const [whole, frac = ''] = amount.split('.');
  return BigInt(whole) * FACTOR + BigInt((frac + '0000').slice(0, SCALE));
}

/** 105000n -> "10.5": the FSPIOP canonical form (no trailing zeros). */
export function fromUnits(units: bigint): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const whole = abs / FACTOR;
  const frac = (abs % FACTOR).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + whole.toString() + (frac ? '.' + frac : '');
}

/** 105000n, USD -> "10.50": fixed decimals for the currency (reports, G2P Connect amounts). */
export function formatFixed(units: bigint, currency: string): string {
  const exp = currencyExponent(currency);
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const whole = abs / FACTOR;
  const frac = (abs % FACTOR).toString().padStart(SCALE, '0').slice(0, exp);
  return (neg ? '-' : '') + whole.toString() + (exp > 0 ? '.' + frac : '');
}

/** Canonical FSPIOP Amount string for a decimal string ("10.50" -> "10.5"). */
export function normalizeAmount(amount: string): string {
  return fromUnits(toUnits(amount));
}

/** True when the amount has no more decimals than the currency allows. */
export function fitsCurrency(amount: string, currency: string): boolean {
  const frac = amount.split('.')[1] ?? '';
  return frac.replace(/0+$/, '').length <= currencyExponent(currency);
}

/**
 * A JSON number from an upstream system (OpenG2P sends `"amount": 100.0`) converted to a decimal string
 * without float arithmetic: the shortest round-trip representation is what the sender meant.
 */
export function amountFromJsonNumber(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new MoneyError(`not a valid amount: ${value}`, value);
  const s = String(value);
  if (/e/i.test(s)) throw new MoneyError(`amount out of range: ${value}`, value);
  return normalizeAmount(s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') || '0' : s);
}

/** Minor units of a currency in the ILP packet sense: 10.5 USD -> 1050n. Throws if it does not fit. */
export function toMinorUnits(amount: string, currency: string): bigint {
  const exp = currencyExponent(currency);
  const units = toUnits(amount);
  const div = 10n ** BigInt(SCALE - exp);
  if (units % div !== 0n) throw new MoneyError(`${amount} has more decimals than ${currency} allows`, amount);
  return units / div;
}

export function sumUnits(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}
