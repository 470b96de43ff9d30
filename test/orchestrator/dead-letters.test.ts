/**
 * Dead letters: a receiver refuses every final notification (native webhook and G2P Connect on-disburse) until the
 * attempts run out (notify.maxAttempts 2); both entries are then dead, listed by GET /v1/outbox/dead-letters and
 * counted by gpo_outbox_dead. Once the receiver takes deliveries again, an operator replays each one: it arrives
 * under the same event id it was refused with, leaves the dead letters, and its latency is observed. A second replay
 * of the same id, and an id that never was a dead letter, get 404 DEAD_LETTER_NOT_FOUND.
 */
import { strict as assert } from 'node:assert';
import { request } from 'undici';
import { startOrchestrator, type RunningOrchestrator } from '../../orchestrator';
import { parseDisburse } from '../../orchestrator/intake/g2p-connect';
import { defaultWorldConfig, startWorld, type World } from '../../simulators/world';
import { tmpDataDir } from '../support/tmp';
import { crashPayments, g2pMessage } from './support/crash-batch';
import { startFinalsReceiver, type FinalsReceiver } from './support/finals-receiver';


interface DeadLetters { count: number; items: Array<{ id: string; batchId: string; channel: string; state: string; attempts: number;
  lastError?: string }> }

async function json<T>(url: string, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; body: T }> {
  const res = await request(url, { method });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

async function metric(url: string, name: string, channel: string): Promise<number | undefined> {
  const text = await (await request(`${url}/metrics`)).body.text();
  const m = new RegExp(`^${name}\\{channel="${channel}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('orchestrator outbox: dead letters listed and replayed by an operator', function () {
  this.timeout(60_000);
  const dir = tmpDataDir('gpo-dead-letters-');
  let world: World;
  let rx: FinalsReceiver;
  let refusing = true;
  let orch: RunningOrchestrator | undefined;
  before(async () => {
    world = await startWorld({ ...defaultWorldConfig(), ports: 'random', seed: 11, pil: false });
    rx = await startFinalsReceiver(() => refusing);
  });
  after(async () => {
    await orch?.stop();
    await rx?.close();
    await world?.stop();
    dir.remove();
  });

  it('lists both final notifications as dead once refused twice; a replay delivers each under its event id', async () => {
    orch = await startOrchestrator({
      port: 0, host: '127.0.0.1', dataDir: dir.path, sdkUrl: world.urls.payerOutbound, seed: 3, chunkSize: 100,
      notify: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, progressEveryMs: 60_000 },
    });
    world.payer.setBackendUrl(orch.sdkBackendUrl);
    const native = await orch.service.submitBatch({
      source: 'native', sourceKey: 'dead-1', requestHash: 'dead-1-v1', currency: 'USD', payments: crashPayments(4),
      callback: { kind: 'webhook', url: `${rx.url}/hook` },
    });
    const parsed = parseDisburse(g2pMessage(rx.url), { currency: 'USD', sync: false });
    assert.ok(parsed.ok);
    const g2p = await orch.service.submitBatch(parsed.command);
    const batches = [native.batch.id, g2p.batch.id];

    // Two refused attempts per batch; the entries are dead once the outbox says so.
    await rx.until(() => batches.every((id) => rx.finals.filter((f) => f.batchId === id).length === 2));
    let dead: DeadLetters = { count: 0, items: [] };
    for (const deadline = Date.now() + 10_000; dead.count < 2 && Date.now() < deadline;) {
      dead = (await json<DeadLetters>(`${orch.url}/v1/outbox/dead-letters`)).body;
      if (dead.count < 2) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.equal(dead.count, 2, JSON.stringify(dead));
    assert.deepEqual(dead.items.map((d) => d.batchId).sort(), [...batches].sort());
    for (const d of dead.items) {
      assert.equal(d.state, 'dead');
      assert.equal(d.attempts, 2);
      assert.match(d.lastError ?? '', /503/);
      const refused = rx.finals.filter((f) => f.batchId === d.batchId);
      assert.deepEqual([...new Set(refused.map((f) => f.eventId))], [d.id], 'refused under the entry id');
    }
    assert.equal(await metric(orch.url, 'gpo_outbox_dead', 'webhook'), 1);
    assert.equal(await metric(orch.url, 'gpo_outbox_dead', 'g2p-connect'), 1);
    assert.equal(await metric(orch.url, 'gpo_outbox_pending', 'webhook'), 0);

    refusing = false;
    for (const d of dead.items) {
      const r: { status: number; body: { id: string; state: string; batchId: string } } =
        await json(`${orch.url}/v1/outbox/dead-letters/${d.id}/replay`, 'POST');
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.deepEqual([r.body.id, r.body.state, r.body.batchId], [d.id, 'pending', d.batchId]);
    }
    await rx.until(() => batches.every((id) => rx.finals.some((f) => f.batchId === id && f.status === 200)));
    for (const d of dead.items) {
      const ok = rx.finals.filter((f) => f.batchId === d.batchId && f.status === 200);
      assert.deepEqual(ok.map((f) => f.eventId), [d.id], 'delivered once, under the id it was refused with');
    }
    for (const deadline = Date.now() + 10_000; dead.count > 0 && Date.now() < deadline;) {
      dead = (await json<DeadLetters>(`${orch.url}/v1/outbox/dead-letters`)).body;
      if (dead.count > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.equal(dead.count, 0, 'no dead letters once replayed');
    assert.equal(await metric(orch.url, 'gpo_outbox_dead', 'webhook'), 0);
    assert.equal(await metric(orch.url, 'gpo_notification_latency_seconds_count', 'webhook'), 1);
    assert.equal(await metric(orch.url, 'gpo_notification_latency_seconds_count', 'g2p-connect'), 1);

    const again = await json<{ errorCode: string }>(`${orch.url}/v1/outbox/dead-letters/${dead.items[0]?.id ?? native.batch.id}/replay`,
      'POST');
    assert.deepEqual([again.status, again.body.errorCode], [404, 'DEAD_LETTER_NOT_FOUND']);
    const bad = await json<{ errorCode: string }>(`${orch.url}/v1/outbox/dead-letters/${encodeURIComponent('no such id!')}/replay`, 'POST');
    assert.deepEqual([bad.status, bad.body.errorCode], [400, 'VALIDATION_FAILED']);
  });
});
