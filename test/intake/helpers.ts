/** A hapi server carrying one northbound API over the fake disbursement service, for the intake tests. */
import Hapi from '@hapi/hapi';
import pino from 'pino';
import { resolveConfig, type OrchestratorOptions } from '../../orchestrator/config';
import type { IntakeDeps } from '../../orchestrator/intake/deps';
import { FakeDisbursementService, type FakeServiceOptions } from './fake-service';

export interface IntakeHarness {
  server: Hapi.Server;
  service: FakeDisbursementService;
  deps: IntakeDeps;
  url: string;
  stop(): Promise<void>;
}

export async function startIntake(
  register: (server: Hapi.Server, deps: IntakeDeps) => void,
  opts: { service?: FakeServiceOptions; config?: OrchestratorOptions } = {},
): Promise<IntakeHarness> {
  const service = new FakeDisbursementService(opts.service);
  const config = resolveConfig({ seed: 7, ...(opts.config ?? {}) }, {});
  const deps: IntakeDeps = { service, config, logger: pino({ level: 'silent' }) };
  const server = Hapi.server({ port: 0, host: '127.0.0.1' });
  server.route({ method: 'GET', path: '/health', handler: () => ({ status: 'OK' }) });
  register(server, deps);
  await server.start();
  return { server, service, deps, url: `http://127.0.0.1:${server.info.port}`, stop: () => server.stop({ timeout: 100 }) };
}

/** Polls until the predicate holds or the deadline passes (no fixed sleeps). */
export async function eventually<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000, label = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${label} not reached within ${timeoutMs} ms; last value: ${JSON.stringify(v)?.slice(0,
      300)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
