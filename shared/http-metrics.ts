/**
 * One hook for every answered HTTP request of a hapi server, for metrics: the route template (never the raw path,
 * so ids do not explode the label set), the status sent and the seconds since the request arrived. Used by the
 * orchestrator (requests per route) and the simulators (messages per resource).
 */
import type { Request, Server } from '@hapi/hapi';

export interface AnsweredRequest {
  method: string;
  /** The route template (`/v1/batches/{id}`), or `unmatched` when no route matched. */
  route: string;
  path: string;
  /** 0 when the client went away before an answer was sent. */
  status: number;
  seconds: number;
  request: Request;
}

const STARTED = Symbol('gpo.startedAt');

export function statusOf(request: Request): number {
  const raw = request.raw.res;
  if (raw.headersSent) return raw.statusCode;
  const r = request.response as unknown as { statusCode?: number; output?: { statusCode?: number } } | null;
  return r?.statusCode ?? r?.output?.statusCode ?? 0;
}

export function routeOf(request: Request): string {
  return (request.route.method as string) === '_special' ? 'unmatched' : request.route.path;
}

export function onEveryResponse(server: Server, observe: (answered: AnsweredRequest) => void): void {
  server.ext('onRequest', (request, h) => {
    (request as unknown as Record<symbol, number>)[STARTED] = performance.now();
    return h.continue;
  });
  server.events.on('response', (request) => {
    try {
      const started = (request as unknown as Record<symbol, number | undefined>)[STARTED] ?? performance.now();
      observe({
        method: request.method.toUpperCase(), route: routeOf(request), path: request.path, status: statusOf(request),
        seconds: (performance.now() - started) / 1000, request,
      });
    } catch {
      // metrics never break an answer
    }
  });
}
