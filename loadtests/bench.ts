/**
 * The end-to-end benchmark of record (`npm run bench`): bulk cycles of 10,000 and 100,000 payments (1,000,000 on request)
 * submitted to the orchestrator's native API (POST /v1/batches, polled with GET /v1/batches/{id}) and paid over the
 * mojaloop-sdk bulk rail through the in-process simulated world; each size on a fresh world and store. Prints (and
 * with --write writes to docs/benchmarks.md): time to all-final, payments/s, peak RSS, the scaling ratio between sizes, the payee
 * ledgers' committed count, and the simulators-only bulk baseline (simulators/bench.ts) measured in the same run.
 * Only figures measured by this run are written.
 */
import os from 'node:os';
import path from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Pool } from 'undici';
import { runSimulatorBenchmark, SimBenchResult } from '../simulators/bench';
import { SplitWorld, startInProcessWorld, startSplitWorld, StartedWorld } from './world';

/** `npm run bench` with no --sizes: the two sizes that run in minutes (--sizes 10000,100000,1000000 adds the million). */
export const DEFAULT_SIZES = [10_000, 100_000];
export const BENCHMARKS_DOC = path.resolve(__dirname, '..', 'docs', 'benchmarks.md');
/** What follows this line in docs/benchmarks.md (load-test runs noted by hand) is kept when the bench rewrites it. */
export const KEEP_MARKER = '<!-- kept by npm run bench: notes below this line -->';

export interface BenchOptions {
  sizes?: number[];
  /** Payments per POST /v1/batches (default 100,000): a cycle of N is ceil(N / batchSize) batches submitted together. */
  batchSize?: number;
  railMode?: string;
  /** Simulators-only baseline: bulks of 1000 items (default 20). */
  baselineBulks?: number;
  pollMs?: number;
  timeoutS?: number;
  write?: boolean;
  docPath?: string;
  /** The old mode: world, orchestrator and client in this one process (default: world and orchestrator each in a child process). */
  inProcess?: boolean;
  /** Write CPU profiles (node --cpu-prof) of the world and orchestrator processes into this directory (split mode). */
  profileDir?: string;
  /** Split mode: the world in 2 processes (default: switch + ALS, and the DFSPs), 1, or 3 (switch + ALS, payees, payer + PIL). */
  worldProcesses?: 1 | 2 | 3;
  /** Each payment names its payee FSP (as a G2P Connect financial address or the CSV's FSP column does), so no party lookup is needed. */
  knownFsp?: boolean;
  log?: (line: string) => void;
  /** After each poll: how many of the cycle's payments are final so far. */
  onProgress?: (p: { size: number; final: number; elapsedMs: number }) => void;
}

export interface CycleResult {
  payments: number;
  batches: number;
  completed: number;
  failed: number;
  submitS: number;
  firstFinalS: number;
  allFinalS: number;
  paymentsPerSecond: number;
  /** Split mode: the orchestrator process's peak RSS; in-process mode: the whole process's. */
  peakRssMb: number;
  /** Split mode: the world process's peak RSS (switch, ALS, payer, payees, PIL). */
  worldPeakRssMb?: number;
  /** Split mode: CPU seconds (user + system) each process used over the cycle. */
  orchestratorCpuS?: number;
  worldCpuS?: number;
  /** Split mode: those CPU seconds per payment of the cycle, in microseconds. */
  orchestratorCpuUsPerPayment?: number;
  worldCpuUsPerPayment?: number;
  /** 'split' (two child processes) or 'in-process' */
  processMode?: string;
  ledgerCommitted: number;
  /** the rail mode the orchestrator reported on GET /health */
  railMode?: string;
  /** time / time of the smallest size, divided by size / smallest size: 1.0 is linear */
  scaling?: number;
  /** payments/s over the simulators' own bulk items/s */
  ratioToSimulators?: number;
  error?: string;
}

export interface BenchResult {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; os: string; loadBefore?: number; loadAfter?: number };
  railMode: string;
  batchSize: number;
  /** 'split' (world and orchestrator each in a child process, the default) or 'in-process' */
  processMode?: string;
  /** split mode: the world's processes (1 or 2) */
  worldProcesses?: number;
  baseline?: SimBenchResult;
  baselineError?: string;
  cycles: CycleResult[];
}

function machine(): BenchResult['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length, cpuModel: cpus[0]?.model?.trim() ?? 'unknown', memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version, os: `${os.type()} ${os.release()} ${os.arch()}`, loadBefore: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

async function json(pool: Pool, method: 'GET' | 'POST', p: string, body?: string, headers: Record<string,
  string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await pool.request({ method, path: p, body, headers: { accept: 'application/json',
    ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, headersTimeout: 600_000, bodyTimeout: 600_000 });
  const text = await res.body.text();
  let parsed: Record<string, unknown> = {};
  try { parsed = JSON.parse(text) as Record<string, unknown>; } catch { parsed = { raw: text.slice(0, 300) }; }
  return { status: res.statusCode, body: parsed };
}

async function ledgerCommitted(urls: Record<string, string>, fsps: string[]): Promise<number> {
  let n = 0;
  for (const fsp of fsps) {
    const pool = new Pool(urls[fsp]);
    try {
      const r = await json(pool, 'GET', '/admin/ledger');
      n += Number((r.body.totals as Record<string, { committedCount?: number }> | undefined)?.USD?.committedCount ?? 0);
    } finally {
      await pool.close();
    }
  }
  return n;
}

/** One bulk cycle of `size` payments on a fresh world + orchestrator. */
export async function runCycle(size: number, opts: BenchOptions): Promise<CycleResult> {
  const batchSize = opts.batchSize ?? 100_000;
  const pollMs = opts.pollMs ?? 100;
  const timeoutMs = (opts.timeoutS ?? 1800) * 1000;
  const log = opts.log ?? (() => undefined);
  const orchestrator = opts.railMode ? { railMode: opts.railMode } : undefined;
  const profArgs = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  const world: StartedWorld = opts.inProcess
    ? await startInProcessWorld({ orchestrator })
    : await startSplitWorld({ orchestrator, worldNodeArgs: profArgs, orchestratorNodeArgs: profArgs, worldProcesses: opts.worldProcesses
      ?? 2 });
  const split = opts.inProcess ? undefined : (world as SplitWorld);
  const urls = (world.world as { urls: Record<string, string> }).urls;
  const fsps = Object.keys(urls).filter((k) => /^payeefsp/.test(k));
  const pool = new Pool(world.orchestratorUrl, { connections: 8, keepAliveTimeout: 60_000 });
  // peak RSS of this process, which holds the simulators, the orchestrator and the client
  if (global.gc) global.gc();
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
  const cpu0 = split ? await Promise.all([split.orchestratorProcess.stats(), split.worldProcess.stats()]) : undefined;
  const out: CycleResult = { processMode: split ? 'split' : 'in-process', payments: size, batches: Math.ceil(size / batchSize), completed:
    0, failed: 0, submitS: 0, firstFinalS: 0, allFinalS: 0, paymentsPerSecond: 0, peakRssMb: 0, ledgerCommitted: 0 };
  try {
    const health = await json(pool, 'GET', '/health');
    if (typeof health.body.railMode === 'string') out.railMode = health.body.railMode;
    const runId = Date.now().toString(36);
    // bodies are built before the clock starts: the cycle is timed from the first POST to the last final state
    const bodies: string[] = [];
    for (let b = 0; b * batchSize < size; b++) {
      const n = Math.min(batchSize, size - b * batchSize);
      const payments = new Array(n);
      for (let i = 0; i < n; i++) {
        const k = b * batchSize + i;
        payments[i] = { reference: `p${k}`, payeeIdType: 'MSISDN', payeeIdValue: `2547${(k % 2) + 1}${String(Math.floor(k / 2)).padStart(7,
          '0')}`, amount: '10', currency: 'USD', ...(opts.knownFsp ? { payeeFsp: `payeefsp${(k % 2) + 1}` } : {}) };
      }
      bodies.push(JSON.stringify({ reference: `bench-${runId}-${b}`, currency: 'USD', note: `benchmark cycle of ${size}`, payments }));
    }
    log(`cycle ${size}: ${bodies.length} batch(es) of up to ${batchSize}, rail mode ${out.railMode ?? opts.railMode
      ?? 'orchestrator default'}${opts.knownFsp ? ', payee FSPs known (no party lookups)' : ''}`);
    const t0 = performance.now();
    const ids = await Promise.all(bodies.map(async (body, b) => {
      const r = await json(pool, 'POST', '/v1/batches', body, { 'idempotency-key': `bench-${runId}-${b}` });
      if (r.status !== 202) throw new Error(`POST /v1/batches answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
      return String(r.body.id);
    }));
    bodies.length = 0;
    out.submitS = (performance.now() - t0) / 1000;
    const done = new Map<string, { completed: number; failed: number }>();
    const finalNow = new Map<string, number>();
    let firstFinal = 0;
    let lastProgressLog = performance.now();
    while (done.size < ids.length) {
      if (performance.now() - t0 > timeoutMs) throw new Error(`not all final after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, pollMs));
      for (const id of ids) {
        if (done.has(id)) continue;
        const r = await json(pool, 'GET', `/v1/batches/${id}`);
        const by = r.body.byStatus as Record<string, { count: number }> | undefined;
        if (!by) continue;
        const completed = by.COMPLETED?.count ?? 0;
        const failed = (by.FAILED?.count ?? 0) + (by.CANCELLED?.count ?? 0);
        finalNow.set(id, completed + failed);
        if (!firstFinal && completed + failed > 0) firstFinal = performance.now() - t0;
        if (completed + failed >= Number(r.body.totalCount)) done.set(id, { completed, failed });
      }
      opts.onProgress?.({ size, final: [...finalNow.values()].reduce((a, b) => a + b, 0), elapsedMs: performance.now() - t0 });
      if (performance.now() - lastProgressLog > 15_000) {
        lastProgressLog = performance.now();
        const n = [...finalNow.values()].reduce((a, b) => a + b, 0);
        const rss = split
          ? await Promise.all([split.orchestratorProcess.stats(), split.worldProcess.stats()]).then(([o, w]) =>
            `orchestrator RSS ${o.rssMb} MB, world RSS ${w.rssMb} MB`).catch(() => 'RSS unknown')
          : `RSS ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB`;
        log(`cycle ${size}: ${n} final after ${((performance.now() - t0) / 1000).toFixed(0)} s, ${rss}`);
      }
    }
    const elapsed = performance.now() - t0;
    for (const v of done.values()) { out.completed += v.completed; out.failed += v.failed; }
    out.firstFinalS = firstFinal / 1000;
    out.allFinalS = elapsed / 1000;
    out.paymentsPerSecond = Math.round(size / (elapsed / 1000));
    if (split && cpu0) {
      const [o, w] = await Promise.all([split.orchestratorProcess.stats(), split.worldProcess.stats()]);
      const orchS = o.cpuUserS + o.cpuSystemS - cpu0[0].cpuUserS - cpu0[0].cpuSystemS;
      const worldS = w.cpuUserS + w.cpuSystemS - cpu0[1].cpuUserS - cpu0[1].cpuSystemS;
      out.orchestratorCpuS = Math.round(orchS * 10) / 10;
      out.worldCpuS = Math.round(worldS * 10) / 10;
      out.orchestratorCpuUsPerPayment = Math.round((orchS * 1e6) / size);
      out.worldCpuUsPerPayment = Math.round((worldS * 1e6) / size);
    }
    out.ledgerCommitted = await ledgerCommitted(urls, fsps);
  } catch (err) {
    out.error = (err as Error).message;
  } finally {
    clearInterval(rssTimer);
    out.peakRssMb = Math.round(Math.max(peakRss, process.memoryUsage().rss) / 1024 / 1024);
    await pool.close().catch(() => undefined);
    if (split) {
      // each child's own getrusage maximum: the orchestrator alone, the world alone
      const [o, w] = await Promise.all([split.orchestratorProcess.stop(), split.worldProcess.stop()]);
      if (o) out.peakRssMb = o.peakRssMb;
      else out.error ??= 'the orchestrator process did not report its peak RSS';
      if (w) out.worldPeakRssMb = w.peakRssMb;
    }
    await world.stop().catch(() => undefined);
  }
  log(`cycle ${size}: ${out.error ? `FAILED ${out.error}`
    : `${out.allFinalS.toFixed(2)} s to all-final, ${out.paymentsPerSecond} payments/s, ${out.completed} completed, ${out.failed} failed, ledgers ${out.ledgerCommitted}, ${split ? `orchestrator peak RSS ${out.peakRssMb} MB, world peak RSS ${out.worldPeakRssMb ?? '-'} MB, CPU s orchestrator ${out.orchestratorCpuS ?? '-'} / world ${out.worldCpuS ?? '-'} (µs per payment ${out.orchestratorCpuUsPerPayment ?? '-'} / ${out.worldCpuUsPerPayment ?? '-'})` : `peak RSS ${out.peakRssMb} MB (whole process)`}`}`);
  return out;
}

export async function runBench(opts: BenchOptions = {}): Promise<BenchResult> {
  const log = opts.log ?? (() => undefined);
  const sizes = [...(opts.sizes ?? DEFAULT_SIZES)].sort((a, b) => a - b);
  const result: BenchResult = { date: new Date().toISOString(), machine: machine(), railMode: opts.railMode ?? 'orchestrator default',
    batchSize: opts.batchSize ?? 100_000, processMode: opts.inProcess ? 'in-process' : 'split', worldProcesses: opts.inProcess ? undefined
      : (opts.worldProcesses ?? 2), cycles: [] };
  const bulks = opts.baselineBulks ?? 20;
  log(`simulators-only baseline: ${bulks} bulks of 1000 (bulkQuotes + bulkTransfers through the switch)`);
  try {
    result.baseline = await runSimulatorBenchmark({ flows: 0, bulks, bulkSize: 1000, bulkConcurrency: 2 });
    log(`baseline: ${result.baseline.bulkItemsPerSecond} items/s, p95 per bulk ${result.baseline.bulkP95Ms} ms, ` +
      `${result.baseline.bulkErrors} failed`);
  } catch (err) {
    result.baselineError = (err as Error).message;
    log(`baseline failed: ${result.baselineError}`);
  }
  for (const size of sizes) result.cycles.push(await runCycle(size, opts));
  const ok = result.cycles.filter((c) => !c.error);
  const base = ok[0];
  for (const c of ok) {
    if (base && c !== base) c.scaling = Math.round(((c.allFinalS / base.allFinalS) / (c.payments / base.payments)) * 100) / 100;
    if (base && c === base) c.scaling = 1;
    const simulatorRate = result.baseline?.bulkItemsPerSecond;
    if (simulatorRate) c.ratioToSimulators = Math.round((c.paymentsPerSecond / simulatorRate) * 100) / 100;
  }
  result.machine.loadAfter = Math.round(os.loadavg()[0] * 100) / 100;
  const modes = [...new Set(result.cycles.map((c) => c.railMode).filter(Boolean))];
  if (modes.length) result.railMode = modes.join(', ');
  if (opts.write === true) writeBenchDoc(result, opts.docPath ?? BENCHMARKS_DOC);
  return result;
}

export function formatBench(r: BenchResult): string {
  const L: string[] = [];
  L.push(`machine: ${r.machine.cpus} x ${r.machine.cpuModel}, ${r.machine.memoryGb} GiB, ${r.machine.os}, Node ${r.machine.node}; ` +
    `${r.date}; load average ${r.machine.loadBefore ?? '-'} before, ${r.machine.loadAfter ?? '-'} after`);
  if (r.baseline) L.push(`simulators-only bulk baseline: ${r.baseline.bulkItems} items, ${r.baseline.bulkItemsPerSecond} items/s, p95 ` +
    `per bulk of 1000 ${r.baseline.bulkP95Ms} ms, peak RSS ${r.baseline.peakRssMb} MB, ${r.baseline.bulkErrors} failed`);
  else L.push(`simulators-only bulk baseline: not measured (${r.baselineError})`);
  const split = r.processMode !== 'in-process';
  L.push(split ? `orchestrator in a child process, world in ${r.worldProcesses ?? 2} other(s); peak RSS per side`
    : 'world, orchestrator and client in one process; peak RSS of that process');
  L.push(`payments   | all-final s | payments/s | first final s | completed | failed | payee ledgers | ${split ? 'orch. RSS MB'
    : 'peak RSS MB'} | ${split ? 'world RSS MB | CPU s orch/world | CPU µs/payment orch/world | ' : ''}scaling | vs simulators`);
  for (const c of r.cycles) {
    if (c.error) { L.push(`${String(c.payments).padEnd(10)} | FAILED: ${c.error}`); continue; }
    L.push([String(c.payments).padEnd(10), c.allFinalS.toFixed(2).padStart(11), String(c.paymentsPerSecond).padStart(10),
      c.firstFinalS.toFixed(2).padStart(13), String(c.completed).padStart(9), String(c.failed).padStart(6),
        String(c.ledgerCommitted).padStart(13), String(c.peakRssMb).padStart(11),
          ...(split ? [String(c.worldPeakRssMb ?? '-').padStart(12), `${c.orchestratorCpuS ?? '-'}/${c.worldCpuS ?? '-'}`.padStart(16),
            `${c.orchestratorCpuUsPerPayment ?? '-'}/${c.worldCpuUsPerPayment ?? '-'}`.padStart(25)]
            : []), String(c.scaling ?? '-').padStart(7), String(c.ratioToSimulators ?? '-').padStart(13)].join(' | '));
  }
  return L.join('\n');
}

export function writeBenchDoc(r: BenchResult, file: string): void {
  const kept = existsSync(file) && readFileSync(file, 'utf8').includes(KEEP_MARKER) ? readFileSync(file, 'utf8').split(KEEP_MARKER)[1]
    : '\n';
  const m = r.machine;
  const split = r.processMode !== 'in-process';
  const rows = r.cycles.map((c) => (c.error
    ? `| ${c.payments.toLocaleString('en-US')} | failed: ${c.error.replace(/\|/g, '/')} | | | | | | | |${split ? ' | | |' : ''}`
    : `| ${c.payments.toLocaleString('en-US')} | ${c.batches} | ${c.allFinalS.toFixed(2)} | ` +
      `**${c.paymentsPerSecond.toLocaleString('en-US')}** | ${c.firstFinalS.toFixed(2)} | ${c.completed.toLocaleString('en-US')} / ` +
        `${c.failed} | ${c.ledgerCommitted.toLocaleString('en-US')} | ${c.peakRssMb} |${split
          ? ` ${c.worldPeakRssMb ?? '-'} | ${c.orchestratorCpuS ?? '-'} / ${c.worldCpuS ?? '-'} | ${c.orchestratorCpuUsPerPayment ?? '-'} / ${
            c.worldCpuUsPerPayment ?? '-'} |`
            : ''} ${c.scaling ?? '-'} | ${c.ratioToSimulators ?? '-'} |`));
  const where = split
    ? `Each size runs on a fresh world and a fresh store. The orchestrator (\`loadtests/orchestrator-process.ts\`) runs
in a Node.js child process of its own and the simulated world (\`simulators/world-process.ts\`) in ${r.worldProcesses === 1
  ? 'one other child process' : `two others (the
switch and the ALS in one; the payee DFSPs, the payer DFSP and the PIL in the other)`}, so together they can use both
cores; the client (this benchmark) is one more, light process. Peak RSS is each child's own maximum resident set size
(getrusage): the orchestrator's alone, and the world's${r.worldProcesses === 1 ? ''
  : ' (the sum of its two processes)'}. "CPU s" is the CPU time
(user + system) each used during the cycle, and "CPU µs per payment" that time divided by the cycle's payments.`
    : `Each size runs on a fresh world and a fresh store, all in one Node.js process (\`--in-process\`: the client
included), so peak RSS is the whole simulated network plus the orchestrator.`;
  const b = r.baseline;
  const doc = `# GPO benchmarks

Written by \`npm run bench -- --write\` (loadtests/bench.ts) on ${r.date.slice(0, 10)}: every figure below was measured by that run.
Rerun it to refresh (\`npm run bench\` alone prints the 10,000 and 100,000 cycles without writing; \`--sizes 10000,100000,1000000\` adds the million; \`--in-process\`: everything in one process).

## Machine

- CPU: ${m.cpus} x ${m.cpuModel}
- Memory: ${m.memoryGb} GiB
- OS: ${m.os}
- Node.js: ${m.node}
- Load average (1 min) when the run started: ${m.loadBefore ?? '-'}, when it ended: ${m.loadAfter ?? '-'} (other work on the machine
  during the run lowers the figures; on ${m.cpus} cores a load above ${m.cpus} means the run shared the CPUs)

## End-to-end bulk cycles

A cycle of N payments is submitted to the orchestrator's native API (\`POST /v1/batches\`, at most ${r.batchSize.toLocaleString('en-US')}
payments per batch, all batches at once) and polled (\`GET /v1/batches/{id}\`) until every payment is final. The
orchestrator pays over its \`mojaloop-sdk\` rail (mode: ${r.railMode}) through the payer DFSP simulator, the switch, the ALS and
two payee DFSP simulators. ${where} The time runs from the first POST to the
last payment's final state. "payee ledgers" is the payee DFSP simulators' committed transfer count after the cycle
(it must equal the completed count). Scaling: (time / time of the smallest size) / (size / smallest size), 1.0 is
linear. "vs simulators": payments/s divided by the simulators-only bulk items/s below.

${split
    ? `| payments | batches | time to all-final (s) | payments/s | first final (s) | completed / failed | payee ledgers | orchestrator peak RSS (MB) | world peak RSS (MB) | CPU s orchestrator / world | CPU µs per payment orchestrator / world | scaling | vs simulators |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`
    : `| payments | batches | time to all-final (s) | payments/s | first final (s) | completed / failed | payee ledgers | peak RSS (MB) | scaling | vs simulators |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`}
${rows.join('\n')}

## Simulators-only baseline (same run)

${b ? `simulators/bench.ts \`runSimulatorBenchmark\`, bulk path: ${b.bulkItems.toLocaleString('en-US')} items in bulks of 1000 (bulkQuotes then bulkTransfers
through the switch to the payee DFSPs, 2 bulks in flight, an in-process payer playing govbank): **${b.bulkItemsPerSecond.toLocaleString('en-US')} items/s**,
p95 per bulk ${b.bulkP95Ms} ms, ${b.bulkErrors} failed, peak RSS ${b.peakRssMb} MB.` : `not measured in this run: ${r.baselineError}`}

${KEEP_MARKER}${kept}`;
  writeFileSync(file, doc);
}

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : undefined;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const sizes = argValue(argv, 'sizes');
  const num = (n: string) => {
    const v = argValue(argv, n);
    if (v === undefined) return undefined;
    const x = Number(v.replace(/_/g, ''));
    if (!Number.isFinite(x) || x <= 0) throw new Error(`--${n} must be a positive number`);
    return x;
  };
  return {
    sizes: sizes ? sizes.split(',').map((s) => {
      const n = Number(s.trim().replace(/_/g, ''));
      if (!Number.isInteger(n) || n <= 0) throw new Error(`--sizes: "${s}" is not a positive whole number`);
      return n;
    }) : undefined,
    batchSize: num('batch-size'),
    baselineBulks: num('baseline-bulks'),
    railMode: argValue(argv, 'rail-mode'),
    write: argv.includes('--write') && !argv.includes('--no-write'),
    inProcess: argv.includes('--in-process'),
    profileDir: argValue(argv, 'profile-dir'),
    knownFsp: argv.includes('--known-fsp'),
    worldProcesses: ({ 1: 1, 2: 2, 3: 3 } as const)[argValue(argv, 'world-processes') as '1' | '2' | '3'] ?? undefined,
  };
}
