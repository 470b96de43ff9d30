/**
 * The simulated world in a process of its own (the benchmark of record runs it beside the orchestrator's process so
 * the two use both cores and each one's memory is measured alone).
 *
 *   node --import tsx simulators/world-process.ts ['{"ports":"random","seed":2026}']
 *
 * Starts startWorld with the JSON config given as the first argument (a partial WorldConfig; default: free ports),
 * then prints ONE line on stdout: `GPO_WORLD {"urls":{...},"pid":N}` (logs may share stdout: read the line with the
 * prefix). Commands on stdin, one per line, each answered with one line:
 *   stats -> `GPO_WORLD_STATS {"rssMb":N,"peakRssMb":N,"cpuUserS":N,"cpuSystemS":N}`
 *   stop  -> stops the world, prints the final stats line and exits 0.
 * SIGTERM / SIGINT, or stdin closing, stop it the same way. Peak RSS is the process's own maximum resident set size
 * (getrusage), so it counts the world alone.
 *
 * The world can also be split over two processes (so it can use two cores): `{"part":"hub"}` starts the switch and
 * the ALS; `{"part":"dfsps","hub":{"switch":URL,"als":URL}}` starts the payee DFSPs, the payer DFSP and the PIL
 * against that hub, onboarding them over the switch's admin API as startWorld does; or over three: `"payees"` (the
 * payee DFSPs) and `"payer"` (the payer DFSP and the PIL) against the same hub. Each prints its own URLs.
 */
import { processStats, serveParentCommands, type ProcessStats } from '../shared/child-process';
import type { RunningServer } from '../shared/server';
import { startAls } from './als';
import type { OracleEntry } from './als';
import { onboardParticipant } from './switch/onboard';
import { defaultOracleRules, startPayeeDfsp } from './payee-dfsp';
import type { PartyConfig } from './payee-dfsp/domain/directory';
import { startPayerDfsp } from './payer-dfsp';
import { startPil } from './pil';
import { startSwitch } from './switch';
import { defaultWorldConfig, startWorld, WorldConfig } from './world';

export const WORLD_LINE = 'GPO_WORLD ';
export const WORLD_STATS_LINE = 'GPO_WORLD_STATS ';

export type WorldProcessStats = ProcessStats;
export { processStats };

export type WorldPartConfig = Partial<WorldConfig> & { part?: 'all' | 'hub' | 'dfsps' | 'payees' | 'payer';
  hub?: { switch: string; als: string } };

interface Part { urls: Record<string, string>; stop(): Promise<void> }

function stopper(started: RunningServer[]): () => Promise<void> {
  return async () => {
    for (const s of started.splice(0).reverse()) await s.stop().catch(() => undefined);
  };
}

/** The switch and the ALS (the hub side of a world split over two processes). */
export async function startHubPart(partial: WorldPartConfig): Promise<Part> {
  const cfg = { ...defaultWorldConfig(), ...partial } as WorldConfig;
  const host = cfg.host ?? '127.0.0.1';
  const started: RunningServer[] = [];
  const stop = stopper(started);
  try {
    const sw = await startSwitch({ port: 0, host, hubName: cfg.hubName, seed: cfg.seed });
    started.push(sw);
    const fspIds = cfg.payeeFsps.map((f) => f.fspId);
    const oracleEntries: OracleEntry[] = [];
    for (const f of cfg.payeeFsps) {
      for (const p of (f.parties ?? []) as PartyConfig[]) {
        if (p && typeof p.idType === 'string' && typeof p.idValue === 'string') oracleEntries.push({ idType: p.idType, idValue: p.idValue,
          subId: p.subIdOrType, fspId: f.fspId });
      }
    }
    const als = await startAls({ port: 0, host, hubAdminUrl: sw.url, endpoints: {}, oracleRules: defaultOracleRules(fspIds), oracleEntries,
      seed: cfg.seed, hubName: cfg.hubName });
    started.push(als);
    sw.setAlsUrl(als.url);
    return { urls: { switch: sw.url, als: als.url }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Against a hub started elsewhere (startHubPart): the payee DFSPs, the payer DFSP and the PIL (part "dfsps"), the
 * payee DFSPs only ("payees") or the payer DFSP and the PIL only ("payer").
 */
export async function startDfspPart(partial: WorldPartConfig): Promise<Part> {
  const withPayees = partial.part !== 'payer';
  const withPayer = partial.part !== 'payees';
  const cfg = { ...defaultWorldConfig(), ...partial } as WorldConfig;
  if (!partial.hub) throw new Error('the dfsps part needs hub: {switch, als}');
  const { switch: switchUrl, als: alsUrl } = partial.hub;
  const host = cfg.host ?? '127.0.0.1';
  const currency = cfg.currency;
  const started: RunningServer[] = [];
  const stop = stopper(started);
  try {
    const urls: Record<string, string> = { switch: switchUrl, als: alsUrl };
    for (const f of withPayees ? cfg.payeeFsps : []) {
      const payee = await startPayeeDfsp({
        fspId: f.fspId, port: 0, host, hubUrl: switchUrl, alsUrl, seed: cfg.seed, currencies: [currency],
        ...(f.fees ? { fees: f.fees } : {}),
        ...(f.answeringMode ? { answeringMode: f.answeringMode } : {}),
        ...(f.parties && f.parties.length ? { parties: f.parties as PartyConfig[] } : {}),
      });
      started.push(payee);
      urls[f.fspId] = payee.url;
      await onboardParticipant(switchUrl, f.fspId, payee.url, { currency, netDebitCap: f.netDebitCap ?? '1000000000' });
    }
    if (!withPayer) return { urls, stop };
    const payer = await startPayerDfsp({
      fspId: cfg.payerFspId, port: 0, inboundPort: 0, host, switchUrl, alsUrl, currency: cfg.treasury.currency ?? currency,
      treasuryBalance: cfg.treasury.balance, netDebitCap: cfg.treasury.netDebitCap ?? cfg.treasury.balance, seed: cfg.seed,
      ...(cfg.payerOptions ?? {}),
    });
    started.push(payer);
    urls.payerOutbound = payer.outboundUrl;
    urls.payerInbound = payer.inboundUrl;
    if (cfg.pil !== false) {
      const pil = await startPil({ port: 0, host, payerOutboundUrl: payer.outboundUrl, seed: cfg.seed, mode: cfg.pilMode });
      started.push(pil);
      urls.pil = pil.url;
    }
    return { urls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main(): Promise<void> {
  let cfg: WorldPartConfig = { ports: 'random' };
  if (process.argv[2]) cfg = { ...cfg, ...(JSON.parse(process.argv[2]) as WorldPartConfig) };
  const part = cfg.part ?? 'all';
  const { part: _p, hub: _h, ...worldCfg } = cfg;
  const world: Part = part === 'hub' ? await startHubPart(worldCfg) : part !== 'all' ? await startDfspPart(cfg)
    : await startWorld(worldCfg);
  process.stdout.write(`${WORLD_LINE}${JSON.stringify({ urls: world.urls, pid: process.pid })}\n`);
  serveParentCommands(WORLD_STATS_LINE, () => world.stop());
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`world process failed to start: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
