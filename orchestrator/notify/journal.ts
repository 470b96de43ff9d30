/**
 * What the orchestrator's upstream notifiers did, kept in memory since it started: each webhook or G2P Connect
 * callback delivered, and each given up after its attempts (a dead letter). Bounded, newest first. The durable
 * outbox (issue 10) will replace this source; the console and GET /v1/notifications read either through this shape.
 */

export type NotificationChannel = 'webhook' | 'g2p-connect';
/** delivered: a 2xx came back; dead: attempts exhausted or refused for good. An outbox adds pending. */
export type NotificationOutcome = 'delivered' | 'dead' | 'pending';

export interface NotificationEntry {
  id: string;
  channel: NotificationChannel;
  batchId: string;
  /** batch.progress / batch.completed (webhook), on-disburse progress / final (G2P Connect). */
  event: string;
  url: string;
  outcome: NotificationOutcome;
  attempts: number;
  /** Last HTTP status or network error of a dead letter. */
  lastError?: string;
  at: string;
}

export interface NotificationQuery {
  outcome?: NotificationOutcome;
  batchId?: string;
  limit?: number;
}

export interface NotificationPage {
  /** memory: since this process started, lost at a restart; outbox: durable (later). */
  source: 'memory' | 'outbox';
  since: string;
  counts: Record<NotificationOutcome, number>;
  items: NotificationEntry[];
}

export class NotificationJournal {
  private readonly entries: NotificationEntry[] = [];
  private readonly counts: Record<NotificationOutcome, number> = { delivered: 0, dead: 0, pending: 0 };
  private seq = 0;
  private readonly since = new Date().toISOString();

  constructor(private readonly keep = 2000) {}

  record(e: Omit<NotificationEntry, 'id' | 'at'> & { at?: string }): NotificationEntry {
    const entry: NotificationEntry = { ...e, id: String(++this.seq), at: e.at ?? new Date().toISOString() };
    this.entries.push(entry);
    this.counts[entry.outcome]++;
    if (this.entries.length > this.keep) this.entries.shift();
    return entry;
  }

  list(q: NotificationQuery = {}): NotificationPage {
    const limit = Math.max(1, Math.min(q.limit ?? 100, this.keep));
    const items: NotificationEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && items.length < limit; i--) {
      const e = this.entries[i];
      if (q.outcome && e.outcome !== q.outcome) continue;
      if (q.batchId && e.batchId !== q.batchId) continue;
      items.push(e);
    }
    return { source: 'memory', since: this.since, counts: { ...this.counts }, items };
  }
}
