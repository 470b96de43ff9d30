/**
 * k6/http on undici: every call returns a Promise of a k6-shaped Response (status, body, headers, timings, json()).
 * Scripts await every call, which in real k6 is what http.asyncRequest needs and a no-op on the synchronous calls.
 * Like k6: a network error or timeout gives status 0 with `error`/`error_code` instead of throwing; statuses
 * 200-399 are the expected ones (http_req_failed).
 */
import { Agent, request } from 'undici';
import { parseDuration } from './durations';
import type { Tags } from './metrics';

export interface HttpParams {
  headers?: Record<string, string>;
  tags?: Tags;
  timeout?: string | number;
  responseType?: 'text' | 'none' | 'binary';
}

export interface K6Timings {
  duration: number;
  waiting: number;
  receiving: number;
  sending: number;
  blocked: number;
  connecting: number;
  tls_handshaking: number;
}

export interface K6Response {
  status: number;
  status_text: string;
  url: string;
  body: string | null;
  headers: Record<string, string>;
  timings: K6Timings;
  error: string;
  error_code: number;
  request: { method: string; url: string; headers: Record<string, string>; body: string };
  json(selector?: string): unknown;
}

export interface HttpSample {
  method: string;
  url: string;
  status: number;
  name: string;
  duration: number;
  waiting: number;
  failed: boolean;
  tags?: Tags;
  bytesSent: number;
  bytesReceived: number;
}

function bodyText(body: unknown): string {
  if (body === null || body === undefined) return '';
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer) return Buffer.from(body).toString();
  if (typeof body === 'object') {
    // k6 form-encodes an object body
    return new URLSearchParams(Object.entries(body as Record<string, unknown>).map(([k, v]): [string, string] =>
      [k, String(v)])).toString();
  }
  return String(body);
}

function select(value: unknown, selector: string): unknown {
  let cur = value;
  for (const part of selector.split('.').filter(Boolean)) {
    if (cur === null || cur === undefined) return undefined;
    const m = /^#?(\d+)$/.exec(part);
    cur = Array.isArray(cur) && m ? cur[Number(m[1])] : (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Thrown into an iteration that outlived the test (gracefulStop): it ends without being counted. */
export class IterationInterrupted extends Error {
  constructor() {
    super('iteration interrupted: the test ended');
  }
}

export class K6Http {
  private readonly agent: Agent;

  constructor(private readonly onSample: (s: HttpSample) => void, private readonly isStopped: () => boolean) {
    this.agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: null });
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }

  async request(method: string, url: string, body?: unknown, params?: HttpParams | null): Promise<K6Response> {
    const m = method.toUpperCase();
    const text = bodyText(body);
    const headers: Record<string, string> = { 'user-agent': 'gpo-node-runner (k6-compatible subset)', ...(params?.headers ?? {}) };
    if (typeof body === 'object' && body !== null && !(body instanceof ArrayBuffer)
      && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const timeoutMs = parseDuration(params?.timeout, 60_000);
    const name = params?.tags?.name ?? url;
    const t0 = performance.now();
    let waiting = 0;
    let status = 0;
    let statusText = '';
    let resBody = '';
    let resHeaders: Record<string, string> = {};
    let error = '';
    let errorCode = 0;
    if (this.isStopped()) {
      // like k6 after gracefulStop: an iteration still running when the test ends is interrupted, not measured
      throw new IterationInterrupted();
    } else {
      try {
        const res = await request(url, {
          method: m as 'GET', headers, body: m === 'GET' || m === 'HEAD' ? undefined : text,
          dispatcher: this.agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs),
        });
        waiting = performance.now() - t0;
        status = res.statusCode;
        resBody = params?.responseType === 'none' ? (await res.body.dump(), '') : await res.body.text();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders[k] = Array.isArray(v) ? v.join(', ') : String(v);
      } catch (err) {
        const e = err as Error & { code?: string; name?: string };
        const timedOut = e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
        error = timedOut ? `request timeout after ${timeoutMs} ms` : e.message;
        errorCode = timedOut ? 1050 : e.code === 'ECONNREFUSED' ? 1212 : 1000;
        status = 0;
        resBody = '';
        resHeaders = {};
      }
    }
    const duration = performance.now() - t0;
    const failed = !(status >= 200 && status < 400);
    statusText = status ? `${status}` : '';
    this.onSample({ method: m, url, status, name, duration, waiting, failed, tags: params?.tags, bytesSent: Buffer.byteLength(text),
      bytesReceived: Buffer.byteLength(resBody) });
    const response: K6Response = {
      status, status_text: statusText, url, body: params?.responseType === 'none' ? null : resBody, headers: resHeaders,
      timings: { duration, waiting, receiving: Math.max(0, duration - waiting), sending: 0, blocked: 0, connecting: 0, tls_handshaking: 0 },
      error, error_code: errorCode,
      request: { method: m, url, headers, body: text },
      json(selector?: string) {
        const parsed = JSON.parse(resBody) as unknown;
        return selector ? select(parsed, selector) : parsed;
      },
    };
    return response;
  }
}
