/**
 * `gpo load --start-world`: the in-process simulated world (simulators/world.ts) and an orchestrator
 * (orchestrator/index.ts), both loaded at run time so this compiles and explains itself while they are missing.
 */
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findUrl } from '../scenarios/environment';
import { UserError } from '../shared/errors';
import { worldEnv, type WorldEnv } from '../simulators/config';
import { setPayerBackend } from '../simulators/payer-dfsp/backend';
import { SDK_BACKEND_PATH } from '../orchestrator/rails/sdk-bulk-transactions';

type Loose = Record<string, unknown>;
const ROOT = path.resolve(__dirname, '..');

export class WorldUnavailable extends Error {}

async function loadModule(rel: string, needs: string[]): Promise<Loose> {
  let mod: Loose;
  try {
    // require, not import(): under `tsx/cjs` (bin/gpo, mocha) only require is hooked to load TypeScript
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(path.join(ROOT, rel)) as Loose;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND'
      || code === 'ERR_MODULE_NOT_FOUND') throw new WorldUnavailable(`${rel}.ts is not available yet (needed: ${needs.join(', ')})`);
    throw err;
  }
  const missing = needs.filter((n) => typeof mod[n] !== 'function');
  if (missing.length) throw new WorldUnavailable(`${rel}.ts does not export ${missing.join(', ')}`);
  return mod;
}

export interface StartedWorld {
  orchestratorUrl: string;
  payerOutboundUrl: string;
  world: Loose;
  stop(): Promise<void>;
}

export interface WorldOptions {
  seed?: number;
  /** Orchestrator options passed through (rail, railMode, concurrency, ...). */
  orchestrator?: Loose;
  /** Without an orchestrator (fspiop-* profiles need only the simulators). */
  simulatorsOnly?: boolean;
  /** Payer DFSP extensions to enable (simulators/payer-dfsp/README.md, "Extensions"), for scripts that need them. */
  payerExtensions?: Record<string, boolean>;
}

/** Whether simulators/world.ts and orchestrator/index.ts can be loaded; the reason when not. */
export async function worldAvailability(withOrchestrator = true): Promise<string | undefined> {
  try {
    await loadModule('simulators/world', ['startWorld', 'defaultWorldConfig']);
    if (withOrchestrator) await loadModule('orchestrator/index', ['startOrchestrator']);
    return undefined;
  } catch (err) {
    if (err instanceof WorldUnavailable) return err.message;
    return `loading the world failed: ${(err as Error).message}`;
  }
}

/** The world's payer DFSP and PIL settings from GPO_* variables (e.g. GPO_PAYER_AUTO_ACCEPT_QUOTES), as `gpo up` takes them. */
function worldSettings(): WorldEnv {
  const r = worldEnv(process.env);
  if (r.ok) return r.value;
  throw new UserError(`the simulated world: ${r.problems.join('; ')}`, 'correct or unset them; docs/simulators.md ("Environment")');
}

export async function startInProcessWorld(opts: WorldOptions = {}): Promise<StartedWorld> {
  const worldMod = await loadModule('simulators/world', ['startWorld', 'defaultWorldConfig']);
  const cfg = (worldMod.defaultWorldConfig as () => Loose)();
  Object.assign(cfg, worldSettings(), { ports: 'random', seed: opts.seed ?? 2026 });
  if (opts.payerExtensions) {
    const payerOptions = (cfg.payerOptions ?? {}) as Loose;
    cfg.payerOptions = { ...payerOptions, extensions: { ...((payerOptions.extensions ?? {}) as Loose), ...opts.payerExtensions } };
  }
  const world = (await (worldMod.startWorld as (c: Loose) => Promise<Loose>)(cfg)) as Loose;
  const stopWorld = () => (world.stop as () => Promise<void>).call(world);
  const payerOutboundUrl = findUrl(world, 'payerOutbound', ['payer', 'payerDfsp', 'govbank']);
  if (!payerOutboundUrl) {
    await stopWorld();
    throw new WorldUnavailable('the world does not expose the payer DFSP outbound URL');
  }
  if (opts.simulatorsOnly) {
    return { orchestratorUrl: '', payerOutboundUrl, world, stop: stopWorld };
  }
  let orch: Loose;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-load-'));
  try {
    const orchMod = await loadModule('orchestrator/index', ['startOrchestrator']);
    orch = await (orchMod.startOrchestrator as (o: Loose) => Promise<Loose>)({
      dataDir, port: 0, host: '127.0.0.1', seed: opts.seed ?? 2026, payerFspId: 'govbank',
      sdkUrl: payerOutboundUrl, payerOutboundUrl, pilUrl: findUrl(world, 'pil'),
      ...(opts.orchestrator ?? {}),
    });
  } catch (err) {
    await stopWorld().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  // The payer DFSP's SDK prompts its back office (GPO) in bulk transactions.
  await setPayerBackend(payerOutboundUrl, String(orch.sdkBackendUrl));
  return {
    orchestratorUrl: String(orch.url), payerOutboundUrl, world,
    stop: async () => {
      await (orch.stop as () => Promise<void>).call(orch).catch(() => undefined);
      await stopWorld();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Split mode (the benchmark of record): the world and the orchestrator each in a child process of their own.


export interface ProcessStats { rssMb: number; peakRssMb: number; cpuUserS: number; cpuSystemS: number }

/** A child process speaking the one-line protocol of simulators/world-process.ts and loadtests/orchestrator-process.ts. */
export interface ServiceProcess {
  readonly pid: number;
  readonly info: Loose;
  stats(timeoutMs?: number): Promise<ProcessStats>;
  /** Stops it (stdin `stop`, then SIGTERM, then SIGKILL); resolves with its last stats when it printed them. */
  stop(timeoutMs?: number): Promise<ProcessStats | undefined>;
}

export async function spawnServiceProcess(script: string, arg: Loose, prefix: string, nodeArgs: string[] = [],
  startTimeoutMs = 60_000): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, script), JSON.stringify(arg)], {
    stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GPO_LOG_LEVEL: process.env.GPO_LOG_LEVEL ?? 'warn' },
  });
  const statsPrefix = `${prefix.trim()}_STATS `;
  const tail: string[] = [];
  let lastStats: ProcessStats | undefined;
  const statsWaiters: Array<(s: ProcessStats) => void> = [];
  let onInfo: ((info: Loose) => void) | undefined;
  const keep = (line: string) => { tail.push(line); if (tail.length > 20) tail.shift(); };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith(statsPrefix)) {
      lastStats = JSON.parse(line.slice(statsPrefix.length)) as ProcessStats;
      statsWaiters.splice(0).forEach((w) => w(lastStats!));
    } else if (line.startsWith(prefix)) onInfo?.(JSON.parse(line.slice(prefix.length)) as Loose);
    else keep(line);
  });
  createInterface({ input: child.stderr! }).on('line', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const info = await new Promise<Loose>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${startTimeoutMs} ms: ${tail.join(' | ')}`)),
      startTimeoutMs);
    onInfo = (i) => { clearTimeout(timer); resolve(i); };
    void exited.then((code) =>
      { clearTimeout(timer); reject(new Error(`${script} exited (${code}) before it started: ${tail.join(' | ')}`)); });
  }).catch((err: Error) => { child.kill('SIGKILL'); throw err; });
  let stopped: Promise<ProcessStats | undefined> | undefined;
  return {
    pid: child.pid ?? 0,
    info,
    stats: (timeoutMs = 10_000) => new Promise<ProcessStats>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script}: no stats within ${timeoutMs} ms`)), timeoutMs);
      statsWaiters.push((s) => { clearTimeout(timer); resolve(s); });
      child.stdin!.write('stats\n');
    }),
    stop: (timeoutMs = 15_000) => {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.stdin!.write('stop\n');
          const t1 = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
          const t2 = setTimeout(() => child.kill('SIGKILL'), timeoutMs * 2);
          await exited;
          clearTimeout(t1); clearTimeout(t2);
        }
        return lastStats;
      })();
      return stopped;
    },
  };
}

/** Several processes seen as one: stats are summed (RSS, peak RSS, CPU), stop stops them all, the last first. */
function combined(parts: ServiceProcess[], info: Loose): ServiceProcess {
  const sum = (all: Array<ProcessStats | undefined>): ProcessStats | undefined =>
    (all.some((x) => !x) ? undefined : all.reduce<ProcessStats>((a, x) => ({
    rssMb: a.rssMb + x!.rssMb, peakRssMb: a.peakRssMb + x!.peakRssMb, cpuUserS: a.cpuUserS + x!.cpuUserS, cpuSystemS: a.cpuSystemS
      + x!.cpuSystemS,
  }), { rssMb: 0, peakRssMb: 0, cpuUserS: 0, cpuSystemS: 0 }));
  return {
    pid: parts[0].pid, info,
    stats: async (t) => sum(await Promise.all(parts.map((x) => x.stats(t))))!,
    stop: async (t) => {
      const out: Array<ProcessStats | undefined> = [];
      for (const x of [...parts].reverse()) out.push(await x.stop(t));
      return sum(out);
    },
  };
}

/**
 * The simulated world in 1 process (simulators/world-process.ts, part "all") or 2 (part "hub": switch + ALS; part
 * "dfsps": payees, payer, PIL), as one ServiceProcess whose stats are the sums.
 */
export async function spawnWorldProcesses(processes: 1 | 2 | 3, seed: number, nodeArgs: string[] = []): Promise<ServiceProcess> {
  const settings = worldSettings();
  if (processes === 1) return spawnServiceProcess('simulators/world-process.ts', { ...settings, ports: 'random', seed }, 'GPO_WORLD ', nodeArgs);
  const hub = await spawnServiceProcess('simulators/world-process.ts', { ports: 'random', seed, part: 'hub' }, 'GPO_WORLD ', nodeArgs);
  try {
    if (processes === 3) {
      const payees = await spawnServiceProcess('simulators/world-process.ts', { ports: 'random', seed, part: 'payees', hub: hub.info.urls },
        'GPO_WORLD ', nodeArgs);
      const payer = await spawnServiceProcess('simulators/world-process.ts', { ...settings, ports: 'random', seed, part: 'payer', hub:
        hub.info.urls },
        'GPO_WORLD ', nodeArgs)
        .catch(async (err: Error) => { await payees.stop().catch(() => undefined); throw err; });
      const urls = { ...(payees.info.urls as Record<string, string>), ...(payer.info.urls as Record<string, string>) };
      return combined([hub, payees, payer], { urls, pids: [hub.pid, payees.pid, payer.pid] });
    }
    const dfsps = await spawnServiceProcess('simulators/world-process.ts', { ...settings, ports: 'random', seed, part: 'dfsps', hub:
      hub.info.urls },
      'GPO_WORLD ', nodeArgs);
    return combined([hub, dfsps], { urls: dfsps.info.urls, pids: [hub.pid, dfsps.pid] });
  } catch (err) {
    await hub.stop().catch(() => undefined);
    throw err;
  }
}

export interface SplitWorld extends StartedWorld {
  /** the world's process(es); with two, stats are their sums */
  worldProcess: ServiceProcess;
  orchestratorProcess: ServiceProcess;
}

/**
 * The world (simulators/world-process.ts) and the orchestrator (loadtests/orchestrator-process.ts) each in a child
 * process; `nodeArgs` (e.g. --cpu-prof) go to the node command of each.
 */
export async function startSplitWorld(opts: WorldOptions & { worldNodeArgs?: string[]; orchestratorNodeArgs?: string[]; worldProcesses?: 1
  | 2 | 3 } = {}): Promise<SplitWorld> {
  const worldProcess = await spawnWorldProcesses(opts.worldProcesses ?? 1, opts.seed ?? 2026, opts.worldNodeArgs);
  const urls = worldProcess.info.urls as Record<string, string>;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-load-'));
  let orchestratorProcess: ServiceProcess;
  try {
    orchestratorProcess = await spawnServiceProcess('loadtests/orchestrator-process.ts', {
      dataDir, seed: opts.seed ?? 2026, payerFspId: 'govbank', sdkUrl: urls.payerOutbound, payerOutboundUrl: urls.payerOutbound, pilUrl:
        urls.pil,
      ...(opts.orchestrator ?? {}),
    }, 'GPO_ORCHESTRATOR ', opts.orchestratorNodeArgs);
  } catch (err) {
    await worldProcess.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  await setPayerBackend(urls.payerOutbound, `${String(orchestratorProcess.info.url)}${SDK_BACKEND_PATH}`);
  return {
    orchestratorUrl: String(orchestratorProcess.info.url), payerOutboundUrl: urls.payerOutbound, world: { urls },
    worldProcess, orchestratorProcess,
    stop: async () => {
      await orchestratorProcess.stop().catch(() => undefined);
      await worldProcess.stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
