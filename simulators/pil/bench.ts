/**
 * PIL benchmark: one OpenG2P-sized batch (default 500 payees, half at each payee FSP) through
 *   1. the PIL simulator in 'sequential' mode (demo #1 as it was: one SDK transfer at a time),
 *   2. the PIL simulator in 'concurrent' mode,
 *   3. the orchestrator's PIL-compatible API (bulk rail), unless --no-orchestrator,
 * each in a fresh in-process world. Prints, per run: time to the HTTP answer (OpenG2P gives up after 20 s), how many
 * payees that answer had final, time to all final, payees/s, and credits found on the payee ledgers.
 *
 *   npx tsx simulators/pil/bench.ts --payees 500 --concurrency 16
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { fromUnits, toUnits } from '../../shared/money';
import { startWorld, type World } from '../world';
import { startPil } from '.';

interface Figures { label: string; answerMs: number; finalInAnswer: number; allFinalMs: number; perSecond: number; credited: number;
  creditedAmount: string }

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function payload(id: string, n: number): string {
  const list = Array.from({ length: n }, (_, i) => {
    const fsp = 1 + (i % 2);
    return `{"payeeIdType":"MSISDN","payeeIdValue":"2547${fsp}${String(100000 + i).padStart(7, '0')}","amount":${(10
      + (i % 5)).toFixed(1)},"currency":"USD"}`;
  });
  return `{"note":"Program: Bench. Cycle ID - 1","disbursementId":"${id}","payeeList":[${list.join(',')}]}`;
}

type Results = Array<{ status: string }>;
const isFinal = (r: { status: string }) => r.status !== 'RECEIVED' && r.status !== 'PENDING';

async function ledgers(world: World): Promise<{ count: number; amount: string }> {
  let count = 0;
  let units = 0n;
  for (const p of Object.values(world.payees)) {
    const body = (await (await request(`${p.url}/admin/ledger`)).body.json()) as { totals?: Record<string,
      { committedCount?: number; credited?: string }> };
    count += Number(body.totals?.USD?.committedCount ?? 0);
    units += toUnits(body.totals?.USD?.credited ?? '0');
  }
  return { count, amount: fromUnits(units) };
}

async function run(label: string, baseUrl: string, world: World, n: number): Promise<Figures> {
  const id = `bench-${label.replace(/\W+/g, '-')}-${Date.now()}`;
  const started = Date.now();
  const res = await request(`${baseUrl}/disbursement`, { method: 'POST', headers: { 'content-type': 'application/json' }, body:
    payload(id, n), headersTimeout: 600_000, bodyTimeout: 600_000 });
  const first = (await res.body.json()) as { payeeResults?: Results };
  const answerMs = Date.now() - started;
  if (res.statusCode !== 200 || !first.payeeResults) throw new Error(`${label}: HTTP ${res.statusCode} ${JSON.stringify(first).slice(0,
    300)}`);
  let results = first.payeeResults;
  while (!results.every(isFinal)) {
    await new Promise((r) => setTimeout(r, 100));
    results = ((await (await request(`${baseUrl}/disbursement/${id}`)).body.json()) as { payeeResults: Results }).payeeResults;
  }
  const allFinalMs = Date.now() - started;
  const l = await ledgers(world);
  return { label, answerMs, finalInAnswer: first.payeeResults.filter(isFinal).length, allFinalMs, perSecond:
    Math.round((n / allFinalMs) * 1000), credited: l.count, creditedAmount: l.amount };
}

async function main(): Promise<void> {
  const n = arg('payees', 500);
  const concurrency = arg('concurrency', 16);
  const withOrchestrator = !process.argv.includes('--no-orchestrator');
  const logger = pino({ level: 'silent' });
  const figures: Figures[] = [];

  for (const mode of ['sequential', 'concurrent'] as const) {
    const world = await startWorld({ ports: 'random', seed: 5, logger, pil: false });
    const pil = await startPil({ port: 0, payerOutboundUrl: world.payer.outboundUrl, mode, concurrency, logger });
    try {
      figures.push(await run(`PIL ${mode}${mode === 'concurrent' ? ` x${concurrency}` : ''}`, pil.url, world, n));
    } finally {
      await pil.stop();
      await world.stop();
    }
  }

  if (withOrchestrator) {
    // Loaded at run time so the simulators never depend on the orchestrator's code to build.
    const { startOrchestrator } = await import('../../orchestrator/index.js');
    const world = await startWorld({ ports: 'random', seed: 5, logger, pil: false });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-pil-bench-'));
    const orch = await startOrchestrator({ port: 0, dataDir, sdkUrl: world.payer.outboundUrl, logger });
    world.payer.setBackendUrl(orch.sdkBackendUrl);
    try {
      figures.push(await run('GPO PIL-compatible API, bulk rail', orch.url, world, n));
    } finally {
      await orch.stop();
      await world.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  console.log(`\n${n} payees per batch (OpenG2P's default batch size is 500, its timeout 20 s)\n`);
  console.log('run                                     answer ms  final in answer  all final ms  payees/s  credited (count, amount)');
  for (const f of figures) {
    console.log(`${f.label.padEnd(40)}${String(f.answerMs).padStart(9)}${String(f.finalInAnswer).padStart(17)}${String(f.allFinalMs).padStart(14)}${String(f.perSecond).padStart(10)}  ${f.credited}, ${f.creditedAmount}`);
  }
  console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
