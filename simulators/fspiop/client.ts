/**
 * FSPIOP client for a DFSP that originates requests: sends a request to a peer (switch or ALS) over a keep-alive
 * undici Pool per origin and awaits the matching callback (resource + id), which the DFSP's inbound server hands
 * over with `deliver`. Every request ends in exactly one of four outcomes: the success callback's body, the error
 * callback's errorInformation, a timeout (no callback in time), or the peer's refusal of the request itself.
 */
import { Pool } from 'undici';
import { fspiopHeaders, FspiopResource } from './headers';
import { ErrorCode } from '../../shared/fspiop-errors';

export interface ErrorInformation {
  errorCode: string;
  errorDescription: string;
  extensionList?: { extension: Array<{ key: string; value: string }> };
}

export type FspiopOutcome<T = Record<string, unknown>> =
  | { kind: 'success'; body: T }
  | { kind: 'error'; errorInformation: ErrorInformation }
  | { kind: 'timeout'; waitedMs: number }
  /** The request itself was not accepted: HTTP status other than 202 (status 0: no connection). */
  | { kind: 'rejected'; status: number; errorInformation?: ErrorInformation; message: string };

export interface FspiopRequest {
  method: 'GET' | 'POST';
  /** Peer base URL, e.g. the switch or the ALS. */
  baseUrl: string;
  path: string;
  resource: FspiopResource;
  destination?: string;
  body?: unknown;
  /** The callback key: `${resource}/${id}` (parties: `parties/${Type}/${ID}[/${SubId}]`). */
  key: string;
  timeoutMs: number;
  /** Content-Type/Accept version; default 1.1. */
  version?: string;
}

interface Waiter {
  settle: (o: FspiopOutcome) => void;
}

/** Callback key of a resource and its id(s). */
export function callbackKey(resource: FspiopResource, ...ids: string[]): string {
  return `${resource}/${ids.join('/')}`;
}

export interface FspiopClientOptions {
  fspId: string;
  /** Connections per peer origin (default 32). */
  connections?: number;
  /** Called for a callback nobody waits for (late, duplicated or unknown). */
  onUnmatched?: (key: string, isError: boolean, body: unknown) => void;
}

export class FspiopClient {
  private readonly pools = new Map<string, Pool>();
  private readonly waiting = new Map<string, Waiter[]>();
  private readonly connections: number;
  readonly fspId: string;
  onUnmatched?: FspiopClientOptions['onUnmatched'];

  constructor(opts: FspiopClientOptions) {
    this.fspId = opts.fspId;
    this.connections = opts.connections ?? 32;
    this.onUnmatched = opts.onUnmatched;
  }

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 30_000 });
      this.pools.set(origin, p);
    }
    return p;
  }

  /** Number of requests still awaiting a callback. */
  get pending(): number {
    let n = 0;
    for (const w of this.waiting.values()) n += w.length;
    return n;
  }

  /** Sends the request and resolves with its outcome; never rejects. */
  request<T = Record<string, unknown>>(req: FspiopRequest): Promise<FspiopOutcome<T>> {
    return new Promise<FspiopOutcome<T>>((resolve) => {
      let done = false;
      const started = Date.now();
      const waiter: Waiter = {
        settle: (o) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.remove(req.key, waiter);
          resolve(o as FspiopOutcome<T>);
        },
      };
      // registered before sending: the callback may beat the 202
      const list = this.waiting.get(req.key);
      if (list) list.push(waiter);
      else this.waiting.set(req.key, [waiter]);
      const timer = setTimeout(() => waiter.settle({ kind: 'timeout', waitedMs: Date.now() - started }), req.timeoutMs);
      timer.unref?.();
      this.send(req).then((r) => { if (r) waiter.settle(r); }, (err: Error) =>
        waiter.settle({ kind: 'rejected', status: 0, message: err.message }));
    });
  }

  private async send(req: FspiopRequest): Promise<FspiopOutcome | undefined> {
    const u = new URL(req.baseUrl);
    const prefix = u.pathname.replace(/\/+$/, '');
    const res = await this.pool(u.origin).request({
      method: req.method,
      path: prefix + req.path,
      headers: fspiopHeaders(req.resource, this.fspId, req.destination, false, req.version ?? '1.1'),
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    if (res.statusCode === 202 || res.statusCode === 200) {
      await res.body.dump();
      return undefined;
    }
    let text = '';
    try {
      text = await res.body.text();
    } catch {
      /* nothing to read */
    }
    let errorInformation: ErrorInformation | undefined;
    try {
      errorInformation = (JSON.parse(text) as { errorInformation?: ErrorInformation }).errorInformation;
    } catch {
      /* not JSON */
    }
    return { kind: 'rejected', status: res.statusCode, errorInformation, message: `${req.method} ${req.path} answered ${res.statusCode}` };
  }

  private remove(key: string, w: Waiter): void {
    const list = this.waiting.get(key);
    if (!list) return;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.waiting.delete(key);
  }

  /**
   * Hands a callback to whoever waits for it (every waiter on the key). Returns false when nobody waited
   * (the callback came late, twice, or was never asked for).
   */
  deliver(key: string, isError: boolean, body: unknown): boolean {
    const list = this.waiting.get(key);
    if (!list || list.length === 0) {
      this.onUnmatched?.(key, isError, body);
      return false;
    }
    const outcome: FspiopOutcome = isError
      ? { kind: 'error', errorInformation: ((body as { errorInformation?: ErrorInformation } | null)?.errorInformation
        ?? { errorCode: ErrorCode.INTERNAL_SERVER_ERROR, errorDescription: 'Internal server error' }) }
      : { kind: 'success', body: body as Record<string, unknown> };
    for (const w of [...list]) w.settle(outcome);
    return true;
  }

  /** Ends every wait as a timeout and closes the pools. */
  async close(): Promise<void> {
    for (const list of [...this.waiting.values()]) for (const w of [...list]) w.settle({ kind: 'timeout', waitedMs: 0 });
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
    this.pools.clear();
  }
}
