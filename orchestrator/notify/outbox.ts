/**
 * The durable outbox of upstream notifications, over the store. The engine writes a batch's final-notification entry
 * in the same store operation as its final status; the notifiers deliver pending entries (after any restart too)
 * under the entry's stable id and settle them here: delivered, or dead once the attempts run out.
 */
import type { OutboxChannel, OutboxEntry } from '../domain/model';
import type { Store } from '../store/port';

export interface PendingNotification {
  batchId: string;
  entry: OutboxEntry;
}

export interface NotificationOutbox {
  /** Entries still to deliver on a channel, oldest batch first. */
  pending(channel: OutboxChannel): Promise<PendingNotification[]>;
  /** The batch's pending entry on a channel, if any (undefined once delivered or dead). */
  pendingFor(batchId: string, channel: OutboxChannel): Promise<OutboxEntry | undefined>;
  /** Records the outcome of a delivery (durable before it resolves). */
  settle(batchId: string, entryId: string, outcome: { state: 'delivered' | 'dead'; attempts: number; lastError?: string }): Promise<void>;
}

export function storeOutbox(store: Pick<Store, 'getBatch' | 'updateBatch' | 'listPendingOutbox'>, now: () => string = () => new Date().toISOString()): NotificationOutbox {
  return {
    async pending(channel) {
      const out: PendingNotification[] = [];
      for (const b of await store.listPendingOutbox(channel)) {
        for (const entry of b.outbox ?? []) if (entry.channel === channel && entry.state === 'pending') out.push({ batchId: b._id, entry });
      }
      return out;
    },
    async pendingFor(batchId, channel) {
      const b = await store.getBatch(batchId);
      return b?.outbox?.find((e) => e.channel === channel && e.state === 'pending');
    },
    async settle(batchId, entryId, outcome) {
      const b = await store.getBatch(batchId);
      if (!b?.outbox) return;
      const at = now();
      const outbox = b.outbox.map((e): OutboxEntry => {
        if (e.id !== entryId) return e;
        const next: OutboxEntry = { ...e, state: outcome.state, attempts: e.attempts + outcome.attempts };
        if (outcome.state === 'delivered') next.deliveredAt = at;
        if (outcome.lastError !== undefined) next.lastError = outcome.lastError.slice(0, 300);
        return next;
      });
      await store.updateBatch(batchId, { outbox, outboxPending: outbox.some((e) => e.state === 'pending') });
    },
  };
}
