/**
 * The edge every northbound request crosses before an API handler sees it: refusals in the API's own error format
 * (native errorCode, the PIL's FSPIOP errorInformation, a G2P Connect acknowledgement with an err.* code), JSON
 * read with depth and prototype-key checks, 404 and 405 for every path in the API's format.
 */
import type { Request, ResponseObject, ResponseToolkit, Server } from '@hapi/hapi';
import type { Logger } from 'pino';
import { addMethodNotAllowed, formatBoomAnswers, fspiopCodeForStatus, readJson } from '../../shared/http-edge';
import type { ApiName } from './config';

/** Which API a path belongs to, for requests no route claims (404s, bad encodings). */
export function apiOfPath(path: string): ApiName {
  if (path === '/disbursement' || path.startsWith('/disbursement/') || path.startsWith('/disbursementCheck')) return 'pil';
  if (path === '/disburse' || path.startsWith('/disburse/')) return 'g2p-connect';
  return 'native';
}

/** Route metadata the edge reads: `options.plugins.gpo`. */
export interface RouteSecurity {
  api: ApiName;
  /** Scope the caller needs; absent = no authentication (health, metrics, documents, keys). */
  scope?: 'batches:submit' | 'batches:read' | 'batches:operate';
  /** Operator action recorded in the audit log. */
  audit?: string;
}

export function routeSecurity(request: Request): RouteSecurity | undefined {
  return (request.route?.settings?.plugins as { gpo?: RouteSecurity } | undefined)?.gpo;
}

export function apiOf(request: Request): ApiName {
  return routeSecurity(request)?.api ?? apiOfPath(request.path);
}

const G2P_CODES: Record<number, string> = {
  400: 'err.request.bad', 401: 'err.request.unauthorized', 403: 'err.request.forbidden', 404: 'err.request.not_found',
  405: 'err.request.bad', 413: 'err.request.bad', 415: 'err.request.bad', 429: 'err.request.too_many_requests',
  500: 'err.service.unavailable', 503: 'err.service.unavailable',
};

/** G2P Connect answers a refusal at the edge with NACK (authentication, authorisation, rate, signature) or ERR (a request it cannot read).
 * */
const G2P_NACK = new Set([401, 403, 429]);

/**
 * An error body in the API's format. `code` is GPO's machine-readable code (native errorCode, G2P Connect err.*
 * code when it starts with `err.`); the PIL gets the FSPIOP code for the status and GPO's code in the description.
 */
export function edgeErrorBody(api: ApiName, status: number, code: string, message: string): unknown {
  const cls = status >= 500 ? 500 : status;
  if (api === 'pil') {
    const [errorCode, text] = fspiopCodeForStatus(status);
    return { errorInformation: { errorCode, errorDescription: `${text} - ${message}` }, errors:
      [{ field: 'request', message, type: code }] };
  }
  if (api === 'g2p-connect') {
    const g2pCode = code.startsWith('err.') ? code : G2P_CODES[status] ?? G2P_CODES[cls] ?? 'err.request.bad';
    return {
      message: {
        ack_status: G2P_NACK.has(status) || code.startsWith('err.signature') ? 'NACK' : 'ERR',
        timestamp: new Date().toISOString(),
        error: { code: g2pCode, message: `${message} (${code})`.slice(0, 999) },
      },
    };
  }
  return { errorCode: code, message };
}

export class EdgeError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'EdgeError';
  }
}

export function edgeResponse(h: ResponseToolkit, api: ApiName, e: EdgeError): ResponseObject {
  const res = h.response(edgeErrorBody(api, e.status, e.code, e.message) as object).code(e.status);
  for (const [k, v] of Object.entries(e.headers)) res.header(k, v);
  return res;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON bodies

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/**
 * A request's JSON body, checked before and while parsing: media type, nesting depth, prototype keys
 * (`__proto__`, `constructor.prototype`), syntax. Throws an EdgeError (400/415) naming what is wrong.
 */
export function readJsonBody(request: Request, maxDepth: number): unknown {
  const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type && !JSON_TYPE.test(type)) throw new EdgeError(415, 'UNSUPPORTED_MEDIA_TYPE',
    `send the body as application/json, not ${type.slice(0, 100)}`);
  const raw = request.payload as Buffer | string | undefined;
  const buf = raw === undefined || raw === null ? Buffer.alloc(0) : Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
  return parseJsonText(buf, maxDepth);
}

export function parseJsonText(buf: Buffer, maxDepth: number): unknown {
  const r = readJson(buf, maxDepth);
  if (!r.ok) throw new EdgeError(400, r.code, r.message);
  return r.value;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors no handler answered: in the API's format

const CODE_OF_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED',
};

/**
 * Every Boom answer (no route, bad encoding, too large, a refusal from authentication, a crash) becomes the API's
 * own error body; 5xx say nothing of the cause.
 */
export function installEdgeFormats(server: Server, log: Logger): void {
  formatBoomAnswers(server, (request, h, b) => {
    const api = apiOf(request);
    if (b.status >= 500) log.error({ err: request.response, path: request.path, method: request.method }, 'request failed');
    const code = b.code ?? (b.status >= 500 ? 'INTERNAL_ERROR' : CODE_OF_STATUS[b.status] ?? 'BAD_REQUEST');
    const message = b.status >= 500 ? 'the request could not be processed; nothing was changed by this error'
      : b.status === 404 && !b.code ? `no route ${request.path.slice(0, 200)}` : b.message.slice(0, 500);
    return h.response(edgeErrorBody(api, b.status, code, message) as object).code(b.status);
  });
}

/** After every route is registered: a catch-all route per path answering 405 with the methods it does serve. */
export function installMethodNotAllowed(server: Server): void {
  const apis = new Map<string, ApiName>();
  for (const r of server.table()) apis.set(r.path, (r.settings.plugins as { gpo?: RouteSecurity } | undefined)?.gpo?.api
    ?? apiOfPath(r.path));
  addMethodNotAllowed(
    server,
    (request, h, path, allow) => edgeResponse(h, apis.get(path) ?? 'native',
      new EdgeError(405, 'METHOD_NOT_ALLOWED', `${request.method.toUpperCase()} is not served on ${path}; use ${allow}`)),
    (path) => ({ auth: false, plugins: { gpo: { api: apis.get(path) ?? 'native' } satisfies RouteSecurity } }),
  );
}
