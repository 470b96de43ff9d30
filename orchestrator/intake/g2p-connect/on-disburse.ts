/**
 * The on-disburse notifier of G2P Connect batches: progress (throttled) and final callbacks with retry and backoff;
 * the final one is a durable outbox entry, delivered again after restarts.
 */
import type { Logger } from 'pino';
import { HttpStatusError, JsonSender, RetryAbortedError } from '../../notify/retry';
import { signG2pMessage } from '../../security/g2p-signatures';
import { SeededRandom } from '../../../shared/ids';
import { type OrchestratorEvent } from '../../domain/types';
import type { IntakeDeps } from '../deps';
import type { G2pStatus } from './messages';
import { callbackHeader, disbursementStatusItem, FINAL_BATCH, g2pStatus, type DisbursementStatusItem } from './status';

// ---------------------------------------------------------------------------------------------------------------
// on-disburse notifier: progress (throttled) and final callbacks with retry and backoff

interface Tracked {
  /** Status last reported per position (only what changed goes into a progress callback). */
  sent: Map<number, G2pStatus>;
  lastSentAt: number;
  timer?: NodeJS.Timeout;
  chain: Promise<void>;
  final: boolean;
}

/** Sends on-disburse callbacks for batches that asked for them; one queue per batch keeps callbacks in order. */
export class OnDisburseNotifier {
  private readonly tracked = new Map<string, Tracked>();
  private readonly sender: JsonSender;
  private readonly abort = new AbortController();
  private readonly random: SeededRandom;
  private stopped = false;
  private unsubscribe?: () => void;
  private unrequeue?: () => void;
  /** Callbacks delivered and given up, for diagnosis and tests. */
  readonly stats = { delivered: 0, failedAttempts: 0, abandoned: 0 };

  constructor(private readonly deps: IntakeDeps, private readonly log: Logger) {
    this.random = new SeededRandom(deps.config.seed ?? 1);
    const { maxAttempts, baseDelayMs, maxDelayMs } = deps.config.notify;
    this.sender = new JsonSender({ policy: { maxAttempts, baseDelayMs, maxDelayMs }, timeoutMs: 30_000, random: () => this.random.next() });
  }

  start(): void {
    this.unsubscribe = this.deps.service.subscribe((e) => this.onEvent(e));
    // A dead letter an operator replays is owed again: sent now, under its entry's id as message_id.
    this.unrequeue = this.deps.outbox?.onRequeued((p) => {
      if (p.entry.channel !== 'g2p-connect' || this.stopped || this.tracked.get(p.batchId)?.final) return;
      void this.deps.service.getBatch(p.batchId)
        .then((batch) => batch && this.onEvent({ type: 'batch-final', batch }))
        .catch((error: unknown) => this.log.error({ batchId: p.batchId, err: error }, 'replayed on-disburse final could not be read'));
    });
    void this.resumePending().catch((error: unknown) => this.log.error({ err: error }, 'pending on-disburse finals could not be read'));
  }

  /** Final callbacks stored with their batch's final status but never acknowledged (GPO stopped or died): sent now. */
  private async resumePending(): Promise<void> {
    const outbox = this.deps.outbox;
    if (!outbox) return;
    for (const p of await outbox.pending('g2p-connect')) {
      if (this.stopped) return;
      const batch = await this.deps.service.getBatch(p.batchId);
      if (batch) this.onEvent({ type: 'batch-final', batch });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unrequeue?.();
    for (const t of this.tracked.values()) if (t.timer) clearTimeout(t.timer);
    this.abort.abort();
    await this.sender.close().catch(() => undefined);
  }

  private onEvent(e: OrchestratorEvent): void {
    const b = e.batch;
    if (this.stopped || b.source !== 'g2p-connect' || b.callback?.kind !== 'g2p-connect') return;
    let t = this.tracked.get(b.id);
    if (!t) {
      t = { sent: new Map(), lastSentAt: 0, chain: Promise.resolve(), final: false };
      this.tracked.set(b.id, t);
    }
    if (t.final) return;
    if (e.type === 'batch-final' || FINAL_BATCH.has(b.status)) {
      t.final = true;
      if (t.timer) clearTimeout(t.timer);
      t.timer = undefined;
      this.enqueue(b.id, t, true);
      return;
    }
    if (t.timer) return; // a progress callback is already scheduled; it will read the newest state
    const wait = Math.max(0, t.lastSentAt + this.deps.config.notify.progressEveryMs - Date.now());
    t.timer = setTimeout(() => {
      t!.timer = undefined;
      if (!t!.final) this.enqueue(b.id, t!, false);
    }, wait);
  }

  private enqueue(batchId: string, t: Tracked, final: boolean): void {
    t.chain = t.chain.then(() => this.send(batchId, t, final)).catch((error) => {
      this.log.error({ batchId, err: error }, 'on-disburse callback could not be built');
    });
    if (final) void t.chain.then(() => this.tracked.delete(batchId));
  }

  private async send(batchId: string, t: Tracked, final: boolean): Promise<void> {
    if (this.stopped) return;
    const batch = await this.deps.service.getBatch(batchId);
    if (!batch || batch.callback?.kind !== 'g2p-connect') return;
    if (!final && FINAL_BATCH.has(batch.status)) return; // the final callback, already on its way, says it all
    const outbox = this.deps.outbox;
    // The final callback is durable: stored with the final status, sent under the entry's id as message_id.
    const owed = final && outbox ? await outbox.pendingFor(batchId, 'g2p-connect') : undefined;
    if (final && outbox && !owed) return; // delivered (or given up) already
    const items: DisbursementStatusItem[] = [];
    for await (const p of this.deps.service.iteratePayments(batchId)) {
      const s = g2pStatus(p.status);
      if (final || t.sent.get(p.position) !== s) {
        items.push(disbursementStatusItem(p));
        t.sent.set(p.position, s);
      }
    }
    if (!final && items.length === 0) return;
    t.lastSentAt = Date.now();
    const cb = batch.callback;
    const header = callbackHeader(batch, 'on-disburse', cb.receiverId ?? 'gpo', cb.senderId);
    if (owed) header.message_id = owed.id;
    const body = {
      header,
      message: { transaction_id: batch.meta?.transaction_id ?? batch.sourceKey, correlation_id: batch.id, disbursements_status: items },
    };
    const onRetry = final ? () => this.deps.crash?.pass('deliver') : undefined;
    const outcome = await this.post(`${cb.senderUri.replace(/\/$/, '')}/on-disburse`, body, { batchId, final, items: items.length },
      onRetry);
    if (owed && outbox && outcome) {
      await outbox.settle(batchId, owed.id, { state: outcome.delivered ? 'delivered' : 'dead', attempts: outcome.attempts,
        ...(outcome.delivered ? {} : { lastError: outcome.lastError }) })
        .catch((error: unknown) => this.log.warn({ batchId, err: error },
          'on-disburse outcome not recorded; sent again at the next start'));
    }
  }

  /**
   * POST with retry and exponential backoff with jitter (config.notify); gives up after maxAttempts. Undefined when
   * stopped before an outcome; `onRetry` runs after each failed attempt that will be tried again.
   */
  async post(url: string, body: { header: unknown; message: unknown }, ctx: Record<string, unknown>,
    onRetry?: () => void): Promise<{ delivered: boolean; attempts: number; lastError: string } | undefined> {
    const { maxAttempts } = this.deps.config.notify;
    const key = this.deps.security?.signingKey;
    const signed = key ? await signG2pMessage(key, body) : undefined;
    const text = signed?.body ?? JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(signed?.headers ?? {}) };
    const entry = { channel: 'g2p-connect' as const, batchId: String(ctx.batchId ?? ''), event: ctx.final ? 'on-disburse final'
      : 'on-disburse progress', url };
    try {
      // The one retry policy of upstream notifications (notify/retry.ts): transient failures are tried again with
      // backoff up to maxAttempts; a definitive refusal (4xx other than 408 and 429) is given up at once.
      const r = await this.sender.post({ url, body: text, headers }, this.abort.signal, (error, failures) => {
        this.stats.failedAttempts++;
        this.log.warn({ ...ctx, url, attempt: failures, err: (error as Error).message }, 'G2P Connect callback failed');
        onRetry?.();
      });
      this.stats.delivered++;
      this.deps.journal?.record({ ...entry, outcome: 'delivered', attempts: r.attempts });
      this.log.info({ ...ctx, url, attempt: r.attempts }, 'G2P Connect callback delivered');
      return { delivered: true, attempts: r.attempts, lastError: '' };
    } catch (error) {
      if (this.stopped || error instanceof RetryAbortedError) return undefined;
      this.stats.failedAttempts++;
      const attempts = (error as { attempts?: number }).attempts ?? maxAttempts;
      const lastError = error instanceof HttpStatusError ? `HTTP ${error.status}` : (error as Error).message;
      this.stats.abandoned++;
      this.deps.journal?.record({ ...entry, outcome: 'dead', attempts, lastError: lastError.slice(0, 300) });
      this.log.error({ ...ctx, url, attempts, err: lastError }, 'G2P Connect callback abandoned');
      return { delivered: false, attempts, lastError };
    }
  }
}

