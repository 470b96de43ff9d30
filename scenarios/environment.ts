/**
 * What a scenario runs against: the simulated Mojaloop world and an orchestrator, both in this process on random
 * free ports. The runner only talks to them over HTTP (orchestrator APIs, simulators' admin APIs), so the same
 * runner could drive containers; the in-process handles are used only to start, stop and restart them.
 */
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'undici';
import type { JwsSigningKey } from '../shared/g2p-jws';
import { parseDuration } from './parse';
import type { Scenario, FaultRuleSpec, OrchestratorSpec } from './types';

/** What the OpenG2P side needs to talk to a secured orchestrator: its API key, its signing key, GPO's JWKS. */
export interface OpenG2pCredentials {
  apiKey?: string;
  signingKey?: JwsSigningKey;
  orchestratorJwksUrl?: string;
}

export interface PayeeLedgerView {
  fspId: string;
  committedCount: number;
  credited: string;
  fees: string;
  transferred: string;
  /** account -> credited balance in the scenario's currency */
  balances: Map<string, string>;
}

export interface TreasuryView {
  /** Amount debited from the treasury's position/account for completed transfers. */
  debited: string;
  source: string;
}

export interface Environment {
  readonly orchestratorUrl: string;
  /** Credentials the OpenG2P side uses (absent: the orchestrator asks for none). */
  readonly openG2p?: OpenG2pCredentials;
  readonly payeeFsps: string[];
  setFaults(target: string, rules: FaultRuleSpec[]): Promise<void>;
  /** Stop the orchestrator (abruptly when it supports it) and start it again on the same store; returns its URL. */
  restartOrchestrator(): Promise<string>;
  payeeLedger(fspId: string): Promise<PayeeLedgerView>;
  /** Account a payee FSP credits for a party, as its directory says. */
  payeeAccount(fspId: string, idType: string, idValue: string): Promise<string | undefined>;
  treasury(currency: string): Promise<TreasuryView | undefined>;
  /** The last FSPIOP messages the simulators logged that mention any of `needles` (party ids, transfer ids). */
  recentMessages(needles: string[], max: number): string[];
  stop(): Promise<void>;
}

export type EnvironmentFactory = (scenario: Scenario, seed: number, orchestrator: OrchestratorSpec) => Promise<Environment>;

export class EnvironmentUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentUnavailable';
  }
}

type Loose = Record<string, unknown>;
const ROOT = path.resolve(__dirname, '..');

/** Load a module by path at run time, so the runner compiles and reports clearly while a component is missing. */
async function loadModule(rel: string, needs: string[]): Promise<Loose> {
  let mod: Loose;
  try {
    // require, not import(): under tsx/cjs (bin/gpo, mocha) only require is hooked to load TypeScript.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(path.join(ROOT, rel)) as Loose;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND'
      || code === 'ERR_MODULE_NOT_FOUND') throw new EnvironmentUnavailable(`${rel}.ts is not available yet (needed: ${needs.join(', ')})`);
    throw err;
  }
  const missing = needs.filter((n) => typeof mod[n] !== 'function');
  if (missing.length) throw new EnvironmentUnavailable(`${rel}.ts does not export ${missing.join(', ')}`);
  return mod;
}

function urlIn(obj: unknown, ...names: string[]): string | undefined {
  let cur: unknown = obj;
  for (const n of names) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Loose)[n];
  }
  if (typeof cur === 'string') return cur;
  if (cur && typeof cur === 'object' && typeof (cur as Loose).url === 'string') return (cur as Loose).url as string;
  return undefined;
}

/** Find a server's URL in a world handle, whatever nesting it uses (world.switch.url, world.urls.switch, world.servers.switch.url, ...). */
export function findUrl(world: unknown, name: string, alternatives: string[] = []): string | undefined {
  for (const n of [name, ...alternatives]) {
    const u = urlIn(world, n) ?? urlIn(world, 'urls', n) ?? urlIn(world, 'servers', n) ?? urlIn(world, 'handles', n)
      ?? urlIn(world, 'payees', n) ?? urlIn(world, 'payeeDfsps', n);
    if (u) return u;
  }
  return undefined;
}

async function getJson(url: string): Promise<unknown> {
  const res = await request(url, { method: 'GET', headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

export async function readPayeeLedger(adminUrl: string, fspId: string, currency: string): Promise<PayeeLedgerView> {
  const summary = (await getJson(`${adminUrl}/admin/ledger`)) as { totals?: Record<string, Record<string, string | number>> };
  const t = summary.totals?.[currency] ?? {};
  const balances = new Map<string, string>();
  for (let offset = 0; ; offset += 10_000) {
    const page = (await getJson(`${adminUrl}/admin/ledger/accounts?offset=${offset}&limit=10000`)) as { accounts: Array<{ account: string;
      balances: Record<string, string> }> };
    for (const a of page.accounts) if (a.balances[currency] !== undefined) balances.set(a.account, a.balances[currency]);
    if (page.accounts.length < 10_000) break;
  }
  return {
    fspId,
    committedCount: Number(t.committedCount ?? 0),
    credited: String(t.credited ?? '0'),
    fees: String(t.fees ?? '0'),
    transferred: String(t.transferred ?? '0'),
    balances,
  };
}

export async function readPayeeAccount(adminUrl: string, idType: string, idValue: string): Promise<string | undefined> {
  const res = await request(`${adminUrl}/admin/parties/${encodeURIComponent(idType)}/${encodeURIComponent(idValue)}`, { method: 'GET' });
  const text = await res.body.text();
  if (res.statusCode !== 200) return undefined;
  return (JSON.parse(text) as { account?: string }).account;
}

export async function putRules(adminUrl: string, rules: FaultRuleSpec[]): Promise<void> {
  const res = await request(`${adminUrl}/admin/rules`, { method: 'PUT', body: JSON.stringify({ rules }), headers:
    { 'content-type': 'application/json' } });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`PUT ${adminUrl}/admin/rules: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
}

/** Where the payer DFSP simulator sends its bulk transaction prompts and reports (its admin API). */
async function setPayerBackend(payerUrl: string, backendUrl: string): Promise<void> {
  const res = await request(`${payerUrl}/admin/backend`, { method: 'PUT', body: JSON.stringify({ url: backendUrl }), headers:
    { 'content-type': 'application/json' } });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`PUT ${payerUrl}/admin/backend: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
}

/** Messages a simulator handle keeps (sent callbacks, violations, an FSPIOP message log), as one-line strings. */
function handleMessages(handle: unknown): string[] {
  if (!handle || typeof handle !== 'object') return [];
  const h = handle as Loose;
  const out: string[] = [];
  const fromArray = (label: string, v: unknown) => {
    if (!Array.isArray(v)) return;
    for (const m of v.slice(-2000)) out.push(`${label} ${JSON.stringify(m)}`);
  };
  fromArray(String(h.name ?? ''), h.sent);
  fromArray(String(h.name ?? ''), h.violations);
  const log = h.messages ?? h.messageLog;
  if (log && typeof log === 'object' && Array.isArray((log as Loose).items)) fromArray(String(h.name ?? ''), (log as Loose).items);
  else fromArray(String(h.name ?? ''), log);
  return out;
}

/**
 * The in-process world: simulators/world.ts (startWorld/defaultWorldConfig) and orchestrator/index.ts
 * (startOrchestrator), every server on port 0.
 */
export const inProcessEnvironment: EnvironmentFactory = async (scenario, seed, orchestratorSpec) => {
  const worldMod = await loadModule('simulators/world', ['startWorld', 'defaultWorldConfig']);
  const orchMod = await loadModule('orchestrator/index', ['startOrchestrator']);
  const net = scenario.network ?? {};
  const currency = net.currency ?? scenario.program.currency ?? 'USD';
  const cfg = (worldMod.defaultWorldConfig as () => Loose)();
  const payeeFsps = (net.payeeFsps ?? [{ id: 'payeefsp1' }, { id: 'payeefsp2' }]);
  Object.assign(cfg, { ports: 'random', seed, currency });
  if (net.payer) cfg.payerFspId = net.payer;
  if (net.pilMode) cfg.pilMode = net.pilMode;
  if (net.timeouts) {
    cfg.payerTimeouts = Object.fromEntries(Object.entries({
      callbackTimeoutMs: net.timeouts.callback, transferExpiryMs: net.timeouts.transferExpiry,
    }).filter(([, v]) => v !== undefined).map(([k, v]) => [k, parseDuration(v, 0)]));
  }
  if (net.payeeFsps) {
    cfg.payeeFsps = payeeFsps.map((f) => ({ fspId: f.id, id: f.id, fees: f.fee ? [{ ...f.fee, currency }] : [], answeringMode:
      f.answeringMode, parties: f.parties, netDebitCap: f.netDebitCap }));
  }
  if (net.treasury) cfg.treasury = { ...(cfg.treasury as Loose | undefined), ...net.treasury, currency };
  const world = (await (worldMod.startWorld as (c: Loose) => Promise<Loose>)(cfg)) as Loose;
  const adminUrl = (target: string): string => {
    const u = target === 'payer' ? findUrl(world, 'payer', ['payerDfsp', 'payerOutbound', 'govbank'])
      : target === 'switch' ? findUrl(world, 'switch', ['hub'])
        : findUrl(world, target);
    if (!u) throw new EnvironmentUnavailable(`the world does not expose a URL for "${target}"`);
    return u.replace(/\/$/, '');
  };
  // Each scenario's orchestrator has its own store, so scenarios can run side by side; a restart reuses it.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-scenario-'));
  // The orchestrator runs secured, as `gpo up` does: OpenG2P holds an API key and signs its G2P Connect messages.
  const security = await (orchMod.scenarioSecurity as (() => Promise<{ options: Loose; openG2p: OpenG2pCredentials }>) | undefined)?.();
  const orchOpts: Loose = {
    ...(security?.options ?? {}),
    dataDir,
    port: 0,
    host: '127.0.0.1',
    seed,
    payerFspId: net.payer ?? 'govbank',
    sdkUrl: findUrl(world, 'payerOutbound', ['payer', 'payerDfsp']),
    payerOutboundUrl: findUrl(world, 'payerOutbound', ['payer', 'payerDfsp']),
    pilUrl: findUrl(world, 'pil'),
    rail: orchestratorSpec.rail,
    railMode: orchestratorSpec.railMode,
    ...(orchestratorSpec.options ?? {}),
  };
  const start = orchMod.startOrchestrator as (o: Loose) => Promise<Loose>;
  let orch: Loose;
  try {
    orch = await start(orchOpts);
  } catch (err) {
    await (world.stop as () => Promise<void>).call(world).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  // A restart reuses the store the first instance chose, so the new instance recovers the old one's work.
  const storeOpts = (o: Loose): Loose => {
    const keep: Loose = {};
    for (const k of ['dataDir', 'storeDir', 'store', 'dbPath']) if (o[k] !== undefined) keep[k] = o[k];
    return keep;
  };
  try {
    // The payer DFSP's SDK prompts its back office (GPO) for bulk transactions; the restart keeps the port, so once is enough.
    const payerUrl = findUrl(world, 'payerOutbound', ['payer', 'payerDfsp']);
    if (payerUrl && typeof orch.sdkBackendUrl === 'string') await setPayerBackend(payerUrl, orch.sdkBackendUrl);
    for (const f of net.faults ?? []) await putRules(adminUrl(f.target), f.rules);
  } catch (err) {
    await (orch.stop as () => Promise<void>).call(orch).catch(() => undefined);
    await (world.stop as () => Promise<void>).call(world).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const fspIds = payeeFsps.map((f) => f.id);
  const env: Environment = {
    get orchestratorUrl() { return String(orch.url); },
    ...(security ? { openG2p: { ...security.openG2p, orchestratorJwksUrl: String(orch.jwksUrl ?? '') || undefined } } : {}),
    payeeFsps: fspIds,
    setFaults: (target, rules) => putRules(adminUrl(target), rules),
    restartOrchestrator: async () => {
      const crash = (orch.crash ?? orch.kill) as (() => Promise<void>) | undefined;
      if (crash) await crash.call(orch); else await (orch.stop as () => Promise<void>).call(orch);
      orch = await start({ ...orchOpts, ...storeOpts(orch), ...storeOpts((orch.options ?? orch.config ?? {}) as Loose), port: orch.port });
      return String(orch.url);
    },
    payeeLedger: (fspId) => readPayeeLedger(adminUrl(fspId), fspId, currency),
    payeeAccount: (fspId, idType, idValue) => readPayeeAccount(adminUrl(fspId), idType, idValue),
    treasury: async (cur) => {
      // The payer DFSP's admin ledger (or the switch's position) is where the treasury's debits are.
      const payer = net.payer ?? 'govbank';
      for (const target of ['payer', 'switch']) {
        let base: string;
        try { base = adminUrl(target); } catch { continue; }
        const paths = target === 'switch' ? [`/participants/${payer}/positions`, '/admin/positions', '/admin/ledger']
          : ['/admin/ledger', '/admin/treasury'];
        for (const p of paths) {
          try {
            const body = (await getJson(base + p)) as Loose | Loose[];
            const debited = pickDebited(body, cur, payer);
            if (debited !== undefined) return { debited, source: `${target} ${p}` };
          } catch { /* try the next place */ }
        }
      }
      return undefined;
    },
    recentMessages: (needles, max) => {
      // Handles sit at the top of the world object or one level down (a list or map of payee DFSPs).
      const handles: unknown[] = [];
      for (const v of Object.values(world)) {
        if (!v || typeof v !== 'object') continue;
        handles.push(v);
        if (v instanceof Map) handles.push(...v.values());
        else if (Array.isArray(v)) handles.push(...v);
        else if (!('url' in v)) handles.push(...Object.values(v as Loose));
      }
      const all = handles.flatMap(handleMessages);
      return all.filter((m) => needles.some((n) => n && m.includes(n))).slice(-max);
    },
    stop: async () => {
      await (orch.stop as () => Promise<void>).call(orch).catch(() => undefined);
      await (world.stop as () => Promise<void>).call(world);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return env;
};

/** Find the treasury's debited total in a ledger/positions document, in the shapes the payer DFSP and switch use. */
export function pickDebited(body: Loose | Loose[], currency: string, payer: string): string | undefined {
  // Central-ledger style positions: [{currency, value}] (or one such object): the payer's net debit at the hub.
  const positions = Array.isArray(body) ? body : typeof body.value !== 'undefined' && body.currency ? [body] : [];
  const pos = positions.find((p) => p && p.currency === currency);
  if (pos && (typeof pos.value === 'string' || typeof pos.value === 'number')) return String(pos.value);
  if (Array.isArray(body)) return undefined;
  const candidates: unknown[] = [body, (body.totals as Loose | undefined)?.[currency], (body.treasury as Loose | undefined),
    (body[payer] as Loose | undefined), ((body.positions as Loose | undefined)?.[payer] as Loose | undefined)?.[currency]];
  for (const c of candidates) {
    if (!c || typeof c !== 'object') continue;
    const o = c as Loose;
    for (const k of ['debited', 'totalDebited', 'amountDebited', 'sent']) if (typeof o[k] === 'string') return o[k] as string;
  }
  return undefined;
}
