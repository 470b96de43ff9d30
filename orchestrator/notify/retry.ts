/**
 * An HTTP JSON sender for upstream callbacks (webhooks, G2P Connect on-disburse), built on shared/backoff.ts: a
 * bounded number of attempts, transient failures retried, definitive ones (a 4xx other than 408/429) given up at once.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { RetryAbortedError, retryWithBackoff, type BackoffPolicy } from '../../shared/backoff';

export { RetryAbortedError };

/** An HTTP answer that is not 2xx. */
export class HttpStatusError extends Error {
  constructor(readonly status: number, readonly bodyText: string) {
    super(`HTTP ${status}${bodyText ? `: ${bodyText.slice(0, 200)}` : ''}`);
    this.name = 'HttpStatusError';
  }
}

/** Network errors, timeouts, 5xx, 408 and 429 are worth another try; other 4xx are not. */
export function isTransientHttpFailure(err: unknown): boolean {
  if (err instanceof RetryAbortedError) return false;
  if (err instanceof HttpStatusError) return err.status >= 500 || err.status === 408 || err.status === 429;
  return true;
}

export interface JsonDelivery {
  url: string;
  body: string;
  headers?: Record<string, string>;
}

export interface SendResult {
  status: number;
  attempts: number;
}

export interface JsonSenderOptions {
  policy: BackoffPolicy;
  /** Per attempt (headers and body), ms. */
  timeoutMs?: number;
  random?: () => number;
  /** Headers added per attempt (e.g. the attempt number); called before each try. */
  onAttempt?: (attempt: number) => void;
  onRetry?: (err: unknown, failures: number, delayMs: number) => void;
}

/** POSTs JSON with keep-alive connections, retried per policy. close() ends its connections. */
export class JsonSender {
  private readonly agent: Dispatcher;
  constructor(private readonly opts: JsonSenderOptions) {
    this.agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  }

  /** `onRetry`: called after a failed attempt, before waiting for the next one (besides the sender's own). */
  async post(d: JsonDelivery, signal?: AbortSignal, onRetry?: (err: unknown, failures: number,
    delayMs: number) => void): Promise<SendResult> {
    let attempts = 0;
    const timeout = this.opts.timeoutMs ?? 10_000;
    const status = await retryWithBackoff<number>(async (attempt) => {
      attempts = attempt;
      this.opts.onAttempt?.(attempt);
      const res = await request(d.url, {
        method: 'POST',
        body: d.body,
        headers: { 'content-type': 'application/json', ...(d.headers ?? {}) },
        dispatcher: this.agent,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal,
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new HttpStatusError(res.statusCode, text);
      return res.statusCode;
    }, { policy: this.opts.policy, isRetryable: isTransientHttpFailure, random: this.opts.random, signal, onRetry:
      (err, failures, delayMs) => {
      this.opts.onRetry?.(err, failures, delayMs);
      onRetry?.(err, failures, delayMs);
    } })
      .catch((err: unknown) => {
        // how many attempts were made before giving up, for the caller's records
        if (err && typeof err === 'object') (err as { attempts?: number }).attempts = attempts;
        throw err;
      });
    return { status, attempts };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
