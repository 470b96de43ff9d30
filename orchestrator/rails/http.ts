/** A keep-alive JSON client over an undici Pool, with a per-call timeout and rail latency timings. */
import { Pool } from 'undici';
import type { RailTimings } from './port';
import { RailCallError } from './port';
import { ErrorCode } from '../../shared/fspiop-errors';

export interface JsonResponse {
  status: number;
  body: unknown;
}

export class JsonClient {
  private readonly pool: Pool;
  private readonly base: string;

  constructor(baseUrl: string, private readonly timeoutMs: number, private readonly timings?: RailTimings, connections = 32) {
    const u = new URL(baseUrl);
    this.base = u.pathname.replace(/\/$/, '');
    this.pool = new Pool(u.origin, { connections, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  /** Any HTTP status comes back as a response; network failures and timeouts throw a transient RailCallError. */
  async call(method: 'GET' | 'POST' | 'PUT', path: string, operation: string, body?: unknown): Promise<JsonResponse> {
    const started = process.hrtime.bigint();
    let outcome: 'ok' | 'error' = 'error';
    try {
      const res = await this.pool.request({
        method, path: this.base + path,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.body.text();
      let parsed: unknown = undefined;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = { message: text.slice(0, 200) };
        }
      }
      outcome = res.statusCode < 500 ? 'ok' : 'error';
      return { status: res.statusCode, body: parsed };
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      const timeout = e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(String(e.code ?? ''));
      throw new RailCallError(`${method} ${path}: ${e.message ?? String(err)}`, true, timeout ? ErrorCode.SERVER_TIMED_OUT
        : ErrorCode.DESTINATION_COMMUNICATION_ERROR);
    } finally {
      this.timings?.observe(operation, Number(process.hrtime.bigint() - started) / 1e9, outcome);
    }
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }
}

/** The FSPIOP error code inside an SDK/PIL error answer, wherever it sits. */
export function errorCodeOf(body: unknown): { code?: string; description?: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  const le = b.lastError as { mojaloopError?: { errorInformation?: unknown } } | undefined;
  const info = (b.errorInformation ?? le?.mojaloopError?.errorInformation) as Record<string, unknown> | undefined;
  if (info && typeof info.errorCode === 'string') return { code: info.errorCode, description: String(info.errorDescription ?? '') };
  if (typeof b.statusCode === 'string' && /^\d{4}$/.test(b.statusCode)) return { code: b.statusCode, description: String(b.message ?? '') };
  return { description: typeof b.message === 'string' ? b.message : undefined };
}
