/**
 * The simulated Mojaloop world in one process: the switch, the ALS, one payee DFSP per FSP id, the payer DFSP
 * (the treasury's bank) and the PIL, started in dependency order, onboarded on the switch as a real hub is
 * provisioned, and stopped in reverse order. `gpo up`, the scenario runner and tests start it through here.
 */
import type { Logger } from 'pino';
import { componentLogger } from '../shared/logger';
import { DEFAULT_PORTS, RunningServer } from '../shared/server';
import { RunningAls, startAls } from './als';
import type { OracleEntry, OracleRule } from './als';
import { onboardParticipant } from './switch/onboard';
import { defaultOracleRules, RunningPayeeDfsp, startPayeeDfsp } from './payee-dfsp';
import type { PartyConfig } from './payee-dfsp/domain/directory';
import type { FeeRule } from './payee-dfsp/domain/fees';
import { RunningPayerDfsp, startPayerDfsp, type PayerDfspOptions } from './payer-dfsp';
import { RunningPil, startPil } from './pil';
import { MAPPER_DEFAULT_PORT, RunningMapper, startMapper } from './mapper';
import { RunningSponsorBank, SPONSOR_BANK_DEFAULT_PORT, startSponsorBank } from './sponsor-bank';
import { RunningSwitch, startSwitch } from './switch';

export interface WorldPorts {
  pil: number;
  payerOutbound: number;
  payerInbound: number;
  switch: number;
  als: number;
  /** The first payee DFSP's port; the next ones count up from it. */
  payeeFirst: number;
  mapper?: number;
  sponsorBank?: number;
}

export interface WorldPayeeFsp {
  fspId: string;
  /** Fee rules (decimal strings); none by default. */
  fees?: FeeRule[];
  answeringMode?: 'COMMITTED' | 'RESERVED';
  /** Explicit parties (they replace the default ones); the generator rules stay. */
  parties?: Array<PartyConfig | Record<string, unknown>>;
  /** Net debit cap registered at the switch (default "1000000000"). */
  netDebitCap?: string;
  port?: number;
}

export interface WorldConfig {
  /** 'default' = the default port map (shared/server.ts), 'random' = free ports (0), or explicit ports. */
  ports: 'default' | 'random' | Partial<WorldPorts>;
  host?: string;
  /** Bind address per server (switch, als, pil, payer, a payee FSP id), over `host`. */
  hosts?: Record<string, string>;
  /** The payer DFSP's callback timeout and the expiry of the transfers it sends (ms; default 30 s each). */
  payerTimeouts?: { callbackTimeoutMs?: number; transferExpiryMs?: number };
  seed: number;
  currency: string;
  hubName: string;
  payerFspId: string;
  payeeFsps: WorldPayeeFsp[];
  treasury: { balance: string; netDebitCap?: string; currency?: string };
  /** Start the PIL simulator too (default true). */
  pil?: boolean;
  /**
   * How the payer DFSP's SDK is configured (quote and party acceptance, stage timeouts, extensions, profile) and where
   * it reports bulk transactions; `gpo up` takes some from GPO_* variables (simulators/config.ts worldEnv).
   */
  payerOptions?: Pick<PayerDfspOptions, 'autoAcceptParty' | 'autoAcceptQuote' | 'stageTimeoutsMs' | 'extensions' | 'profile' | 'backendUrl'>;
  /** How the PIL pays: 'sequential' (as in demo #1) or 'concurrent' (default; `gpo up`: $GPO_PIL_MODE). */
  pilMode?: 'sequential' | 'concurrent';
  /** Start the G2P Connect mapper (ids of the payees' wallets and accounts) and the sponsor bank (default true). */
  mapper?: boolean;
  sponsorBank?: boolean;
  logger?: Logger;
}

export interface World {
  readonly config: WorldConfig;
  readonly switch: RunningSwitch;
  readonly als: RunningAls;
  readonly payer: RunningPayerDfsp;
  readonly pil?: RunningPil;
  readonly mapper?: RunningMapper;
  readonly sponsorBank?: RunningSponsorBank;
  readonly payees: Record<string, RunningPayeeDfsp>;
  /** Base URL of every server: switch, als, payerOutbound, payerInbound, pil, and one per payee FSP id. */
  readonly urls: Record<string, string>;
  stop(): Promise<void>;
}

/** The default world: treasury bank govbank, payee FSPs payeefsp1 (:4050) and payeefsp2 (:4051), USD. */
export function defaultWorldConfig(): WorldConfig {
  return {
    ports: 'default',
    seed: 1,
    currency: 'USD',
    hubName: 'switch',
    payerFspId: 'govbank',
    payeeFsps: [{ fspId: 'payeefsp1' }, { fspId: 'payeefsp2' }],
    treasury: { balance: '1000000000' },
    pil: true,
  };
}

function portsOf(cfg: WorldConfig): WorldPorts {
  if (cfg.ports === 'random') return { pil: 0, payerOutbound: 0, payerInbound: 0, switch: 0, als: 0, payeeFirst: 0, mapper: 0, sponsorBank:
    0 };
  const base: WorldPorts = { ...DEFAULT_PORTS, mapper: MAPPER_DEFAULT_PORT, sponsorBank: SPONSOR_BANK_DEFAULT_PORT };
  return cfg.ports === 'default' || !cfg.ports ? base : { ...base, ...cfg.ports };
}

/** A payee entry as the scenario layer writes it ({id} or {fspId}). */
function fspIdOf(f: WorldPayeeFsp & { id?: string }): string {
  const id = f.fspId ?? f.id;
  if (!id) throw new Error('every payee FSP needs an fspId');
  return id;
}

/**
 * Starts the world. If any part fails to start, what already started is stopped before the error is thrown.
 */
export async function startWorld(partial: Partial<WorldConfig> = {}): Promise<World> {
  const cfg: WorldConfig = { ...defaultWorldConfig(), ...Object.fromEntries(Object.entries(partial).filter(([, v]) =>
    v !== undefined)) } as WorldConfig;
  const log = cfg.logger ?? componentLogger('world');
  const host = cfg.host ?? '127.0.0.1';
  const hostOf = (server: string) => cfg.hosts?.[server] ?? host;
  const ports = portsOf(cfg);
  const started: RunningServer[] = [];
  const stopAll = async () => {
    for (const s of [...started].reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log.warn({ server: s.name, err: (err as Error).message }, 'stopping failed');
      }
    }
    started.length = 0;
  };
  const currency = cfg.currency;
  const payeeSpecs = cfg.payeeFsps.map((f) => ({ ...f, fspId: fspIdOf(f) }));
  const fspIds = payeeSpecs.map((f) => f.fspId);
  if (new Set([...fspIds, cfg.payerFspId]).size !== fspIds.length + 1) throw new Error('FSP ids must be unique (payer and payees)');

  try {
    const sw = await startSwitch({ port: ports.switch, host: hostOf('switch'), hubName: cfg.hubName, seed: cfg.seed });
    started.push(sw);

    const oracleRules: OracleRule[] = defaultOracleRules(fspIds);
    const oracleEntries: OracleEntry[] = [];
    for (const f of payeeSpecs) {
      for (const p of (f.parties ?? []) as PartyConfig[]) {
        if (p && typeof p.idType === 'string' && typeof p.idValue === 'string') oracleEntries.push({ idType: p.idType, idValue: p.idValue,
          subId: p.subIdOrType, fspId: f.fspId });
      }
    }
    const als = await startAls({ port: ports.als, host: hostOf('als'), hubAdminUrl: sw.url, endpoints: {}, oracleRules, oracleEntries, seed:
      cfg.seed, hubName: cfg.hubName });
    started.push(als);
    sw.setAlsUrl(als.url); // a DFSP may send GET /parties to the switch without a destination

    const payees: Record<string, RunningPayeeDfsp> = {};
    let i = 0;
    for (const f of payeeSpecs) {
      const port = f.port ?? (ports.payeeFirst === 0 ? 0 : ports.payeeFirst + i);
      i++;
      const payee = await startPayeeDfsp({
        fspId: f.fspId, port, host: hostOf(f.fspId), hubUrl: sw.url, alsUrl: als.url, seed: cfg.seed, currencies: [currency],
        ...(f.fees ? { fees: f.fees } : {}),
        ...(f.answeringMode ? { answeringMode: f.answeringMode } : {}),
        ...(f.parties && f.parties.length ? { parties: f.parties as PartyConfig[] } : {}),
      });
      started.push(payee);
      payees[f.fspId] = payee;
      await onboardParticipant(sw.url, f.fspId, payee.url, { currency, netDebitCap: f.netDebitCap ?? '1000000000' });
    }

    const treasuryCurrency = cfg.treasury.currency ?? currency;
    const payer = await startPayerDfsp({
      fspId: cfg.payerFspId, port: ports.payerOutbound, inboundPort: ports.payerInbound, host: hostOf('payer'),
      switchUrl: sw.url, alsUrl: als.url, currency: treasuryCurrency, treasuryBalance: cfg.treasury.balance,
      netDebitCap: cfg.treasury.netDebitCap ?? cfg.treasury.balance, seed: cfg.seed, ...(cfg.payerTimeouts ?? {}),
      ...(cfg.payerOptions ?? {}),
    });
    started.push(payer);
    // The payer DFSP onboards itself; a payer that did not (or could not) is onboarded here so the hub knows it.
    if (!sw.participants.get(cfg.payerFspId)) {
      await onboardParticipant(sw.url, cfg.payerFspId, payer.inboundUrl,
        { currency: treasuryCurrency, netDebitCap: cfg.treasury.netDebitCap ?? cfg.treasury.balance });
    }

    let pil: RunningPil | undefined;
    if (cfg.pil !== false) {
      pil = await startPil({ port: ports.pil, host: hostOf('pil'), payerOutboundUrl: payer.outboundUrl, seed: cfg.seed, mode:
        cfg.pilMode });
      started.push(pil);
    }

    // The G2P cycle's own parties: a mapper that knows the payees' ids, a sponsor bank with the program account.
    const mapper = cfg.mapper === false ? undefined : await startMapper({ port: ports.mapper, host, payeeFsps: fspIds, seed: cfg.seed });
    if (mapper) started.push(mapper);
    const sponsorBank = cfg.sponsorBank === false ? undefined : await startSponsorBank({ port: ports.sponsorBank, host, seed: cfg.seed,
      accounts: [{ number: 'PRG-0001', currency, balance: cfg.treasury.balance }] });
    if (sponsorBank) started.push(sponsorBank);

    const urls: Record<string, string> = {
      switch: sw.url, als: als.url, payerOutbound: payer.outboundUrl, payerInbound: payer.inboundUrl,
      ...(pil ? { pil: pil.url } : {}),
      ...(mapper ? { mapper: mapper.url } : {}),
      ...(sponsorBank ? { sponsorBank: sponsorBank.url } : {}),
      ...Object.fromEntries(Object.entries(payees).map(([id, p]) => [id, p.url])),
    };
    log.info({ urls }, 'simulated world up');
    return {
      config: cfg, switch: sw, als, payer, pil, mapper, sponsorBank, payees, urls,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
