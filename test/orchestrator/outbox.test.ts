/**
 * The outbox for everything GPO tells upstream, progress and on-status included.
 * - Over the store: a progress entry numbers its snapshots durably (numbering goes on after the store is reopened,
 *   so no two snapshots share an id), stays pending when a snapshot is delivered, is superseded by the final entry in
 *   the same write, and is never backlog; settled on-status entries are pruned to the newest few; changes of one
 *   batch never interleave.
 * - End to end: a native batch's progress webhooks carry `<progress entry>.<n>` with n increasing, all before the
 *   completion; a G2P Connect on-status answer is owed before the ACK and, refused and the orchestrator stopped
 *   before the retry, arrives after the restart under the same message_id.
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startOrchestrator, type RunningOrchestrator } from '../../orchestrator';
import type { BatchRecord } from '../../orchestrator/domain/model';
import { KEEP_SETTLED_STATUS, oweFinal, startProgress } from '../../orchestrator/domain/outbox';
import { BatchStatus } from '../../orchestrator/domain/types';
import { parseDisburse } from '../../orchestrator/intake/g2p-connect';
import { storeOutbox } from '../../orchestrator/notify/outbox';
import { NedbStore } from '../../orchestrator/store/nedb';
import { defaultWorldConfig, startWorld, type World } from '../../simulators/world';
import { tmpDataDir } from '../support/tmp';
import { crashPayments, g2pMessage } from './support/crash-batch';

function record(id: string, callback: BatchRecord['callback']): BatchRecord {
  const at = '2026-01-01T00:00:00.000Z';
  return { _id: id, source: 'native', sourceKey: id, sourceIdx: `native:${id}`, requestHash: 'h', status: BatchStatus.PROCESSING,
    currency: 'USD', callback, totalCount: 1, totalAmount: '1', sliceCount: 0, createdAt: at, updatedAt: at } as BatchRecord;
}

describe('orchestrator outbox: progress and on-status entries over the store', () => {
  const dir = tmpDataDir('gpo-outbox-');
  after(() => dir.remove());

  it('numbers progress durably, keeps it pending, supersedes it with the final, never counts it as backlog', async () => {
    let store = new NedbStore({ dataDir: dir.path });
    await store.open();
    const hook = { kind: 'webhook' as const, url: 'http://127.0.0.1:9/hook' };
    await store.createBatch(record('b1', hook), [], []);
    await store.updateOutbox('b1', startProgress(hook, 'p1', '2026-01-01T00:00:01.000Z')!);
    await store.updateOutbox('b1', startProgress(hook, 'p2', '2026-01-01T00:00:01.000Z')!);
    let outbox = storeOutbox(store);
    assert.deepEqual((await store.getBatch('b1'))?.outbox?.map((e) => [e.id, e.event, e.state]), [['p1', 'batch.progress', 'pending']],
      'one progress entry per batch');
    assert.equal(await outbox.numberSnapshot('b1', 'p1'), 1);
    assert.equal(await outbox.numberSnapshot('b1', 'p1'), 2);
    await outbox.settle('b1', 'p1', { state: 'delivered', attempts: 1 });
    assert.equal((await outbox.entryFor('b1', 'batch.progress'))?.state, 'pending', 'delivered progress is still owed');
    assert.deepEqual((await outbox.counts()).pending, { 'webhook': 0, 'g2p-connect': 0 }, 'progress is not backlog');
    await store.close();

    store = new NedbStore({ dataDir: dir.path });
    await store.open();
    outbox = storeOutbox(store);
    assert.equal(await outbox.numberSnapshot('b1', 'p1'), 3, 'numbering goes on after a restart');
    await store.updateOutbox('b1', oweFinal(hook, 'f1', '2026-01-01T00:00:02.000Z')!, { status: BatchStatus.COMPLETED });
    const b = await store.getBatch('b1');
    assert.equal(b?.status, BatchStatus.COMPLETED);
    assert.deepEqual(b?.outbox?.map((e) => [e.id, e.state]), [['p1', 'superseded'], ['f1', 'pending']]);
    assert.equal(await outbox.numberSnapshot('b1', 'p1'), undefined, 'no snapshot after the final');
    assert.deepEqual(await outbox.replay('b1', 'p1'), { refused: 'NOT_DEAD', state: 'superseded' });
    assert.deepEqual((await outbox.counts()).pending, { 'webhook': 1, 'g2p-connect': 0 });
    await store.close();
  });

  it('prunes settled on-status entries to the newest few and never interleaves changes of one batch', async () => {
    const store = new NedbStore({ inMemory: true });
    await store.open();
    const g2p = { kind: 'g2p-connect' as const, senderUri: 'http://127.0.0.1:9/g2p', senderId: 's' };
    await store.createBatch(record('b2', g2p), [], []);
    const ids = Array.from({ length: KEEP_SETTLED_STATUS + 5 }, (_, i) => `s${i}`);
    const outbox = storeOutbox(store, { newId: () => ids.shift()! });
    const request = { url: 'http://127.0.0.1:9/g2p/disburse/txn/on-status', transactionId: 't', senderId: 's' };
    const owed = await Promise.all(Array.from({ length: KEEP_SETTLED_STATUS + 5 }, () => outbox.oweStatus('b2', request)));
    assert.equal((await store.getBatch('b2'))?.outbox?.length, KEEP_SETTLED_STATUS + 5, 'concurrent changes all kept');
    await Promise.all(owed.map((e) => outbox.settle('b2', e!.id, { state: 'delivered', attempts: 1 })));
    const kept = (await store.getBatch('b2'))?.outbox ?? [];
    assert.equal(kept.length, KEEP_SETTLED_STATUS);
    assert.deepEqual(kept.map((e) => e.id), owed.slice(5).map((e) => e!.id), 'the newest kept');
    assert.ok(kept.every((e) => e.state === 'delivered' && e.request?.transactionId === 't'));
    await store.close();
  });
});

interface Hit { path: string; body: Record<string, any>; status: number }

/** Records every callback; `refuse` picks the ones answered 503. */
async function receiver(refuse: (h: Omit<Hit, 'status'>) => boolean) {
  const hits: Hit[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString('utf8'); });
    req.on('end', () => {
      const h = { path: req.url ?? '', body: JSON.parse(raw || '{}') as Record<string, any> };
      const status = refuse(h) ? 503 : 200;
      hits.push({ ...h, status });
      waiters.splice(0).forEach((w) => w());
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits,
    until: (pred: () => boolean) => new Promise<void>((resolve) => {
      const check = () => (pred() ? resolve() : waiters.push(check));
      check();
    }),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('orchestrator outbox: progress webhooks and on-status answers end to end', function () {
  this.timeout(60_000);
  const dir = tmpDataDir('gpo-outbox-e2e-');
  let world: World;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let refuseStatus = true;
  let orch: RunningOrchestrator | undefined;
  const start = async () => {
    const o = await startOrchestrator({
      port: 0, host: '127.0.0.1', dataDir: dir.path, sdkUrl: world.urls.payerOutbound, seed: 4, chunkSize: 20,
      notify: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000, progressEveryMs: 0 },
    });
    world.payer.setBackendUrl(o.sdkBackendUrl);
    return o;
  };
  before(async () => {
    world = await startWorld({ ...defaultWorldConfig(), ports: 'random', seed: 12, pil: false });
    rx = await receiver((h) => refuseStatus && h.path === '/g2p/disburse/txn/on-status');
  });
  after(async () => {
    await orch?.stop();
    await rx?.close();
    await world?.stop();
    dir.remove();
  });

  it('sends progress as <entry>.<n>, n increasing, before the completion', async () => {
    orch = await start();
    const sub = await orch.service.submitBatch({ source: 'native', sourceKey: 'progress-1', requestHash: 'p-1', currency: 'USD', payments:
      crashPayments(120), callback: { kind: 'webhook', url: `${rx.url}/hook` } });
    await rx.until(() => rx.hits.some((h) => h.path === '/hook' && h.body.event === 'batch.completed'));
    const hooks = rx.hits.filter((h) => h.path === '/hook' && h.body.batch?.id === sub.batch.id);
    const progress = hooks.filter((h) => h.body.event === 'batch.progress');
    assert.ok(progress.length >= 1, 'at least one progress event');
    assert.equal(hooks.at(-1)?.body.event, 'batch.completed', 'the completion comes last');
    const entry = String(progress[0].body.eventId).split('.')[0];
    progress.forEach((h, i) => {
      assert.equal(h.body.eventId, `${entry}.${h.body.sequence}`);
      if (i > 0) assert.ok(h.body.sequence > progress[i - 1].body.sequence, 'sequence increases');
    });
    assert.notEqual(hooks.at(-1)?.body.eventId, entry);
  });

  it('owes an on-status answer before the ACK and delivers it after a restart under the same message_id', async () => {
    const parsed = parseDisburse(g2pMessage(rx.url), { currency: 'USD', sync: false });
    assert.ok(parsed.ok);
    const g2p = await orch!.service.submitBatch(parsed.command);
    await rx.until(() => rx.hits.some((h) => h.path === '/g2p/on-disburse' && h.body.header?.status === 'succ'));
    const res = await request(`${orch!.url}/disburse/txn/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body:
      JSON.stringify({
        header: { version: '1.0.0', message_id: 'st-outbox-1', message_ts: new Date().toISOString(), action: 'txn-status', sender_id:
          'notify-sender', sender_uri: `${rx.url}/g2p`, receiver_id: 'gpo', total_count: 1, is_msg_encrypted: false },
        message: { transaction_id: 'tx-notify-1', txnstatus_request: { reference_id: 'r-1', txn_type: 'disburse', attribute_type:
          'reference_id_list', attribute_value: ['g-1', 'g-4'] } },
      }) });
    assert.equal(res.statusCode, 200, await res.body.text());
    await rx.until(() => rx.hits.some((h) => h.path === '/g2p/disburse/txn/on-status'));
    const refused = rx.hits.filter((h) => h.path === '/g2p/disburse/txn/on-status');
    assert.deepEqual(refused.map((h) => h.status), [503]);
    await orch!.stop(); // while the retry waits: the answer is still owed
    orch = undefined;

    refuseStatus = false;
    orch = await start();
    await rx.until(() => rx.hits.some((h) => h.path === '/g2p/disburse/txn/on-status' && h.status === 200));
    const all = rx.hits.filter((h) => h.path === '/g2p/disburse/txn/on-status');
    assert.deepEqual(all.map((h) => h.status), [503, 200]);
    assert.equal(all[1].body.header.message_id, all[0].body.header.message_id, 'the same message_id after the restart');
    assert.equal(all[1].body.message.correlation_id, g2p.batch.id);
    const items = all[1].body.message.txnstatus_response.txn_status.disbursements_status as Array<{ reference_id: string; status: string }>;
    assert.deepEqual(items.map((i) => [i.reference_id, i.status]).sort(), [['g-1', 'succ'], ['g-4', 'succ']]);
  });
});
