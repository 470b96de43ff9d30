/**
 * The durable outbox of upstream notifications, over the store. The engine writes a batch's final-notification entry
 * in the same store operation as its final status; the notifiers deliver pending entries (after any restart too)
 * under the entry's stable id and settle them here: delivered, or dead once the attempts run out (config.notify
 * maxAttempts, GPO_NOTIFY_MAX_ATTEMPTS). An operator lists dead letters and replays one: it is pending again, and the
 * notifier of its channel delivers it under the same id.
 */
import type { OutboxChannel, OutboxEntry } from '../domain/model';
import type { Store } from '../store/port';

export interface PendingNotification {
  batchId: string;
  entry: OutboxEntry;
}

export interface OutboxCounts {
  pending: Record<OutboxChannel, number>;
  dead: Record<OutboxChannel, number>;
}

export type ReplayResult = { replayed: PendingNotification } | { refused: 'NOT_FOUND' | 'NOT_DEAD'; state?: OutboxEntry['state'] };

export interface NotificationOutbox {
  /** Entries still to deliver on a channel, oldest batch first. */
  pending(channel: OutboxChannel): Promise<PendingNotification[]>;
  /** The batch's pending entry on a channel, if any (undefined once delivered or dead). */
  pendingFor(batchId: string, channel: OutboxChannel): Promise<OutboxEntry | undefined>;
  /** Records the outcome of a delivery (durable before it resolves). */
  settle(batchId: string, entryId: string, outcome: { state: 'delivered' | 'dead'; attempts: number; lastError?: string }): Promise<void>;
  /** Dead letters (attempts exhausted or refused for good), oldest batch first. */
  dead(): Promise<PendingNotification[]>;
  /** Makes a dead letter pending again (durable before it resolves), then tells the channel's notifier. */
  replay(batchId: string, entryId: string): Promise<ReplayResult>;
  /** Called with each entry made pending again by a replay; returns the unsubscribe. */
  onRequeued(listener: (p: PendingNotification) => void): () => void;
  /** Backlog and dead letters per channel, from the store's indexes (read at scrape time). */
  counts(): Promise<OutboxCounts>;
}

export interface OutboxOptions {
  now?: () => string;
  /** Seconds from an entry's creation (the batch's final status stored) to its delivery. */
  onDelivered?: (channel: OutboxChannel, seconds: number) => void;
}

type OutboxStore = Pick<Store, 'getBatch' | 'updateBatch' | 'listPendingOutbox' | 'listDeadOutbox'>;

const indexFlags = (outbox: OutboxEntry[]) => ({ outboxPending: outbox.some((e) => e.state === 'pending'), outboxDead:
  outbox.some((e) => e.state === 'dead') });

export function storeOutbox(store: OutboxStore, opts: OutboxOptions = {}): NotificationOutbox {
  const now = opts.now ?? (() => new Date().toISOString());
  const listeners = new Set<(p: PendingNotification) => void>();
  const entriesIn = (batches: Awaited<ReturnType<OutboxStore['listDeadOutbox']>>, keep: (e: OutboxEntry) => boolean) => {
    const out: PendingNotification[] = [];
    for (const b of batches) for (const entry of b.outbox ?? []) if (keep(entry)) out.push({ batchId: b._id, entry });
    return out;
  };
  const api: NotificationOutbox = {
    async pending(channel) {
      return entriesIn(await store.listPendingOutbox(channel), (e) => e.channel === channel && e.state === 'pending');
    },
    async pendingFor(batchId, channel) {
      const b = await store.getBatch(batchId);
      return b?.outbox?.find((e) => e.channel === channel && e.state === 'pending');
    },
    async settle(batchId, entryId, outcome) {
      const b = await store.getBatch(batchId);
      if (!b?.outbox) return;
      const at = now();
      let delivered: OutboxEntry | undefined;
      const outbox = b.outbox.map((e): OutboxEntry => {
        if (e.id !== entryId) return e;
        const next: OutboxEntry = { ...e, state: outcome.state, attempts: e.attempts + outcome.attempts };
        if (outcome.state === 'delivered') {
          next.deliveredAt = at;
          delivered = next;
        }
        if (outcome.lastError !== undefined) next.lastError = outcome.lastError.slice(0, 300);
        return next;
      });
      await store.updateBatch(batchId, { outbox, ...indexFlags(outbox) });
      if (delivered && opts.onDelivered) opts.onDelivered(delivered.channel,
        Math.max(0, Date.parse(at) - Date.parse(delivered.createdAt)) / 1000);
    },
    async dead() {
      return entriesIn(await store.listDeadOutbox(), (e) => e.state === 'dead');
    },
    async replay(batchId, entryId) {
      const b = await store.getBatch(batchId);
      const found = b?.outbox?.find((e) => e.id === entryId);
      if (!b?.outbox || !found) return { refused: 'NOT_FOUND' };
      if (found.state !== 'dead') return { refused: 'NOT_DEAD', state: found.state };
      const entry: OutboxEntry = { ...found, state: 'pending' };
      const outbox = b.outbox.map((e) => (e.id === entryId ? entry : e));
      await store.updateBatch(batchId, { outbox, ...indexFlags(outbox) });
      const replayed = { batchId, entry };
      for (const l of listeners) l(replayed);
      return { replayed };
    },
    onRequeued(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async counts() {
      const zero = (): Record<OutboxChannel, number> => ({ webhook: 0, 'g2p-connect': 0 });
      const c: OutboxCounts = { pending: zero(), dead: zero() };
      for (const channel of ['webhook', 'g2p-connect'] as const) c.pending[channel] = (await api.pending(channel)).length;
      for (const p of await api.dead()) c.dead[p.entry.channel]++;
      return c;
    },
  };
  return api;
}
