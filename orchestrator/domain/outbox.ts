/**
 * The outbox's rules, as pure changes to a batch's entries. The store applies each one atomically with the state
 * change that causes it (Store.updateOutbox): a crash keeps both or neither.
 *   processing starts  -> a progress entry (pending until the batch ends)
 *   the batch ends     -> its progress entries superseded, the final entry added
 *   txn/status (async) -> an on-status entry, before the ACK
 * Delivered on-status entries are pruned past the newest KEEP_SETTLED_STATUS per batch, so a client that polls status
 * forever does not grow its batch record without bound.
 */
import type { OutboxChannel, OutboxEntry, OutboxEvent, StatusRequest } from './model';
import type { CallbackTarget } from './types';

export type OutboxChange = (entries: readonly OutboxEntry[]) => OutboxEntry[];

/** Settled on-status entries kept per batch (the newest). */
export const KEEP_SETTLED_STATUS = 20;

const PROGRESS: Record<OutboxChannel, OutboxEvent> = { 'webhook': 'batch.progress', 'g2p-connect': 'on-disburse.progress' };
const FINAL: Record<OutboxChannel, OutboxEvent> = { 'webhook': 'batch.completed', 'g2p-connect': 'on-disburse.final' };

export const isProgressEvent = (e: OutboxEvent): boolean => e === 'batch.progress' || e === 'on-disburse.progress';
export const isFinalEvent = (e: OutboxEvent): boolean => e === 'batch.completed' || e === 'on-disburse.final';

/** The index flags the store keeps beside the entries. */
export function outboxFlags(entries: readonly OutboxEntry[]): { outboxPending: boolean; outboxDead: boolean } {
  return { outboxPending: entries.some((e) => e.state === 'pending'), outboxDead: entries.some((e) => e.state === 'dead') };
}

function entry(channel: OutboxChannel, event: OutboxEvent, id: string, at: string): OutboxEntry {
  return { id, channel, event, state: 'pending', attempts: 0, createdAt: at };
}

/** Processing starts: progress is owed until the batch ends (nothing for a batch without a callback, nothing twice). */
export function startProgress(callback: CallbackTarget | undefined, id: string, at: string): OutboxChange | undefined {
  if (!callback) return undefined;
  const event = PROGRESS[callback.kind];
  return (entries) => (entries.some((e) => e.event === event) ? [...entries] : [...entries, { ...entry(callback.kind, event, id, at),
    sent: 0 }]);
}

/** The batch ends: progress has nothing more to say (pending or dead alike), and the final notification is owed, once. */
export function oweFinal(callback: CallbackTarget | undefined, id: string, at: string): OutboxChange | undefined {
  if (!callback) return undefined;
  const event = FINAL[callback.kind];
  return (entries) => {
    const next = entries.map((e): OutboxEntry => (isProgressEvent(e.event) && (e.state === 'pending' || e.state === 'dead')
      ? { ...e, state: 'superseded' } : e));
    return next.some((e) => e.event === event) ? next : [...next, entry(callback.kind, event, id, at)];
  };
}

/** An asynchronous txn/status request accepted: its on-status answer is owed. */
export function oweStatus(id: string, at: string, request: StatusRequest): OutboxChange {
  return (entries) => prune([...entries, { ...entry('g2p-connect', 'on-status', id, at), request }]);
}

/** A progress snapshot numbered (before it is sent); the change and the number it takes. */
export function numberSnapshot(entryId: string): OutboxChange {
  return (entries) => entries.map((e) => (e.id === entryId && e.state === 'pending' ? { ...e, sent: (e.sent ?? 0) + 1 } : e));
}

export interface Settlement { state: 'delivered' | 'dead'; attempts: number; lastError?: string }

/** A delivery's outcome. A progress entry delivered stays pending: the next snapshot is owed too. */
export function settleEntry(entryId: string, outcome: Settlement, at: string): OutboxChange {
  return (entries) => prune(entries.map((e): OutboxEntry => {
    if (e.id !== entryId || e.state !== 'pending') return e;
    const attempts = e.attempts + outcome.attempts;
    const lastError = outcome.lastError !== undefined ? outcome.lastError.slice(0, 300) : e.lastError;
    if (outcome.state === 'delivered') {
      return isProgressEvent(e.event) ? { ...e, attempts, deliveredAt: at } : { ...e, state: 'delivered', attempts, deliveredAt: at };
    }
    return { ...e, state: 'dead', attempts, ...(lastError !== undefined ? { lastError } : {}) };
  }));
}

/** A dead letter made pending again (an operator's replay). */
export function requeue(entryId: string): OutboxChange {
  return (entries) => entries.map((e) => (e.id === entryId && e.state === 'dead' ? { ...e, state: 'pending' } : e));
}

/** Keeps the newest KEEP_SETTLED_STATUS settled on-status entries; every other entry stays. */
function prune(entries: OutboxEntry[]): OutboxEntry[] {
  let settled = 0;
  for (const e of entries) if (e.event === 'on-status' && e.state === 'delivered') settled++;
  if (settled <= KEEP_SETTLED_STATUS) return entries;
  let drop = settled - KEEP_SETTLED_STATUS;
  return entries.filter((e) => !(e.event === 'on-status' && e.state === 'delivered' && drop-- > 0));
}
