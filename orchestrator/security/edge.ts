/**
 * The edge every northbound request crosses before an API handler sees it: refusals in the API's own error format
 * (native errorCode, the PIL's FSPIOP errorInformation, a G2P Connect acknowledgement with an err.* code), JSON
 * read with depth and prototype-key checks, 404 and 405 for every path in the API's format.
 */
import Bourne from '@hapi/bourne';
import type { Request, ResponseObject, ResponseToolkit, Server } from '@hapi/hapi';
import type { Logger } from 'pino';
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

const PIL_CODES: Record<number, [string, string]> = {
  400: ['3101', 'Malformed syntax'],
  401: ['3000', 'Generic client error - authentication required'],
  403: ['3000', 'Generic client error - forbidden'],
  404: ['3002', 'Unknown URI'],
  405: ['3000', 'Generic client error - Method Not Allowed'],
  413: ['3104', 'Too large payload'],
  415: ['3000', 'Generic client error - unsupported media type'],
  429: ['3000', 'Generic client error - too many requests'],
  500: ['2001', 'Internal server error'],
  503: ['2003', 'Service currently unavailable'],
};

const G2P_CODES: Record<number, string> = {
  400: 'err.request.bad', 401: 'err.request.unauthorized', 403: 'err.request.forbidden', 404: 'err.request.not_found',
  405: 'err.request.bad', 413: 'err.request.bad', 415: 'err.request.bad', 429: 'err.request.too_many_requests',
  500: 'err.service.unavailable', 503: 'err.service.unavailable',
};

/** G2P Connect answers a refusal at the edge with NACK (authentication, authorisation, rate, signature) or ERR (a request it cannot read). */
const G2P_NACK = new Set([401, 403, 429]);

/**
 * An error body in the API's format. `code` is GPO's machine-readable code (native errorCode, G2P Connect err.*
 * code when it starts with `err.`); the PIL gets the FSPIOP code for the status and GPO's code in the description.
 */
export function edgeErrorBody(api: ApiName, status: number, code: string, message: string): unknown {
  const cls = status >= 500 ? 500 : status;
  if (api === 'pil') {
    const [errorCode, text] = PIL_CODES[status] ?? PIL_CODES[cls] ?? ['3000', 'Generic client error'];
    return { errorInformation: { errorCode, errorDescription: `${text} - ${message}` }, errors: [{ field: 'request', message, type: code }] };
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

/** True when the JSON text nests objects/arrays deeper than `max` (a byte scan: no recursion, no allocation). */
export function jsonTooDeep(buf: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/**
 * A request's JSON body, checked before and while parsing: media type, nesting depth, prototype keys
 * (`__proto__`, `constructor.prototype`), syntax. Throws an EdgeError (400/415) naming what is wrong.
 */
export function readJsonBody(request: Request, maxDepth: number): unknown {
  const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type && !JSON_TYPE.test(type)) throw new EdgeError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as application/json, not ${type.slice(0, 100)}`);
  const raw = request.payload as Buffer | string | undefined;
  const buf = raw === undefined || raw === null ? Buffer.alloc(0) : Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
  return parseJsonText(buf, maxDepth);
}

export function parseJsonText(buf: Buffer, maxDepth: number): unknown {
  if (buf.length === 0) throw new EdgeError(400, 'MALFORMED_JSON', 'the body is empty; a JSON document is expected');
  if (jsonTooDeep(buf, maxDepth)) throw new EdgeError(400, 'JSON_TOO_DEEP', `the JSON nests deeper than ${maxDepth} levels`);
  const text = buf.toString('utf8');
  let value: unknown;
  try {
    value = Bourne.parse(text, { protoAction: 'error' });
  } catch (err) {
    const m = (err as Error).message ?? '';
    if (/prototype/i.test(m)) throw forbiddenKey();
    throw new EdgeError(400, 'MALFORMED_JSON', `the body is not valid JSON: ${m.slice(0, 200)}`);
  }
  if (CONSTRUCTOR_RE.test(text) && hasConstructorPrototype(value)) throw forbiddenKey();
  return value;
}

const CONSTRUCTOR_RE = /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;
const forbiddenKey = () => new EdgeError(400, 'FORBIDDEN_KEY', 'the JSON contains a prototype key (__proto__ or constructor.prototype)');

/** An object anywhere with a `constructor` key holding a `prototype` key (walked without recursion; depth is already bounded). */
function hasConstructorPrototype(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (!v || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x && typeof x === 'object') stack.push(x);
      continue;
    }
    const o = v as Record<string, unknown>;
    const c = Object.prototype.hasOwnProperty.call(o, 'constructor') ? o.constructor : undefined;
    if (c && typeof c === 'object' && Object.prototype.hasOwnProperty.call(c, 'prototype')) return true;
    for (const k in o) if (o[k] && typeof o[k] === 'object') stack.push(o[k]);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors no handler answered: in the API's format

const CODE_OF_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED',
};

interface BoomLike {
  isBoom?: boolean;
  message?: string;
  data?: { gpoCode?: string } | null;
  output?: { statusCode: number; headers?: Record<string, string | number> };
}

/**
 * Every Boom answer (no route, bad encoding, too large, a refusal from authentication, a crash) becomes the API's
 * own error body; 5xx say nothing of the cause. Then every path any route serves gets a catch-all for other
 * methods: 405 with Allow.
 */
export function installEdgeFormats(server: Server, log: Logger): void {
  server.ext('onPreResponse', (request, h) => {
    const res = request.response as unknown as BoomLike;
    if (!res || !res.isBoom || !res.output) return h.continue;
    const status = res.output.statusCode;
    const api = apiOf(request);
    if (status >= 500) log.error({ err: res, path: request.path, method: request.method }, 'request failed');
    const code = res.data?.gpoCode ?? (status >= 500 ? 'INTERNAL_ERROR' : CODE_OF_STATUS[status] ?? 'BAD_REQUEST');
    const message = status >= 500 ? 'the request could not be processed; nothing was changed by this error'
      : status === 404 && !res.data?.gpoCode ? `no route ${request.path.slice(0, 200)}` : (res.message ?? 'bad request').slice(0, 500);
    const out = h.response(edgeErrorBody(api, status, code, message) as object).code(status);
    for (const [k, v] of Object.entries(res.output.headers ?? {})) if (/^(retry-after|allow|www-authenticate)$/i.test(k)) out.header(k, String(v));
    return out;
  });
}

/** After every route is registered: a catch-all route per path answering 405 with the methods it does serve. */
export function installMethodNotAllowed(server: Server): void {
  const byPath = new Map<string, { methods: Set<string>; api: ApiName }>();
  for (const r of server.table()) {
    if (r.method === '*') continue;
    const e = byPath.get(r.path) ?? { methods: new Set<string>(), api: (r.settings.plugins as { gpo?: RouteSecurity } | undefined)?.gpo?.api ?? apiOfPath(r.path) };
    e.methods.add(r.method.toUpperCase());
    if (r.method === 'get') e.methods.add('HEAD');
    byPath.set(r.path, e);
  }
  for (const [path, e] of byPath) {
    const allow = [...e.methods].sort().join(', ');
    server.route({
      method: '*',
      path,
      options: {
        auth: false,
        plugins: { gpo: { api: e.api } satisfies RouteSecurity },
        payload: { parse: false, output: 'data', maxBytes: 64 * 1024 },
        handler: (request, h) => edgeResponse(h, e.api, new EdgeError(405, 'METHOD_NOT_ALLOWED', `${request.method.toUpperCase()} is not served on ${path}; use ${allow}`, { allow })),
      },
    });
  }
}
