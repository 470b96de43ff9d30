/**
 * Prometheus metrics of one simulator, served at its GET /metrics: the messages it received, by resource, kind and
 * outcome, and the protocol violations it refused, by error code. Self-contained on purpose: one call per server
 * (`serveSimulatorMetrics`) hooks it onto the place every message arrives (the server's answered requests), so it
 * moves with whatever transport carries the messages.
 *
 * - kind: `request` (POST, GET, PATCH), `callback` (PUT), `error` (PUT .../error).
 * - outcome: `accepted` (2xx), `refused` (4xx), `failed` (5xx), `dropped` (no answer sent).
 * - A violation is a message refused with an FSPIOP error body (errorInformation.errorCode): exactly what the
 *   simulators record in their violation logs (GET /admin/violations) before they answer with that body.
 */
import type { Server } from '@hapi/hapi';
import { Counter, Registry } from 'prom-client';
import { onEveryResponse, type AnsweredRequest } from '../shared/http-metrics';

/** Paths that are not messages of the simulated protocol. */
const NOT_MESSAGES = /^\/(admin|health|metrics)(\/|$)/;

export class SimulatorMetrics {
  readonly registry = new Registry();
  private readonly messages: Counter<'api' | 'resource' | 'kind' | 'outcome'>;
  private readonly violations: Counter<'api' | 'resource' | 'error_code'>;

  constructor(readonly simulator: string) {
    this.registry.setDefaultLabels({ simulator });
    this.messages = new Counter({
      name: 'gpo_sim_messages_total', help:
        'Messages the simulator received, by API, resource, kind (request, callback, error) and outcome (accepted, refused, failed, ' +
          'dropped)',
      labelNames: ['api', 'resource', 'kind', 'outcome'], registers: [this.registry],
    });
    this.violations = new Counter({
      name: 'gpo_sim_violations_total', help: 'Messages refused as protocol violations, by API, resource and FSPIOP error code',
      labelNames: ['api', 'resource', 'error_code'], registers: [this.registry],
    });
  }

  /** Counts one answered request (called for every request the server answered). */
  record(api: string, r: Pick<AnsweredRequest, 'method' | 'path' | 'status'> & { errorCode?: string }): void {
    if (NOT_MESSAGES.test(r.path)) return;
    const resource = r.path.split('/')[1] || 'root';
    const kind = r.method === 'PUT' ? (r.path.endsWith('/error') ? 'error' : 'callback') : 'request';
    const outcome = r.status === 0 ? 'dropped' : r.status < 400 ? 'accepted' : r.status < 500 ? 'refused' : 'failed';
    this.messages.inc({ api, resource, kind, outcome });
    if (outcome === 'refused' && r.errorCode) this.violations.inc({ api, resource, error_code: r.errorCode });
  }

  /** Hooks the counters onto a server's answered requests and adds GET /metrics to it. */
  serve(server: Server, api: string): void {
    onEveryResponse(server, (r) => {
      const source = (r.request.response as unknown as { source?: { errorInformation?: { errorCode?: unknown } } } | null)?.source;
      const code = source?.errorInformation?.errorCode;
      this.record(api, { method: r.method, path: r.path, status: r.status, errorCode: typeof code === 'string' ? code : undefined });
    });
    server.route({
      method: 'GET', path: '/metrics',
      handler: async (_req, h) => h.response(await this.registry.metrics()).type(this.registry.contentType),
    });
  }
}

/** A simulator's metrics on one or more of its servers (the payer DFSP has two: outbound and inbound). */
export function serveSimulatorMetrics(simulator: string, servers: Array<[Server, string]>): SimulatorMetrics {
  const m = new SimulatorMetrics(simulator);
  for (const [server, api] of servers) m.serve(server, api);
  return m;
}
