/**
 * Crash safety: a real orchestrator child process is killed with SIGKILL at several points of a 20,000-payment
 * batch (after intake, mid-quote, mid-transfer, mid-notify) and started again on the same data directory each time.
 * In the end every payment is in exactly one final state, every payee is credited exactly once on its payee DFSP's
 * ledger, and the treasury's debit equals credits plus fees.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { toUnits } from '../../shared/money';
import { readPayeeLedger } from '../../scenarios/environment';
import { defaultWorldConfig, startWorld, type World } from '../../simulators/world';
import type { BatchView } from '../../orchestrator/domain/types';
import { crashPayments } from './support/crash-batch';
import { runChild } from './support/crash-run';

const COUNT = Number(process.env.GPO_CRASH_COUNT ?? 20_000);

describe('orchestrator crash safety (child process killed with SIGKILL)', function () {
  this.timeout(180_000);
  let world: World;
  let dataDir: string;

  before(async () => {
    world = await startWorld({ ...defaultWorldConfig(), ports: 'random', seed: 3, pil: false });
    dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-crash-'));
  });
  after(async () => {
    await world?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`pays each of ${COUNT} payees exactly once across kills after intake, mid-quote, mid-transfer and mid-notify`, async () => {
    const env = { CRASH_DATA_DIR: dataDir, CRASH_SDK_URL: world.urls.payerOutbound, CRASH_COUNT: String(COUNT), CRASH_MODE: 'bulkQuotesTransfers' };
    const kills: string[] = [];
    let final: BatchView | undefined;
    for (const at of ['intake:1', 'quote:3', 'transfer:4', 'notify:2', 'transfer:3']) {
      const run = await runChild({ ...env, GPO_CRASH_AT: at }, 90_000);
      if (run.final) {
        final = run.final;
        break;
      }
      assert.equal(run.signal, 'SIGKILL', `the child was killed at ${at}`);
      kills.push(at);
    }
    assert.deepEqual(kills.slice(0, 4), ['intake:1', 'quote:3', 'transfer:4', 'notify:2'], `killed at ${kills.join(', ')}`);
    if (!final) final = (await runChild(env, 120_000)).final;
    assert.ok(final, 'the batch reached a final status');
    assert.equal(final.status, 'COMPLETED', JSON.stringify(final.byStatus));
    assert.equal(final.byStatus.COMPLETED.count, COUNT);
    for (const s of ['RECEIVED', 'RESOLVED', 'QUOTED', 'SENT', 'FAILED', 'CANCELLED'] as const) assert.equal(final.byStatus[s].count, 0, s);

    // Money: every payee credited exactly its amount, once; treasury debit = credits + fees.
    const ledgers = await Promise.all(['payeefsp1', 'payeefsp2'].map((id) => readPayeeLedger(world.urls[id], id, 'USD')));
    const committed = ledgers.reduce((n, l) => n + l.committedCount, 0);
    assert.equal(committed, COUNT, 'committed transfers on the payee ledgers');
    const balances = new Map<string, string>();
    for (const l of ledgers) for (const [a, b] of l.balances) balances.set(a, b);
    for (const p of crashPayments(COUNT)) assert.equal(balances.get(`MSISDN:${p.payeeIdValue}`), p.amount, `payee ${p.payeeIdValue}`);
    const credited = ledgers.reduce((t, l) => t + toUnits(l.credited), 0n);
    const fees = ledgers.reduce((t, l) => t + toUnits(l.fees), 0n);
    const res = await request(`${world.urls.payerOutbound}/admin/ledger`);
    const treasury = (await res.body.json()) as { totals: Record<string, { debited: string }> };
    assert.equal(toUnits(treasury.totals.USD.debited), credited + fees);
    assert.equal(toUnits(final.amountDebited), credited + fees);
  });
});
