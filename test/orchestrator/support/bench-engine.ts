/**
 * The engine and store alone at scale: N payments through the in-memory fake rail with a real nedb data directory.
 * Prints time to all-final, payments/s, peak RSS and data directory size: what GPO itself costs per payment,
 * without simulators. Usage: npx tsx test/orchestrator/support/bench-engine.ts 1000000
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rootLogger } from '../../../shared/logger';
import { SeededRandom } from '../../../shared/ids';
import { resolveConfig } from '../../../orchestrator/config';
import { Engine } from '../../../orchestrator/engine/engine';
import { NedbStore } from '../../../orchestrator/store/nedb';
import type { PaymentInput } from '../../../orchestrator/domain/types';
import { FakeRail } from './fake-rail';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'gpo-bench-engine-'));
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  try {
    const rail = new FakeRail();
    const store = new NedbStore({ dataDir: dir });
    await store.open();
    const rnd = new SeededRandom(1);
    const config = resolveConfig({ dataDir: dir }, {});
    const engine = new Engine({ store, config, logger: rootLogger, railFor: () => rail, newId: () => rnd.uuid(), random: () =>
      rnd.next() });
    await engine.start();
    const payments: PaymentInput[] = Array.from({ length: n }, (_, i) =>
      ({ reference: String(i), payeeIdType: 'MSISDN', payeeIdValue: `2547${String(i).padStart(8, '0')}`, amount: `${1 + (i % 500)}.5`,
        currency: 'USD' }));
    const t0 = Date.now();
    const out = await engine.submit({ source: 'native', sourceKey: `bench-${n}`, requestHash: 'h', currency: 'USD', payments });
    const t1 = Date.now();
    const view = await engine.waitForBatch(out.batch.id, 3_600_000);
    const t2 = Date.now();
    engine.stop();
    // A compaction in progress finishes before the directory is measured (and before it is removed).
    await store.close();
    const size = readdirSync(dir).reduce((s, f) => s + statSync(path.join(dir, f)).size, 0);
    peak = Math.max(peak, process.memoryUsage().rss);
    process.stdout.write(`engine+store, fake rail: ${n} payments, intake durable ${((t1 - t0) / 1000).toFixed(2)} s, all final ` +
      `${((t2 - t0) / 1000).toFixed(2)} s, ` +
      `${Math.round(n / ((t2 - t0) / 1000))} payments/s, status ${view?.status}, completed ${view?.byStatus.COMPLETED.count}, ` +
      `peak RSS ${Math.round(peak / 1048576)} MB, data dir after compaction ${Math.round(size / 1048576)} MB\n`);
  } finally {
    clearInterval(sampler);
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
