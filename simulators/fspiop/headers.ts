/**
 * FSPIOP headers: build and check Content-Type / Accept (resource and version), Date, FSPIOP-Source and
 * FSPIOP-Destination; version negotiation (an unsupported version gets 406 with 3001 and the supported versions).
 */
import { errorBody, HeaderProblem } from './errors';
import { ErrorCode } from '../../shared/fspiop-errors';

export type { HeaderProblem } from './errors';

export const SUPPORTED_VERSIONS = ['1.0', '1.1'] as const;
const CONTENT_TYPE_RE = /^application\/vnd\.interoperability\.([a-zA-Z]+)\+json\s*;\s*version\s*=\s*(\d+)(?:\.(\d+))?\s*$/;
const ACCEPT_RE = /application\/vnd\.interoperability\.([a-zA-Z]+)\+json(?:\s*;\s*version\s*=\s*(\d+)(?:\.(\d+))?)?/g;

export type FspiopResource = 'parties' | 'participants' | 'quotes' | 'transfers' | 'bulkQuotes' | 'bulkTransfers';

/** `application/vnd.interoperability.{resource}+json;version={version}` */
export function contentTypeHeader(resource: FspiopResource, version = '1.1'): string {
  return `application/vnd.interoperability.${resource}+json;version=${version}`;
}

/** Accept for a request: the major version only, as the spec's examples (`version=1`). */
export function acceptHeader(resource: FspiopResource, version = '1.1'): string {
  return `application/vnd.interoperability.${resource}+json;version=${version.split('.')[0]}`;
}

/** The resource and version a Content-Type names, or undefined when it is not an FSPIOP content type. */
export function parseContentType(value: string | undefined): { resource: string; version: string } | undefined {
  const m = value ? CONTENT_TYPE_RE.exec(value) : null;
  return m ? { resource: m[1], version: `${m[2]}.${m[3] ?? '0'}` } : undefined;
}

/** The extension list an error 3001 carries: each supported version as {key: major, value: minor}. */
export function versionsExtension(): Array<{ key: string; value: string }> {
  return SUPPORTED_VERSIONS.map((v) => ({ key: v.split('.')[0], value: v.split('.')[1] }));
}

/**
 * Version negotiation on an Accept header: the highest supported version it allows for the resource, or
 * undefined when it names the resource but no supported version (→ 406/3001), or null when it does not name it.
 */
export function negotiateVersion(accept: string, resource: FspiopResource): string | undefined | null {
  let best: string | undefined;
  let matched = false;
  for (const m of accept.matchAll(ACCEPT_RE)) {
    if (m[1] !== resource) continue;
    matched = true;
    for (const v of SUPPORTED_VERSIONS) {
      if (!m[2] || (v.startsWith(`${m[2]}.`) && (m[3] === undefined || v === `${m[2]}.${m[3]}`))) {
        if (!best || v > best) best = v;
      }
    }
  }
  return matched ? best : null;
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
    if (!ct) return { status: 400, body: errorBody(ErrorCode.MISSING_ELEMENT, 'Content-Type header missing') };
    const parsed = parseContentType(ct);
    if (!parsed || parsed.resource !== resource) return { status: 400, body:
      errorBody(ErrorCode.MALFORMED_SYNTAX, `Content-Type must be ${contentTypeHeader(resource)}`) };
    if (!(SUPPORTED_VERSIONS as readonly string[]).includes(parsed.version)) {
      return { status: 406, body: errorBody(ErrorCode.UNACCEPTABLE_VERSION, `version ${parsed.version} is not supported`,
        versionsExtension()) };
    }
  }
  if (!opts.isCallback) {
    const accept = h('accept');
    if (!accept) return { status: 400, body: errorBody(ErrorCode.MISSING_ELEMENT, 'Accept header missing') };
    const v = negotiateVersion(accept, resource);
    if (v === null) return { status: 400, body: errorBody(ErrorCode.MALFORMED_SYNTAX,
      `Accept must name application/vnd.interoperability.${resource}+json`) };
    if (v === undefined) return { status: 406, body: errorBody(ErrorCode.UNACCEPTABLE_VERSION, 'no supported version in Accept',
      versionsExtension()) };
  }
  const date = h('date');
  if (!date) return { status: 400, body: errorBody(ErrorCode.MISSING_ELEMENT, 'Date header missing') };
  if (Number.isNaN(Date.parse(date))) return { status: 400, body: errorBody(ErrorCode.MALFORMED_SYNTAX,
    'Date header is not an HTTP date') };
  const source = h('fspiop-source');
  if (!source) return { status: 400, body: errorBody(ErrorCode.MISSING_ELEMENT, 'FSPIOP-Source header missing') };
  if (opts.requireDestination && !h('fspiop-destination')) return { status: 400, body:
    errorBody(ErrorCode.MISSING_ELEMENT, 'FSPIOP-Destination header missing') };
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
export function fspiopHeaders(resource: FspiopResource, source: string, destination: string | undefined, isCallback: boolean,
  version = '1.1'): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': contentTypeHeader(resource, version),
    date: new Date().toUTCString(),
    'fspiop-source': source,
  };
  if (destination) headers['fspiop-destination'] = destination;
  if (!isCallback) headers.accept = acceptHeader(resource, version);
  return headers;
}
