/**
 * Mapper resolution benchmark: N beneficiary ids (half wallets, half bank accounts, over the default payee FSPs,
 * `--unknown` per mille of them not linked) resolved through the mapper simulator by the orchestrator's G2P Connect
 * Mapper resolver, sync and async (on-resolve callbacks to a server of its own), in messages of `--batch` ids,
 * `--concurrency` in flight. Prints per mode: ids/s, CPU µs per id (the whole process: mapper and resolver),
 * resolved, unresolved and wrongly resolved counts, and the peak RSS. Both sides run in this one process.
 *
 *   npx tsx simulators/mapper/bench.ts --ids 1000000 --batch 1000 --concurrency 4
 */
import Hapi from '@hapi/hapi';
import pino from 'pino';
import { mapperBeneficiaryId, startMapper } from '.';

export interface ResolveBenchOptions {
  ids: number;
  batch?: number;
  concurrency?: number;
  /** Ids in 1000 that are not linked (default 10). */
  unknownPerMille?: number;
  modes?: Array<'sync' | 'async'>;
}

export interface ResolveBenchFigures {
  mode: 'sync' | 'async';
  ids: number;
  seconds: number;
  idsPerSecond: number;
  cpuMicrosPerId: number;
  resolved: number;
  unresolved: number;
  /** Resolved ids whose party is not the one the id stands for (must be 0). */
  wrong: number;
}

/** The id of payee i and the MSISDN / account it must resolve to (undefined: not linked). */
function payee(i: number, unknownPerMille: number): { id: string; party?: string } {
  if (i % 1000 < unknownPerMille) return { id: `token:UNKNOWN${i}@nationalId` };
  const fsp = i % 2 ? 'payeefsp2' : 'payeefsp1';
  const n = i % 2 ? 2 : 1;
  const serial = (i % 9_000_000) + 1;
  return i % 4 < 2
    ? { id: mapperBeneficiaryId(fsp, 'wallet', serial), party: `2547${n}${String(serial).padStart(7, '0')}` }
    : { id: mapperBeneficiaryId(fsp, 'bank', serial), party: `PF${n}-${100000 + serial}` };
}

export async function runResolveBench(opts: ResolveBenchOptions): Promise<ResolveBenchFigures[]> {
  // Loaded at run time (require: tsx's CommonJS hook) so the simulators never depend on the orchestrator's code to build.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { G2pMapperResolver } = require('../../orchestrator/resolve/g2p-mapper') as typeof import('../../orchestrator/resolve/g2p-mapper');
  const logger = pino({ level: 'silent' });
  const unknown = opts.unknownPerMille ?? 10;
  const payees = Array.from({ length: opts.ids }, (_, i) => ({ key: String(i), id: payee(i, unknown).id }));
  const figures: ResolveBenchFigures[] = [];
  for (const mode of opts.modes ?? ['sync', 'async']) {
    const mapper = await startMapper({ port: 0, logger, maxItems: Math.max(10_000, opts.batch ?? 1000) });
    const receiver = Hapi.server({ port: 0, host: '127.0.0.1' });
    await receiver.start();
    const resolver = new G2pMapperResolver({
      url: mapper.url, mode, batchSize: opts.batch ?? 1000, concurrency: opts.concurrency ?? 4, logger, timeoutMs: 120_000,
      ...(mode === 'async' ? { callbackUrl: `http://127.0.0.1:${receiver.info.port}/mapper/on-resolve` } : {}),
    });
    receiver.route(resolver.routes());
    try {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const out = await resolver.resolve(payees);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      let resolved = 0;
      let wrong = 0;
      out.forEach((r, i) => {
        const expected = payee(i, unknown).party;
        if (r.outcome === 'resolved') {
          resolved++;
          if (r.payeeIdValue !== expected) wrong++;
        } else if (expected !== undefined) wrong++;
      });
      figures.push({
        mode, ids: opts.ids, seconds, idsPerSecond: Math.round(opts.ids / seconds), cpuMicrosPerId:
          Math.round((cpu.user + cpu.system) / opts.ids),
        resolved, unresolved: out.length - resolved, wrong,
      });
    } finally {
      await resolver.close();
      await receiver.stop();
      await mapper.stop();
    }
  }
  return figures;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

if (require.main === module) {
  const ids = arg('ids', 100_000);
  runResolveBench({ ids, batch: arg('batch', 1000), concurrency: arg('concurrency', 4), unknownPerMille:
    arg('unknown', 10) }).then((figures) => {
    console.log(`\n${ids} ids resolved through the mapper simulator (G2P Connect resolve), messages of ${arg('batch',
      1000)}, ${arg('concurrency', 4)} in flight\n`);
    console.log('mode    seconds   ids/s   CPU µs/id   resolved  unresolved  wrong');
    for (const f of figures) {
      console.log(`${f.mode.padEnd(6)}${f.seconds.toFixed(2).padStart(9)}${String(f.idsPerSecond).padStart(8)}${String(f.cpuMicrosPerId).padStart(12)}${String(f.resolved).padStart(11)}${String(f.unresolved).padStart(12)}${String(f.wrong).padStart(7)}`);
    }
    console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
    process.exit(0);
  }, (err) => {
    console.error(err);
    process.exit(1);
  });
}
