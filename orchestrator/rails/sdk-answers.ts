/**
 * Reading the SDK scheme adapter's outbound answers (v2.1): amounts from a quote, FSPIOP errors, transfer states.
 * Shared by the mojaloop-sdk rail's modes.
 */
import { fromUnits, toUnits } from '../../shared/money';
import type { ItemResult } from './port';
import { ErrorCode, isTransientCode } from '../../shared/fspiop-errors';

export type Obj = Record<string, unknown>;
export type FailedResult = Extract<ItemResult, { outcome: 'failed' }>;

const money = (m: unknown): string | undefined => {
  const v = (m as { amount?: unknown } | undefined)?.amount;
  return typeof v === 'string' ? v : undefined;
};

export interface Amounts {
  amountDebited: string;
  amountCredited: string;
  fee: string;
}

/** Amounts of a completed payment from the quote the SDK reports: debited = credited + fee. */
export function amountsFrom(amount: string, quote: unknown): Amounts {
  const q = (quote ?? {}) as Obj;
  const body = ((q.body as Obj | undefined) ?? q) as Obj;
  const fee = money(body.payeeFspFee) ?? '0';
  const debited = money(body.transferAmount) ?? amount;
  const credited = money(body.payeeReceiveAmount) ?? fromUnits(toUnits(debited) - toUnits(fee));
  return { amountDebited: debited, amountCredited: credited, fee };
}

/** Amounts from the fee agreed in the quote and stored with the payment (recovery, when the quote itself is gone). */
export function amountsFromFee(amount: string, fee: string | undefined): Amounts {
  return amountsFrom(amount, { payeeFspFee: { amount: fee ?? '0' } });
}

export function failedItem(transferId: string, code: string | undefined, description: string | undefined,
  fallback: string = ErrorCode.INTERNAL_SERVER_ERROR): FailedResult {
  const c = code ?? fallback;
  return { transferId, outcome: 'failed', errorCode: c, description: description || `error ${c}`, transient: isTransientCode(c) };
}

/** A failed result; a 2004 after the transfer may have gone out is "in doubt". */
export function failedMaybeInDoubt(transferId: string, code: string | undefined, description: string | undefined, fallback: string,
  mayHaveBeenSent: boolean): FailedResult {
  const r = failedItem(transferId, code, description, fallback);
  if (r.errorCode === ErrorCode.SERVER_TIMED_OUT && mayHaveBeenSent) r.inDoubt = true;
  return r;
}

export function lastErrorOf(x: Obj): { code?: string; description?: string } | undefined {
  const le = x.lastError as Obj | undefined;
  if (!le) return undefined;
  const info = ((le.mojaloopError as Obj | undefined)?.errorInformation ?? le.errorInformation) as Obj | undefined;
  return { code: typeof info?.errorCode === 'string' ? info.errorCode : undefined, description: typeof info?.errorDescription === 'string'
    ? info.errorDescription : undefined };
}

export function transferStateOf(x: Obj): string | undefined {
  const fulfil = x.fulfil as Obj | undefined;
  const body = (fulfil?.body as Obj | undefined) ?? fulfil;
  return (body?.transferState as string | undefined) ?? (x.transferState as string | undefined);
}
