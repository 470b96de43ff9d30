/**
 * The PIL-compatible and G2P Connect APIs on a real orchestrator over the simulated world: OpenG2P's exact
 * payloads, money checked on the payee ledgers, results and callbacks checked against them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import pino from 'pino';
import { startWorld, type World } from '../../simulators/world';
import { startOrchestrator, type RunningOrchestrator } from '../../orchestrator';
import { g2pConnectEnvelope, interopLayerBody, ExchangeLog } from '../../simulators/openg2p/managers';
import type { PaymentBatch } from '../../simulators/openg2p/program';
import { SeededRandom } from '../../shared/ids';
import { toUnits, fromUnits } from '../../shared/money';
import { startCallbackSink, type CallbackSink } from '../network/helpers';

interface Payee { ref: string; idType: string; idValue: string; amount: string; fsp?: string; known: boolean }

function batchOf(id: string, payees: Payee[]): PaymentBatch {
  return { id, payments: payees.map((p) => ({ reference: p.ref, amount: p.amount, currency: 'USD', registrant:
    { idType: p.idType, idValue: p.idValue, fsp: p.fsp, name: `Person ${p.ref}` } })) } as unknown as PaymentBatch;
}

async function balance(world: World, fsp: string, idType: string, idValue: string): Promise<string> {
  const res = await request(world.payees[fsp].url).get(`/admin/parties/${idType}/${encodeURIComponent(idValue)}`);
  return (res.body?.balances?.USD as string | undefined) ?? '0';
}

async function committed(world: World): Promise<{ count: number; credited: bigint }> {
  let count = 0;
  let credited = 0n;
  for (const p of Object.values(world.payees)) {
    const t = (await request(p.url).get('/admin/ledger')).body.totals?.USD ?? {};
    count += Number(t.committedCount ?? 0);
    credited += toUnits(t.credited ?? '0');
  }
  return { count, credited };
}

describe('PIL-compatible and G2P Connect APIs on the orchestrator (end to end)', function () {
  this.timeout(60_000);
  let world: World;
  let orch: RunningOrchestrator;
  let sink: CallbackSink;
  let dataDir: string;

  before(async () => {
    const logger = pino({ level: 'silent' });
    world = await startWorld({ ports: 'random', seed: 31, logger });
    dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-intake-e2e-'));
    orch = await startOrchestrator({ port: 0, dataDir, seed: 31, sdkUrl: world.payer.outboundUrl, pilUrl: world.pil!.url, logger, notify:
      { progressEveryMs: 50, baseDelayMs: 20, maxDelayMs: 200 } });
    world.payer.setBackendUrl(orch.sdkBackendUrl);
    sink = await startCallbackSink();
  });
  after(async () => {
    await sink?.stop();
    await orch?.stop();
    await world?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('OpenG2P\'s interop-layer payload: every known payee paid once, unknown ones REJECTED with 3204, in order', async () => {
    const payees: Payee[] = [
      { ref: 'p0', idType: 'MSISDN', idValue: '254710000501', amount: '100', fsp: 'payeefsp1', known: true },
      { ref: 'p1', idType: 'MSISDN', idValue: '254790000501', amount: '25', known: false },
      { ref: 'p2', idType: 'MSISDN', idValue: '254720000502', amount: '12.5', fsp: 'payeefsp2', known: true },
      { ref: 'p3', idType: 'ACCOUNT_ID', idValue: 'PF1-5003', amount: '7.25', fsp: 'payeefsp1', known: true },
    ];
    const before = await committed(world);
    const body = interopLayerBody(batchOf('7c0e2f3a-6f55-4c1e-9d1e-000000000001', payees), { programName: 'Cash Transfer', cycleId: '9' });
    const res = await request(orch.url).post('/disbursement').set('content-type', 'application/json').send(body).expect(200);
    let results = res.body.payeeResults as Array<{ payeeIdValue: string; status: string; errorCode?: string; amountCredited: string }>;
    const deadline = Date.now() + 30_000;
    while (results.some((r) => r.status === 'RECEIVED' || r.status === 'PENDING') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      results = (await request(orch.url).get('/disbursement/7c0e2f3a-6f55-4c1e-9d1e-000000000001').expect(200)).body.payeeResults;
    }
    assert.deepEqual(results.map((r) => r.payeeIdValue), payees.map((p) => p.idValue));
    assert.deepEqual(results.map((r) => r.status), payees.map((p) => (p.known ? 'COMPLETED' : 'REJECTED')));
    assert.equal(results[1].errorCode, '3204');
    assert.equal(results[0].amountCredited, '100');
    for (const p of payees.filter((x) => x.known)) assert.equal(await balance(world, p.fsp!, p.idType, p.idValue), p.amount);
    const after = await committed(world);
    assert.equal(after.count - before.count, 3);
    assert.equal(fromUnits(after.credited - before.credited), '119.75');

    // OpenG2P's operator sends the batch again: nothing is paid twice.
    const again = await request(orch.url).post('/disbursement').set('content-type', 'application/json').send(body).expect(200);
    assert.equal(again.body.payeeResults.length, 4);
    assert.equal((await committed(world)).count, after.count);
  });

  it('G2P Connect: ACK, payment by financial address, on-disburse callbacks with final counts and statuses', async () => {
    const payees: Payee[] = [
      { ref: 'g0', idType: 'MSISDN', idValue: '254710000601', amount: '30', fsp: 'payeefsp1', known: true },
      { ref: 'g1', idType: 'MSISDN', idValue: '254720000602', amount: '40.5', fsp: 'payeefsp2', known: true },
      { ref: 'g2', idType: 'MSISDN', idValue: '254790000603', amount: '10', known: false },
    ];
    const ctx = { orchestratorUrl: orch.url, programName: 'Child Grant', cycleId: '4', callbacks: sink as never, log: new ExchangeLog(),
      rnd: new SeededRandom(4) };
    const env = g2pConnectEnvelope(batchOf('tx-e2e-1', payees), ctx, 'msg-e2e-1');
    const ack = await request(orch.url).post('/disburse').send(env).expect(200);
    assert.equal(ack.body.message.ack_status, 'ACK');
    const final = await sink.waitFor((r) => r.path === '/on-disburse'
      && (r.body as { header: { status: string } }).header.status !== 'pdng', 30_000);
    const cb = final.body as { header: { status: string; total_count: number; completed_count: number };
      message: { transaction_id: string; disbursements_status: Array<{ reference_id: string; status: string;
        status_reason_code?: string }> } };
    assert.equal(cb.message.transaction_id, 'tx-e2e-1');
    assert.equal(cb.header.total_count, 3);
    assert.equal(cb.header.completed_count, 3);
    assert.equal(cb.header.status, 'succ');
    const byRef = Object.fromEntries(cb.message.disbursements_status.map((i) => [i.reference_id, i]));
    assert.equal(byRef.g0.status, 'succ');
    assert.equal(byRef.g1.status, 'succ');
    assert.equal(byRef.g2.status, 'rjct');
    assert.ok(byRef.g2.status_reason_code, 'a rejected item carries its reason code');
    assert.equal(await balance(world, 'payeefsp1', 'MSISDN', '254710000601'), '30');
    assert.equal(await balance(world, 'payeefsp2', 'MSISDN', '254720000602'), '40.5');

    const replay = await request(orch.url).post('/disburse').send(env).expect(200);
    assert.deepEqual(replay.body, ack.body);
    const status = await request(orch.url).post('/disburse/sync/txn/status').send({
      header: { version: '1.0.0', message_id: 'st-e2e-1', message_ts: new Date().toISOString(), action: 'txn-status', sender_id: 'openg2p',
        total_count: 1 },
      message: { transaction_id: 'st-1', txnstatus_request: { reference_id: 'q', txn_type: 'disburse', attribute_type: 'transaction_id',
        attribute_value: 'tx-e2e-1' } },
    }).expect(200);
    assert.equal(status.body.message.txnstatus_response.txn_status.disbursements_status.length, 3);
    assert.equal(await balance(world, 'payeefsp1', 'MSISDN', '254710000601'), '30', 'the replay paid nothing again');
  });
});
