/**
 * Durable final notifications: a receiver refuses the first final delivery of every batch (native webhook
 * batch.completed and G2P Connect on-disburse final); the orchestrator child is killed with SIGKILL after the first
 * refusal, before the retry (GPO_CRASH_AT=deliver:1). After a restart on the same data directory every batch's
 * final notification arrives, under the same event id as the refused one, and each event id is acknowledged once.
 * The restarted process also answers G2P Connect txn/status by transaction_id and reference_id_list (its
 * transaction index is the store's, not memory).
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { defaultWorldConfig, startWorld, type World } from '../../simulators/world';
import { startFinalsReceiver, type FinalsReceiver } from './support/finals-receiver';
import { setPayerBackend } from '../../simulators/payer-dfsp/backend';
import { freePort } from '../real-sdk/support/sdk';

const CHILD = path.join(__dirname, 'support', 'notify-child.ts');
const BATCHES = 3;

interface Ready { url: string; batchIds: string[]; g2pBatchId: string }

function startChild(env: Record<string, string>): { child: ChildProcess; ready: Promise<Ready>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD],
    { env: { ...process.env, GPO_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const ready = new Promise<Ready>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('GPO-CHILD ')) return;
      const msg = JSON.parse(line.slice(10)) as Ready & { event: string; message?: string };
      if (msg.event === 'ready') resolve(msg);
      else reject(new Error(`${msg.message} ${stderr}`));
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before it was ready: ${stderr}`)));
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, ready, exit };
}

function txnStatus(attribute: 'transaction_id' | 'reference_id_list', value: string | string[]) {
  return {
    header: { version: '1.0.0', message_id: `st-${attribute}`, message_ts: new Date().toISOString(), action: 'txn-status', sender_id:
      'notify-sender', receiver_id: 'gpo', total_count: 1, is_msg_encrypted: false },
    message: { transaction_id: 'tx-notify-1', txnstatus_request: { reference_id: 'r-1', txn_type: 'disburse', attribute_type: attribute,
      attribute_value: value } },
  };
}

describe('orchestrator crash safety: final notifications survive a kill during delivery', function () {
  this.timeout(180_000);
  let world: World;
  let dataDir: string;
  let rx: FinalsReceiver;
  let child: ChildProcess | undefined;

  before(async () => {
    world = await startWorld({ ...defaultWorldConfig(), ports: 'random', seed: 5, pil: false });
    dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-notify-crash-'));
    // Refuses the first final delivery of every batch.
    rx = await startFinalsReceiver((final, before) => !before.some((f) => f.batchId === final.batchId));
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rx?.close();
    await world?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every final notification after the restart, each event id acknowledged once; txn/status answers', async () => {
    // Both lives on one port, as a deployment restarts: the SDK's backend endpoint (bulk transaction prompts) stays valid.
    const port = await freePort();
    await setPayerBackend(world.urls.payerOutbound, `http://127.0.0.1:${port}/sdk-backend`);
    const env = { NOTIFY_DATA_DIR: dataDir, NOTIFY_SDK_URL: world.urls.payerOutbound, NOTIFY_RECEIVER: rx.url, NOTIFY_BATCHES:
      String(BATCHES), NOTIFY_PORT: String(port) };
    const first = startChild({ ...env, GPO_CRASH_AT: 'deliver:1' });
    child = first.child;
    const ready = await first.ready;
    const all = [...ready.batchIds, ready.g2pBatchId];
    const died = await first.exit;
    assert.equal(died.signal, 'SIGKILL', 'killed after the first refused final delivery');
    const refused = rx.finals.filter((f) => f.status === 503);
    assert.ok(refused.length >= 1, 'a final delivery was refused before the kill');
    assert.equal(rx.finals.filter((f) => f.status === 200).length, 0, 'nothing acknowledged before the kill');

    const second = startChild(env);
    child = second.child;
    const again = await second.ready;
    assert.deepEqual([...again.batchIds, again.g2pBatchId], all, 'the same batches (replayed)');
    await rx.until(() => all.every((id) => rx.finals.some((f) => f.batchId === id && f.status === 200)));

    for (const id of all) {
      const ok = rx.finals.filter((f) => f.batchId === id && f.status === 200);
      assert.equal(ok.length, 1, `batch ${id}: one acknowledged final`);
      const ids = new Set(rx.finals.filter((f) => f.batchId === id).map((f) => f.eventId));
      assert.equal(ids.size, 1, `batch ${id}: every delivery of its final carries one event id`);
    }
    assert.equal(rx.finals.filter((f) => f.channel === 'g2p' && f.status === 200).length, 1);

    // G2P Connect status by transaction_id and reference_id_list in the restarted process.
    for (const [attr, value, count] of [['transaction_id', 'tx-notify-1', 6], ['reference_id_list', ['g-1', 'g-4'], 2]] as const) {
      const res = await request(`${again.url}/disburse/sync/txn/status`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body:
          JSON.stringify(txnStatus(attr, value as string | string[])) });
      const text = await res.body.text();
      assert.equal(res.statusCode, 200, `${attr}: ${text}`);
      const body = JSON.parse(text) as { message: { correlation_id: string;
        txnstatus_response: { txn_status: { disbursements_status: Array<{ reference_id: string; status: string }> } } } };
      assert.equal(body.message.correlation_id, ready.g2pBatchId);
      const items = body.message.txnstatus_response.txn_status.disbursements_status;
      assert.equal(items.length, count, attr);
      assert.ok(items.every((i) => i.status === 'succ'), JSON.stringify(items));
    }
    second.child.kill('SIGTERM');
    await second.exit;
  });
});
