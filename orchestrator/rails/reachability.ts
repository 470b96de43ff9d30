/**
 * Is the rail's peer (the payer DFSP's SDK outbound API, or the PIL) reachable? Readiness asks; an HTTP answer of any
 * status proves it is (the SDK has no health route on its outbound API), a refused connection or a timeout that it is
 * not. One probe at a time, its result kept for `maxAgeMs`, so scrapes and probes never load the peer.
 */
import { request } from 'undici';

export interface Reachability {
  reachable: boolean;
  url: string;
  /** Why it is not reachable (a network error code or "timeout"). */
  reason?: string;
  checkedAt: string;
}

export class RailReachability {
  private last?: { result: Reachability; at: number };
  private running?: Promise<Reachability>;

  constructor(readonly url: string, private readonly timeoutMs = 1000, private readonly maxAgeMs = 1000) {}

  /** The latest result, probing again when it is older than maxAgeMs. */
  async check(): Promise<Reachability> {
    if (this.last && Date.now() - this.last.at < this.maxAgeMs) return this.last.result;
    this.running ??= this.probe().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async probe(): Promise<Reachability> {
    let reason: string | undefined;
    try {
      const res = await request(this.url, { method: 'GET', headers: { accept: 'application/json' }, signal:
        AbortSignal.timeout(this.timeoutMs) });
      await res.body.dump();
    } catch (err) {
      const e = err as { name?: string; code?: string; cause?: { code?: string } };
      reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : e.code ?? e.cause?.code ?? 'unreachable';
    }
    const at = Date.now();
    const result: Reachability = { reachable: reason === undefined, url: this.url, ...(reason ? { reason } : {}), checkedAt:
      new Date(at).toISOString() };
    this.last = { result, at };
    return result;
  }
}
