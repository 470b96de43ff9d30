/**
 * Simulators-only benchmark: single-transfer flows (party lookup + quote + transfer) and bulk items
 * (bulkQuotes + bulkTransfers of up to 1000) through the switch, the ALS and payee DFSPs, driven by an
 * in-process payer that plays govbank. Prints throughput, p95 latency and peak RSS.
 *
 *   npm run bench:sims -- --flows 2000 --concurrency 64 --bulks 10 --bulk-size 1000
 *   npm run bench:sims -- --direct      (no switch: payer to payee DFSPs directly, ALS for lookups)
 */
import http from 'node:http';
import path from 'node:path';
import { Pool } from 'undici';
import { SeededRandom } from '../shared/ids';
import type { RunningServer } from '../shared/server';
import { RunningAls, startAls } from './als';
import { defaultOracleRules, RunningPayeeDfsp, startPayeeDfsp } from './payee-dfsp';
import { fspiopHeaders, FspiopResource } from './payee-dfsp/edge';
import { onboardParticipant, standardEndpoints } from './switch/onboard';

type SwitchModule = { startSwitch(opts: Record<string, unknown>): Promise<RunningServer> };

/** The switch simulator, loaded at run time so this module does not depend on its shape at compile time. */
export function loadSwitch(): SwitchModule {
  let mod: SwitchModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(path.join(__dirname, 'switch')) as SwitchModule;
  } catch (err) {
    throw new Error(`the switch simulator (simulators/switch) could not be loaded: ${(err as Error).message.split('\n')[0]}; use ` +
      `--direct to measure the ALS and payee DFSPs alone`);
  }
  if (typeof mod.startSwitch !== 'function') throw new Error('simulators/switch does not export startSwitch');
  return mod;
}

// ---------------------------------------------------------------------------------------------------------------
// the payer side: a raw HTTP listener resolving callbacks by id

interface Waiting {
  resolve: (v: { path: string; body: Record<string, unknown> }) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

class CallbackHub {
  private readonly waiting = new Map<string, Waiting>();
  private server?: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.statusCode = req.method === 'PUT' ? 200 : 202;
        res.end();
        const url = req.url ?? '';
        const isError = url.endsWith('/error');
        const key = callbackKey(isError ? url.slice(0, -6) : url);
        const w = this.waiting.get(key);
        if (!w) return;
        this.waiting.delete(key);
        clearTimeout(w.timer);
        let body: Record<string, unknown> = {};
        try {
          body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        } catch {
          /* keep empty */
        }
        if (isError) w.reject(new Error(`${url}: ${JSON.stringify(body).slice(0, 200)}`));
        else w.resolve({ path: url, body });
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${addr.port}`;
  }

  expect(pathKey: string, timeoutMs: number): Promise<{ path: string; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(pathKey);
        reject(new Error(`callback never arrived for ${pathKey}`));
      }, timeoutMs);
      this.waiting.set(pathKey, { resolve, reject, timer });
    });
  }

  async stop(): Promise<void> {
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

function callbackKey(p: string): string {
  return decodeURIComponent(p.split('?')[0]);
}

// ---------------------------------------------------------------------------------------------------------------

export interface SimBenchOptions {
  flows?: number;
  concurrency?: number;
  bulks?: number;
  bulkSize?: number;
  bulkConcurrency?: number;
  timeoutMs?: number;
  seed?: number;
  /** Send party lookups to the switch (which proxies them to the ALS) instead of the ALS directly. */
  lookupViaSwitch?: boolean;
  /** No switch: the payer talks to the payee DFSPs directly (measures ALS + payees alone). */
  direct?: boolean;
  log?: (line: string) => void;
}

export interface SimBenchResult {
  flows: number;
  flowErrors: number;
  flowsPerSecond: number;
  flowP95Ms: number;
  bulkItems: number;
  bulkErrors: number;
  bulkItemsPerSecond: number;
  bulkP95Ms: number;
  peakRssMb: number;
  firstError?: string;
}

function p95(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)];
}

/** Runs the whole simulated network in this process and measures it. Stops everything it started. */
export async function runSimulatorBenchmark(opts: SimBenchOptions = {}): Promise<SimBenchResult> {
  const flows = opts.flows ?? 1000;
  const concurrency = opts.concurrency ?? 64;
  const bulks = opts.bulks ?? 5;
  const bulkSize = Math.min(opts.bulkSize ?? 1000, 1000);
  const bulkConcurrency = opts.bulkConcurrency ?? 2;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const log = opts.log ?? (() => undefined);
  const rnd = new SeededRandom(opts.seed ?? 2026);

  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);

  const payer = new CallbackHub();
  await payer.start();
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const sw = opts.direct ? undefined : await loadSwitch().startSwitch({ port: 0, host: '127.0.0.1' });
    if (sw) started.push(sw);
    const als: RunningAls = await startAls({
      port: 0, host: '127.0.0.1', hubAdminUrl: sw?.url, oracleRules: defaultOracleRules(['payeefsp1', 'payeefsp2']),
    });
    started.push(als);
    const payees: RunningPayeeDfsp[] = [];
    const pools = new Map<string, Pool>();
    for (const fspId of ['payeefsp1', 'payeefsp2']) {
      const p = await startPayeeDfsp({ port: 0, host: '127.0.0.1', fspId, hubUrl: sw?.url ?? payer.url, alsUrl: als.url });
      payees.push(p);
      started.push(p);
      if (sw) await onboardParticipant(sw.url, fspId, p.url);
      else als.endpoints.setBase(fspId, p.url);
      pools.set(fspId, new Pool(sw?.url ?? p.url, { connections: 32, pipelining: 8, keepAliveTimeout: 30_000 }));
    }
    if (sw) await onboardParticipant(sw.url, 'govbank', payer.url);
    else for (const ep of standardEndpoints(payer.url)) als.endpoints.set('govbank', ep.type, ep.value);
    // parties: the switch or the ALS, as configured; party callbacks come back to the payer either way
    const lookupUrl = opts.lookupViaSwitch && sw ? sw.url : als.url;
    const alsPool = new Pool(lookupUrl, { connections: 16, pipelining: 8, keepAliveTimeout: 30_000 });
    const hubFor = (fsp: string): Pool => pools.get(fsp) as Pool;

    const send = async (pool: Pool, method: 'GET' | 'POST', p: string, resource: FspiopResource, destination: string | undefined,
      body?: unknown) => {
      const res = await pool.request({ method, path: p, headers: fspiopHeaders(resource, 'govbank', destination, false), body:
        body === undefined ? undefined : JSON.stringify(body) });
      await res.body.dump();
      if (res.statusCode !== 202) throw new Error(`${method} ${p} answered ${res.statusCode}`);
    };

    const payerParty = { partyIdInfo: { partyIdType: 'BUSINESS', partyIdentifier: 'treasury', fspId: 'govbank' } };
    const txType = { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'BUSINESS' };

    // ---- single flows
    let flowErrors = 0;
    let firstError: string | undefined;
    const flowLatencies: number[] = [];
    const oneFlow = async (i: number) => {
      const n = (i % 2) + 1;
      const fsp = `payeefsp${n}`;
      const msisdn = `2547${n}${String(1_000_000 + (i % 8_000_000)).padStart(7, '0')}`;
      const t0 = performance.now();
      try {
        const partyPath = `/parties/MSISDN/${msisdn}`;
        const partyCb = payer.expect(partyPath, timeoutMs);
        await send(alsPool, 'GET', partyPath, 'parties', undefined);
        const party = (await partyCb).body.party as { partyIdInfo: { fspId: string } };
        const quoteId = rnd.uuid();
        const transactionId = rnd.uuid();
        const quoteCb = payer.expect(`/quotes/${quoteId}`, timeoutMs);
        await send(hubFor(party.partyIdInfo.fspId), 'POST', '/quotes', 'quotes', party.partyIdInfo.fspId, {
          quoteId, transactionId, payee: party, payer: payerParty, amountType: 'SEND', amount: { currency: 'USD', amount: '12.5' },
          transactionType: txType,
        });
        const q = (await quoteCb).body as { transferAmount: unknown; ilpPacket: string; condition: string };
        const transferCb = payer.expect(`/transfers/${transactionId}`, timeoutMs);
        await send(hubFor(fsp), 'POST', '/transfers', 'transfers', fsp, {
          transferId: transactionId, payerFsp: 'govbank', payeeFsp: fsp, amount: q.transferAmount, ilpPacket: q.ilpPacket, condition:
            q.condition,
          expiration: new Date(Date.now() + timeoutMs).toISOString(),
        });
        const t = (await transferCb).body as { transferState?: string };
        if (t.transferState !== 'COMMITTED') throw new Error(`transfer ended ${t.transferState}`);
        flowLatencies.push(performance.now() - t0);
      } catch (err) {
        flowErrors++;
        firstError ??= (err as Error).message;
      }
    };
    log(`single flows: ${flows} with concurrency ${concurrency}`);
    const flowStart = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(concurrency, flows) }, async () => {
      while (next < flows) await oneFlow(next++);
    }));
    const flowSecs = (performance.now() - flowStart) / 1000;

    // ---- bulk
    let bulkErrors = 0;
    let bulkItems = 0;
    const bulkLatencies: number[] = [];
    const oneBulk = async (b: number) => {
      const n = (b % 2) + 1;
      const fsp = `payeefsp${n}`;
      const t0 = performance.now();
      try {
        const individualQuotes = Array.from({ length: bulkSize }, (_, i) => ({
          quoteId: rnd.uuid(), transactionId: rnd.uuid(),
          payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: `2547${n}${String(5_000_000 + b * 1000 + i).padStart(7, '0')}`,
            fspId: fsp } },
          amountType: 'SEND', amount: { currency: 'USD', amount: '3' }, transactionType: txType,
        }));
        const bulkQuoteId = rnd.uuid();
        const bqCb = payer.expect(`/bulkQuotes/${bulkQuoteId}`, timeoutMs);
        await send(hubFor(fsp), 'POST', '/bulkQuotes', 'bulkQuotes', fsp, { bulkQuoteId, payer: payerParty, individualQuotes });
        const results = (await bqCb).body.individualQuoteResults as Array<{ quoteId: string; transferAmount: unknown; ilpPacket: string;
          condition: string; errorInformation?: unknown }>;
        const bulkTransferId = rnd.uuid();
        const btCb = payer.expect(`/bulkTransfers/${bulkTransferId}`, timeoutMs);
        await send(hubFor(fsp), 'POST', '/bulkTransfers', 'bulkTransfers', fsp, {
          bulkTransferId, bulkQuoteId, payerFsp: 'govbank', payeeFsp: fsp, expiration: new Date(Date.now() + timeoutMs).toISOString(),
          individualTransfers: results.filter((r) => !r.errorInformation).map((r, i) => ({
            transferId: individualQuotes[i].transactionId, transferAmount: r.transferAmount, ilpPacket: r.ilpPacket, condition: r.condition,
          })),
        });
        const bt = (await btCb).body as { individualTransferResults?: Array<{ fulfilment?: string; errorInformation?: unknown }> };
        const ok = (bt.individualTransferResults ?? []).filter((r) => r.fulfilment && !r.errorInformation).length;
        bulkItems += ok;
        if (ok !== bulkSize) {
          bulkErrors += bulkSize - ok;
          firstError ??= `bulk ${bulkTransferId}: ${bulkSize - ok} items failed`;
        }
        bulkLatencies.push(performance.now() - t0);
      } catch (err) {
        bulkErrors += bulkSize;
        firstError ??= (err as Error).message;
      }
    };
    log(`bulk: ${bulks} x ${bulkSize} items, ${bulkConcurrency} in flight`);
    const bulkStart = performance.now();
    let nextBulk = 0;
    await Promise.all(Array.from({ length: Math.min(bulkConcurrency, Math.max(bulks, 1)) }, async () => {
      while (nextBulk < bulks) await oneBulk(nextBulk++);
    }));
    const bulkSecs = (performance.now() - bulkStart) / 1000;

    for (const pool of pools.values()) await pool.close();
    await alsPool.close();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return {
      flows: flowLatencies.length,
      flowErrors,
      flowsPerSecond: flowSecs > 0 ? Math.round(flowLatencies.length / flowSecs) : 0,
      flowP95Ms: Math.round(p95(flowLatencies) * 10) / 10,
      bulkItems,
      bulkErrors,
      bulkItemsPerSecond: bulkSecs > 0 ? Math.round(bulkItems / bulkSecs) : 0,
      bulkP95Ms: Math.round(p95(bulkLatencies)),
      peakRssMb: Math.round(peakRss / 1024 / 1024),
      firstError,
    };
  } finally {
    clearInterval(rssTimer);
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    await payer.stop();
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}

if (require.main === module) {
  const opts: SimBenchOptions = {
    flows: arg('flows', 1000),
    concurrency: arg('concurrency', 64),
    bulks: arg('bulks', 5),
    bulkSize: arg('bulk-size', 1000),
    bulkConcurrency: arg('bulk-concurrency', 2),
    lookupViaSwitch: process.argv.includes('--lookup-via-switch'),
    direct: process.argv.includes('--direct'),
    log: (l) => console.log(l),
  };
  runSimulatorBenchmark(opts).then((r) => {
    console.log(`single flows (lookup + quote + transfer): ${r.flows} ok, ${r.flowErrors} failed, ${r.flowsPerSecond} flows/s, p95 ` +
      `${r.flowP95Ms} ms`);
    console.log(`bulk (bulkQuotes + bulkTransfers): ${r.bulkItems} items ok, ${r.bulkErrors} failed, ${r.bulkItemsPerSecond} items/s, ` +
      `p95 per bulk ${r.bulkP95Ms} ms`);
    console.log(`peak RSS ${r.peakRssMb} MB`);
    if (r.firstError) console.log(`first error: ${r.firstError}`);
    process.exit(r.flowErrors + r.bulkErrors > 0 ? 1 : 0);
  }).catch((err) => {
    console.error(`bench:sims failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
