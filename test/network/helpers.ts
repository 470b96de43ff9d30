/**
 * Test helpers for the simulated network: a callback sink that plays an outside peer (records every request,
 * lets a test await one with a deadline) and FSPIOP request builders.
 */
import Hapi from '@hapi/hapi';
import { request } from 'undici';
import { fspiopHeaders, FspiopResource } from '../../simulators/payee-dfsp/edge';

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface CallbackSink {
  url: string;
  received: Received[];
  /** Resolves with the first received request matching, or rejects after the deadline. */
  waitFor(match: (r: Received) => boolean, timeoutMs?: number, label?: string): Promise<Received>;
  /** Resolves when `count` matching requests arrived. */
  waitForCount(match: (r: Received) => boolean, count: number, timeoutMs?: number): Promise<Received[]>;
  stop(): Promise<void>;
}

/** `status`: what to answer a request (default 200 to PUT and PATCH, 202 otherwise); it is recorded whatever the answer. */
export async function startCallbackSink(opts: { status?: (r: Received) => number } = {}): Promise<CallbackSink> {
  const received: Received[] = [];
  let waiters: Array<() => void> = [];
  const server = Hapi.server({ port: 0, host: '127.0.0.1', routes: { payload: { maxBytes: 10_000_000 } } });
  server.route({
    method: '*',
    path: '/{any*}',
    options: { payload: { parse: false, output: 'data' } },
    handler: (req, h) => {
      const raw = req.payload as Buffer | undefined;
      let body: unknown;
      if (raw && raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          body = raw.toString('utf8');
        }
      }
      const r: Received = { method: req.method.toUpperCase(), path: req.path, headers: req.headers as Record<string, string>, body };
      received.push(r);
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
      return h.response().code(opts.status?.(r) ?? (req.method === 'put' || req.method === 'patch' ? 200 : 202));
    },
  });
  await server.start();
  const waitForCount = (match: (r: Received) => boolean, count: number, timeoutMs = 5000): Promise<Received[]> =>
    new Promise((resolve, reject) => {
      const deadline =
        setTimeout(() =>
          reject(new Error(`expected ${count} matching callbacks within ${timeoutMs} ms; got ${received.filter(match).length}: ` +
            `${received.map((r) => `${r.method} ${r.path}`).slice(-5).join(', ')}`)), timeoutMs);
      const check = () => {
        const hits = received.filter(match);
        if (hits.length >= count) {
          clearTimeout(deadline);
          resolve(hits);
        } else waiters.push(check);
      };
      check();
    });
  return {
    url: `http://127.0.0.1:${server.info.port}`,
    received,
    waitFor: async (match, timeoutMs = 5000) => (await waitForCount(match, 1, timeoutMs))[0],
    waitForCount,
    stop: () => server.stop({ timeout: 100 }),
  };
}

/** Sends an FSPIOP request (POST/GET/PUT/PATCH) with correct headers; returns status and body text. */
export async function fspiop(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  resource: FspiopResource,
  source: string,
  body?: unknown,
  opts: { destination?: string; headers?: Record<string, string>; isCallback?: boolean; rawBody?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const headers = { ...fspiopHeaders(resource, source, opts.destination, opts.isCallback ?? (method === 'PUT' || method === 'PATCH')),
    ...opts.headers };
  for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
  const res = await request(baseUrl + path, {
    method,
    headers,
    body: opts.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.statusCode, body: parsed };
}
