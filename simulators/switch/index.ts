/**
 * Switch simulator (Mojaloop hub): routes FSPIOP requests and callbacks by FSPIOP-Destination to the endpoints each
 * participant registered (central-ledger admin conventions, on the same port), keeps positions within net debit caps,
 * checks fulfilments against conditions, expires transfers, and honours FSPIOP idempotency.
 */
import Hapi, { Request, ResponseToolkit, ResponseObject } from '@hapi/hapi';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import { componentLogger } from '../../shared/logger';
import { amountFromJsonNumber, fromUnits, MoneyError, toUnits } from '../../shared/money';
import { DEFAULT_PORTS, RunningServer } from '../../shared/server';
import {
  answerVersion, checkBody, checkHeaders, describeError, errorBody, FSPIOP_MAX_BODY, fspiopHeaders, fspiopPayloadErrors, FspiopResource,
  HeaderProblem, warmValidators,
} from '../fspiop';
import { FaultAction, FaultRule, FaultRules, ruleAdminRoutes } from '../rules';
import {
  BulkItemResult, BulkPrepareInput, BulkRecord, fingerprint, PrepareInput, StoredCallback, SwitchLedger, TransferRecord,
} from './ledger';
import { Participants, RegistryError, routeFor, standardEndpointTemplates } from './participants';
import type { Violation } from '../fspiop/validate';
import type { SentMessage } from '../fspiop/http';
import { serveSimulatorMetrics } from '../metrics';
import { ErrorCode, codeForHttpStatus } from '../../shared/fspiop-errors';

export interface SwitchOptions {
  port?: number;
  host?: string;
  /** FSPIOP-Source of the messages the switch originates (errors, PATCH, GET answers); default "switch". */
  hubName?: string;
  faultRules?: FaultRule[];
  seed?: number;
  logger?: Logger;
  /** How often to look for expired transfers (ms, default 100). */
  expirySweepMs?: number;
  /** Where GET /parties without FSPIOP-Destination goes (an ALS), if the switch is used as a parties proxy. */
  alsUrl?: string;
  /** Participants onboarded at start (standard endpoints under baseUrl, net debit cap); `gpo sim switch` takes them from GPO_PAYEE_URLS. */
  participants?: PreloadedParticipant[];
}

export interface PreloadedParticipant {
  name: string;
  baseUrl: string;
  currency?: string;
  /** Decimal string; default "1000000000". */
  netDebitCap?: string;
}

export type SwitchViolation = Violation;

export type SwitchSent = SentMessage;

export interface RunningSwitch extends RunningServer {
  readonly hubName: string;
  readonly participants: Participants;
  readonly ledger: SwitchLedger;
  readonly faults: FaultRules;
  /** FSPIOP messages refused (headers, body, version), most recent last (up to 10,000). */
  readonly violations: SwitchViolation[];
  /** The last messages the switch sent (up to 10,000, oldest first), for diagnosis. */
  readonly sent: SwitchSent[];
  /** Resolves when nothing is being forwarded. */
  idle(): Promise<void>;
  /** Sets where a GET /parties without FSPIOP-Destination goes (an ALS started after the switch). */
  setAlsUrl(url: string | undefined): void;
}

const SCHEMAS = [
  'QuotesPostRequest', 'QuotesIDPutResponse', 'TransfersPostRequest', 'TransfersIDPutResponse', 'BulkQuotesPostRequest',
  'BulkQuotesIDPutResponse', 'BulkTransfersPostRequest', 'BulkTransfersIDPutResponse', 'ErrorInformationObject', 'PartiesTypeIDPutResponse',
];

const HOP_BY_HOP = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer',
  'proxy-connection']);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

function forwardable(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && typeof v === 'string') out[k] = v;
  return out;
}

/** A decimal amount from a JSON number or string (admin API), as units. */
function adminAmount(v: unknown, what: string): bigint {
  try {
    if (typeof v === 'number') return v < 0 ? -toUnits(amountFromJsonNumber(-v)) : toUnits(amountFromJsonNumber(v));
    if (typeof v === 'string') return v.startsWith('-') ? -toUnits(v.slice(1)) : toUnits(v);
  } catch (err) {
    if (err instanceof MoneyError) throw new RegistryError(ErrorCode.VALIDATION_ERROR, `${what}: ${err.message}`);
    throw err;
  }
  throw new RegistryError(ErrorCode.VALIDATION_ERROR, `${what} must be a number`);
}

/** The id a POST body names (for the error callback path). */
function bodyId(resource: string, body: Record<string, unknown>): string | undefined {
  const key = { quotes: 'quoteId', bulkQuotes: 'bulkQuoteId', transfers: 'transferId', bulkTransfers: 'bulkTransferId' }[resource];
  const v = key ? body[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

interface Ctx {
  req: Request;
  resource: FspiopResource;
  method: string;
  path: string;
  source: string;
  destination?: string;
  body: Record<string, unknown>;
  raw?: Buffer;
  version: string;
  headers: Record<string, string>;
  twice: boolean;
}

export async function startSwitch(opts: SwitchOptions = {}): Promise<RunningSwitch> {
  const hubName = opts.hubName ?? 'switch';
  const log = opts.logger ?? componentLogger('switch');
  const participants = new Participants();
  const ledger = new SwitchLedger(participants);
  const faults = new FaultRules(opts.faultRules ?? [], opts.seed ?? 1);
  let alsUrl = opts.alsUrl?.replace(/\/+$/, '');
  const violations: SwitchViolation[] = [];
  const SENT_KEEP = 10_000;
  const sent: SwitchSent[] = [];
  let sentNext = 0;
  let pending = 0;
  let idleWaiters: Array<() => void> = [];
  const pools = new Map<string, Pool>();
  /**
   * Prepares still being delivered to the payee, by transfer id or "bulk:" + bulk id: an abort for the payee waits
   * for its prepare, so the payee never sees the abort first (a real hub orders a transfer's messages).
   */
  const delivering = new Map<string, Promise<unknown>>();
  const afterDelivery = (key: string, send: () => void): void => {
    const d = delivering.get(key);
    if (!d) return send();
    pending++; // idle() waits for the deferred message too
    const run = () => {
      try {
        send();
      } finally {
        settle();
      }
    };
    void d.then(run, run);
  };
  const track = <T>(key: string, p: Promise<T>): Promise<T> => {
    delivering.set(key, p);
    return p.finally(() => { if (delivering.get(key) === p) delivering.delete(key); });
  };
  warmValidators(SCHEMAS);
  for (const p of opts.participants ?? []) {
    const currency = p.currency ?? 'USD';
    participants.add(p.name, currency);
    for (const ep of standardEndpointTemplates(p.baseUrl)) participants.setEndpoint(p.name, ep.type, ep.value);
    participants.initialPositionAndLimits(p.name, currency, toUnits(p.netDebitCap ?? '1000000000'), 0n);
  }

  const server = Hapi.server({
    port: opts.port ?? DEFAULT_PORTS.switch,
    host: opts.host ?? '127.0.0.1',
    routes: { payload: { maxBytes: FSPIOP_MAX_BODY } },
  });
  fspiopPayloadErrors(server);
  serveSimulatorMetrics(hubName, [[server, 'fspiop']]);

  // -------------------------------------------------------------------------------------------------------------
  // sending

  function pool(origin: string): Pool {
    let p = pools.get(origin);
    if (!p) {
      p = new Pool(origin, { connections: 32, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 15_000, bodyTimeout: 15_000 });
      pools.set(origin, p);
    }
    return p;
  }

  function record(rec: SwitchSent): void {
    if (sent.length < SENT_KEEP) sent.push(rec);
    else sent[sentNext] = rec;
    sentNext = (sentNext + 1) % SENT_KEEP;
  }

  function settle(): void {
    if (--pending === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
    }
  }

  /** Sends one HTTP message; resolves with the status, or undefined when it could not be delivered. */
  async function deliver(method: string, url: string, headers: Record<string, string>, body: string | Buffer | undefined,
    isError: boolean): Promise<number | undefined> {
    const rec: SwitchSent = { at: Date.now(), method, url, isError };
    pending++;
    try {
      const u = new URL(url);
      const res = await pool(u.origin).request({ method: method as 'PUT', path: u.pathname + u.search, headers, body });
      await res.body.dump();
      rec.status = res.statusCode;
      if (res.statusCode >= 400) log.warn({ url, method, status: res.statusCode }, 'peer refused a message');
      return res.statusCode;
    } catch (err) {
      rec.error = (err as Error).message;
      log.warn({ url, method, err: rec.error }, 'message could not be delivered');
      return undefined;
    } finally {
      record(rec);
      settle();
    }
  }

  function resolveUrl(fsp: string, method: string, path: string): string | undefined {
    const route = routeFor(method, path);
    return route ? participants.resolve(fsp, route) : undefined;
  }

  /** An error callback the switch originates, to `to` at `path` (ending in /error). */
  function hubError(resource: FspiopResource, to: string, path: string, code: string, detail: string | undefined,
    version: string): StoredCallback | undefined {
    const body = errorBody(code, detail);
    const url = resolveUrl(to, 'PUT', path);
    const headers = fspiopHeaders(resource, hubName, to, true, version);
    if (!url) {
      log.warn({ to, path, code }, 'no endpoint to send an error callback to');
      return undefined;
    }
    void deliver('PUT', url, headers, JSON.stringify(body), true);
    return { path, headers, body };
  }

  /** A PUT the switch originates (GET answers, expiry results). */
  function hubPut(resource: FspiopResource, to: string, path: string, body: unknown, version: string): StoredCallback | undefined {
    const url = resolveUrl(to, 'PUT', path);
    const headers = fspiopHeaders(resource, hubName, to, true, version);
    if (!url) return undefined;
    void deliver('PUT', url, headers, JSON.stringify(body), false);
    return { path, headers, body };
  }

  function resend(to: string, cb: StoredCallback): void {
    const url = resolveUrl(to, 'PUT', cb.path);
    if (!url) return;
    void deliver('PUT', url, { ...cb.headers, date: new Date().toUTCString() }, JSON.stringify(cb.body), cb.path.endsWith('/error'));
  }

  /** Forwards the message in ctx to `to` (unchanged, or with `body` instead); resolves with the delivery status. */
  async function forward(ctx: Ctx, to: string, body?: unknown, method = ctx.method): Promise<number | undefined> {
    const url = resolveUrl(to, method, ctx.path);
    if (!url) return undefined;
    const payload = body !== undefined ? JSON.stringify(body) : ctx.raw && ctx.raw.length ? ctx.raw : undefined;
    const status = await deliver(method, url, ctx.headers, payload, ctx.path.endsWith('/error'));
    if (ctx.twice) await deliver(method, url, ctx.headers, payload, ctx.path.endsWith('/error'));
    return status;
  }

  /** Where this message's error goes back to the source. */
  function errorPath(ctx: Ctx): string {
    if (ctx.method === 'POST') return `/${ctx.resource}/${bodyId(ctx.resource, ctx.body) ?? 'unknown'}/error`;
    return ctx.path.endsWith('/error') ? ctx.path : `${ctx.path}/error`;
  }

  const errorToSource = (ctx: Ctx, code: string, detail?: string): StoredCallback | undefined =>
    hubError(ctx.resource, ctx.source, errorPath(ctx), code, detail, ctx.version);

  // -------------------------------------------------------------------------------------------------------------
  // inbound FSPIOP

  function refuse(req: Request, h: ResponseToolkit, p: HeaderProblem): ResponseObject {
    const v: SwitchViolation = {
      at: new Date().toISOString(), method: req.method.toUpperCase(), path: req.path,
      source: typeof req.headers['fspiop-source'] === 'string' ? req.headers['fspiop-source'] : undefined,
      errorCode: p.body.errorInformation.errorCode, detail: p.body.errorInformation.errorDescription,
    };
    violations.push(v);
    if (violations.length > 10_000) violations.shift();
    log.warn({ violation: v }, 'FSPIOP message refused');
    return h.response(p.body).code(p.status);
  }

  /** The destination when FSPIOP-Destination is absent: what the body says (as Mojaloop's SDK relies on for bulk). */
  function impliedDestination(resource: FspiopResource, method: string, body: Record<string, unknown>): string | undefined {
    if (method !== 'POST') return undefined;
    const b = body as { payeeFsp?: string; payee?: { partyIdInfo?: { fspId?: string } };
      individualQuotes?: Array<{ payee?: { partyIdInfo?: { fspId?: string } } }> };
    if (resource === 'transfers' || resource === 'bulkTransfers') return b.payeeFsp;
    if (resource === 'quotes') return b.payee?.partyIdInfo?.fspId;
    if (resource === 'bulkQuotes') return b.individualQuotes?.[0]?.payee?.partyIdInfo?.fspId;
    return undefined;
  }

  type Handler = (ctx: Ctx) => Promise<void> | void;

  function fspiopRoute(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, resource: FspiopResource, schema: string | undefined,
    handle: Handler): Hapi.ServerRoute {
    const isCallback = method === 'PUT' || method === 'PATCH';
    const hasBody = method !== 'GET';
    return {
      method,
      path,
      options: hasBody ? { payload: { parse: false, output: 'data', maxBytes: FSPIOP_MAX_BODY } } : {},
      handler: (req, h) => {
        const headerProblem = checkHeaders(req.headers, resource, { hasBody, isCallback });
        if (headerProblem) return refuse(req, h, headerProblem);
        let body: Record<string, unknown> = {};
        const raw = hasBody ? (req.payload as Buffer | null) ?? Buffer.alloc(0) : undefined;
        if (raw) {
          try {
            body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
          } catch {
            return refuse(req, h, { status: 400, body: errorBody(ErrorCode.MALFORMED_SYNTAX, 'body is not valid JSON') });
          }
          if (!body || typeof body !== 'object' || Array.isArray(body)) return refuse(req, h,
            { status: 400, body: errorBody(ErrorCode.MALFORMED_SYNTAX, 'body must be a JSON object') });
        }
        if (schema) {
          const p = checkBody(schema, body);
          if (p) return refuse(req, h, p);
        }
        const source = String(req.headers['fspiop-source']);
        if (!participants.get(source)) return refuse(req, h, { status: 400, body:
          errorBody(ErrorCode.ID_NOT_FOUND, `FSPIOP-Source ${source} is not a participant of this hub`) });
        const destHeader = typeof req.headers['fspiop-destination'] === 'string' ? req.headers['fspiop-destination'] : undefined;
        const destination = destHeader || impliedDestination(resource, method, body);
        const ctx: Ctx = {
          req, resource, method, path: req.path, source, destination, body, raw, version: answerVersion(req.headers),
          headers: forwardable(req.headers), twice: false,
        };
        const amount = (body as { amount?: { amount?: string } }).amount?.amount
          ?? (body as { transferAmount?: { amount?: string } }).transferAmount?.amount;
        const b = body as { payee?: { partyIdInfo?: { partyIdentifier?: string } } };
        const partyId = resource === 'parties' ? String(req.params.ID) : b.payee?.partyIdInfo?.partyIdentifier;
        const actions: FaultAction[] = faults.size ? faults.evaluate({ resource, method, fsp: source, amount, partyId }) : [];
        for (const a of actions) {
          if (a.type === 'httpStatus') return h.response(errorBody(codeForHttpStatus(a.status))).code(a.status);
          if (a.type === 'dropConnection') {
            req.raw.req.socket.destroy();
            return h.abandon;
          }
        }
        ctx.twice = actions.some((a) => a.type === 'callbackTwice');
        const forced = actions.find((a) => a.type === 'error') as Extract<FaultAction, { type: 'error' }> | undefined;
        const delay = actions.reduce((s, a) => s + (a.type === 'delay' ? a.ms : 0), 0);
        const drop = actions.some((a) => a.type === 'noCallback');
        pending++;
        const run = async () => {
          try {
            if (delay > 0) await sleep(delay);
            if (drop) return;
            if (forced) {
              errorToSource(ctx, forced.errorCode, forced.errorDescription);
              return;
            }
            await handle(ctx);
          } catch (err) {
            log.error({ err, path: ctx.path }, 'switch processing failed');
          } finally {
            settle();
          }
        };
        setImmediate(() => void run());
        return h.response().code(isCallback ? 200 : 202);
      },
    };
  }

  /** Plain routing by destination: unknown destination gets 3201 back to the source. */
  const route: Handler = async (ctx) => {
    if (!ctx.destination) {
      if (ctx.resource === 'parties' && ctx.method === 'GET' && alsUrl) {
        await deliver('GET', alsUrl + ctx.path, ctx.headers, undefined, false);
        return;
      }
      errorToSource(ctx, ErrorCode.DESTINATION_FSP_ERROR, 'no FSPIOP-Destination');
      return;
    }
    if (!resolveUrl(ctx.destination, ctx.method, ctx.path)) {
      errorToSource(ctx, ErrorCode.DESTINATION_FSP_ERROR, `${ctx.destination} is not a participant with an endpoint for this message`);
      return;
    }
    const status = await forward(ctx, ctx.destination);
    if ((status === undefined || status >= 500) && !ctx.path.endsWith('/error') && ctx.method !== 'PUT') errorToSource(ctx,
      ErrorCode.DESTINATION_COMMUNICATION_ERROR,
      `${ctx.destination} did not accept the message`);
  };

  // transfers -----------------------------------------------------------------------------------------------------

  const postTransfer: Handler = async (ctx) => {
    const body = ctx.body as unknown as PrepareInput;
    if (body.payerFsp !== ctx.source) return void errorToSource(ctx, ErrorCode.VALIDATION_ERROR, 'payerFsp does not match FSPIOP-Source');
    if (!ctx.destination || !resolveUrl(ctx.destination, 'POST', ctx.path)) return void errorToSource(ctx, ErrorCode.DESTINATION_FSP_ERROR,
      `${ctx.destination
      ?? 'no destination'} is not a participant with a transfers endpoint`);
    if (body.payeeFsp !== ctx.destination) return void errorToSource(ctx, ErrorCode.VALIDATION_ERROR,
      'payeeFsp does not match FSPIOP-Destination');
    const out = ledger.prepare(body, fingerprint(ctx.raw ?? ''));
    if (out.kind === 'rejected') return void errorToSource(ctx, out.errorCode, out.detail);
    if (out.kind === 'duplicate') {
      if (out.record.state !== 'RESERVED' && out.record.lastCallback) resend(out.record.payer, out.record.lastCallback);
      return;
    }
    const status = await track(body.transferId, forward(ctx, ctx.destination));
    if (status === undefined || status >= 500) {
      const r = ledger.abort(body.transferId, ErrorCode.DESTINATION_COMMUNICATION_ERROR);
      if (r) r.lastCallback = errorToSource(ctx, ErrorCode.DESTINATION_COMMUNICATION_ERROR,
        `${ctx.destination} did not accept the transfer`);
    }
  };

  const putTransfer: Handler = async (ctx) => {
    const id = String(ctx.req.params.ID);
    const r = ledger.transfers.get(id);
    if (!r) return void errorToSource(ctx, ErrorCode.TRANSFER_ID_NOT_FOUND, `transfer ${id} is not known to the hub`);
    if (ctx.source !== r.payee) return void errorToSource(ctx, ErrorCode.VALIDATION_ERROR,
      `${ctx.source} is not the payee of transfer ${id}`);
    const body = ctx.body as { transferState: string; fulfilment?: string; completedTimestamp?: string };
    if (body.transferState === 'ABORTED') {
      if (r.state === 'RESERVED') {
        ledger.abort(id, ErrorCode.PAYEE_REJECTED_TXN);
        await forward(ctx, r.payer);
        r.lastCallback = { path: ctx.path, headers: ctx.headers, body: ctx.body };
      }
      return;
    }
    if (body.transferState !== 'COMMITTED' && body.transferState !== 'RESERVED') return;
    const out = ledger.fulfil(id, body.fulfilment, body.completedTimestamp);
    if (out.kind === 'committed') {
      const reserved = body.transferState === 'RESERVED';
      const payerBody = reserved || !body.completedTimestamp ? { ...body, transferState: 'COMMITTED', completedTimestamp:
        r.completedTimestamp } : undefined;
      await forward(ctx, r.payer, payerBody);
      r.lastCallback = { path: ctx.path, headers: ctx.headers, body: payerBody ?? ctx.body };
      if (reserved) {
        const url = resolveUrl(r.payee, 'PATCH', ctx.path);
        if (url) {
          void deliver('PATCH', url, fspiopHeaders('transfers', hubName, r.payee, true, '1.1'),
            JSON.stringify({ completedTimestamp: r.completedTimestamp, transferState: 'COMMITTED' }), false);
        }
      }
    } else if (out.kind === 'aborted') {
      r.lastCallback = hubError('transfers', r.payer, `/transfers/${id}/error`, out.errorCode, out.detail, ctx.version);
      hubError('transfers', r.payee, `/transfers/${id}/error`, out.errorCode, out.detail, ctx.version);
    } else if (out.kind === 'final' && r.state === 'ABORTED') {
      hubError('transfers', r.payee, `/transfers/${id}/error`, r.errorCode ?? ErrorCode.INTERNAL_SERVER_ERROR,
        `transfer ${id} was already aborted`, ctx.version);
    }
  };

  const putTransferError: Handler = async (ctx) => {
    const id = String(ctx.req.params.ID);
    const r = ledger.transfers.get(id);
    if (!r || r.bulkId) return route(ctx);
    const code = (ctx.body as { errorInformation: { errorCode: string } }).errorInformation.errorCode;
    if (ctx.source === r.payee) {
      if (r.state !== 'RESERVED') return;
      ledger.abort(id, code);
      await forward(ctx, r.payer);
      r.lastCallback = { path: ctx.path, headers: ctx.headers, body: ctx.body };
    } else if (ctx.source === r.payer) {
      if (r.state === 'RESERVED') ledger.abort(id, code);
      await forward(ctx, r.payee);
    } else errorToSource(ctx, ErrorCode.VALIDATION_ERROR, `${ctx.source} is not a party to transfer ${id}`);
  };

  function transferView(r: TransferRecord): Record<string, unknown> {
    const out: Record<string, unknown> = { transferState: r.state };
    if (r.fulfilment) out.fulfilment = r.fulfilment;
    if (r.completedTimestamp) out.completedTimestamp = r.completedTimestamp;
    return out;
  }

  const getTransfer: Handler = (ctx) => {
    const id = String(ctx.req.params.ID);
    const r = ledger.transfers.get(id);
    if (!r || (ctx.source !== r.payer && ctx.source !== r.payee)) return void errorToSource(ctx, ErrorCode.TRANSFER_ID_NOT_FOUND,
      `transfer ${id} not found`);
    hubPut('transfers', ctx.source, `/transfers/${id}`, transferView(r), ctx.version);
  };

  // bulk transfers --------------------------------------------------------------------------------------------------

  const postBulkTransfer: Handler = async (ctx) => {
    const body = ctx.body as unknown as BulkPrepareInput;
    if (body.payerFsp !== ctx.source) return void errorToSource(ctx, ErrorCode.VALIDATION_ERROR, 'payerFsp does not match FSPIOP-Source');
    if (!ctx.destination || !resolveUrl(ctx.destination, 'POST', ctx.path)) return void errorToSource(ctx, ErrorCode.DESTINATION_FSP_ERROR,
      `${ctx.destination
      ?? 'no destination'} is not a participant with a bulk transfers endpoint`);
    if (body.payeeFsp !== ctx.destination) return void errorToSource(ctx, ErrorCode.VALIDATION_ERROR,
      'payeeFsp does not match FSPIOP-Destination');
    const out = ledger.prepareBulk(body, fingerprint(ctx.raw ?? ''));
    if (out.kind === 'rejected') return void errorToSource(ctx, out.errorCode, out.detail);
    if (out.kind === 'duplicate') {
      if (out.bulk.state !== 'PROCESSING' && out.bulk.lastCallback) resend(out.bulk.payer, out.bulk.lastCallback);
      return;
    }
    const status = await track(`bulk:${body.bulkTransferId}`, forward(ctx, ctx.destination));
    if (status === undefined || status >= 500) {
      const b = ledger.abortBulk(body.bulkTransferId, ErrorCode.DESTINATION_COMMUNICATION_ERROR);
      if (b) b.lastCallback = errorToSource(ctx, ErrorCode.DESTINATION_COMMUNICATION_ERROR,
        `${ctx.destination} did not accept the bulk transfer`);
    }
  };

  const putBulkTransfer: Handler = async (ctx) => {
    const id = String(ctx.req.params.ID);
    const b = ledger.bulks.get(id);
    if (!b) return void errorToSource(ctx, ErrorCode.TRANSFER_ID_NOT_FOUND, `bulk transfer ${id} is not known to the hub`);
    if (ctx.source !== b.payee) return void errorToSource(ctx, ErrorCode.VALIDATION_ERROR,
      `${ctx.source} is not the payee of bulk transfer ${id}`);
    const body = ctx.body as { bulkTransferState: string; completedTimestamp?: string; individualTransferResults?: BulkItemResult[] };
    if (body.bulkTransferState === 'REJECTED') {
      if (b.state !== 'PROCESSING') return;
      ledger.abortBulk(id, ErrorCode.PAYEE_FSP_REJECTED_TXN);
      await forward(ctx, b.payer);
      b.lastCallback = { path: ctx.path, headers: ctx.headers, body: ctx.body };
      return;
    }
    if (body.bulkTransferState !== 'COMPLETED') return void (await forward(ctx, b.payer));
    const results = ledger.fulfilBulk(id, body.individualTransferResults ?? [], body.completedTimestamp, describeWith);
    if (!results) return;
    const payerBody = { ...body, bulkTransferState: 'COMPLETED', completedTimestamp: b.completedTimestamp, individualTransferResults:
      results };
    await forward(ctx, b.payer, payerBody);
    b.lastCallback = { path: ctx.path, headers: ctx.headers, body: payerBody };
  };

  const putBulkTransferError: Handler = async (ctx) => {
    const id = String(ctx.req.params.ID);
    const b = ledger.bulks.get(id);
    if (!b) return route(ctx);
    const code = (ctx.body as { errorInformation: { errorCode: string } }).errorInformation.errorCode;
    if (ctx.source === b.payee) {
      if (b.state !== 'PROCESSING') return;
      ledger.abortBulk(id, code);
      await forward(ctx, b.payer);
      b.lastCallback = { path: ctx.path, headers: ctx.headers, body: ctx.body };
    } else if (ctx.source === b.payer) {
      ledger.abortBulk(id, code);
      await forward(ctx, b.payee);
    } else errorToSource(ctx, ErrorCode.VALIDATION_ERROR, `${ctx.source} is not a party to bulk transfer ${id}`);
  };

  function describeWith(code: string, detail?: string): string {
    return errorBody(code, detail).errorInformation.errorDescription;
  }

  function bulkView(b: BulkRecord): Record<string, unknown> {
    const results = ledger.bulkResults(b, (c) => describeError(c));
    const out: Record<string, unknown> = { bulkTransferState: b.state };
    if (b.completedTimestamp) out.completedTimestamp = b.completedTimestamp;
    if (results.length) out.individualTransferResults = results;
    return out;
  }

  const getBulkTransfer: Handler = (ctx) => {
    const id = String(ctx.req.params.ID);
    const b = ledger.bulks.get(id);
    if (!b || (ctx.source !== b.payer && ctx.source !== b.payee)) return void errorToSource(ctx, ErrorCode.TRANSFER_ID_NOT_FOUND,
      `bulk transfer ${id} not found`);
    hubPut('bulkTransfers', ctx.source, `/bulkTransfers/${id}`, bulkView(b), ctx.version);
  };

  // expiry --------------------------------------------------------------------------------------------------------

  function sweep(): void {
    const now = new Date();
    for (const r of ledger.expireTransfers(now)) {
      const detail = `transfer ${r.id} expired at ${new Date(r.expiresAt).toISOString()}`;
      r.lastCallback = hubError('transfers', r.payer, `/transfers/${r.id}/error`, ErrorCode.TRANSFER_EXPIRED, detail, '1.1');
      afterDelivery(r.id, () => hubError('transfers', r.payee, `/transfers/${r.id}/error`, ErrorCode.TRANSFER_EXPIRED, detail, '1.1'));
    }
    for (const b of ledger.expireBulks(now)) {
      b.lastCallback = hubPut('bulkTransfers', b.payer, `/bulkTransfers/${b.id}`, bulkView(b), '1.1');
      afterDelivery(`bulk:${b.id}`, () => hubError('bulkTransfers', b.payee, `/bulkTransfers/${b.id}/error`, ErrorCode.TRANSFER_EXPIRED,
        `bulk transfer ${b.id} expired`, '1.1'));
    }
  }
  const sweeper = setInterval(sweep, opts.expirySweepMs ?? 100);
  sweeper.unref();

  // -------------------------------------------------------------------------------------------------------------
  // routes

  server.route([
    { method: 'GET', path: '/health', handler: () => ({ status: 'OK', hub: hubName }) },
    fspiopRoute('GET', '/parties/{Type}/{ID}/{SubId?}', 'parties', undefined, route),
    fspiopRoute('PUT', '/parties/{Type}/{ID}', 'parties', 'PartiesTypeIDPutResponse', route),
    fspiopRoute('PUT', '/parties/{Type}/{ID}/{SubId}', 'parties', 'PartiesTypeIDPutResponse', route),
    fspiopRoute('PUT', '/parties/{Type}/{ID}/error', 'parties', 'ErrorInformationObject', route),
    fspiopRoute('PUT', '/parties/{Type}/{ID}/{SubId}/error', 'parties', 'ErrorInformationObject', route),
    fspiopRoute('POST', '/quotes', 'quotes', 'QuotesPostRequest', route),
    fspiopRoute('GET', '/quotes/{ID}', 'quotes', undefined, route),
    fspiopRoute('PUT', '/quotes/{ID}', 'quotes', 'QuotesIDPutResponse', route),
    fspiopRoute('PUT', '/quotes/{ID}/error', 'quotes', 'ErrorInformationObject', route),
    fspiopRoute('POST', '/bulkQuotes', 'bulkQuotes', 'BulkQuotesPostRequest', route),
    fspiopRoute('GET', '/bulkQuotes/{ID}', 'bulkQuotes', undefined, route),
    fspiopRoute('PUT', '/bulkQuotes/{ID}', 'bulkQuotes', 'BulkQuotesIDPutResponse', route),
    fspiopRoute('PUT', '/bulkQuotes/{ID}/error', 'bulkQuotes', 'ErrorInformationObject', route),
    fspiopRoute('POST', '/transfers', 'transfers', 'TransfersPostRequest', postTransfer),
    fspiopRoute('GET', '/transfers/{ID}', 'transfers', undefined, getTransfer),
    fspiopRoute('PUT', '/transfers/{ID}', 'transfers', 'TransfersIDPutResponse', putTransfer),
    fspiopRoute('PUT', '/transfers/{ID}/error', 'transfers', 'ErrorInformationObject', putTransferError),
    fspiopRoute('POST', '/bulkTransfers', 'bulkTransfers', 'BulkTransfersPostRequest', postBulkTransfer),
    fspiopRoute('GET', '/bulkTransfers/{ID}', 'bulkTransfers', undefined, getBulkTransfer),
    fspiopRoute('PUT', '/bulkTransfers/{ID}', 'bulkTransfers', 'BulkTransfersIDPutResponse', putBulkTransfer),
    fspiopRoute('PUT', '/bulkTransfers/{ID}/error', 'bulkTransfers', 'ErrorInformationObject', putBulkTransferError),
  ]);

  // hub onboarding (central-ledger admin conventions) -------------------------------------------------------------

  const admin = (fn: (req: Request, h: ResponseToolkit) => unknown) => (req: Request, h: ResponseToolkit) => {
    try {
      return fn(req, h);
    } catch (err) {
      if (err instanceof RegistryError) return h.response(errorBody(err.errorCode, err.message)).code(err.httpStatus);
      throw err;
    }
  };
  const payloadOf = (req: Request): Record<string, unknown> => (req.payload && typeof req.payload === 'object'
    ? req.payload as Record<string, unknown> : {});
  const participantView = (name: string) => {
    const p = participants.require(name);
    return {
      name: p.name, id: `${hubName}/participants/${p.name}`, created: p.created.toISOString(), isActive: p.isActive ? 1 : 0,
      links: { self: `/participants/${p.name}` },
      accounts: [...p.accounts.values()].map((a, i) => ({ id: p.id * 10 + i, ledgerAccountType: 'POSITION', currency: a.currency, isActive:
        1 })),
    };
  };

  server.route([
    { method: 'GET', path: '/participants', handler: admin(() => participants.list().map((p) => participantView(p.name))) },
    {
      method: 'POST',
      path: '/participants',
      handler: admin((req, h) => {
        const b = payloadOf(req);
        participants.add(b.name, b.currency);
        log.info({ participant: b.name, currency: b.currency }, 'participant onboarded');
        return h.response(participantView(String(b.name))).code(201);
      }),
    },
    { method: 'GET', path: '/participants/{name}', handler: admin((req) => participantView(String(req.params.name))) },
    { method: 'GET', path: '/participants/{name}/endpoints', handler: admin((req) => participants.endpoints(String(req.params.name))) },
    {
      method: 'POST',
      path: '/participants/{name}/endpoints',
      handler: admin((req, h) => {
        const b = payloadOf(req);
        participants.setEndpoint(String(req.params.name), b.type, b.value);
        return h.response().code(201);
      }),
    },
    {
      method: 'POST',
      path: '/participants/{name}/initialPositionAndLimits',
      handler: admin((req, h) => {
        const b = payloadOf(req) as { currency?: unknown; limit?: { type?: unknown; value?: unknown }; initialPosition?: unknown };
        if (!b.limit || b.limit.type !== 'NET_DEBIT_CAP') throw new RegistryError(ErrorCode.VALIDATION_ERROR,
          'limit.type must be NET_DEBIT_CAP');
        const cap = adminAmount(b.limit.value, 'limit.value');
        const initial = b.initialPosition === undefined ? 0n : adminAmount(b.initialPosition, 'initialPosition');
        participants.initialPositionAndLimits(String(req.params.name), b.currency, cap, initial);
        return h.response().code(201);
      }),
    },
    { method: 'GET', path: '/participants/{name}/limits', handler: admin((req) => participants.limits(String(req.params.name))) },
    {
      method: 'PUT',
      path: '/participants/{name}/limits',
      handler: admin((req, h) => {
        const b = payloadOf(req) as { currency?: unknown; limit?: { type?: unknown; value?: unknown } };
        if (!b.limit || b.limit.type !== 'NET_DEBIT_CAP') throw new RegistryError(ErrorCode.VALIDATION_ERROR,
          'limit.type must be NET_DEBIT_CAP');
        participants.setNetDebitCap(String(req.params.name), b.currency, adminAmount(b.limit.value, 'limit.value'));
        return h.response().code(200);
      }),
    },
    { method: 'GET', path: '/participants/{name}/positions', handler: admin((req) => participants.positions(String(req.params.name))) },
    // simulator admin -------------------------------------------------------------------------------------------------
    {
      method: 'GET',
      path: '/admin/positions',
      handler: () => ({
        positions: Object.fromEntries(participants.list().map((p) => [p.name,
          Object.fromEntries([...p.accounts.values()].map((a) => [a.currency, {
          value: fromUnits(a.value), reservedValue: fromUnits(a.reserved), netDebitCap: a.netDebitCap === undefined ? null
            : fromUnits(a.netDebitCap),
        }]))])),
        sums: participants.positionSums(),
      }),
    },
    {
      method: 'GET',
      path: '/admin/transfers/{id}',
      handler: (req, h) => {
        const r = ledger.transfers.get(String(req.params.id));
        if (!r) return h.response({ error: { code: 'NOT_FOUND', message: 'no such transfer' } }).code(404);
        return {
          transferId: r.id, payerFsp: r.payer, payeeFsp: r.payee, amount: { amount: fromUnits(r.amount), currency: r.currency },
          state: r.state, errorCode: r.errorCode, fulfilment: r.fulfilment, completedTimestamp: r.completedTimestamp,
          expiration: new Date(r.expiresAt).toISOString(), bulkTransferId: r.bulkId,
        };
      },
    },
    ...ruleAdminRoutes(faults),
    { method: 'GET', path: '/admin/violations', handler: () => ({ violations }) },
  ]);

  await server.start();
  const port = server.info.port as number;
  const url = `http://${server.info.host === '0.0.0.0' ? '127.0.0.1' : server.info.host}:${port}`;
  log.info({ url, hubName }, 'switch listening');

  return {
    name: hubName,
    hubName,
    url,
    port,
    participants,
    ledger,
    faults,
    violations,
    get sent() {
      return sent.length < SENT_KEEP ? [...sent] : [...sent.slice(sentNext), ...sent.slice(0, sentNext)];
    },
    setAlsUrl: (u) => { alsUrl = u?.replace(/\/+$/, ''); },
    idle: () => (pending === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    async stop() {
      clearInterval(sweeper);
      await server.stop({ timeout: 1000 });
      await Promise.all([...pools.values()].map((p) => p.close().catch(() => undefined)));
      pools.clear();
    },
  };
}

export { Participants, standardEndpointTemplates } from './participants';
export { SwitchLedger } from './ledger';
