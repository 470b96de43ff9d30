/**
 * The PIL simulator's pure part: request validation, the directory (payee id type -> rail and payer DFSP), the
 * disbursement record and how an SDK outbound transfer answer becomes a PIL payee result. No I/O here.
 */
import Joi from 'joi';
import { amountFromJsonNumber, fitsCurrency, isDecimalString, MoneyError, normalizeAmount } from '../../shared/money';
import { ErrorCode } from '../../shared/fspiop-errors';

export const MAX_PAYEES = 1000;

export interface PilDirectoryEntry {
  /** Regular expression on payeeIdType (e.g. "MSISDN|ACCOUNT_ID"), anchored. */
  payeeIdType: string;
  /** Optional regular expression on payeeIdValue, anchored (e.g. route one number range elsewhere). */
  payeeIdValue?: string;
  rail: 'mojaloop';
  payerFsp: string;
  /** The FSPIOP party id type to pay the payee with (default: payeeIdType itself). */
  partyIdType?: string;
  /** This payer DFSP's SDK outbound API base URL (default: the simulator's payerOutboundUrl). */
  outboundUrl?: string;
}

export const DEFAULT_DIRECTORY: PilDirectoryEntry[] = [
  { payeeIdType: 'MSISDN|ACCOUNT_ID|EMAIL|PERSONAL_ID|BUSINESS|DEVICE|IBAN|ALIAS', rail: 'mojaloop', payerFsp: 'govbank' },
];

export interface Route {
  entry: PilDirectoryEntry;
  partyIdType: string;
}

export class Directory {
  private readonly compiled: Array<{ entry: PilDirectoryEntry; type: RegExp; value?: RegExp }>;
  constructor(entries: PilDirectoryEntry[]) {
    this.compiled = entries.map((entry) => ({
      entry,
      type: new RegExp(`^(?:${entry.payeeIdType})$`),
      value: entry.payeeIdValue ? new RegExp(`^(?:${entry.payeeIdValue})$`) : undefined,
    }));
  }
  /** The first entry matching the payee, or undefined: the payee is unknown to this PIL. */
  route(payeeIdType: string, payeeIdValue: string): Route | undefined {
    for (const c of this.compiled) {
      if (c.type.test(payeeIdType) && (!c.value || c.value.test(payeeIdValue))) return { entry: c.entry, partyIdType: c.entry.partyIdType
        ?? payeeIdType };
    }
    return undefined;
  }
}

export type PilStatus = 'RECEIVED' | 'PENDING' | 'COMPLETED' | 'REJECTED' | 'ABORTED';

export interface PayeeRecord {
  payeeIdType: string;
  payeeIdValue: string;
  /** Canonical decimal string. */
  amount: string;
  currency: string;
  status: PilStatus;
  timestamp: string;
  amountDebited?: string;
  amountCredited?: string;
  transferId?: string;
  errorCode?: string;
  errorDescription?: string;
}

export interface DisbursementRecord {
  disbursementId: string;
  note?: string;
  hash: string;
  payees: PayeeRecord[];
  createdAt: string;
  done: boolean;
}

export interface FieldError {
  field: string;
  message: string;
}

const disbursementSchema = Joi.object({
  disbursementId: Joi.string().min(1).max(128).pattern(/^[^/?#\s]+$/).required(),
  note: Joi.string().allow('').max(1024),
  payeeList: Joi.array().min(1).max(MAX_PAYEES).required().items(Joi.object({
    payeeIdType: Joi.string().min(1).max(32).required(),
    payeeIdValue: Joi.string().min(1).max(128).required(),
    amount: Joi.alternatives(Joi.number(), Joi.string()).required(),
    currency: Joi.string().pattern(/^[A-Z]{3}$/).required(),
  })),
}).required();

export const checkSchema = Joi.object({
  requestId: Joi.string().min(1).max(128).required(),
  payeeList: Joi.array().min(1).max(MAX_PAYEES).required().items(Joi.object({
    payeeIdType: Joi.string().min(1).max(32).required(),
    payeeIdValue: Joi.string().min(1).max(128).required(),
  })),
}).required();

function path(p: ReadonlyArray<string | number>): string {
  return p.reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : out ? `${out}.${k}` : k), '');
}

export function joiErrors(err: Joi.ValidationError): FieldError[] {
  return err.details.slice(0, 100).map((d) => ({ field: path(d.path), message: d.message.replace(/"/g, "'") }));
}

/** A JSON number or decimal string as a canonical amount, without float arithmetic. */
export function parseAmount(value: unknown, currency: string): { ok: true; amount: string } | { ok: false; reason: string } {
  try {
    let amount: string;
    if (typeof value === 'number') amount = amountFromJsonNumber(value);
    else if (typeof value === 'string' && isDecimalString(value)) amount = normalizeAmount(value);
    else return { ok: false, reason: 'must be a non-negative decimal number' };
    if (amount === '0') return { ok: false, reason: 'must be greater than zero' };
    if (!fitsCurrency(amount, currency)) return { ok: false, reason: `has more decimals than ${currency} allows` };
    return { ok: true, amount };
  } catch (err) {
    return { ok: false, reason: err instanceof MoneyError ? err.message : 'is not a valid amount' };
  }
}

export interface ParsedRequest {
  disbursementId: string;
  note?: string;
  payees: Array<{ payeeIdType: string; payeeIdValue: string; amount: string; currency: string }>;
  /** Canonical content, for idempotency: same id and same content is a resend. */
  hash: string;
}

export function parseDisbursementRequest(body: unknown): { ok: true; request: ParsedRequest } | { ok: false; errors: FieldError[] } {
  const { error } = disbursementSchema.validate(body, { abortEarly: false, allowUnknown: true, convert: false });
  if (error) return { ok: false, errors: joiErrors(error) };
  const b = body as { disbursementId: string; note?: string; payeeList: Array<{ payeeIdType: string; payeeIdValue: string; amount: unknown;
    currency: string }> };
  const errors: FieldError[] = [];
  const payees: ParsedRequest['payees'] = [];
  b.payeeList.forEach((p, i) => {
    const a = parseAmount(p.amount, p.currency);
    if (!a.ok) errors.push({ field: `payeeList[${i}].amount`, message: `'amount' ${a.reason}` });
    else payees.push({ payeeIdType: p.payeeIdType, payeeIdValue: p.payeeIdValue, amount: a.amount, currency: p.currency });
  });
  if (errors.length) return { ok: false, errors };
  const note = b.note || undefined;
  const hash = JSON.stringify([b.disbursementId, note ?? null, payees.map((p) => [p.payeeIdType, p.payeeIdValue, p.amount, p.currency])]);
  return { ok: true, request: { disbursementId: b.disbursementId, note, payees, hash } };
}

/** The PIL's error body: Mojaloop errorInformation plus field-level details when there are any. */
export function pilError(errorCode: string, errorDescription: string, errors?: FieldError[]) {
  return { errorInformation: { errorCode, errorDescription }, ...(errors?.length ? { errors } : {}) };
}

/** The SDK outbound answer to POST /transfers (and PUT /transfers/{id}), as far as the PIL reads it. */
export interface SdkTransferState {
  transferId?: string;
  currentState?: string;
  quoteResponse?: { body?: { transferAmount?: { amount?: string }; payeeReceiveAmount?: { amount?: string };
    payeeFspFee?: { amount?: string } } };
  fulfil?: { body?: { completedTimestamp?: string; transferState?: string } };
  lastError?: { httpStatusCode?: number; mojaloopError?: { errorInformation?: { errorCode?: string; errorDescription?: string } } };
}

export interface SdkErrorBody {
  statusCode?: string;
  message?: string;
  transferState?: SdkTransferState;
}

export type TransferOutcome =
  | { kind: 'completed'; transferId?: string; amountDebited: string; amountCredited: string; timestamp: string }
  | { kind: 'failed'; transferId?: string; errorCode: string; errorDescription: string }
  | { kind: 'accept-party'; transferId: string }
  | { kind: 'accept-quote'; transferId: string };

/** What an SDK outbound answer means for the payee: paid, failed with a code, or waiting for an acceptance. */
export function transferOutcome(httpStatus: number, body: unknown, payee: { amount: string },
  now = new Date().toISOString()): TransferOutcome {
  const b = (body ?? {}) as SdkTransferState & SdkErrorBody;
  if (httpStatus >= 200 && httpStatus < 300) {
    const state = b.currentState;
    if (state === 'COMPLETED') {
      const q = b.quoteResponse?.body;
      return {
        kind: 'completed',
        transferId: b.transferId,
        amountDebited: q?.transferAmount?.amount ? normalizeAmount(q.transferAmount.amount) : payee.amount,
        amountCredited: q?.payeeReceiveAmount?.amount ? normalizeAmount(q.payeeReceiveAmount.amount) : payee.amount,
        timestamp: b.fulfil?.body?.completedTimestamp ?? now,
      };
    }
    if (state === 'WAITING_FOR_PARTY_ACCEPTANCE' && b.transferId) return { kind: 'accept-party', transferId: b.transferId };
    if (state === 'WAITING_FOR_QUOTE_ACCEPTANCE' && b.transferId) return { kind: 'accept-quote', transferId: b.transferId };
    const e = b.lastError?.mojaloopError?.errorInformation;
    return { kind: 'failed', transferId: b.transferId, errorCode: e?.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR, errorDescription:
      e?.errorDescription
      ?? `transfer ended in state ${String(state)}` };
  }
  const ts = b.transferState;
  const e = ts?.lastError?.mojaloopError?.errorInformation ?? b.lastError?.mojaloopError?.errorInformation;
  const code = e?.errorCode ?? (b.statusCode && /^\d{4}$/.test(b.statusCode) ? b.statusCode : httpStatus === 504
    ? ErrorCode.SERVER_TIMED_OUT
    : httpStatus === 400 ? ErrorCode.VALIDATION_ERROR : ErrorCode.INTERNAL_SERVER_ERROR);
  return { kind: 'failed', transferId: ts?.transferId ?? b.transferId, errorCode: code, errorDescription: e?.errorDescription ?? b.message
    ?? `payer DFSP answered HTTP ${httpStatus}` };
}

export function payeeResult(p: PayeeRecord) {
  return {
    payeeIdType: p.payeeIdType,
    payeeIdValue: p.payeeIdValue,
    amount: p.amount,
    currency: p.currency,
    timestamp: p.timestamp,
    status: p.status,
    amountDebited: p.amountDebited ?? '0',
    amountCredited: p.amountCredited ?? '0',
    ...(p.transferId ? { transferId: p.transferId } : {}),
    ...(p.errorCode ? { errorCode: p.errorCode, errors: [`${p.errorCode}: ${p.errorDescription ?? 'payment failed'}`] } : {}),
  };
}

export function disbursementResponse(d: DisbursementRecord) {
  return { disbursementId: d.disbursementId, payeeResults: d.payees.map(payeeResult) };
}

/** SDK Note is 1..128 characters. */
export function sdkNote(note: string | undefined): string | undefined {
  if (!note) return undefined;
  return note.length > 128 ? note.slice(0, 128) : note;
}
