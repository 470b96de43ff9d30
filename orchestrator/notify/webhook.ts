/**
 * Webhooks for native batches: when a batch carries a webhook URL, its progress (at most one event per
 * notify.progressEveryMs, always the latest view) and its end are POSTed there as JSON {event, batch, ...},
 * retried with exponential backoff and jitter up to notify.maxAttempts. With a secret, each delivery is signed:
 * X-GPO-Signature: sha256=<hex HMAC-SHA256 of the raw body>.
 *
 * Per batch, deliveries go out one at a time and in order; a completion supersedes a progress event still being
 * retried (that one is abandoned), and a batch's completion is delivered once per notifier.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { newId, SeededRandom } from '../../shared/ids';
import type { DisbursementService } from '../app/service';
import type { OrchestratorConfig } from '../config';
import type { BatchView, OrchestratorEvent } from '../domain/types';
import { toNativeBatch } from '../intake/native/report';
import type { NotificationJournal } from './journal';
import { JsonSender, RetryAbortedError } from './retry';

export type WebhookEventName = 'batch.progress' | 'batch.completed';

export interface WebhookPayload {
  event: WebhookEventName;
  deliveryId: string;
  sentAt: string;
  batch: ReturnType<typeof toNativeBatch>;
}

export interface WebhookNotifierOptions {
  service: Pick<DisbursementService, 'subscribe'>;
  config: Pick<OrchestratorConfig, 'notify'> & { seed?: number };
  logger: Logger;
  /** Signs every delivery whose batch has no secret of its own. */
  secret?: string;
  /** Per attempt, ms (default 10 s). */
  timeoutMs?: number;
  /** Records each delivery and each dead letter. */
  journal?: NotificationJournal;
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

  const deliver = async (event: WebhookEventName, view: BatchView, signal: AbortSignal): Promise<void> => {
    if (view.callback?.kind !== 'webhook') return;
    const payload: WebhookPayload = { event, deliveryId: newId(), sentAt: new Date().toISOString(), batch: toNativeBatch(view) };
    const body = JSON.stringify(payload);
    const secret = view.callback.secret ?? opts.secret;
    const headers: Record<string, string> = { 'user-agent': 'gpo-webhook/1', 'x-gpo-event': event, 'x-gpo-delivery': payload.deliveryId };
    if (secret) headers[SIGNATURE_HEADER] = signBody(secret, body);
    const blog = log.child({ batchId: view.id, event, deliveryId: payload.deliveryId });
    try {
      const res = await sender.post({ url: view.callback.url, body, headers }, signal);
      stats.delivered++;
      stats.attempts += res.attempts;
      opts.journal?.record({ channel: 'webhook', batchId: view.id, event, url: view.callback.url, outcome: 'delivered', attempts: res.attempts });
      blog.info({ attempts: res.attempts, status: res.status }, 'webhook delivered');
    } catch (err) {
      if (err instanceof RetryAbortedError || signal.aborted) {
        blog.debug('webhook delivery abandoned (superseded or stopping)');
        return;
      }
      stats.failed++;
      opts.journal?.record({
        channel: 'webhook', batchId: view.id, event, url: view.callback.url, outcome: 'dead',
        attempts: (err as { attempts?: number }).attempts ?? notify.maxAttempts, lastError: err instanceof Error ? err.message.slice(0, 300) : String(err),
      });
      blog.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook not delivered; attempts exhausted or refused');
    }
  };

  const enqueue = (s: BatchState, event: WebhookEventName, view: BatchView) => {
    s.lastQueuedAt = Date.now();
    const ctl = new AbortController();
    const onStop = () => ctl.abort();
    stopping.signal.addEventListener('abort', onStop, { once: true });
    if (event === 'batch.progress') s.progressAbort = ctl;
    inFlight++;
    s.chain = s.chain
      .then(() => deliver(event, view, ctl.signal))
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

  return {
    stats,
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      checkIdle();
    }),
    async stop() {
      if (stopping.signal.aborted) return;
      unsubscribe();
      stopping.abort();
      for (const s of states.values()) if (s.timer) clearTimeout(s.timer);
      await Promise.all([...states.values()].map((s) => s.chain.catch(() => undefined)));
      states.clear();
      await sender.close();
      checkIdle();
    },
  };
}
