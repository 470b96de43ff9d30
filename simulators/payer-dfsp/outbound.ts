/**
 * The SDK scheme adapter outbound API (v2.1) and the payer DFSP's admin API, on the outbound port. Requests are
 * validated against the official spec (spec.ts); errors answer in the SDK's errorResponse shape
 * `{statusCode, message}` (plus transferState / bulkQuoteState / bulkTransferState where the spec has them).
 */
import type { Request, ResponseToolkit, Server } from '@hapi/hapi';
import type { Logger } from 'pino';
import { FaultAction, FaultRules, ruleAdminRoutes } from '../rules';
import type { Violation } from './inbound';
import { BulkTransaction, PayerService, RequestError, TransferRecord } from './service';
import { sdkProblem } from './spec';
import type {
  BulkTransactionContinuation, BulkTransactionRequest, SdkBulkQuoteRequest, SdkBulkTransferRequest, TransferRequest,
} from './domain/types';
import { ErrorCode, codeForHttpStatus } from '../../shared/fspiop-errors';

export interface OutboundDeps {
  service: PayerService;
  faults: FaultRules;
  violations: Violation[];
  log: Logger;
  /** Current back-office URL (PUT /bulkTransactions/{id} reports); settable through the admin API. */
  backend: { url?: string };
  /** Check every answer against the spec (default on). */
  validateResponses: boolean;
  /** Answers that did not match the spec. */
  answerProblems: AnswerProblem[];
  /** Behaviours beyond the real SDK, each off unless enabled (README: Extensions). */
  extensions?: PayerExtensions;
  /** How often a client asked for a behaviour the real SDK does not have, by extension name (used or not). */
  extensionUses?: Record<string, number>;
  /** Which SDK release to behave as (README: Profiles); default 'current'. */
  profile?: SdkProfile;
}

/**
 * 'current': the SDK scheme adapter as of its v20+ sources (the default). '18.0.2': its last npm release: no
 * /bulkTransactions routes, and with `bulkDefects` its documented bulk defects (POST /bulkQuotes answers without the
 * per-item quote results, GET /bulkTransfers/{id} is refused).
 */
export type SdkProfile = { name: 'current' } | { name: '18.0.2'; bulkDefects: boolean };

/** What this simulator can do that the real SDK scheme adapter does not: all off by default. */
export interface PayerExtensions {
  /** `POST /transfers?autoAcceptParty=false&autoAcceptQuote=false`: acceptance per request instead of the configuration. */
  perRequestAcceptance?: boolean;
  /**
   * `POST /bulkTransactions` with `options.synchronous: true` answers `200` with the report once the transaction stops
   * (finished or waiting for acceptance), and no report goes to the back office. The SDK ignores the flag (always 202).
   */
  synchronousBulkTransactions?: boolean;
  /** `GET /bulkTransactions/{id}`: the current report. The SDK has no such route (400, method not supported). */
  getBulkTransaction?: boolean;
  /**
   * Bulk `options.autoAcceptQuote.enabled: true` goes on to transfer every quoted item (within `perTransferFeeLimits`).
   * The SDK does not implement it: the bulk transaction stalls after the quotes (logged, no transfer, no report).
   */
  bulkAutoAcceptQuote?: boolean;
  /**
   * A bulk item whose `homeTransactionId` an earlier bulk item already paid (or has in flight) mirrors that payment
   * instead of paying again. The SDK never de-duplicates on `homeTransactionId`.
   */
  bulkHomeTransactionIdDedup?: boolean;
  /** Back-office reports (`PUT {backendUrl}/bulkTransactions/{id}`) tried up to 4 times; the SDK sends each once. */
  backendReportRetries?: boolean;
}

export interface AnswerProblem {
  at: string;
  method: string;
  path: string;
  status: number;
  schema: string;
  problem: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

function refuse(h: ResponseToolkit, statusCode: string, message: string, status = 400) {
  return h.response({ statusCode, message }).code(status);
}

function bool(v: unknown): boolean | undefined {
  if (v === 'true' || v === true) return true;
  if (v === 'false' || v === false) return false;
  return undefined;
}

/** The SDK's answer for a transfer record: 200 for COMPLETED or a WAITING state, 500/504 with transferState otherwise. */
function transferAnswer(h: ResponseToolkit, service: PayerService, rec: TransferRecord) {
  const view = service.transferView(rec);
  if (rec.currentState !== 'ERROR_OCCURRED') return h.response(view).code(200);
  const e = rec.lastError?.mojaloopError.errorInformation;
  const status = rec.lastError?.httpStatusCode === 504 ? 504 : 500;
  return h.response({ statusCode: e?.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR, message: e?.errorDescription ?? 'transfer failed',
    transferState:
    view }).code(status);
}

function caught(h: ResponseToolkit, log: Logger, err: unknown) {
  if (err instanceof RequestError) return refuse(h, err.statusCode, err.message, err.httpStatus);
  log.error({ err }, 'outbound request failed');
  return refuse(h, ErrorCode.INTERNAL_SERVER_ERROR, 'internal error', 500);
}

/** The spec schema an answer of ours must match: by route and status. */
export function answerSchema(method: string, routePath: string, status: number): string | undefined {
  const key = `${method.toUpperCase()} ${routePath}`;
  const ok = status >= 200 && status < 300;
  switch (key) {
    case 'POST /transfers':
    case 'PUT /transfers/{transferId}':
      return ok ? 'transferResponse' : status >= 500 ? 'errorTransferResponse' : 'errorResponse';
    case 'GET /transfers/{transferId}':
      return ok ? 'transferStatusResponse' : 'errorResponse';
    case 'GET /parties/{Type}/{ID}/{SubId?}':
      return ok ? 'partiesByIdResponse' : undefined;
    case 'POST /bulkQuotes':
      return ok ? 'bulkQuoteResponse' : status >= 500 ? 'bulkQuoteErrorResponse' : 'errorResponse';
    case 'GET /bulkQuotes/{bulkQuoteId}':
      return ok ? 'bulkQuoteStatusResponse' : 'errorResponse';
    case 'POST /bulkTransfers':
      return ok ? 'bulkTransferResponse' : status >= 500 ? 'bulkTransferErrorResponse' : 'errorResponse';
    case 'GET /bulkTransfers/{bulkTransferId}':
      return ok ? 'bulkTransferStatusResponse' : 'errorResponse';
    case 'POST /bulkTransactions':
      return status === 200 ? 'backend:bulkTransactionResponse' : status === 202 ? undefined : 'errorResponse';
    case 'GET /bulkTransactions/{bulkTransactionId}':
      return ok ? 'backend:bulkTransactionResponse' : 'errorResponse';
    case 'PUT /bulkTransactions/{bulkTransactionId}':
      return ok ? undefined : 'errorResponse';
    default:
      return undefined;
  }
}

export function registerOutbound(server: Server, deps: OutboundDeps): void {
  const { service, faults, log } = deps;
  const noteExtension = (name: string): void => {
    if (deps.extensionUses) deps.extensionUses[name] = (deps.extensionUses[name] ?? 0) + 1;
  };

  /** Our own answers against the spec: a mismatch is a bug here, logged and recorded (the answer still goes out). */
  function checkAnswer(request: Request, status: number, body: unknown): void {
    const schema = answerSchema(request.method, request.route.path, status);
    if (!schema || body === null || body === undefined) return;
    const problem = sdkProblem(schema, body);
    if (!problem) return;
    deps.answerProblems.push({ at: new Date().toISOString(), method: request.method.toUpperCase(), path: request.path, status, schema,
      problem });
    if (deps.answerProblems.length > 1000) deps.answerProblems.shift();
    log.error({ path: request.path, status, schema, problem }, 'answer does not match the SDK spec');
  }

  /** Fault actions at the HTTP edge: answer 500/503, drop the connection, or delay. */
  async function edgeFault(req: Request, h: ResponseToolkit, resource: string): Promise<ReturnType<typeof refuse> | symbol | undefined> {
    if (faults.size === 0) return undefined;
    const actions: FaultAction[] = faults.evaluate({ resource, method: req.method.toUpperCase() });
    for (const a of actions) {
      if (a.type === 'delay') await sleep(a.ms);
      if (a.type === 'httpStatus') return refuse(h, codeForHttpStatus(a.status), 'fault rule', a.status);
      if (a.type === 'dropConnection') {
        req.raw.req.socket.destroy();
        return h.abandon;
      }
    }
    return undefined;
  }

  // The 18.0.2 profile has no /bulkTransactions routes at all.
  server.ext('onRequest', (request: Request, h: ResponseToolkit) => {
    if (deps.profile?.name === '18.0.2'
      && request.path.startsWith('/bulkTransactions')) return h.response('Not Found').code(404).takeover();
    return h.continue;
  });

  // Bad JSON and oversize bodies in the SDK's error format; our own answers checked against the spec.
  server.ext('onPreResponse', (request: Request, h: ResponseToolkit) => {
    const r = request.response;
    if (!r) return h.continue;
    if (!('isBoom' in r) || !r.isBoom) {
      if (deps.validateResponses) checkAnswer(request, (r as { statusCode: number }).statusCode, (r as { source: unknown }).source);
      return h.continue;
    }
    const status = r.output.statusCode;
    if (request.path.startsWith('/admin')) return h.continue;
    if (status === 400) return refuse(h, ErrorCode.MALFORMED_SYNTAX, r.message?.slice(0, 120) ?? 'malformed request', 400);
    if (status === 413) return refuse(h, ErrorCode.VALIDATION_ERROR, 'request body too large', 413);
    if (status === 415) return refuse(h, ErrorCode.MALFORMED_SYNTAX, 'unsupported media type', 415);
    if (status === 404) return refuse(h, ErrorCode.UNKNOWN_URI, 'unknown URI', 404);
    if (status === 405) return refuse(h, ErrorCode.CLIENT_ERROR, 'method not allowed', 405);
    return h.continue;
  });

  const validated = <T>(h: ResponseToolkit, schema: string, body: unknown): T | ReturnType<typeof refuse> => {
    // JSON.stringify escapes exactly the lone UTF-16 surrogates: a string no party id (or URL) can carry.
    const problem = sdkProblem(schema, body) ?? (/\\u[dD][89a-fA-F][0-9a-fA-F]{2}/.test(JSON.stringify(body))
      ? 'a string holds a lone UTF-16 surrogate' : undefined);
    return problem ? refuse(h, ErrorCode.VALIDATION_ERROR, `${schema}: ${problem}`) : (body as T);
  };
  const isResponse = (v: unknown): v is ReturnType<typeof refuse> => typeof v === 'object' && v !== null && 'statusCode' in v
    && typeof (v as { code?: unknown }).code === 'function';

  server.route([
    { method: 'GET', path: '/health', handler: () => ({ status: 'OK', fspId: service.cfg.fspId }) },
    {
      method: 'POST',
      path: '/transfers',
      handler: async (req, h) => {
        const body = validated<TransferRequest>(h, 'transferRequest', req.payload);
        if (isResponse(body)) return body;
        const f = await edgeFault(req, h, 'transfers');
        if (f) return f;
        try {
          // Acceptance is the SDK's own configuration; per-request query flags are an extension, off by default.
          if (req.query.autoAcceptParty !== undefined || req.query.autoAcceptQuote !== undefined) noteExtension('perRequestAcceptance');
          const overrides = deps.extensions?.perRequestAcceptance ? { autoAcceptParty: bool(req.query.autoAcceptParty), autoAcceptQuote:
            bool(req.query.autoAcceptQuote) } : {};
          const rec = await service.startTransfer(body, overrides);
          return transferAnswer(h, service, rec);
        } catch (err) {
          return caught(h, log, err);
        }
      },
    },
    {
      method: 'PUT',
      path: '/transfers/{transferId}',
      handler: async (req, h) => {
        const body = validated<{ acceptParty?: boolean; acceptQuote?: boolean }>(h, 'transferContinuation', req.payload);
        if (isResponse(body)) return body;
        try {
          return transferAnswer(h, service, await service.continueTransfer(String(req.params.transferId), body));
        } catch (err) {
          return caught(h, log, err);
        }
      },
    },
    {
      method: 'GET',
      path: '/transfers/{transferId}',
      handler: async (req, h) => {
        const id = String(req.params.transferId);
        const ref = service.byTransferId.get(id);
        if (!ref) return refuse(h, ErrorCode.TRANSFER_ID_NOT_FOUND, `no transfer ${id}`, 404);
        // As the SDK: it asks the hub, which has never seen a transfer that was not accepted (3208).
        const unknownToHub = () => {
          const lastError = { httpStatusCode: 500, mojaloopError: { errorInformation:
            { errorCode: ErrorCode.TRANSFER_ID_NOT_FOUND, errorDescription: `Transfer ID not found - transfer ${id} not found` } } };
          return h.response({ statusCode: ErrorCode.TRANSFER_ID_NOT_FOUND, message: `transfer ${id} was not sent to the hub`,
            transferState: { transferId: id, currentState: 'ERROR_OCCURRED', lastError } }).code(500);
        };
        if (ref.kind === 'transfer') {
          await service.settled(ref.rec);
          if (!ref.rec.transferSent) return unknownToHub();
          return service.transferStatusView(ref.rec);
        }
        // A bulk item not yet in a bulk transfer (lookup, quote, waiting for acceptance) is unknown to the hub.
        if (ref.kind === 'bulkItem' && !ref.item.transferSent && !ref.item.mirror) return unknownToHub();
        if (ref.kind === 'bulkItem' && ref.txn.phase !== 'partyAcceptance'
          && ref.txn.phase !== 'quoteAcceptance') await service.settled(ref.txn);
        const info = service.transferInfo(id) as { fulfilment?: string; transferState?: string; lastError?: unknown;
          fulfil?: { transferState?: string; fulfilment?: string } };
        const transferState = info.fulfil?.transferState ?? info.transferState;
        const fulfilment = info.fulfil?.fulfilment ?? info.fulfilment;
        const currentState = transferState === 'COMMITTED'
          ? 'COMPLETED'
          : info.lastError ? 'ERROR_OCCURRED'
            : ref.kind === 'bulkItem' ? (ref.txn.currentState === 'COMPLETED' ? 'ERROR_OCCURRED' : ref.txn.currentState) : 'ERROR_OCCURRED';
        return {
          transferId: id, currentState,
          fulfil: { body: { transferState: transferState ?? (currentState === 'ERROR_OCCURRED' ? 'ABORTED' : 'RECEIVED'),
            ...(fulfilment ? { fulfilment } : {}) }, headers: {} },
          ...(info.lastError ? { lastError: info.lastError } : {}),
        };
      },
    },
    {
      method: 'GET',
      path: '/parties/{Type}/{ID}/{SubId?}',
      handler: async (req, h) => {
        const f = await edgeFault(req, h, 'parties');
        if (f) return f;
        const o = await service.lookup(String(req.params.Type), String(req.params.ID), req.params.SubId ? String(req.params.SubId)
          : undefined);
        if (o.kind === 'success') return { party: { body: o.body.party, headers: {} }, currentState: 'COMPLETED' };
        if (o.kind === 'error') return h.response({ errorInformation: o.errorInformation }).code(404);
        if (o.kind === 'timeout') return h.response({ errorInformation:
          { errorCode: ErrorCode.SERVER_TIMED_OUT, errorDescription: 'Server timed out - no party callback' } }).code(504);
        return h.response({ errorInformation: o.errorInformation ?? { errorCode: ErrorCode.DESTINATION_COMMUNICATION_ERROR,
          errorDescription:
          `Destination communication error - ${o.message}`.slice(0, 128) } }).code(502);
      },
    },
    {
      method: 'POST',
      path: '/bulkQuotes',
      handler: async (req, h) => {
        const body = validated<SdkBulkQuoteRequest>(h, 'bulkQuoteRequest', req.payload);
        if (isResponse(body)) return body;
        const f = await edgeFault(req, h, 'bulkQuotes');
        if (f) return f;
        try {
          const r = await service.bulkQuote(body);
          if (deps.profile?.name === '18.0.2' && deps.profile.bulkDefects && r.status === 200) {
            // 18.0.2 answers from its model's data, where the bulk quote callback's results were never stored.
            const { individualQuoteResults: _dropped, ...rest } = r.body as Record<string, unknown>;
            return h.response({ ...rest, individualQuoteResults: [] }).code(200);
          }
          return h.response(r.body as object).code(r.status);
        } catch (err) {
          return caught(h, log, err);
        }
      },
    },
    {
      method: 'GET',
      path: '/bulkQuotes/{bulkQuoteId}',
      handler: (req, h) => service.bulkQuoteStatus(String(req.params.bulkQuoteId))
        ?? refuse(h, ErrorCode.ID_NOT_FOUND, 'no such bulk quote', 404),
    },
    {
      method: 'POST',
      path: '/bulkTransfers',
      handler: async (req, h) => {
        const body = validated<SdkBulkTransferRequest>(h, 'bulkTransferRequest', req.payload);
        if (isResponse(body)) return body;
        const f = await edgeFault(req, h, 'bulkTransfers');
        if (f) return f;
        try {
          const r = await service.bulkTransfer(body);
          return h.response(r.body as object).code(r.status);
        } catch (err) {
          return caught(h, log, err);
        }
      },
    },
    {
      method: 'GET',
      path: '/bulkTransfers/{bulkTransferId}',
      handler: (req, h) => {
        if (deps.profile?.name === '18.0.2' && deps.profile.bulkDefects) return refuse(h, ErrorCode.VALIDATION_ERROR,
          'GET /bulkTransfers/{id} is refused by SDK 18.0.2', 400);
        return service.bulkTransferStatus(String(req.params.bulkTransferId))
          ?? refuse(h, ErrorCode.ID_NOT_FOUND, 'no such bulk transfer', 404);
      },
    },
    {
      method: 'POST',
      path: '/bulkTransactions',
      options: { payload: { maxBytes: 200 * 1024 * 1024 } },
      handler: async (req, h) => {
        const body = validated<BulkTransactionRequest>(h, 'bulkTransactionRequest', req.payload);
        if (isResponse(body)) return body;
        const f = await edgeFault(req, h, 'bulkTransactions');
        if (f) return f;
        if (body.options.synchronous) noteExtension('synchronousBulkTransactions');
        if (body.options.autoAcceptQuote.enabled) noteExtension('bulkAutoAcceptQuote');
        // As the SDK: 202 whatever happens next; `options.synchronous` is honoured only as an extension.
        const synchronous = body.options.synchronous === true && deps.extensions?.synchronousBulkTransactions === true;
        let txn: BulkTransaction | undefined;
        try {
          txn = service.startBulkTransaction(body, { synchronous });
        } catch (err) {
          return caught(h, log, err);
        }
        if (txn && synchronous) {
          await service.settled(txn);
          return h.response(service.bulkTransactionView(txn)).code(200);
        }
        return h.response({ bulkTransactionId: body.bulkTransactionId }).code(202);
      },
    },
    {
      method: 'PUT',
      path: '/bulkTransactions/{bulkTransactionId}',
      options: { payload: { maxBytes: 200 * 1024 * 1024 } },
      handler: async (req, h) => {
        const body = validated<BulkTransactionContinuation>(h, 'bulkTransactionContinuation', req.payload);
        if (isResponse(body)) return body;
        try {
          await service.continueBulkTransaction(String(req.params.bulkTransactionId), body);
        } catch (err) {
          return caught(h, log, err);
        }
        return h.response().code(202);
      },
    },
    {
      // An extension (the SDK has none): the current state of a bulk transaction, in the report's shape. Without it,
      // the SDK's answer: its request validator knows the path for PUT only.
      method: 'GET',
      path: '/bulkTransactions/{bulkTransactionId}',
      handler: (req, h) => {
        noteExtension('getBulkTransaction');
        if (!deps.extensions?.getBulkTransaction) return refuse(h, ErrorCode.CLIENT_ERROR,
          `Method GET not supported for path ${req.path}`.slice(0, 128), 400);
        const txn = service.bulkTransactions.get(String(req.params.bulkTransactionId));
        return txn ? service.bulkTransactionView(txn) : refuse(h, ErrorCode.ID_NOT_FOUND, 'no such bulk transaction', 404);
      },
    },

    // ---- admin
    {
      method: 'GET',
      path: '/admin/ledger',
      handler: () => ({ fspId: service.cfg.fspId, totals: service.treasury.totals(), lateCommits: service.lateCommits }),
    },
    {
      method: 'PUT',
      path: '/admin/treasury',
      handler: (req, h) => {
        const b = req.payload as { currency?: unknown; balance?: unknown } | null;
        if (typeof b?.currency !== 'string' || typeof b.balance !== 'string') return h.response({ error:
          { code: 'INVALID_TREASURY', message: 'expected {currency, balance} strings' } }).code(400);
        try {
          service.treasury.setBalance(b.currency, b.balance);
        } catch (err) {
          return h.response({ error: { code: 'INVALID_AMOUNT', message: (err as Error).message } }).code(400);
        }
        return { fspId: service.cfg.fspId, totals: service.treasury.totals() };
      },
    },
    {
      method: 'GET',
      path: '/admin/transfers/{transferId}',
      handler: (req, h) => service.transferInfo(String(req.params.transferId))
        ?? h.response({ error: { code: 'TRANSFER_NOT_FOUND', message: `no transfer ${req.params.transferId}` } }).code(404),
    },
    { method: 'GET', path: '/admin/bulks', handler: () => ({ bulkSizes: service.bulkSizes }) },
    {
      // where a bulk transaction stands inside (phase, each item's status), once the step in flight has ended
      method: 'GET',
      path: '/admin/bulkTransactions/{bulkTransactionId}',
      handler: async (req, h) => {
        const txn = service.bulkTransactions.get(String(req.params.bulkTransactionId));
        if (!txn) return h.response({ error: { code: 'BULK_TRANSACTION_NOT_FOUND', message:
          `no bulk transaction ${req.params.bulkTransactionId}` } }).code(404);
        await service.settled(txn);
        return service.bulkTransactionInfo(txn);
      },
    },
    ...ruleAdminRoutes(faults),
    { method: 'GET', path: '/admin/violations', handler: () => ({ violations: deps.violations, answerProblems: deps.answerProblems }) },
    { method: 'GET', path: '/admin/extensions', handler: () => ({ enabled: deps.extensions ?? {}, uses: deps.extensionUses ?? {} }) },
    { method: 'GET', path: '/admin/backend', handler: () => ({ url: deps.backend.url ?? null }) },
    {
      method: 'PUT',
      path: '/admin/backend',
      handler: (req, h) => {
        const url = (req.payload as { url?: unknown } | null)?.url;
        if (url !== null && (typeof url !== 'string' || !/^https?:\/\//.test(url))) return h.response({ error:
          { code: 'INVALID_URL', message: 'expected {url: "http://..."} or {url: null}' } }).code(400);
        deps.backend.url = url ?? undefined;
        return { url: deps.backend.url ?? null };
      },
    },
  ]);
}
