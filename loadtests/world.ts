/**
 * `gpo load --start-world`: the in-process simulated world (simulators/world.ts) and an orchestrator
 * (orchestrator/index.ts), both loaded at run time so this compiles and explains itself while they are missing.
 */
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { findUrl } from '../scenarios/environment';

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
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') throw new WorldUnavailable(`${rel}.ts is not available yet (needed: ${needs.join(', ')})`);
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

export async function startInProcessWorld(opts: WorldOptions = {}): Promise<StartedWorld> {
  const worldMod = await loadModule('simulators/world', ['startWorld', 'defaultWorldConfig']);
  const cfg = (worldMod.defaultWorldConfig as () => Loose)();
  Object.assign(cfg, { ports: 'random', seed: opts.seed ?? 2026 });
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
  return {
    orchestratorUrl: String(orch.url), payerOutboundUrl, world,
    stop: async () => {
      await (orch.stop as () => Promise<void>).call(orch).catch(() => undefined);
      await stopWorld();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
