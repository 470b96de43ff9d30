/**
 * Webhooks for native batches: when a batch carries a webhook URL, its progress (at most one event per
 * notify.progressEveryMs, always the latest view) and its end are POSTed there as JSON {event, batch, ...},
 * retried with exponential backoff and jitter up to notify.maxAttempts. With a secret, each delivery is signed:
 * X-GPO-Signature: sha256=<hex HMAC-SHA256 of the raw body>.
 *
 * Per batch, deliveries go out one at a time and in order; a completion supersedes a progress event still being
 * retried (that one is abandoned). With an outbox, both are durable: the progress entry is stored when processing
 * starts and each snapshot goes out as `<entry id>.<sequence>`, numbered in the store before it is sent; the
 * completion's entry is stored with the batch's final status (superseding progress) and delivered under its stable
 * `eventId` (also header X-GPO-Event-Id) until a 2xx comes back or the attempts run out (a dead letter). Pending
 * entries are delivered again after a restart. A receiver de-duplicates by eventId (the same completion may arrive
 * twice if GPO died between the 2xx and recording it) and ignores a progress sequence lower than one it has seen.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { newId, SeededRandom } from '../../shared/ids';
import type { DisbursementService } from '../app/service';
import type { OrchestratorConfig } from '../config';
import type { BatchView, OrchestratorEvent } from '../domain/types';
import type { NotificationJournal } from './journal';
import type { NotificationOutbox } from './outbox';
import { JsonSender, RetryAbortedError } from './retry';

export type WebhookEventName = 'batch.progress' | 'batch.completed';

export interface WebhookPayload {
  event: WebhookEventName;
  /** Stable for one event across retries and restarts (de-duplicate by it). */
  eventId: string;
  /** New for each delivery of an event. */
  deliveryId: string;
  /** batch.progress: the snapshot's number, increasing per batch across restarts (eventId is `<entry id>.<sequence>`). */
  sequence?: number;
  sentAt: string;
  /** The batch as the API the webhook belongs to shows it (the native API's batch). */
  batch: unknown;
}

export interface WebhookNotifierOptions {
  service: Pick<DisbursementService, 'subscribe'> & Partial<Pick<DisbursementService, 'getBatch'>>;
  config: Pick<OrchestratorConfig, 'notify'> & { seed?: number };
  logger: Logger;
  /** The batch as the payload carries it: the intake that owns the webhook says how its API shows a batch. */
  present: (view: BatchView) => unknown;
  /** Signs every delivery whose batch has no secret of its own. */
  secret?: string;
  /** Per attempt, ms (default 10 s). */
  timeoutMs?: number;
  /** Records each delivery and each dead letter. */
  journal?: NotificationJournal;
  /** Durable completions: delivered after restarts, settled there (without one, completions live in memory only). */
  outbox?: NotificationOutbox;
  /** Told after a failed attempt to deliver a completion (crash tests). */
  crash?: { pass(phase: 'deliver'): void };
}

export interface WebhookStats {
  delivered: number;
  failed: number;
  attempts: number;
}

export interface WebhookNotifier {
  readonly stats: WebhookStats;
  /** Resolves once nothing is waiting or being delivered. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

interface BatchState {
  lastQueuedAt: number;
  timer?: NodeJS.Timeout;
  pending?: BatchView;
  chain: Promise<void>;
  progressAbort?: AbortController;
  /** A progress delivery queued and not started yet: a newer view replaces its view rather than queueing another. */
  queued?: { view: BatchView };
  final: boolean;
}

export const SIGNATURE_HEADER = 'x-gpo-signature';

export function signBody(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

export function startWebhookNotifier(opts: WebhookNotifierOptions): WebhookNotifier {
  const { notify } = opts.config;
  const log = opts.logger.child({ module: 'webhook' });
  const rnd = opts.config.seed !== undefined ? new SeededRandom(opts.config.seed) : undefined;
  const random = rnd ? () => rnd.next() : Math.random;
  const sender = new JsonSender({ policy: notify, timeoutMs: opts.timeoutMs, random });
  const states = new Map<string, BatchState>();
  /** Batches whose completion was queued here (bounded: oldest forgotten first). */
  const finished = new Set<string>();
  const stats: WebhookStats = { delivered: 0, failed: 0, attempts: 0 };
  const stopping = new AbortController();
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];

  const checkIdle = () => {
    if (inFlight > 0) return;
    for (const s of states.values()) if (s.timer) return;
    const w = idleWaiters;
    idleWaiters = [];
    w.forEach((f) => f());
  };

  const stateOf = (id: string): BatchState => {
    let s = states.get(id);
    if (!s) {
      s = { lastQueuedAt: 0, chain: Promise.resolve(), final: false };
      states.set(id, s);
    }
    return s;
  };

  const settle = async (batchId: string, entryId: string | undefined, outcome: Parameters<NotificationOutbox['settle']>[2]) => {
    if (!opts.outbox || !entryId) return;
    await opts.outbox.settle(batchId, entryId, outcome).catch((err: unknown) =>
      log.warn({ batchId, err }, 'webhook outcome not recorded; delivered again at the next start'));
  };

  const deliver = async (event: WebhookEventName, view: BatchView, signal: AbortSignal): Promise<void> => {
    if (view.callback?.kind !== 'webhook') return;
    const final = event === 'batch.completed';
    // Without an outbox every delivery is an event of its own; with one, the outbox says what is owed and under which id.
    const owed = opts.outbox ? await opts.outbox.owedId(view.id, event) : { id: newId() };
    if (!owed || signal.aborted) return;
    const payload: WebhookPayload = { event, eventId: owed.id, deliveryId: newId(), sentAt: new Date().toISOString(),
      ...(owed.sequence !== undefined ? { sequence: owed.sequence } : {}), batch: opts.present(view) };
    const body = JSON.stringify(payload);
    const secret = view.callback.secret ?? opts.secret;
    const headers: Record<string, string> = {
      'user-agent': 'gpo-webhook/1', 'x-gpo-event': event, 'x-gpo-event-id': payload.eventId, 'x-gpo-delivery': payload.deliveryId,
    };
    if (secret) headers[SIGNATURE_HEADER] = signBody(secret, body);
    const blog = log.child({ batchId: view.id, event, eventId: payload.eventId, deliveryId: payload.deliveryId });
    try {
      const res = await sender.post({ url: view.callback.url, body, headers }, signal, final ? () => opts.crash?.pass('deliver')
        : undefined);
      await settle(view.id, owed.entryId, { state: 'delivered', attempts: res.attempts });
      stats.delivered++;
      stats.attempts += res.attempts;
      opts.journal?.record({ channel: 'webhook', batchId: view.id, event, url: view.callback.url, outcome: 'delivered', attempts:
        res.attempts });
      blog.info({ attempts: res.attempts, status: res.status }, 'webhook delivered');
    } catch (err) {
      if (err instanceof RetryAbortedError || signal.aborted) {
        blog.debug('webhook delivery abandoned (superseded or stopping)');
        return;
      }
      stats.failed++;
      await settle(view.id, owed.entryId, { state: 'dead', attempts: (err as { attempts?: number }).attempts ?? notify.maxAttempts, lastError:
        err instanceof Error ? err.message : String(err) });
      opts.journal?.record({
        channel: 'webhook', batchId: view.id, event, url: view.callback.url, outcome: 'dead',
        attempts: (err as { attempts?: number }).attempts ?? notify.maxAttempts, lastError: err instanceof Error ? err.message.slice(0, 300)
          : String(err),
      });
      blog.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook not delivered; attempts exhausted or refused');
    }
  };

  const enqueue = (s: BatchState, event: WebhookEventName, view: BatchView) => {
    s.lastQueuedAt = Date.now();
    if (event === 'batch.progress' && s.queued) {
      s.queued.view = view;
      return;
    }
    const item = { view };
    if (event === 'batch.progress') s.queued = item;
    const ctl = new AbortController();
    const onStop = () => ctl.abort();
    stopping.signal.addEventListener('abort', onStop, { once: true });
    if (event === 'batch.progress') s.progressAbort = ctl;
    inFlight++;
    s.chain = s.chain
      .then(() => {
        if (s.queued === item) s.queued = undefined;
        return deliver(event, item.view, ctl.signal);
      })
      .finally(() => {
        stopping.signal.removeEventListener('abort', onStop);
        if (s.progressAbort === ctl) s.progressAbort = undefined;
        inFlight--;
        if (event === 'batch.completed' && states.get(view.id) === s) states.delete(view.id);
        checkIdle();
      });
  };

  const onEvent = (e: OrchestratorEvent) => {
    if (stopping.signal.aborted) return;
    const view = e.batch;
    if (view.callback?.kind !== 'webhook' || finished.has(view.id)) return;
    const s = stateOf(view.id);
    if (s.final) return;
    if (e.type === 'batch-final') {
      s.final = true;
      finished.add(view.id);
      if (finished.size > 100_000) finished.delete(finished.values().next().value as string);
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
      s.pending = undefined;
      s.progressAbort?.abort();
      enqueue(s, 'batch.completed', view);
      return;
    }
    const wait = s.lastQueuedAt + notify.progressEveryMs - Date.now();
    if (!s.timer && wait <= 0) {
      enqueue(s, 'batch.progress', view);
      return;
    }
    s.pending = view;
    if (!s.timer) {
      s.timer = setTimeout(() => {
        s.timer = undefined;
        const latest = s.pending;
        s.pending = undefined;
        if (latest && !s.final) enqueue(s, 'batch.progress', latest);
        checkIdle();
      }, Math.max(0, wait));
    }
  };

  const unsubscribe = opts.service.subscribe((e) => {
    try {
      onEvent(e);
    } catch (err) {
      log.error({ err }, 'webhook notifier failed on an event');
    }
  });

  // A dead letter an operator replays is owed again: delivered now, under its entry's id (progress: a new snapshot).
  const unrequeue = opts.outbox?.onRequeued((p) => {
    if (p.entry.channel !== 'webhook' || stopping.signal.aborted || !opts.service.getBatch) return;
    const progress = p.entry.event === 'batch.progress';
    if (!progress) finished.delete(p.batchId);
    if (states.get(p.batchId)?.final) return; // its final delivery is still running
    inFlight++;
    void opts.service.getBatch(p.batchId)
      .then((view) => view && onEvent({ type: progress ? 'batch-progress' : 'batch-final', batch: view }))
      .catch((err: unknown) => log.error({ batchId: p.batchId, err }, 'replayed webhook notification could not be read'))
      .finally(() => {
        inFlight--;
        checkIdle();
      });
  });

  /** Completions stored but never acknowledged (GPO stopped or died first): delivered now. */
  const resumePending = async (): Promise<void> => {
    const { outbox } = opts;
    const getBatch = opts.service.getBatch;
    if (!outbox || !getBatch) return;
    for (const p of await outbox.pending('webhook')) {
      if (stopping.signal.aborted) return;
      if (p.entry.event !== 'batch.completed') continue; // progress resumes with its batch's run
      const view = await getBatch(p.batchId);
      if (view) onEvent({ type: 'batch-final', batch: view });
    }
  };
  inFlight++;
  void resumePending()
    .catch((err: unknown) => log.error({ err }, 'pending webhook completions could not be read'))
    .finally(() => {
      inFlight--;
      checkIdle();
    });

  return {
    stats,
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      checkIdle();
    }),
    async stop() {
      if (stopping.signal.aborted) return;
      unsubscribe();
      unrequeue?.();
      stopping.abort();
      for (const s of states.values()) if (s.timer) clearTimeout(s.timer);
      await Promise.all([...states.values()].map((s) => s.chain.catch(() => undefined)));
      states.clear();
      await sender.close();
      checkIdle();
    },
  };
}
