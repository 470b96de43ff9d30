/** Test helpers for the native API: a hapi server on port 0 with only the native routes, over a fake service. */
import Hapi from '@hapi/hapi';
import pino from 'pino';
import { resolveConfig, type OrchestratorOptions } from '../../orchestrator/config';
import { registerNativeApi, type NativeApiHandle } from '../../orchestrator/intake/native';
import { FakeDisbursementService, type FakeServiceOptions } from '../intake/fake-service';

export interface NativeHarness {
  url: string;
  service: FakeDisbursementService;
  handle: NativeApiHandle;
  stop(): Promise<void>;
}

export async function startNative(opts: { service?: FakeServiceOptions; config?: OrchestratorOptions } = {}): Promise<NativeHarness> {
  const service = new FakeDisbursementService({ settle: 'manual', ...(opts.service ?? {}) });
  const config = resolveConfig({ notify: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4, progressEveryMs: 0 }, seed: 7,
    ...(opts.config ?? {}) }, {});
  const server = Hapi.server({ port: 0, host: '127.0.0.1' });
  const handle = registerNativeApi(server, { service, config, logger: pino({ level: 'silent' }) });
  await server.start();
  return { url: `http://127.0.0.1:${server.info.port}`, service, handle, stop: () => server.stop({ timeout: 1000 }) };
}

export function payment(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { reference: `p-${i}`, payeeIdType: 'MSISDN', payeeIdValue: `2547100000${String(i).padStart(2, '0')}`, amount: '10.50', currency:
    'USD', ...over };
}

export function batchBody(n: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { reference: 'cycle-1', currency: 'USD', note: 'Pension', payments: Array.from({ length: n }, (_, i) => payment(i)), ...over };
}

/** Polls `check` until it returns a value or the deadline passes (no fixed sleeps). */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
