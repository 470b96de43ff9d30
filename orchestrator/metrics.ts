/**
 * The orchestrator's Prometheus metrics, in a registry of its own (several orchestrators can share a process):
 * payments, chunks, rail latency, HTTP requests per route; plus the process's own metrics (CPU, memory, event
 * loop, GC: prom-client's defaults), collected once per process and shown by every orchestrator in it.
 */
import type { Server } from '@hapi/hapi';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { onEveryResponse } from '../shared/http-metrics';
import type { EngineMetrics } from './engine/engine';
import type { PaymentStatus } from './domain/types';
import type { RailTimings } from './rails/port';

let processRegistry: Registry | undefined;

/** prom-client's default metrics for this process (process_*, nodejs_*), started on first use. */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class OrchestratorMetrics implements EngineMetrics, RailTimings {
  readonly registry = new Registry();
  private readonly payments: Counter<'status'>;
  private readonly inFlight: Gauge;
  private readonly railErrors: Counter;
  private readonly railLatency: Histogram<'operation' | 'outcome'>;
  private readonly http: Histogram<'method' | 'route' | 'status_code'>;
  private readonly notifyLatency: Histogram<'channel'>;

  constructor(private readonly opts: { processMetrics?: boolean } = {}) {
    this.payments = new Counter({ name: 'gpo_payments_total', help: 'Payments that reached a final status, by status', labelNames:
      ['status'], registers: [this.registry] });
    this.railErrors = new Counter({ name: 'gpo_rail_errors_total', help:
      'Rail calls that failed (each attempt), by operation and FSPIOP error code', labelNames: ['operation', 'code'], registers:
        [this.registry] });
    this.inFlight = new Gauge({ name: 'gpo_chunks_in_flight', help: 'Chunks (slices) being worked on', registers: [this.registry] });
    this.railLatency = new Histogram({
      name: 'gpo_rail_request_seconds', help: 'Latency of rail calls by operation and outcome', labelNames: ['operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry],
    });
    this.http = new Histogram({
      name: 'gpo_http_server_request_duration_seconds', help:
        'Requests answered by the orchestrator, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.notifyLatency = new Histogram({
      name: 'gpo_notification_latency_seconds', help:
        'From a batch\'s final status stored to its final notification acknowledged upstream, by channel',
      labelNames: ['channel'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600], registers: [this.registry],
    });
  }

  /** The text a scrape of GET /metrics answers: this orchestrator's metrics, then the process's. */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    return this.opts.processMetrics === false ? own : `${own}\n${await processMetrics().metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Times every request the server answers, labelled by its route template (ids never become labels). */
  instrument(server: Server): void {
    onEveryResponse(server, (r) => this.http.observe({ method: r.method, route: r.route, status_code: String(r.status) }, r.seconds));
  }

  /** Live counts per status, read from the engine at scrape time. */
  addStatusGauge(collect: () => Record<string, number>): void {
    new Gauge({
      name: 'gpo_payments', help: 'Payments of unfinished batches by current status', labelNames: ['status'], registers: [this.registry],
      collect() {
        for (const [status, n] of Object.entries(collect())) this.set({ status }, n);
      },
    });
  }

  /** Payments the rail reported in doubt and GPO keeps asking about, read from the engine at scrape time. */
  addInDoubtGauge(collect: () => number): void {
    new Gauge({
      name: 'gpo_payments_in_doubt', help:
        'Payments sent whose outcome the rail reported unknown (2004, may still commit): asked about until known or inDoubtTimeoutMs',
      registers: [this.registry],
      collect() {
        this.set(collect());
      },
    });
  }

  /** 1 while the rail's peer answers, 0 while it does not, probed at scrape time (at most once a second). */
  addRailReachableGauge(rail: string, check: () => Promise<{ reachable: boolean }>): void {
    new Gauge({
      name: 'gpo_rail_reachable', help: 'Whether the rail\'s peer (payer DFSP SDK or PIL) answers: 1 yes, 0 no', labelNames: ['rail'],
      registers: [this.registry],
      async collect() {
        this.set({ rail }, (await check()).reachable ? 1 : 0);
      },
    });
  }

  /** Outbox backlog (pending) and dead letters per channel, read from the store at scrape time. */
  addOutboxGauges(counts: () => Promise<{ pending: Record<string, number>; dead: Record<string, number> }>): void {
    let last: Promise<{ pending: Record<string, number>; dead: Record<string, number> }> | undefined;
    // One store read per scrape serves both gauges.
    const read = () => (last ??= counts().finally(() => setImmediate(() => (last = undefined))));
    new Gauge({
      name: 'gpo_outbox_pending', help: 'Upstream notifications (finals, on-status answers) stored and not yet acknowledged, by channel', labelNames: ['channel'],
      registers: [this.registry],
      async collect() {
        for (const [channel, n] of Object.entries((await read()).pending)) this.set({ channel }, n);
      },
    });
    new Gauge({
      name: 'gpo_outbox_dead', help:
        'Dead letters: upstream notifications given up after their attempts ran out, by channel (replay: POST ' +
          '/v1/outbox/dead-letters/{id}/replay)',
      labelNames: ['channel'], registers: [this.registry],
      async collect() {
        for (const [channel, n] of Object.entries((await read()).dead)) this.set({ channel }, n);
      },
    });
  }

  notificationDelivered(channel: string, seconds: number): void {
    this.notifyLatency.observe({ channel }, seconds);
  }

  paymentsFinal(status: PaymentStatus, count: number): void {
    this.payments.inc({ status }, count);
  }

  railError(operation: string, errorCode: string): void {
    this.railErrors.inc({ operation, code: errorCode });
  }

  chunkStarted(): void {
    this.inFlight.inc();
  }

  chunkEnded(): void {
    this.inFlight.dec();
  }

  observe(operation: string, seconds: number, outcome: 'ok' | 'error'): void {
    this.railLatency.observe({ operation, outcome }, seconds);
  }
}
