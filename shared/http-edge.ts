/**
 * What every GPO server needs at its HTTP edge, whatever its API's error format: JSON read with a depth limit and
 * without prototype keys, every Boom answer (no route, bad encoding, too large, a crash) handed to the API's own
 * formatter, and a 405 with Allow for every path a route serves.
 */
import Bourne from '@hapi/bourne';
import type { Request, ResponseObject, ResponseToolkit, Server } from '@hapi/hapi';

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

const CONSTRUCTOR_RE =
  /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

/** An object anywhere with a `constructor` key holding a `prototype` key (walked without recursion). */
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

export type JsonRead = { ok: true; value: unknown } | { ok: false; code: 'MALFORMED_JSON' | 'JSON_TOO_DEEP' | 'FORBIDDEN_KEY';
  message: string };

/** Parses JSON text checked before and while parsing: emptiness, nesting depth, prototype keys, syntax. */
export function readJson(buf: Buffer, maxDepth: number): JsonRead {
  if (buf.length === 0) return { ok: false, code: 'MALFORMED_JSON', message: 'the body is empty; a JSON document is expected' };
  if (jsonTooDeep(buf, maxDepth)) return { ok: false, code: 'JSON_TOO_DEEP', message: `the JSON nests deeper than ${maxDepth} levels` };
  const text = buf.toString('utf8');
  const forbidden =
    { ok: false, code: 'FORBIDDEN_KEY', message: 'the JSON contains a prototype key (__proto__ or constructor.prototype)' } as const;
  let value: unknown;
  try {
    value = Bourne.parse(text, { protoAction: 'error' });
  } catch (err) {
    const m = (err as Error).message ?? '';
    if (/prototype/i.test(m)) return forbidden;
    return { ok: false, code: 'MALFORMED_JSON', message: `the body is not valid JSON: ${m.slice(0, 200)}` };
  }
  if (CONSTRUCTOR_RE.test(text) && hasConstructorPrototype(value)) return forbidden;
  return { ok: true, value };
}

interface BoomLike {
  isBoom?: boolean;
  message?: string;
  data?: { gpoCode?: string } | null;
  output?: { statusCode: number; headers?: Record<string, string | number> };
}

export interface BoomAnswer {
  status: number;
  /** The code the refusal carries (set by GPO), if any. */
  code?: string;
  message: string;
  /** Headers worth keeping (Retry-After, Allow, WWW-Authenticate). */
  headers: Record<string, string>;
}

/** Every Boom answer goes through `format`, which returns the API's own error response. */
export function formatBoomAnswers(server: Server, format: (request: Request, h: ResponseToolkit, b: BoomAnswer) => ResponseObject): void {
  server.ext('onPreResponse', (request, h) => {
    const res = request.response as unknown as BoomLike;
    if (!res || !res.isBoom || !res.output) return h.continue;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.output.headers
      ?? {})) if (/^(retry-after|allow|www-authenticate)$/i.test(k)) headers[k.toLowerCase()] = String(v);
    const out = format(request, h, { status: res.output.statusCode, code: res.data?.gpoCode, message: res.message ?? '', headers });
    for (const [k, v] of Object.entries(headers)) out.header(k, v);
    return out;
  });
}

/** After every route is registered: per path, a catch-all for other methods answering `respond` (405) with Allow. */
export function addMethodNotAllowed(server: Server, respond: (request: Request, h: ResponseToolkit, path: string,
  allow: string) => ResponseObject, routeOptions: (path: string) => Record<string, unknown> = () => ({})): void {
  const byPath = new Map<string, Set<string>>();
  for (const r of server.table()) {
    if (r.method === '*') continue;
    const methods = byPath.get(r.path) ?? new Set<string>();
    methods.add(r.method.toUpperCase());
    if (r.method === 'get') methods.add('HEAD');
    byPath.set(r.path, methods);
  }
  for (const [path, methods] of byPath) {
    const allow = [...methods].sort().join(', ');
    server.route({
      method: '*',
      path,
      options: {
        payload: { parse: false, output: 'data', maxBytes: 64 * 1024 },
        ...routeOptions(path),
        handler: (request, h) => respond(request, h, path, allow).header('allow', allow),
      },
    });
  }
}

/** The FSPIOP error code (and its text) an FSPIOP-style API answers an HTTP-level refusal with. */
export function fspiopCodeForStatus(status: number): [code: string, text: string] {
  switch (status) {
    case 400: return ['3101', 'Malformed syntax'];
    case 401: return ['3000', 'Generic client error - authentication required'];
    case 403: return ['3000', 'Generic client error - forbidden'];
    case 404: return ['3002', 'Unknown URI'];
    case 405: return ['3000', 'Generic client error - Method Not Allowed'];
    case 413: return ['3104', 'Too large payload'];
    case 415: return ['3000', 'Generic client error - unsupported media type'];
    case 429: return ['3000', 'Generic client error - too many requests'];
    case 503: return ['2003', 'Service currently unavailable'];
    default: return status >= 500 ? ['2001', 'Internal server error'] : ['3000', 'Generic client error'];
  }
}
