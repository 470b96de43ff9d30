/**
 * The FSPIOP edge shared by the ALS and payee DFSP servers: header checks with version negotiation, body
 * validation against the official v1.1 OpenAPI (Ajv, compiled once), official error bodies, and a keep-alive
 * client for callbacks.
 */
import { readFileSync } from 'node:fs';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Request, ResponseToolkit, Server } from '@hapi/hapi';
import { Pool } from 'undici';
import { parse as parseYaml } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ErrorHandling = require('@mojaloop/central-services-error-handling') as {
  Enums: { FSPIOPErrorCodes: Record<string, { code: string; message: string; httpStatusCode?: number }> };
};

const DESCRIPTIONS = new Map<string, string>();
for (const v of Object.values(ErrorHandling.Enums.FSPIOPErrorCodes)) if (v?.code && !DESCRIPTIONS.has(v.code)) DESCRIPTIONS.set(v.code, v.message);

/** The official description of an FSPIOP error code. */
export function describeError(code: string): string {
  return DESCRIPTIONS.get(code) ?? 'Generic error';
}

export interface ErrorInformationBody {
  errorInformation: { errorCode: string; errorDescription: string; extensionList?: { extension: Array<{ key: string; value: string }> } };
}

export function errorBody(code: string, detail?: string, extensions?: Array<{ key: string; value: string }>): ErrorInformationBody {
  const official = describeError(code);
  const errorDescription = (detail ? `${official} - ${detail}` : official).slice(0, 128);
  const body: ErrorInformationBody = { errorInformation: { errorCode: code, errorDescription } };
  if (extensions?.length) body.errorInformation.extensionList = { extension: extensions.slice(0, 16) };
  return body;
}

// ---------------------------------------------------------------------------------------------------------------
// versions and headers

export const SUPPORTED_VERSIONS = ['1.0', '1.1'] as const;
const CONTENT_TYPE_RE = /^application\/vnd\.interoperability\.([a-zA-Z]+)\+json\s*;\s*version\s*=\s*(\d+)(?:\.(\d+))?\s*$/;
const ACCEPT_RE = /application\/vnd\.interoperability\.([a-zA-Z]+)\+json(?:\s*;\s*version\s*=\s*(\d+)(?:\.(\d+))?)?/g;

export type FspiopResource = 'parties' | 'participants' | 'quotes' | 'transfers' | 'bulkQuotes' | 'bulkTransfers';

export interface HeaderProblem {
  status: number;
  body: ErrorInformationBody;
}

function versionsExtension(): Array<{ key: string; value: string }> {
  return SUPPORTED_VERSIONS.map((v) => ({ key: v.split('.')[0], value: v.split('.')[1] }));
}

/**
 * Checks FSPIOP headers of an inbound request: Date, FSPIOP-Source, Content-Type (resource + supported
 * version) for bodies, Accept on requests. Returns the sync error (400 3102/3101, 406 3001) or undefined.
 */
export function checkHeaders(
  headers: Record<string, unknown>,
  resource: FspiopResource,
  opts: { hasBody: boolean; isCallback: boolean; requireDestination?: boolean },
): HeaderProblem | undefined {
  const h = (name: string): string | undefined => {
    const v = headers[name];
    const first = Array.isArray(v) ? v[0] : v;
    return typeof first === 'string' ? first : undefined;
  };
  const ct = h('content-type');
  if (opts.hasBody || ct) {
    if (!ct) return { status: 400, body: errorBody('3102', 'Content-Type header missing') };
    const m = CONTENT_TYPE_RE.exec(ct);
    if (!m || m[1] !== resource) return { status: 400, body: errorBody('3101', `Content-Type must be application/vnd.interoperability.${resource}+json;version=1.1`) };
    const version = `${m[2]}.${m[3] ?? '0'}`;
    if (!(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
      return { status: 406, body: errorBody('3001', `version ${version} is not supported`, versionsExtension()) };
    }
  }
  if (!opts.isCallback) {
    const accept = h('accept');
    if (!accept) return { status: 400, body: errorBody('3102', 'Accept header missing') };
    let ok = false;
    let matched = false;
    for (const m of accept.matchAll(ACCEPT_RE)) {
      if (m[1] !== resource) continue;
      matched = true;
      if (!m[2] || SUPPORTED_VERSIONS.some((v) => v.startsWith(`${m[2]}.`) && (m[3] === undefined || v === `${m[2]}.${m[3]}`))) ok = true;
    }
    if (!matched) return { status: 400, body: errorBody('3101', `Accept must name application/vnd.interoperability.${resource}+json`) };
    if (!ok) return { status: 406, body: errorBody('3001', 'no supported version in Accept', versionsExtension()) };
  }
  const date = h('date');
  if (!date) return { status: 400, body: errorBody('3102', 'Date header missing') };
  if (Number.isNaN(Date.parse(date))) return { status: 400, body: errorBody('3101', 'Date header is not an HTTP date') };
  const source = h('fspiop-source');
  if (!source) return { status: 400, body: errorBody('3102', 'FSPIOP-Source header missing') };
  if (opts.requireDestination && !h('fspiop-destination')) return { status: 400, body: errorBody('3102', 'FSPIOP-Destination header missing') };
  return undefined;
}

/**
 * The version to answer a request in: the one it was sent in (Mojaloop's SDK sends 1.0 for parties, quotes and
 * bulk, 1.1 for transfers), 1.1 otherwise.
 */
export function answerVersion(headers: Record<string, unknown>): string {
  const ct = headers['content-type'];
  const accept = headers.accept;
  const text = typeof ct === 'string' ? ct : typeof accept === 'string' ? accept : '';
  return /version\s*=\s*1\.0\b/.test(text) ? '1.0' : '1.1';
}

/** Headers for a request or callback we originate. Callbacks carry no Accept (the spec). */
export function fspiopHeaders(resource: FspiopResource, source: string, destination: string | undefined, isCallback: boolean, version = '1.1'): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': `application/vnd.interoperability.${resource}+json;version=${version}`,
    date: new Date().toUTCString(),
    'fspiop-source': source,
  };
  if (destination) headers['fspiop-destination'] = destination;
  if (!isCallback) headers.accept = `application/vnd.interoperability.${resource}+json;version=${version.split('.')[0]}`;
  return headers;
}

// ---------------------------------------------------------------------------------------------------------------
// body validation against the official spec

const SPEC_PATH = require.resolve('@mojaloop/api-snippets/docs/fspiop-rest-v1.1-openapi3-snippets.yaml');
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/** Compiled validator for a schema of the v1.1 spec (compiled once, then cached). */
export function specValidator(schemaName: string): ValidateFunction {
  let v = validators.get(schemaName);
  if (v) return v;
  if (!ajv) {
    const doc = parseYaml(readFileSync(SPEC_PATH, 'utf8')) as { components: Record<string, unknown> };
    ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'fspiop-v1.1', components: doc.components });
  }
  v = ajv.getSchema(`fspiop-v1.1#/components/schemas/${schemaName}`);
  if (!v) throw new Error(`no schema ${schemaName} in the FSPIOP v1.1 spec`);
  validators.set(schemaName, v);
  return v;
}

/** Validates a body; returns the spec's sync answer (400 with 3100/3102/3103) or undefined. */
export function checkBody(schemaName: string, body: unknown): HeaderProblem | undefined {
  const v = specValidator(schemaName);
  if (v(body)) return undefined;
  const e = v.errors?.[0];
  if (!e) return { status: 400, body: errorBody('3100') };
  const where = e.instancePath || '/';
  if (e.keyword === 'required') return { status: 400, body: errorBody('3102', `${where} ${e.message ?? ''}`.trim()) };
  if (e.keyword === 'maxItems') return { status: 400, body: errorBody('3103', `${where} ${e.message ?? ''}`.trim()) };
  return { status: 400, body: errorBody('3100', `${where} ${e.message ?? ''}`.trim()) };
}

/** Compiles the given schemas now, so the first request pays nothing. */
export function warmValidators(names: string[]): void {
  for (const n of names) specValidator(n);
}

// ---------------------------------------------------------------------------------------------------------------
// hapi plumbing

/**
 * Makes a hapi server answer malformed JSON and oversize bodies the FSPIOP way (400 3101 / 400 3103-like),
 * instead of hapi's own error format.
 */
export function fspiopPayloadErrors(server: Server): void {
  server.ext('onPreResponse', (request: Request, h: ResponseToolkit) => {
    const r = request.response;
    if (!r || !('isBoom' in r) || !r.isBoom) return h.continue;
    const status = r.output.statusCode;
    if (request.path.startsWith('/admin') || request.path === '/health') return h.continue;
    if (status === 400) return h.response(errorBody('3101', r.message?.slice(0, 80))).code(400);
    if (status === 413) return h.response(errorBody('3100', 'body exceeds 5242880 bytes')).code(413);
    if (status === 415) return h.response(errorBody('3101', 'unsupported media type')).code(415);
    if (status === 404) return h.response(errorBody('3002', 'unknown URI')).code(404);
    if (status === 405) return h.response(errorBody('3000', 'method not allowed')).code(405);
    if (status >= 500) return h.response(errorBody('2001')).code(500);
    return h.continue;
  });
}

export const FSPIOP_MAX_BODY = 5_242_880;

// ---------------------------------------------------------------------------------------------------------------
// callbacks

/** One keep-alive undici Pool per peer origin. */
export class PeerClient {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly connections = 16) {}

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, { connections: this.connections, pipelining: 8, keepAliveTimeout: 30_000 });
      this.pools.set(origin, p);
    }
    return p;
  }

  /** Sends and returns the status code; throws on connection errors. */
  async send(method: 'GET' | 'PUT' | 'POST' | 'PATCH', url: string, headers: Record<string, string>, body?: unknown): Promise<number> {
    const u = new URL(url);
    const res = await this.pool(u.origin).request({
      method,
      path: u.pathname + u.search,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await res.body.dump();
    return res.statusCode;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}
