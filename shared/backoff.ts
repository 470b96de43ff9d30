/**
 * Backoff for every retry loop of GPO: one formula (exponential, capped, equal jitter), an abortable wait, a
 * bounded retry of an async call, and polling until something is done. The engine's rail calls, the rails' polls,
 * the mapper resolver and the upstream notifiers all use it.
 */

export interface BackoffPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before retry number `failures` (1 after the first failure): base * 2^(failures-1), capped, then "equal
 * jitter" (half fixed, half random, `rand` in [0,1)) so many senders retrying together spread out.
 */
export function backoffDelay(failures: number, policy: Pick<BackoffPolicy, 'baseDelayMs' | 'maxDelayMs'>, rand: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + rand * (exp / 2));
}

export class RetryAbortedError extends Error {
  constructor() {
    super('retry aborted');
    this.name = 'RetryAbortedError';
  }
}

/** Waits `ms`, or rejects with RetryAbortedError as soon as the signal aborts. */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RetryAbortedError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new RetryAbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions {
  policy: BackoffPolicy;
  /** False: give up at once (definitive failure). Default: retry everything. */
  isRetryable?: (err: unknown) => boolean;
  random?: () => number;
  signal?: AbortSignal;
  onRetry?: (err: unknown, failures: number, delayMs: number) => void;
}

/** Runs fn until it resolves, a failure is definitive, the attempts run out or the signal aborts. */
export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const max = Math.max(1, opts.policy.maxAttempts);
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw new RetryAbortedError();
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= max || (opts.isRetryable && !opts.isRetryable(err)) || opts.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, opts.policy, (opts.random ?? Math.random)());
      opts.onRetry?.(err, attempt, delay);
      await abortableDelay(delay, opts.signal);
    }
  }
}

/** What one look at something being waited for found: the value, or how much is still pending. */
export type PollAnswer<T> = { done: true; value: T } | { done: false; pending: number };

/**
 * Looks until `look` finds the value, waiting 50 ms after the first look and twice as long after each next one (at
 * most 1 s). After `timeoutMs` the error `timedOut(pending)` is thrown, with what the last look found pending.
 */
export async function pollUntil<T>(look: () => Promise<PollAnswer<T>>, opts: { timeoutMs: number; timedOut: (pending: number) => Error })
  : Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let wait = 50;
  for (;;) {
    const a = await look();
    if (a.done) return a.value;
    if (Date.now() > deadline) throw opts.timedOut(a.pending);
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(1000, wait * 2);
  }
}
