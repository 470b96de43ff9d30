/**
 * The durable outbox of upstream notifications, over the store. Each entry is written in the same store operation as
 * the state change that causes it (the rules: domain/outbox.ts): progress when processing starts, the final
 * notification with the final status, an on-status answer before its request is acknowledged. The notifiers deliver
 * pending entries (after any restart too) under each entry's stable id and settle them here: delivered, or dead once
 * the attempts run out (config.notify maxAttempts, GPO_NOTIFY_MAX_ATTEMPTS). An operator lists dead letters and replays
 * one: it is pending again, and the notifier of its channel delivers it under the same id.
 */
import { newId as randomId } from '../../shared/ids';
import type { OutboxChannel, OutboxEntry, OutboxEvent, StatusRequest } from '../domain/model';
import { isProgressEvent, numberSnapshot, oweStatus, requeue, settleEntry, type Settlement } from '../domain/outbox';
import type { Store } from '../store/port';

export interface PendingNotification {
  batchId: string;
  entry: OutboxEntry;
}

export interface OwedId {
  /** The event id (webhook eventId, G2P Connect message_id). */
  id: string;
  /** The entry to settle once delivered (none for a fresh id). */
  entryId?: string;
  /** Progress: the snapshot's number. */
  sequence?: number;
}

export interface OutboxCounts {
  pending: Record<OutboxChannel, number>;
  dead: Record<OutboxChannel, number>;
}

export type ReplayResult = { replayed: PendingNotification } | { refused: 'NOT_FOUND' | 'NOT_DEAD'; state?: OutboxEntry['state'] };

export interface NotificationOutbox {
  /** Entries still to deliver on a channel, oldest batch first. */
  pending(channel: OutboxChannel): Promise<PendingNotification[]>;
  /** The batch's entry of a progress or final event, in whatever state (undefined when it never had one). */
  entryFor(batchId: string, event: OutboxEvent): Promise<OutboxEntry | undefined>;
  /** One entry by id. */
  get(batchId: string, entryId: string): Promise<OutboxEntry | undefined>;
  /** An on-status answer owed (durable before it resolves); undefined when the batch is gone. */
  oweStatus(batchId: string, request: StatusRequest): Promise<OutboxEntry | undefined>;
  /** Numbers the next snapshot of a pending progress entry (durable before it resolves); undefined once it is not pending. */
  numberSnapshot(batchId: string, entryId: string): Promise<number | undefined>;
  /**
   * The id a progress or final notification goes out under, or undefined when nothing is owed (delivered, dead or
   * superseded): a final, its pending entry's id; progress, the next snapshot `<entry id>.<n>`, numbered first. A
   * batch that started before its progress was kept here gets a fresh id for each progress snapshot.
   */
  owedId(batchId: string, event: OutboxEvent): Promise<OwedId | undefined>;
  /** Records the outcome of a delivery (durable before it resolves). */
  settle(batchId: string, entryId: string, outcome: Settlement): Promise<void>;
  /** Dead letters (attempts exhausted or refused for good), oldest batch first. */
  dead(): Promise<PendingNotification[]>;
  /** Makes a dead letter pending again (durable before it resolves), then tells the channel's notifier. */
  replay(batchId: string, entryId: string): Promise<ReplayResult>;
  /** Called with each entry made pending again by a replay; returns the unsubscribe. */
  onRequeued(listener: (p: PendingNotification) => void): () => void;
  /**
   * Backlog and dead letters per channel, from the store's indexes (read at scrape time). A progress entry is not
   * backlog (it stays pending while its batch runs); a dead one counts as a dead letter.
   */
  counts(): Promise<OutboxCounts>;
}

export interface OutboxOptions {
  now?: () => string;
  newId?: () => string;
  /** Seconds from an entry's creation to its delivery (finals and on-status answers). */
  onDelivered?: (channel: OutboxChannel, seconds: number) => void;
}

type OutboxStore = Pick<Store, 'getBatch' | 'updateOutbox' | 'listPendingOutbox' | 'listDeadOutbox'>;

export function storeOutbox(store: OutboxStore, opts: OutboxOptions = {}): NotificationOutbox {
  const now = opts.now ?? (() => new Date().toISOString());
  const newId = opts.newId ?? randomId;
  const listeners = new Set<(p: PendingNotification) => void>();
  const entriesIn = (batches: Awaited<ReturnType<OutboxStore['listDeadOutbox']>>, keep: (e: OutboxEntry) => boolean) => {
    const out: PendingNotification[] = [];
    for (const b of batches) for (const entry of b.outbox ?? []) if (keep(entry)) out.push({ batchId: b._id, entry });
    return out;
  };
  const get = async (batchId: string, entryId: string) => (await store.getBatch(batchId))?.outbox?.find((e) => e.id === entryId);
  const api: NotificationOutbox = {
    async pending(channel) {
      return entriesIn(await store.listPendingOutbox(channel), (e) => e.channel === channel && e.state === 'pending');
    },
    async entryFor(batchId, event) {
      return (await store.getBatch(batchId))?.outbox?.find((e) => e.event === event);
    },
    get,
    async oweStatus(batchId, request) {
      const id = newId();
      const b = await store.updateOutbox(batchId, oweStatus(id, now(), request));
      return b?.outbox?.find((e) => e.id === id);
    },
    async numberSnapshot(batchId, entryId) {
      const b = await store.updateOutbox(batchId, numberSnapshot(entryId));
      const e = b?.outbox?.find((x) => x.id === entryId);
      return e?.state === 'pending' ? e.sent : undefined;
    },
    async owedId(batchId, event) {
      const entry = await api.entryFor(batchId, event);
      if (!isProgressEvent(event)) return entry?.state === 'pending' ? { id: entry.id, entryId: entry.id } : undefined;
      if (!entry) return { id: newId() };
      if (entry.state !== 'pending') return undefined;
      // Numbered before it is sent: no two snapshots of a batch ever share an id, across crashes too.
      const sequence = await api.numberSnapshot(batchId, entry.id);
      return sequence === undefined ? undefined : { id: `${entry.id}.${sequence}`, entryId: entry.id, sequence };
    },
    async settle(batchId, entryId, outcome) {
      const at = now();
      const b = await store.updateOutbox(batchId, settleEntry(entryId, outcome, at));
      const e = b?.outbox?.find((x) => x.id === entryId);
      if (e && outcome.state === 'delivered' && e.state === 'delivered' && opts.onDelivered) opts.onDelivered(e.channel,
        Math.max(0, Date.parse(at) - Date.parse(e.createdAt)) / 1000);
    },
    async dead() {
      return entriesIn(await store.listDeadOutbox(), (e) => e.state === 'dead');
    },
    async replay(batchId, entryId) {
      const found = await get(batchId, entryId);
      if (!found) return { refused: 'NOT_FOUND' };
      if (found.state !== 'dead') return { refused: 'NOT_DEAD', state: found.state };
      const b = await store.updateOutbox(batchId, requeue(entryId));
      const entry = b?.outbox?.find((e) => e.id === entryId);
      if (!entry || entry.state !== 'pending') return { refused: 'NOT_DEAD', state: entry?.state };
      const replayed = { batchId, entry };
      for (const l of listeners) l(replayed);
      return { replayed };
    },
    onRequeued(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async counts() {
      const zero = (): Record<OutboxChannel, number> => ({ 'webhook': 0, 'g2p-connect': 0 });
      const c: OutboxCounts = { pending: zero(), dead: zero() };
      for (const channel of ['webhook', 'g2p-connect'] as const) {
        c.pending[channel] = (await api.pending(channel)).filter((p) => !isProgressEvent(p.entry.event)).length;
      }
      for (const p of await api.dead()) c.dead[p.entry.channel]++;
      return c;
    },
  };
  return api;
}
