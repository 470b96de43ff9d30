/**
 * Crash safety: a real orchestrator child process is killed with SIGKILL at six to ten points of one batch (20,000
 * payments in `npm run test:crash`, fewer in `npm test`) and started again on the same data directory each time,
 * in each rail mode against the payer DFSP simulator configured as the SDK is for it (transfers:
 * AUTO_ACCEPT_QUOTES=false). Kill points: after intake, mid-quote or
 * with the SDK's transfer ids answered but not stored (prepare) and stored but not accepted (accept), mid-transfer
 * (the call returned, its results not stored), after a slice's results were stored (final), mid-notify; each
 * counted within one process's life, so the transfers mode (every slice in flight at once, then recovery) kills at
 * points its recovery passes again. In the end every
 * payment is in exactly one final state, every payee is credited exactly once on its payee DFSP's ledger, and the
 * treasury's debit equals credits plus fees. And no payment status a read showed as final before a kill is
 * different afterwards (reads show only what the store has).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { toUnits } from '../../../shared/money';
import { readPayeeLedger } from '../../../scenarios/environment';
import { defaultWorldConfig, startWorld, type World } from '../../../simulators/world';
import type { BatchView, MojaloopSdkMode } from '../../../orchestrator/domain/types';
import { crashPayments } from './crash-batch';
import { runChild } from './crash-run';
import { setPayerBackend } from '../../../simulators/payer-dfsp/backend';
import { freePort } from '../../real-sdk/support/sdk';

/**
 * Payments per batch: GPO_CRASH_COUNT (`.ci/run` runs every mode at 20,000 with `npm run test:crash`); in `npm test`
 * 4,000 for the bulk modes and 2,000 for transfers (two calls and three FSPIOP round trips per payment). Slices are a
 * twentieth of the batch (1000 at 20,000), so every life meets as many kill points whatever the size.
 */
const countFor = (mode: string): number => Number(process.env.GPO_CRASH_COUNT ?? (mode === 'transfers' ? 2_000 : 4_000));
const chunkFor = (count: number): number => Math.max(50, Math.min(1000, Math.ceil(count / 20)));

const KILLS: Record<string, string[]> = {
  bulkQuotesTransfers: ['intake:1', 'quote:3', 'transfer:4', 'final:3', 'notify:2', 'transfer:3', 'quote:2', 'final:2', 'notify:4',
    'transfer:2'],
  transfers: ['intake:1', 'prepare:3', 'accept:4', 'transfer:3', 'accept:2', 'notify:2'],
  bulkTransactions: ['intake:1', 'prepare:3', 'accept:4', 'transfer:3', 'final:2', 'accept:2', 'notify:2', 'transfer:2'],
};

/** The crash test of one rail mode (one file per mode, so that mocha's workers run them side by side). */
export function crashSuite(mode: MojaloopSdkMode): void {
  describe(`orchestrator crash safety, ${mode} (child process killed with SIGKILL)`, function () {
    this.timeout(600_000);
    let world: World;
    let dataDir: string;

    before(async () => {
      world = await startWorld({
        ...defaultWorldConfig(), ports: 'random', seed: 3, pil: false,
        // As the SDK is configured for each mode: transfers needs AUTO_ACCEPT_QUOTES=false; bulk transactions carry their own options.
        ...(mode === 'transfers' ? { payerOptions: { autoAcceptQuote: false } } : {}),
      });
      dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-crash-'));
    });
    after(async () => {
      await world?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const COUNT = countFor(mode);
    it(`pays each of ${COUNT} payees exactly once across kills at ${KILLS[mode].join(', ')}`, async () => {
      // Two rail calls at a time in the bulk mode, so that ten lives of the orchestrator each leave work for the next.
      // Every life of the orchestrator listens on the same port, as a deployment does: the SDK's backend endpoint stays valid.
      const port = await freePort();
      await setPayerBackend(world.urls.payerOutbound, `http://127.0.0.1:${port}/sdk-backend`);
      const env = { CRASH_DATA_DIR: dataDir, CRASH_SDK_URL: world.urls.payerOutbound, CRASH_COUNT: String(COUNT), CRASH_MODE: mode,
        CRASH_PORT: String(port), CRASH_CHUNK_SIZE: String(chunkFor(COUNT)),
        CRASH_HOLD_MS: '2000', ...(mode === 'bulkQuotesTransfers' ? { CRASH_RAIL_CONCURRENCY: '2' } : {}) };
      const kills: string[] = [];
      let final: BatchView | undefined;
      let failures: Record<string, number> | undefined;
      let statuses: Record<string, string> | undefined;
      // What reads showed as final, and in which life of the orchestrator (before which kill).
      const shown = new Map<string, { status: string; life: number }>();
      const note = (run: { shown: Map<string, string> }, life: number): void => {
        for (const [ref, status] of run.shown) {
          const before = shown.get(ref);
          assert.ok(!before || before.status === status, `${ref} was shown ${before?.status} before kill ${before?.life}, then ${status}`);
          if (!before) shown.set(ref, { status, life });
        }
      };
      for (const at of KILLS[mode]) {
        const run = await runChild({ ...env, GPO_CRASH_AT: at }, 240_000);
        note(run, kills.length + 1);
        if (run.final) {
          ({ final, failures, statuses } = run);
          break;
        }
        assert.equal(run.signal, 'SIGKILL', `the child was killed at ${at}`);
        kills.push(at);
      }
      assert.deepEqual(kills, KILLS[mode], `killed at ${kills.join(', ')}`);
      if (!final) {
        const last = await runChild(env, 300_000);
        note(last, kills.length + 1);
        ({ final, failures, statuses } = last);
      }
      assert.ok(final, 'the batch reached a final status');
      // Reads before the kills showed finals, and each is what the batch ended with.
      const beforeKills = [...shown.values()].filter((s) => s.life <= kills.length).length;
      assert.ok(beforeKills > 0, 'reads showed final payments before the last kill');
      for (const [ref, s] of shown) assert.equal(statuses?.[ref], s.status, `${ref}: shown ${s.status} before kill ${s.life}`);
      assert.equal(final.status, 'COMPLETED', `${JSON.stringify(final.byStatus)} ${JSON.stringify(failures ?? {})}`);
      assert.equal(final.byStatus.COMPLETED.count, COUNT);
      for (const s of ['RECEIVED', 'RESOLVED', 'QUOTED', 'SENT', 'FAILED', 'CANCELLED'] as const) assert.equal(final.byStatus[s].count, 0,
        s);

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
      assert.deepEqual(world.payer.extensionUses, {}, 'the rail used no extension of the payer DFSP simulator');
    });
  });
}
