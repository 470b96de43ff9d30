/**
 * The G2P Connect callbacks of a batch, in order per batch: on-disburse progress (throttled), the final on-disburse,
 * and the on-status answers of asynchronous txn/status requests. With an outbox each is durable (domain/outbox.ts):
 * progress snapshots go out as message_id `<entry id>.<n>`, numbered in the store first; the final and each on-status
 * under their entry's id; pending ones are sent again after a restart, dead ones when an operator replays them.
 */
import type { Logger } from 'pino';
import type { OutboxEntry, StatusRequest } from '../../domain/model';
import { HttpStatusError, JsonSender, RetryAbortedError } from '../../notify/retry';
import { signG2pMessage } from '../../security/g2p-signatures';
import { newId, SeededRandom } from '../../../shared/ids';
import { type BatchView, type OrchestratorEvent } from '../../domain/types';
import type { IntakeDeps } from '../deps';
import type { G2pStatus } from './messages';
import { callbackHeader, disbursementStatusItem, FINAL_BATCH, g2pStatus, type DisbursementStatusItem } from './status';

type Service = IntakeDeps['service'];

/** A batch's disbursements_status: every payment, or the ones of `references`. */
export async function statusMessage(service: Service, batch: BatchView, references?: string[]) {
  const items: DisbursementStatusItem[] = [];
  if (references) {
    for (const p of await service.findPaymentsByReference(batch.id, references)) items.push(disbursementStatusItem(p));
  } else {
    for await (const p of service.iteratePayments(batch.id)) items.push(disbursementStatusItem(p));
  }
  return { transaction_id: batch.meta?.transaction_id ?? batch.sourceKey, disbursements_status: items };
}

/** The on-status envelope answering a txn/status request, from the stored batch. */
export async function statusAnswer(service: Service, request: Omit<StatusRequest, 'url'>, batch: BatchView) {
  return {
    header: callbackHeader(batch, 'on-status', request.receiverId || 'gpo', request.senderId),
    message: {
      transaction_id: request.transactionId,
      correlation_id: batch.id,
      txnstatus_response: { txn_type: 'on-disburse', txn_status: await statusMessage(service, batch, request.references) },
    },
  };
}

interface Tracked {
  /** Status last reported per position (only what changed goes into a progress callback). */
  sent: Map<number, G2pStatus>;
  lastSentAt: number;
  timer?: NodeJS.Timeout;
  final: boolean;
}

type Outcome = { delivered: boolean; attempts: number; lastError: string } | undefined;

/** Sends the G2P Connect callbacks of batches that asked for them; one queue per batch keeps them in order. */
export class OnDisburseNotifier {
  private readonly tracked = new Map<string, Tracked>();
  private readonly queues = new Map<string, Promise<void>>();
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
      if (p.entry.channel !== 'g2p-connect' || this.stopped) return;
      this.resume(p.batchId, p.entry);
    });
    void this.resumePending().catch((error: unknown) => this.log.error({ err: error }, 'pending G2P Connect callbacks could not be read'));
  }

  /**
   * An asynchronous txn/status request, accepted: with an outbox, its answer is stored as owed before this resolves
   * (the caller ACKs after), then sent in the batch's queue.
   */
  async oweStatus(batch: BatchView, request: StatusRequest): Promise<void> {
    const outbox = this.deps.outbox;
    const entry = outbox ? await outbox.oweStatus(batch.id, request) : undefined;
    this.enqueue(batch.id, () => this.sendStatus(batch.id, request, entry));
  }

  /** Callbacks stored as owed but never acknowledged (GPO stopped or died): sent now. Progress resumes with its batch. */
  private async resumePending(): Promise<void> {
    const outbox = this.deps.outbox;
    if (!outbox) return;
    for (const p of await outbox.pending('g2p-connect')) {
      if (this.stopped) return;
      if (p.entry.event !== 'on-disburse.progress') this.resume(p.batchId, p.entry);
    }
  }

  private resume(batchId: string, entry: OutboxEntry): void {
    if (entry.event === 'on-status' && entry.request) {
      const request = entry.request;
      this.enqueue(batchId, () => this.sendStatus(batchId, request, entry));
      return;
    }
    if (this.tracked.get(batchId)?.final) return; // its final callback is on its way
    void this.deps.service.getBatch(batchId)
      .then((batch) => batch && this.onEvent({ type: entry.event === 'on-disburse.final' ? 'batch-final' : 'batch-progress', batch }))
      .catch((error: unknown) => this.log.error({ batchId, err: error }, 'owed on-disburse callback could not be read'));
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
      t = { sent: new Map(), lastSentAt: 0, final: false };
      this.tracked.set(b.id, t);
    }
    if (t.final) return;
    if (e.type === 'batch-final' || FINAL_BATCH.has(b.status)) {
      t.final = true;
      if (t.timer) clearTimeout(t.timer);
      t.timer = undefined;
      const tracked = t;
      this.enqueue(b.id, () => this.sendDisburse(b.id, tracked, true), () => this.tracked.delete(b.id));
      return;
    }
    if (t.timer) return; // a progress callback is already scheduled; it will read the newest state
    const wait = Math.max(0, t.lastSentAt + this.deps.config.notify.progressEveryMs - Date.now());
    const tracked = t;
    t.timer = setTimeout(() => {
      tracked.timer = undefined;
      if (!tracked.final) this.enqueue(b.id, () => this.sendDisburse(b.id, tracked, false));
    }, wait);
  }

  /** Runs `job` after every earlier callback of the batch. */
  private enqueue(batchId: string, job: () => Promise<void>, then?: () => void): void {
    const run = (this.queues.get(batchId) ?? Promise.resolve()).then(job).catch((error: unknown) => {
      this.log.error({ batchId, err: error }, 'G2P Connect callback could not be built');
    }).finally(then);
    this.queues.set(batchId, run);
    void run.then(() => {
      if (this.queues.get(batchId) === run) this.queues.delete(batchId);
    });
  }

  private async sendDisburse(batchId: string, t: Tracked, final: boolean): Promise<void> {
    if (this.stopped) return;
    const batch = await this.deps.service.getBatch(batchId);
    if (!batch || batch.callback?.kind !== 'g2p-connect') return;
    if (!final && FINAL_BATCH.has(batch.status)) return; // the final callback, already on its way, says it all
    const items: DisbursementStatusItem[] = [];
    const sent = new Map<number, G2pStatus>();
    for await (const p of this.deps.service.iteratePayments(batchId)) {
      const s = g2pStatus(p.status);
      if (final || t.sent.get(p.position) !== s) {
        items.push(disbursementStatusItem(p));
        sent.set(p.position, s);
      }
    }
    if (!final && items.length === 0) return;
    const outbox = this.deps.outbox;
    const owed = outbox ? await outbox.owedId(batchId, final ? 'on-disburse.final' : 'on-disburse.progress') : { id: newId() };
    if (!owed) return; // delivered, given up or superseded already
    for (const [position, s] of sent) t.sent.set(position, s);
    t.lastSentAt = Date.now();
    const cb = batch.callback;
    const header = callbackHeader(batch, 'on-disburse', cb.receiverId ?? 'gpo', cb.senderId);
    header.message_id = owed.id;
    const body = {
      header,
      message: { transaction_id: batch.meta?.transaction_id ?? batch.sourceKey, correlation_id: batch.id, disbursements_status: items },
    };
    const onRetry = final ? () => this.deps.crash?.pass('deliver') : undefined;
    const outcome = await this.post(`${cb.senderUri.replace(/\/$/, '')}/on-disburse`, body, { batchId, final, items: items.length },
      onRetry);
    await this.settle(batchId, owed.entryId, outcome);
  }

  private async sendStatus(batchId: string, request: StatusRequest, entry: OutboxEntry | undefined): Promise<void> {
    if (this.stopped) return;
    if (entry && this.deps.outbox && (await this.deps.outbox.get(batchId, entry.id))?.state !== 'pending') return;
    const batch = await this.deps.service.getBatch(batchId);
    if (!batch) return;
    const body = await statusAnswer(this.deps.service, request, batch);
    if (entry) body.header.message_id = entry.id;
    const outcome = await this.post(request.url, body, { batchId, kind: 'on-status', event: 'on-status' });
    await this.settle(batchId, entry?.id, outcome);
  }

  private async settle(batchId: string, entryId: string | undefined, outcome: Outcome): Promise<void> {
    const outbox = this.deps.outbox;
    if (!outbox || !entryId || !outcome) return;
    await outbox.settle(batchId, entryId, { state: outcome.delivered ? 'delivered' : 'dead', attempts: outcome.attempts,
      ...(outcome.delivered ? {} : { lastError: outcome.lastError }) })
      .catch((error: unknown) => this.log.warn({ batchId, err: error }, 'G2P Connect callback outcome not recorded; sent again at the next start'));
  }

  /**
   * POST with retry and exponential backoff with jitter (config.notify); gives up after maxAttempts. Undefined when
   * stopped before an outcome; `onRetry` runs after each failed attempt that will be tried again.
   */
  async post(url: string, body: { header: unknown; message: unknown }, ctx: Record<string, unknown>,
    onRetry?: () => void): Promise<Outcome> {
    const { maxAttempts } = this.deps.config.notify;
    const key = this.deps.security?.signingKey;
    const signed = key ? await signG2pMessage(key, body) : undefined;
    const text = signed?.body ?? JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(signed?.headers ?? {}) };
    const event = typeof ctx.event === 'string' ? ctx.event : ctx.final ? 'on-disburse final' : 'on-disburse progress';
    const entry = { channel: 'g2p-connect' as const, batchId: String(ctx.batchId ?? ''), event, url };
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
