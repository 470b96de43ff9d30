/**
 * The payee DFSP's fee for receiving a payment: fixed + percent of the amount, clamped to [min, max],
 * rounded half-up to the currency's minor unit. All arithmetic in bigint units (shared/money).
 */
import { currencyExponent, SCALE, toUnits } from '../../../shared/money';

export interface FeeRule {
  /** Decimal string, e.g. "0.5". */
  fixed?: string;
  /** Percent of the amount as a decimal string, e.g. "1.5" for 1.5 %. */
  percent?: string;
  min?: string;
  max?: string;
  /** Restrict the rule to one currency; a rule with no currency applies to all. */
  currency?: string;
}

export function validateFeeRule(rule: FeeRule): void {
  for (const k of ['fixed', 'percent', 'min', 'max'] as const) {
    const v = rule[k];
    if (v !== undefined) toUnits(v);
  }
}

/** Rounds units (1/10^SCALE) half-up to whole minor units of the currency. */
function roundToMinor(units: bigint, currency: string): bigint {
  const step = 10n ** BigInt(SCALE - currencyExponent(currency));
  return ((units + step / 2n) / step) * step;
}

/** Fee in units for an amount in units; zero when no rule applies. */
export function computeFee(rules: readonly FeeRule[], amountUnits: bigint, currency: string): bigint {
  const rule = rules.find((r) => r.currency === currency) ?? rules.find((r) => r.currency === undefined);
  if (!rule) return 0n;
  let fee = rule.fixed ? toUnits(rule.fixed) : 0n;
  if (rule.percent) fee += (amountUnits * toUnits(rule.percent)) / (100n * 10n ** BigInt(SCALE));
  if (rule.min !== undefined && fee < toUnits(rule.min)) fee = toUnits(rule.min);
  if (rule.max !== undefined && fee > toUnits(rule.max)) fee = toUnits(rule.max);
  return roundToMinor(fee, currency);
}
