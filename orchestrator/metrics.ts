/** The orchestrator's Prometheus metrics, in a registry of its own (several orchestrators can share a process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineMetrics } from './engine/engine';
import type { PaymentStatus } from './domain/types';
import type { RailTimings } from './rails/port';

export class OrchestratorMetrics implements EngineMetrics, RailTimings {
  readonly registry = new Registry();
  private readonly payments: Counter<'status'>;
  private readonly inFlight: Gauge;
  private readonly railLatency: Histogram<'operation' | 'outcome'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    this.payments = new Counter({ name: 'gpo_payments_total', help: 'Payments that reached a final status, by status', labelNames: ['status'], registers: [this.registry] });
    this.inFlight = new Gauge({ name: 'gpo_chunks_in_flight', help: 'Chunks (slices) being worked on', registers: [this.registry] });
    this.railLatency = new Histogram({
      name: 'gpo_rail_request_seconds', help: 'Latency of rail calls by operation and outcome', labelNames: ['operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry],
    });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'gpo_' });
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

  paymentsFinal(status: PaymentStatus, count: number): void {
    this.payments.inc({ status }, count);
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
