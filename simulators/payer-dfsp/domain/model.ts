/**
 * The payer DFSP's pure decisions: how bulk items are grouped into FSPIOP bulks, whether a quote's fee is within
 * the caller's limits, how an FSPIOP outcome becomes the SDK's lastError, and the SDK views of records.
 * No I/O here.
 */
import { createHash } from 'node:crypto';
import { toUnits } from '../../../shared/money';
import type { ErrorInformation, FspiopOutcome } from '../../fspiop/client';
import { ErrorCode } from '../../../shared/fspiop-errors';

/** The SDK's transferError / quoteError: the HTTP status the SDK would answer and the FSPIOP error. */
export interface SdkError {
  httpStatusCode: number;
  mojaloopError: { errorInformation: ErrorInformation };
}

export type Phase = 'party' | 'quote' | 'transfer';

/** Descriptions come from the official error list (injected so the domain stays free of the error package). */
export type Describe = (code: string) => string;

export function sdkError(code: string, describe: Describe, detail?: string, httpStatusCode = 500): SdkError {
  const official = describe(code);
  const errorDescription = (detail ? `${official} - ${detail}` : official).slice(0, 128);
  return { httpStatusCode, mojaloopError: { errorInformation: { errorCode: code, errorDescription } } };
}

/**
 * The lastError for an FSPIOP outcome that is not a success: the peer's errorInformation as is; a callback that
 * never came is 3303 (transfer expired) for transfers, 2004 (server timed out) otherwise; a refused request keeps
 * the peer's error or becomes 1001 (destination communication error) / 2001.
 */
export function errorFromOutcome(o: Exclude<FspiopOutcome, { kind: 'success' }>, phase: Phase, describe: Describe): SdkError {
  if (o.kind === 'error') return { httpStatusCode: 500, mojaloopError: { errorInformation: o.errorInformation } };
  if (o.kind === 'timeout') {
    return phase === 'transfer'
      ? sdkError(ErrorCode.TRANSFER_EXPIRED, describe, `no ${phase} callback within ${o.waitedMs} ms`, 504)
      : sdkError(ErrorCode.SERVER_TIMED_OUT, describe, `no ${phase} callback within ${o.waitedMs} ms`, 504);
  }
  if (o.errorInformation) return { httpStatusCode: o.status >= 400 ? o.status : 500, mojaloopError:
    { errorInformation: o.errorInformation } };
  return sdkError(o.status === 0 ? ErrorCode.DESTINATION_COMMUNICATION_ERROR : ErrorCode.INTERNAL_SERVER_ERROR, describe, o.message, 502);
}

/** An error carried inside a callback item (bulk quote / bulk transfer results). */
export function itemError(e: ErrorInformation): SdkError {
  return { httpStatusCode: 500, mojaloopError: { errorInformation: e } };
}

export interface Chunk {
  fspId: string;
  /** Indexes into the caller's item list, in order. */
  items: number[];
}

/**
 * Groups items per payee FSP, then cuts each group in chunks of at most `max` (FSPIOP allows 1..1000 items per
 * bulk). Items keep their relative order; FSPs appear in order of first appearance.
 */
export function planChunks(fspOf: ReadonlyArray<string | undefined>, max = 1000): Chunk[] {
  const groups = new Map<string, number[]>();
  fspOf.forEach((fsp, i) => {
    if (fsp === undefined) return;
    let g = groups.get(fsp);
    if (!g) groups.set(fsp, (g = []));
    g.push(i);
  });
  const out: Chunk[] = [];
  for (const [fspId, idx] of groups) {
    for (let i = 0; i < idx.length; i += max) out.push({ fspId, items: idx.slice(i, i + max) });
  }
  return out;
}

export interface FeeLimit {
  currency: string;
  amount: string;
}

/**
 * True when the quote's fees (payee FSP fee plus, for SEND, whatever the transfer amount exceeds the amount by)
 * stay within the caller's limit for the currency; no limit for the currency means any fee is accepted.
 */
export function feeWithinLimits(
  limits: readonly FeeLimit[] | undefined,
  currency: string,
  amount: string,
  transferAmount: string,
  payeeFspFee?: string,
): boolean {
  const limit = limits?.find((l) => l.currency === currency);
  if (!limit) return true;
  let fee = payeeFspFee ? toUnits(payeeFspFee) : 0n;
  const extra = toUnits(transferAmount) - toUnits(amount);
  if (extra > 0n) fee += extra;
  return fee <= toUnits(limit.amount);
}

/** A stable fingerprint of a request body, to tell a resend (same body) from a modified request (3106). */
export function fingerprint(body: unknown): string {
  return createHash('sha1').update(JSON.stringify(body)).digest('base64url');
}
