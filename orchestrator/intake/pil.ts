/**
 * PIL-compatible northbound API (SP Convergence Payments Interoperability Layer API v0.1.0): what OpenG2P's
 * Interop Layer payment manager calls, so OpenG2P pointed at GPO works unchanged.
 *   POST /disbursement        {disbursementId, note, payeeList[1..1000]} -> {disbursementId, payeeResults[]}
 *   GET  /disbursement/{id}   the same answer, current state
 *   POST /disbursementCheck   {requestId, payeeList[1..1000]} -> {requestId, payeeResults[]} (format checks only)
 * Results are in request order (OpenG2P matches them by position). POST answers once the batch is final or
 * config.pilSyncWindowMs has passed, whichever comes first; items still open are RECEIVED or PENDING then.
 */
import type { ResponseToolkit, Server } from '@hapi/hapi';
import Joi from 'joi';
import type { Logger } from 'pino';
import { PaymentStatus, type BatchView, type PaymentInput, type PaymentView, type SubmitBatchCommand } from '../domain/types';
import { CURRENCY_RE, edgeAmount, fieldErrors, JOI_OPTIONS, requestHash, type FieldError } from './common';
import { AuthFailure } from '../security/credentials';
import { apiRoute, authFailureResponse, readBody, stampOwner, visibleTo } from './access';
import type { IntakeDeps } from './deps';
import { ErrorCode } from '../../shared/fspiop-errors';

export const PIL_MAX_PAYEES = 1000;

/** PIL item statuses (the API's enum; ERROR_OCCURRED is never sent, OpenG2P reads it as failed too). */
export type PilStatus = 'RECEIVED' | 'PENDING' | 'COMPLETED' | 'REJECTED' | 'ABORTED';

/** Payment status -> PIL status: COMPLETED is what OpenG2P counts as paid, REJECTED/ABORTED as failed. */
export function pilStatus(status: PaymentStatus): PilStatus {
  switch (status) {
    case PaymentStatus.COMPLETED: return 'COMPLETED';
    case PaymentStatus.FAILED: return 'REJECTED';
    case PaymentStatus.CANCELLED: return 'ABORTED';
    case PaymentStatus.RECEIVED: return 'RECEIVED';
    default: return 'PENDING';
  }
}

export interface PilPayeeResult {
  payeeIdType: string;
  payeeIdValue: string;
  amount: string;
  currency: string;
  timestamp: string;
  status: PilStatus;
  amountDebited: string;
  amountCredited: string;
  /** FSPIOP error code of a failed payment (OpenG2P reads `errorCode` first). */
  errorCode?: string;
  /** The API's `errors`: human-readable strings. */
  errors?: string[];
}

export function pilPayeeResult(p: PaymentView): PilPayeeResult {
  const status = pilStatus(p.status);
  const out: PilPayeeResult = {
    payeeIdType: p.payeeIdType,
    payeeIdValue: p.payeeIdValue,
    amount: p.amount,
    currency: p.currency,
    timestamp: p.completedAt ?? p.updatedAt,
    status,
    amountDebited: status === 'COMPLETED' ? p.amountDebited ?? p.amount : '0',
    amountCredited: status === 'COMPLETED' ? p.amountCredited ?? p.amount : '0',
  };
  if (p.errorCode) {
    out.errorCode = p.errorCode;
    out.errors = [`${p.errorCode}: ${p.errorDescription ?? 'payment failed'}`];
  } else if (status === 'ABORTED') {
    out.errors = ['payment cancelled before it was sent'];
  }
  return out;
}

/** The PIL API's error body: Mojaloop errorInformation (the PIL's lineage) plus field-level details. */
export function pilError(errorCode: string, errorDescription: string, errors?: FieldError[]) {
  return { errorInformation: { errorCode, errorDescription }, ...(errors?.length ? { errors } : {}) };
}

const idType = Joi.string().trim().min(1).max(32);
const idValue = Joi.string().min(1).max(128);

const disbursementSchema = Joi.object({
  disbursementId: Joi.string().min(1).max(128).pattern(/^[^/?#\s]+$/).required(),
  note: Joi.string().allow('').max(1024),
  payeeList: Joi.array().min(1).max(PIL_MAX_PAYEES).required().items(Joi.object({
    payeeIdType: idType.required(),
    payeeIdValue: idValue.required(),
    amount: Joi.alternatives(Joi.number(), Joi.string()).required(),
    currency: Joi.string().pattern(CURRENCY_RE).required(),
  })),
}).required();

const checkSchema = Joi.object({
  requestId: Joi.string().min(1).max(128).required(),
  payeeList: Joi.array().min(1).max(PIL_MAX_PAYEES).required().items(Joi.object({
    payeeIdType: idType.required(),
    payeeIdValue: idValue.required(),
  })),
}).required();

interface PilPayee { payeeIdType: string; payeeIdValue: string; amount: number | string; currency: string }
interface PilDisbursementRequest { disbursementId: string; note?: string; payeeList: PilPayee[] }

export type ParsedDisbursement = { ok: true; command: SubmitBatchCommand } | { ok: false; errors: FieldError[] };

/**
 * Validates a POST /disbursement body and builds the submit command (pure). Amounts are converted exactly from
 * JSON numbers; every payee must share the first payee's currency (one batch, one currency).
 */
export function parseDisbursement(body: unknown): ParsedDisbursement {
  const { error } = disbursementSchema.validate(body, JOI_OPTIONS);
  if (error) return { ok: false, errors: fieldErrors(error) };
  const req = body as PilDisbursementRequest;
  const currency = req.payeeList[0].currency;
  const errors: FieldError[] = [];
  const payments: PaymentInput[] = [];
  req.payeeList.forEach((p, i) => {
    if (p.currency !== currency) {
      errors.push({ field: `payeeList[${i}].currency`, message:
        `must be ${currency}, the currency of payeeList[0]: one disbursement, one currency`, type: 'currency.mixed' });
    }
    const amount = edgeAmount(p.amount, p.currency);
    if (!amount.ok) {
      errors.push({ field: `payeeList[${i}].amount`, message: `'amount' ${amount.reason}`, type: 'amount.invalid' });
      return;
    }
    payments.push({ reference: String(i), payeeIdType: p.payeeIdType.trim(), payeeIdValue: p.payeeIdValue, amount: amount.amount, currency:
      p.currency });
  });
  if (errors.length) return { ok: false, errors: errors.slice(0, 100) };
  const note = req.note || undefined;
  const canonical = { disbursementId: req.disbursementId, note: note ?? null, payeeList:
    payments.map((p) => [p.payeeIdType, p.payeeIdValue, p.amount, p.currency]) };
  return {
    ok: true,
    command: {
      source: 'pil',
      sourceKey: req.disbursementId,
      requestHash: requestHash(canonical),
      currency,
      note,
      declaredCount: payments.length,
      payments: note ? payments.map((p) => ({ ...p, note })) : payments,
    },
  };
}

/** FSPIOP party id types and the identifier shapes the API can judge without asking a rail. */
const ID_SHAPES: Record<string, RegExp> = {
  MSISDN: /^[1-9]\d{4,14}$/,
  EMAIL: /^[^\s@]+@[^\s@]+$/,
  PERSONAL_ID: /^\S{1,128}$/,
  BUSINESS: /^\S{1,128}$/,
  DEVICE: /^\S{1,128}$/,
  ACCOUNT_ID: /^[A-Za-z0-9\-_.:]{1,128}$/,
  IBAN: /^[A-Z]{2}\d{2}[A-Za-z0-9]{1,30}$/,
  ALIAS: /^\S{1,128}$/,
};

export function checkPayee(payeeIdType: string, payeeIdValue: string): string[] {
  const shape = ID_SHAPES[payeeIdType];
  if (!shape) return [`payeeIdType ${payeeIdType} is not supported (one of ${Object.keys(ID_SHAPES).join(', ')})`];
  if (!shape.test(payeeIdValue)) return [`payeeIdValue is not a valid ${payeeIdType}`];
  return [];
}

async function results(deps: IntakeDeps, batch: BatchView, disbursementId: string) {
  const payeeResults: PilPayeeResult[] = [];
  for await (const p of deps.service.iteratePayments(batch.id)) payeeResults.push(pilPayeeResult(p));
  return { disbursementId, payeeResults };
}

function validationFailed(h: ResponseToolkit, errors: FieldError[]) {
  const summary = errors.slice(0, 3).map((e) => `${e.field}: ${e.message}`).join('; ');
  return h.response(pilError(ErrorCode.VALIDATION_ERROR, `Generic validation error - ${errors.length} invalid field(s): ${summary}`,
    errors)).code(400);
}

export function registerPilApi(server: Server, deps: IntakeDeps): void {
  const log: Logger = deps.logger.child({ module: 'intake-pil' });

  server.route({
    method: 'POST',
    path: '/disbursement',
    options: apiRoute(deps, 'pil', 'batches:submit', { body: true }),
    handler: async (req, h) => {
      const read = readBody(req, h, deps, 'pil');
      if (!read.ok) return read.response;
      const parsed = parseDisbursement(read.body);
      if (!parsed.ok) {
        log.info({ errors: parsed.errors.length, first: parsed.errors[0] }, 'PIL disbursement refused');
        return validationFailed(h, parsed.errors);
      }
      const cmd = parsed.command;
      try {
        stampOwner(deps, req, cmd);
      } catch (err) {
        if (err instanceof AuthFailure) return authFailureResponse(h, 'pil', err);
        throw err;
      }
      const submitted = await deps.service.submitBatch(cmd);
      if (submitted.outcome === 'conflict' || !visibleTo(req, submitted.batch)) {
        log.warn({ disbursementId: cmd.sourceKey, batchId: submitted.batch.id }, 'PIL disbursementId reused with another request');
        return h.response(pilError(ErrorCode.MODIFIED_REQUEST,
          `Modified request - disbursementId ${cmd.sourceKey} was already used for a different request; nothing was paid for this one`)).code(409);
      }
      log.info({ disbursementId: cmd.sourceKey, batchId: submitted.batch.id, outcome: submitted.outcome, payees: cmd.payments.length },
        'PIL disbursement accepted');
      const batch = (await deps.service.waitForBatch(submitted.batch.id, deps.config.pilSyncWindowMs)) ?? submitted.batch;
      return h.response(await results(deps, batch, cmd.sourceKey)).code(200);
    },
  });

  server.route({
    method: 'GET',
    path: '/disbursement/{disbursementId}',
    options: apiRoute(deps, 'pil', 'batches:read'),
    handler: async (req, h) => {
      const id = String(req.params.disbursementId);
      const batch = await deps.service.findBatchBySourceKey('pil', id);
      if (!visibleTo(req, batch)) return h.response(pilError(ErrorCode.ID_NOT_FOUND, `Generic ID not found - no disbursement ${id.slice(0,
        128)}`)).code(404);
      return h.response(await results(deps, batch, id)).code(200);
    },
  });

  server.route({
    method: 'POST',
    path: '/disbursementCheck',
    options: apiRoute(deps, 'pil', 'batches:submit', { body: true }),
    handler: (req, h) => {
      const read = readBody(req, h, deps, 'pil');
      if (!read.ok) return read.response;
      const { error } = checkSchema.validate(read.body, JOI_OPTIONS);
      if (error) return validationFailed(h, fieldErrors(error));
      const body = read.body as { requestId: string; payeeList: Array<{ payeeIdType: string; payeeIdValue: string }> };
      const timestamp = new Date().toISOString();
      return {
        requestId: body.requestId,
        payeeResults: body.payeeList.map((p) => {
          const errors = checkPayee(p.payeeIdType.trim(), p.payeeIdValue);
          return { payeeIdType: p.payeeIdType, payeeIdValue: p.payeeIdValue, isPayable: errors.length === 0, timestamp, errors };
        }),
      };
    },
  });
}
