/**
 * Payer DFSP benchmark: bulkTransactions through the whole in-process network (switch, ALS, two payee DFSPs, this
 * payer), measured from POST /bulkTransactions to the COMPLETED report. Prints items/s per transaction and overall,
 * and peak RSS. The payer runs with the extensions synchronousBulkTransactions and bulkAutoAcceptQuote.
 *
 *   npx tsx simulators/payer-dfsp/bench.ts --items 10000 --runs 3
 *   npx tsx simulators/payer-dfsp/bench.ts --items 10000 --runs 3 --skip-party-lookup   (payee FSP given per item)
 *   npx tsx simulators/payer-dfsp/bench.ts --items 10000 --runs 3 --payer-thread   (payer in a worker thread, as if
 *     it ran in its own process; the switch, ALS and payees share the main thread)
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { newId } from '../../shared/ids';
import { onboardParticipant } from '../switch/onboard';
import { startAls } from '../als';
import { defaultOracleRules, startPayeeDfsp } from '../payee-dfsp';
import { startSwitch } from '../switch';
import { startPayerDfsp } from '.';

interface BenchOptions {
  items: number;
  runs: number;
  skipPartyLookup: boolean;
  lookupConcurrency?: number;
  payerThread?: boolean;
  log: (line: string) => void;
}

interface PayerHandle {
  url: string;
  stop(): Promise<void>;
}

/** Starts the payer in a worker thread; resolves once it listens. */
function startPayerThread(opts: Record<string, unknown>): Promise<PayerHandle> {
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)})`,
    { eval: true, workerData: { payerOptions: opts } });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { url?: string; error?: string }) => {
      if (!m.url) return reject(new Error(m.error ?? 'payer thread failed'));
      resolve({ url: m.url, stop: async () => { await worker.terminate(); } });
    });
  });
}

export async function runPayerBenchmark(o: BenchOptions): Promise<{ itemsPerSecond: number; peakRssMb: number; failed: number }> {
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
  const stops: Array<() => Promise<void>> = [];
  try {
    const sw = await startSwitch({ port: 0, host: '127.0.0.1' });
    stops.push(() => sw.stop());
    const als = await startAls({ port: 0, host: '127.0.0.1', hubAdminUrl: sw.url, oracleRules:
      defaultOracleRules(['payeefsp1', 'payeefsp2']) });
    stops.push(() => als.stop());
    for (const fspId of ['payeefsp1', 'payeefsp2']) {
      const p = await startPayeeDfsp({ port: 0, host: '127.0.0.1', fspId, hubUrl: sw.url, alsUrl: als.url });
      stops.push(() => p.stop());
      await onboardParticipant(sw.url, fspId, p.url);
    }
    // The SDK itself answers 202 and stalls with autoAcceptQuote.enabled: the benchmark measures the payer's own work
    // through two extensions (README: Extensions), the report in the answer and quotes accepted within fee limits.
    const payerOptions = { port: 0, inboundPort: 0, host: '127.0.0.1', switchUrl: sw.url, alsUrl: als.url, onboard: true, lookupConcurrency:
      o.lookupConcurrency, extensions: { synchronousBulkTransactions: true, bulkAutoAcceptQuote: true } };
    const payer: PayerHandle = o.payerThread ? await startPayerThread(payerOptions) : await startPayerDfsp(payerOptions);
    stops.push(() => payer.stop());
    const pool = new Pool(payer.url, { connections: 2 });
    stops.push(() => pool.close());

    let total = 0;
    let failed = 0;
    let totalMs = 0;
    for (let run = 0; run < o.runs; run++) {
      const individualTransfers = Array.from({ length: o.items }, (_, i) => {
        const n = (i % 2) + 1;
        const partyIdentifier = `2547${n}${String(1_000_000 + run * o.items + i).padStart(7, '0')}`;
        return {
          homeTransactionId: `bench-${run}-${i}`,
          to: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier, ...(o.skipPartyLookup ? { fspId: `payeefsp${n}` } : {}) } },
          amountType: 'SEND', currency: 'USD', amount: '3',
        };
      });
      const body = {
        bulkTransactionId: newId(), bulkHomeTransactionID: `bench-${run}`,
        from: { partyIdInfo: { partyIdType: 'BUSINESS', partyIdentifier: 'treasury' } }, individualTransfers,
        options: {
          autoAcceptParty: { enabled: true }, autoAcceptQuote: { enabled: true }, skipPartyLookup: o.skipPartyLookup,
          synchronous: true, bulkExpiration: new Date(Date.now() + 120_000).toISOString(),
        },
      };
      const t0 = performance.now();
      const res = await pool.request({ method: 'POST', path: '/bulkTransactions', headers: { 'content-type': 'application/json' }, body:
        JSON.stringify(body) });
      const report = (await res.body.json()) as { currentState?: string; individualTransferResults?: Array<{ transferState?: string }> };
      const ms = performance.now() - t0;
      const ok = (report.individualTransferResults ?? []).filter((r) => r.transferState === 'COMMITTED').length;
      total += ok;
      failed += o.items - ok;
      totalMs += ms;
      o.log(`run ${run
        + 1}: ${o.items} items, ${ok} committed, ${Math.round(ms)} ms, ${Math.round((o.items / ms) * 1000)} items/s ` +
          `(${report.currentState})`);
    }
    const ledger = (await (await pool.request({ method: 'GET', path: '/admin/ledger' })).body.json()) as { totals: Record<string,
      { debited: string }> };
    o.log(`treasury debited ${ledger.totals.USD?.debited} USD`);
    return { itemsPerSecond: Math.round((total / totalMs) * 1000), peakRssMb: Math.round(peakRss / 1048576), failed };
  } finally {
    clearInterval(rssTimer);
    for (const s of stops.reverse()) await s().catch(() => undefined);
  }
}

if (!isMainThread && (workerData as { payerOptions?: Record<string, unknown> } | null)?.payerOptions) {
  startPayerDfsp((workerData as { payerOptions: Record<string, unknown> }).payerOptions).then(
    (p) => parentPort!.postMessage({ url: p.url }),
    (err: Error) => parentPort!.postMessage({ error: err.message }),
  );
} else if (require.main === module) {
  const args = process.argv.slice(2);
  const num = (name: string, dflt: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  if (args.includes('--help')) {
    console.log('usage: npx tsx simulators/payer-dfsp/bench.ts [--items 10000] [--runs 3] [--skip-party-lookup] [--payer-thread] ' +
      '[--lookup-concurrency 256]');
    process.exit(0);
  }
  process.env.GPO_LOG_LEVEL ??= 'warn';
  runPayerBenchmark({
    items: num('items', 10_000), runs: num('runs', 3), skipPartyLookup: args.includes('--skip-party-lookup'),
    lookupConcurrency: args.includes('--lookup-concurrency') ? num('lookup-concurrency', 256) : undefined,
    payerThread: args.includes('--payer-thread'),
    log: (l) => console.log(l),
  }).then((r) => {
    console.log(`bulkTransactions: ${r.itemsPerSecond} items/s overall, ${r.failed} failed, peak RSS ${r.peakRssMb} MB`);
    process.exit(r.failed > 0 ? 1 : 0);
  }).catch((err) => {
    console.error(`payer DFSP benchmark failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
