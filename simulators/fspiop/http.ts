/**
 * HTTP plumbing for FSPIOP servers and peers: hapi answers malformed JSON, oversize bodies, unknown URIs and
 * wrong methods in the FSPIOP error format; a keep-alive undici client per peer origin for callbacks.
 */
import type { Request, ResponseToolkit, Server } from '@hapi/hapi';
import { Pool } from 'undici';
import { errorBody } from './errors';
import { ErrorCode } from '../../shared/fspiop-errors';

/** One message a simulator sent to a peer, kept for diagnosis: HTTP status, or the error if it was not delivered. */
export interface SentMessage {
  at: number;
  method: string;
  url: string;
  status?: number;
  error?: string;
  isError: boolean;
}

/** The spec's body limit. */
export const FSPIOP_MAX_BODY = 5_242_880;

/**
 * Makes a hapi server answer malformed JSON and oversize bodies the FSPIOP way (400 3101 / 413 3100),
 * instead of hapi's own error format. /admin and /health keep hapi's format.
 */
export function fspiopPayloadErrors(server: Server): void {
  server.ext('onPreResponse', (request: Request, h: ResponseToolkit) => {
    const r = request.response;
    if (!r || !('isBoom' in r) || !r.isBoom) return h.continue;
    const status = r.output.statusCode;
    if (request.path.startsWith('/admin') || request.path === '/health') return h.continue;
    if (status === 400) return h.response(errorBody(ErrorCode.MALFORMED_SYNTAX, r.message?.slice(0, 80))).code(400);
    if (status === 413) return h.response(errorBody(ErrorCode.VALIDATION_ERROR, `body exceeds ${FSPIOP_MAX_BODY} bytes`)).code(413);
    if (status === 415) return h.response(errorBody(ErrorCode.MALFORMED_SYNTAX, 'unsupported media type')).code(415);
    if (status === 404) return h.response(errorBody(ErrorCode.UNKNOWN_URI, 'unknown URI')).code(404);
    if (status === 405) return h.response(errorBody(ErrorCode.CLIENT_ERROR, 'method not allowed')).code(405);
    if (status >= 500) return h.response(errorBody(ErrorCode.INTERNAL_SERVER_ERROR)).code(500);
    return h.continue;
  });
}

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
      body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    await res.body.dump();
    return res.statusCode;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}
