/**
 * The embedded store: nedb-promises data files in a data directory (default .gpo/).
 * - batches.db: one record per batch, indexed by `${source}:${sourceKey}` (idempotency).
 * - inputs.db: one immutable record per slice (payments' input as one JSON string), written once at intake.
 * - states.db: one record per slice with the payments' mutable fields as arrays, rewritten a few times per slice.
 * - meta.db: counters.
 * nedb appends a whole record on every update; keeping input and state apart means an update appends only the
 * compact state. Data files are compacted when a batch ends.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Datastore from 'nedb-promises';
import { FINAL_BATCH_STATUSES, sliceId, type BatchRecord, type OutboxChannel, type SliceInputRecord,
  type SliceStateRecord } from '../domain/model';
import { outboxFlags, type OutboxChange } from '../domain/outbox';
import { lockDataDir, type DataDirLock, type LockHolder } from './lock';
import type { BatchListPage, BatchListQuery, Store } from './port';

type Db = ReturnType<typeof Datastore.create>;

export interface NedbStoreOptions {
  /** Data directory; undefined with inMemory true keeps everything in memory (unit tests). */
  dataDir?: string;
  inMemory?: boolean;
}

export class NedbStore implements Store {
  private batches!: Db;
  private inputs!: Db;
  private states!: Db;
  private meta!: Db;
  private closed = false;
  private compacting: Promise<void> = Promise.resolve();
  private lock?: DataDirLock;
  /** The tail of each batch's outbox changes (see updateOutbox). */
  private readonly outboxQueues = new Map<string, Promise<void>>();
  /** A stale lock this store took over at open (its holder had died), for the log. */
  tookOverFrom?: LockHolder;

  constructor(private readonly opts: NedbStoreOptions) {}

  private make(name: string): Db {
    if (this.opts.inMemory || !this.opts.dataDir) return Datastore.create({ inMemoryOnly: true });
    // A record cut short by a crash is the only possible damage in an append-only file: tolerate it.
    return Datastore.create({ filename: path.join(this.opts.dataDir, name), corruptAlertThreshold: 1 } as never);
  }

  async open(): Promise<void> {
    if (this.opts.dataDir && !this.opts.inMemory) {
      mkdirSync(this.opts.dataDir, { recursive: true });
      // One writer per data directory: throws DataDirLockedError naming the holder.
      this.lock = lockDataDir(this.opts.dataDir);
      this.tookOverFrom = this.lock.tookOver;
    }
    this.batches = this.make('batches.db');
    this.inputs = this.make('inputs.db');
    this.states = this.make('states.db');
    this.meta = this.make('meta.db');
    await Promise.all([this.batches.load(), this.inputs.load(), this.states.load(), this.meta.load()]);
    await this.batches.ensureIndex({ fieldName: 'sourceIdx', unique: true });
    await this.batches.ensureIndex({ fieldName: 'meta.transaction_id', sparse: true });
    await this.batches.ensureIndex({ fieldName: 'outboxPending', sparse: true });
    await this.batches.ensureIndex({ fieldName: 'outboxDead', sparse: true });
  }

  async createBatch(batch: BatchRecord, inputs: SliceInputRecord[], states: SliceStateRecord[]): Promise<void> {
    this.writable();
    // Slices in groups so one huge insert does not build one huge string; the batch record goes last.
    for (let i = 0; i < inputs.length; i += 50) await this.inputs.insertMany(inputs.slice(i, i + 50));
    for (let i = 0; i < states.length; i += 50) await this.states.insertMany(states.slice(i, i + 50));
    await this.batches.insertOne(batch);
  }

  async getBatch(id: string): Promise<BatchRecord | undefined> {
    return ((await this.batches.findOne({ _id: id })) as BatchRecord | null) ?? undefined;
  }

  async findBatchBySource(source: string, sourceKey: string): Promise<BatchRecord | undefined> {
    return ((await this.batches.findOne({ sourceIdx: `${source}:${sourceKey}` })) as BatchRecord | null) ?? undefined;
  }

  async updateBatch(id: string, patch: Partial<BatchRecord>): Promise<BatchRecord | undefined> {
    this.writable();
    const { _id, ...rest } = patch;
    void _id;
    await this.batches.updateOne({ _id: id }, { $set: rest });
    return this.getBatch(id);
  }

  async updateOutbox(id: string, change: OutboxChange, patch: Partial<BatchRecord> = {}): Promise<BatchRecord | undefined> {
    // One data directory has one writer (the lock), so a queue per batch in this process makes read-change-write atomic.
    const run = (this.outboxQueues.get(id) ?? Promise.resolve()).then(async () => {
      const b = await this.getBatch(id);
      if (!b) return undefined;
      const outbox = change(b.outbox ?? []);
      if (Object.keys(patch).length === 0 && JSON.stringify(outbox) === JSON.stringify(b.outbox ?? [])) return b;
      return this.updateBatch(id, { ...patch, outbox, ...outboxFlags(outbox) });
    });
    const tail = run.then(() => undefined, () => undefined);
    this.outboxQueues.set(id, tail);
    void tail.then(() => {
      if (this.outboxQueues.get(id) === tail) this.outboxQueues.delete(id);
    });
    return run;
  }

  async listBatches(q: BatchListQuery): Promise<BatchListPage> {
    const where: Record<string, unknown> = {};
    if (q.statuses?.length) where.status = { $in: q.statuses };
    if (q.source) where.source = q.source;
    if (q.from !== undefined || q.to !== undefined) {
      where.createdAt = { ...(q.from !== undefined ? { $gte: q.from } : {}), ...(q.to !== undefined ? { $lt: q.to } : {}) };
    }
    const [total, items] = await Promise.all([
      this.batches.count(where),
      this.batches.find(where).sort({ createdAt: -1, _id: -1 }).skip(q.offset).limit(q.limit) as unknown as Promise<BatchRecord[]>,
    ]);
    return { total, items };
  }

  async listOpenBatches(): Promise<BatchRecord[]> {
    const all = (await this.batches.find({})) as BatchRecord[];
    return all.filter((b) => !FINAL_BATCH_STATUSES.has(b.status)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async listPendingOutbox(channel: OutboxChannel): Promise<BatchRecord[]> {
    const all = (await this.batches.find({ outboxPending: true })) as BatchRecord[];
    return all.filter((b) => b.outbox?.some((e) => e.channel === channel && e.state === 'pending')).sort((a, b) =>
      a.createdAt.localeCompare(b.createdAt));
  }

  async listDeadOutbox(): Promise<BatchRecord[]> {
    const all = (await this.batches.find({ outboxDead: true })) as BatchRecord[];
    return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async findBatchesByTransaction(senderId: string, transactionId: string): Promise<BatchRecord[]> {
    const all = (await this.batches.find({ 'meta.transaction_id': transactionId })) as BatchRecord[];
    return all.filter((b) => b.meta?.sender_id === senderId).sort((a, b) => b.createdAt.localeCompare(a.createdAt)
      || b._id.localeCompare(a._id));
  }

  async getSliceInput(batchId: string, seq: number): Promise<SliceInputRecord | undefined> {
    return ((await this.inputs.findOne({ _id: sliceId(batchId, seq) })) as SliceInputRecord | null) ?? undefined;
  }

  async getSliceState(batchId: string, seq: number): Promise<SliceStateRecord | undefined> {
    return ((await this.states.findOne({ _id: sliceId(batchId, seq) })) as SliceStateRecord | null) ?? undefined;
  }

  /** Open and taking writes (readiness). */
  isOpen(): boolean {
    return this.batches !== undefined && !this.closed;
  }

  private writable(): void {
    // After close (or an in-process crash) a late write from the old engine must not land behind a new one's.
    if (this.closed) throw new Error('store is closed');
  }

  async saveSliceState(state: SliceStateRecord): Promise<void> {
    this.writable();
    await this.states.updateOne({ _id: state._id }, state, { upsert: true });
  }

  async removeOrphans(): Promise<number> {
    const batchIds = new Set(((await this.batches.find({}, { _id: 1 })) as Array<{ _id: string }>).map((b) => b._id));
    const slices = (await this.states.find({}, { batchId: 1 })) as Array<{ _id: string; batchId: string }>;
    const orphans = [...new Set(slices.filter((s) => !batchIds.has(s.batchId)).map((s) => s.batchId))];
    const inputOrphans = ((await this.inputs.find({}, { batchId: 1 })) as Array<{ batchId: string }>).filter((s) =>
      !batchIds.has(s.batchId)).map((s) => s.batchId);
    const all = [...new Set([...orphans, ...inputOrphans])];
    for (const id of all) {
      await this.inputs.deleteMany({ batchId: id }, {});
      await this.states.deleteMany({ batchId: id }, {});
    }
    return all.length;
  }

  async nextCounter(name: string): Promise<number> {
    const doc = (await this.meta.findOne({ _id: name })) as { value: number } | null;
    const value = (doc?.value ?? 0) + 1;
    await this.meta.updateOne({ _id: name }, { _id: name, value }, { upsert: true });
    return value;
  }

  async getMeta(name: string): Promise<unknown> {
    const doc = (await this.meta.findOne({ _id: `meta:${name}` })) as { value: unknown } | null;
    return doc?.value;
  }

  async setMeta(name: string, value: unknown): Promise<void> {
    await this.meta.updateOne({ _id: `meta:${name}` }, { _id: `meta:${name}`, value }, { upsert: true });
  }

  async compact(): Promise<void> {
    if (this.opts.inMemory || !this.opts.dataDir || this.closed) return;
    const run = this.compacting.then(async () => {
      for (const db of [this.batches, this.states, this.meta]) {
        if (this.closed) return;
        await (db as unknown as { compactDatafileAsync(): Promise<void> }).compactDatafileAsync();
      }
    });
    this.compacting = run.catch(() => undefined);
    await run;
  }

  async close(): Promise<void> {
    // nedb writes each change before its promise resolves: nothing to flush; refuse writes from now on, and let a
    // compaction in progress finish its file swap so the next instance never sees a half-renamed data file.
    this.closed = true;
    await this.compacting;
    this.lock?.release();
    this.lock = undefined;
  }
}
