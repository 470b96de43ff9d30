/**
 * GPO's `transfers` rail against the real Mojaloop SDK scheme adapter 18.0.2 (its own redis), in the simulated
 * world: a clean batch with the SDK waiting for quote acceptance and one with it accepting by itself, an
 * orchestrator SIGKILLed at transfer time and started again (three kill points), and a payee slow enough for the SDK
 * to answer 504. Every payee's ledger is credited exactly once, and GPO's statuses and transfer ids match the ledgers.
 * Needs `.ci/run`'s install of the SDK (or GPO_REAL_SDK_DIR) and Debian's redis-server; skipped without them
 * outside CI.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { toUnits } from '../../shared/money';
import { putRules, readPayeeLedger } from '../../scenarios/environment';
import { defaultWorldConfig, startWorld, type World } from '../../simulators/world';
import { startOrchestrator, type RunningOrchestrator } from '../../orchestrator/index';
import { BatchStatus, PaymentStatus, type PaymentView } from '../../orchestrator/domain/types';
import { batch, ledgerTotals, worldPayments } from '../orchestrator/support/world';
import { crashPayments } from '../orchestrator/support/crash-batch';
import { runChild } from '../orchestrator/support/crash-run';
import { realSdkAvailable, startRealSdk, type RealSdk, type RealSdkOptions } from './support/sdk';

async function ledgers(world: World) {
  return Promise.all(['payeefsp1', 'payeefsp2'].map((id) => readPayeeLedger(world.urls[id], id, 'USD')));
}

/** The payee's ledger books each completed payment under the transfer id GPO shows. */
async function assertLedgerIds(world: World, items: PaymentView[]): Promise<void> {
  for (const p of items) {
    assert.ok(p.transferId, `payment ${p.position} shows its Mojaloop transfer id`);
    assert.notEqual(p.transferId, p.homeTransactionId, 'the SDK\'s transfer id, not GPO\'s own');
    const res = await request(`${world.urls[p.payeeFsp!]}/admin/ledger/transfers/${p.transferId}`);
    assert.equal(res.statusCode, 200, `payee ledger knows transfer ${p.transferId}`);
    await res.body.dump();
  }
}

async function allPayments(orch: RunningOrchestrator, batchId: string): Promise<PaymentView[]> {
  return (await orch.service.listPayments(batchId, { limit: 10_000 })).items;
}

describe('transfers rail against the real SDK scheme adapter 18.0.2', function () {
  this.timeout(240_000);
  let world: World;
  let sdk: RealSdk | undefined;
  let dataDir: string;

  before(function () {
    if (!realSdkAvailable()) this.skip();
  });
  beforeEach(async () => {
    world = await startWorld({ ...defaultWorldConfig(), ports: 'random', seed: 17, pil: false });
    dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-real-sdk-'));
  });
  afterEach(async () => {
    await sdk?.stop();
    sdk = undefined;
    await world?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function withSdk(o: RealSdkOptions = {}): Promise<RealSdk> {
    sdk = await startRealSdk(world, o);
    return sdk;
  }

  async function orchestrator(s: RealSdk, extra: Record<string, unknown> = {}): Promise<RunningOrchestrator> {
    return startOrchestrator({
      port: 0, dataDir, seed: 9, sdkUrl: s.outboundUrl, railMode: 'transfers', chunkSize: 100, transferHoldMs: s.holdMs,
      retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 500 }, railTimeoutMs: 30_000, notify: { progressEveryMs: 100 }, ...extra,
    });
  }

  for (const autoAcceptQuotes of [false, true]) {
    it(`clean batch, AUTO_ACCEPT_QUOTES=${autoAcceptQuotes}: known payees credited once, unknown ones failed 3204`, async () => {
      const s = await withSdk({ autoAcceptQuotes });
      const orch = await orchestrator(s);
      try {
        const unknown = new Set([4, 13]);
        const payments = worldPayments(20, { unknown });
        const out = await orch.service.submitBatch(batch(`clean-${autoAcceptQuotes}`, payments));
        const view = await orch.service.waitForBatch(out.batch.id, 120_000);
        assert.equal(view?.status, BatchStatus.PARTIALLY_COMPLETED, JSON.stringify(view?.byStatus));
        assert.equal(view?.byStatus.COMPLETED.count, 18);
        const t = ledgerTotals(await ledgers(world));
        assert.equal(t.count, 18, 'committed transfers on the payee ledgers');
        for (const [i, p] of payments.entries()) {
          assert.equal(t.balances.get(`MSISDN:${p.payeeIdValue}`), unknown.has(i) ? undefined : toUnits(p.amount), `payee ${i}`);
        }
        assert.equal(toUnits(view!.amountCredited), t.credited);
        const items = await allPayments(orch, out.batch.id);
        const failed = items.filter((p) => p.status === PaymentStatus.FAILED);
        assert.deepEqual(failed.map((p) => p.position), [...unknown]);
        assert.ok(failed.every((p) => p.errorCode === '3204'), JSON.stringify(failed.map((p) => [p.errorCode, p.errorDescription])));
        await assertLedgerIds(world, items.filter((p) => p.status === PaymentStatus.COMPLETED));
        const ready = await request(`${orch.url}/health/ready`);
        const body = (await ready.body.json()) as { status: string; warnings: string[] };
        assert.equal(body.status, autoAcceptQuotes ? 'DEGRADED' : 'READY', JSON.stringify(body));
        if (autoAcceptQuotes) assert.match(body.warnings.join(' '), /AUTO_ACCEPT_QUOTES=false/);
      } finally {
        await orch.stop();
      }
    });
  }

  it('an orchestrator SIGKILLed at transfer time (ids unstored, ids stored, transfers answered) pays each payee once', async () => {
    const s = await withSdk();
    const n = 60;
    const env = { CRASH_DATA_DIR: dataDir, CRASH_SDK_URL: s.outboundUrl, CRASH_COUNT: String(n), CRASH_MODE: 'transfers', CRASH_HOLD_MS:
      String(s.holdMs), CRASH_KEY: 'real-sdk-kill' };
    const kills: string[] = [];
    let final;
    for (const at of ['prepare:1', 'accept:2', 'transfer:2']) {
      const run = await runChild({ ...env, GPO_CRASH_AT: at }, 120_000);
      if (run.final) {
        final = run.final;
        break;
      }
      assert.equal(run.signal, 'SIGKILL', `killed at ${at}`);
      kills.push(at);
    }
    assert.deepEqual(kills, ['prepare:1', 'accept:2', 'transfer:2']);
    final = (await runChild(env, 180_000)).final;
    assert.ok(final, 'the batch reached a final status');
    assert.equal(final.status, BatchStatus.COMPLETED, JSON.stringify(final.byStatus));
    const t = ledgerTotals(await ledgers(world));
    assert.equal(t.count, n, 'committed transfers: one per payee');
    for (const p of crashPayments(n)) assert.equal(t.balances.get(`MSISDN:${p.payeeIdValue}`), toUnits(p.amount),
      `payee ${p.payeeIdValue}`);
    assert.equal(toUnits(final.amountCredited), t.credited);
  });

  it('a payee slower than the SDK\'s timeout: the SDK answers 504 after acceptance, GPO asks and never resends', async () => {
    const s = await withSdk({ requestTimeoutSeconds: 2, expirySeconds: 20 });
    const orch = await orchestrator(s, { inDoubtTimeoutMs: 120_000 });
    try {
      // payeefsp1 answers every transfer 3 s late: after the SDK's 2 s fulfil wait, before the transfer expires.
      await putRules(world.urls.payeefsp1, [{ match: { resource: 'transfers', method: 'POST' }, action: { type: 'delay', ms: 3000 } }]);
      const payments = worldPayments(8);
      const out = await orch.service.submitBatch(batch('slow-payee', payments));
      const view = await orch.service.waitForBatch(out.batch.id, 180_000);
      assert.equal(view?.status, BatchStatus.COMPLETED, JSON.stringify(view?.byStatus));
      const t = ledgerTotals(await ledgers(world));
      assert.equal(t.count, payments.length, 'one committed transfer per payee');
      for (const p of payments) assert.equal(t.balances.get(`MSISDN:${p.payeeIdValue}`), toUnits(p.amount));
      const items = await allPayments(orch, out.batch.id);
      assert.ok(items.every((p) => p.attempts === 1), `never resent: ${JSON.stringify(items.map((p) => p.attempts))}`);
      // The SDK did answer the acceptances of payeefsp1's payments with an error (its 504), and GPO asked by GET.
      const metrics = await (await request(`${orch.url}/metrics`)).body.text();
      const count = (op: string, outcome: string) => Number(new RegExp(`gpo_rail_request_seconds_count\\{operation="${op.replace('.',
        '\\.')}",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
      assert.equal(count('transfers.accept', 'error'), payments.length / 2,
        metrics.split('\n').filter((l) => l.includes('transfers')).join('\n'));
      assert.ok(count('transfers.get', 'ok') >= payments.length / 2, 'asked with GET /transfers/{id}');
      await assertLedgerIds(world, items);
    } finally {
      await orch.stop();
    }
  });
});
