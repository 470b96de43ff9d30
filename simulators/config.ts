/**
 * The simulators' settings from GPO_* variables: for each simulator `gpo sim` runs (switch, als, payee-dfsp,
 * payer-dfsp, pil) one joi schema of what a variable may set (default and check), the variable of each setting
 * (its ENV table) and how the settings become the simulator's start options. simulatorEnv applies them; the
 * command line puts a config file's options and its flags over the result. This is the only place a simulator's
 * environment is read: the start functions take options only.
 */
import Joi from 'joi';
import { DEFAULT_PORTS } from '../shared/server';
import type { AlsOptions } from './als';
import { defaultOracleRules } from './payee-dfsp/config';
import type { PayeeDfspOptions } from './payee-dfsp';
import type { PayerDfspOptions } from './payer-dfsp';
import type { SdkProfile } from './payer-dfsp/outbound';
import type { PilOptions } from './pil';
import type { SwitchOptions } from './switch';

/** The simulators `gpo sim` runs. */
export const SIMULATORS = ['switch', 'als', 'payee-dfsp', 'payer-dfsp', 'pil'] as const;
export type SimulatorName = (typeof SIMULATORS)[number];

/** One FSP and its base URL, from GPO_PAYEE_URLS. */
export interface PayeeUrl {
  fspId: string;
  url: string;
}

/** Settings of the switch a variable may set. */
export interface SwitchSettings {
  port: number;
  host: string;
  /** Currency of the participants onboarded from payeeUrls. */
  currency: string;
  /** Payee DFSPs onboarded at start (standard endpoints under each URL). */
  payeeUrls: PayeeUrl[];
}

export interface AlsSettings {
  port: number;
  host: string;
  /** The hub's admin API, where participant endpoints are read; none: only the ALS's own endpoints. */
  hubAdminUrl?: string;
  /** Payee DFSPs: their endpoints, and the default parties' oracle rules for each. */
  payeeUrls: PayeeUrl[];
  payerFspId: string;
  /** The payer DFSP's FSPIOP inbound URL, registered for payerFspId when given. */
  payerInboundUrl?: string;
}

export interface PayeeDfspSettings {
  port: number;
  host: string;
  currency: string;
  hubUrl: string;
  alsUrl: string;
}

export interface PayerDfspSettings {
  port: number;
  inboundPort: number;
  host: string;
  fspId: string;
  currency: string;
  switchUrl: string;
  alsUrl: string;
  /** What the switch and the ALS call back; none: the inbound URL it listens on. */
  inboundPublicUrl?: string;
  backendUrl?: string;
  autoAcceptParty: boolean;
  autoAcceptQuote: boolean;
  profile: SdkProfile['name'];
}

export interface PilSettings {
  port: number;
  host: string;
  payerOutboundUrl: string;
  mode: 'sequential' | 'concurrent';
}

/** A row of an ENV table: the setting and the variable that sets it. */
export type EnvRow = readonly [setting: string, variable: string];

const HOST = '127.0.0.1';
const local = (port: number) => `http://127.0.0.1:${port}`;
/** Where GPO_BASE_PORT puts a server: its offset from the orchestrator's port, as `gpo up` places it. */
const offset = (port: number) => port - DEFAULT_PORTS.orchestrator;

const port = (fallback: number) => Joi.number().integer().min(0).max(65535).default(fallback)
  .messages({ '*': 'must be a port (0-65535), not {#value}' });
const host = Joi.string().hostname().default(HOST).messages({ '*': 'must be a host name or an IP address, not {#value}' });
const url = () => Joi.string().uri({ scheme: ['http', 'https'] }).messages({ '*': 'must be an http(s) URL' });
const currency = Joi.string().pattern(/^[A-Z]{3}$/).default('USD')
  .messages({ '*': 'must be a currency code of three capital letters, not {#value}' });
const FSP_ID = /^[A-Za-z0-9._-]{1,32}$/;
const fspId = (fallback: string) => Joi.string().pattern(FSP_ID).default(fallback)
  .messages({ '*': 'must be an FSP id (1 to 32 letters, digits or ._-), not {#value}' });
const flag = Joi.boolean().default(true).messages({ '*': 'must be true or false, not {#value}' });

const HTTP_URL = /^https?:\/\/[^\s/]+[^\s]*$/;

/** `fsp=url,fsp=url` as a list of FSPs and their URLs; every malformed pair is refused by name. */
const payeeUrls = Joi.any().custom((v: unknown, h) => {
  if (Array.isArray(v)) return v;
  const out: PayeeUrl[] = [];
  for (const pair of String(v).split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = pair.indexOf('=');
    const id = i > 0 ? pair.slice(0, i).trim() : '';
    const u = i > 0 ? pair.slice(i + 1).trim() : '';
    if (!FSP_ID.test(id)) return h.message({ custom: `must be fsp=url pairs separated by commas, not ${pair}` });
    if (!HTTP_URL.test(u)) return h.message({ custom: `must give each FSP an http(s) URL, not ${pair}` });
    out.push({ fspId: id, url: u });
  }
  return out;
}).default([]);

interface Simulator<S> {
  schema: Joi.ObjectSchema<S>;
  env: readonly EnvRow[];
  /** GPO_BASE_PORT's offset of each port setting. */
  basePort: Record<string, number>;
}

export const SWITCH: Simulator<SwitchSettings> = {
  schema: Joi.object<SwitchSettings>({ port: port(DEFAULT_PORTS.switch), host, currency, payeeUrls }),
  env: [['port', 'GPO_SWITCH_PORT'], ['port', 'GPO_BASE_PORT'], ['host', 'GPO_HOST'], ['currency', 'GPO_CURRENCY'],
    ['payeeUrls', 'GPO_PAYEE_URLS']],
  basePort: { port: offset(DEFAULT_PORTS.switch) },
};

export const ALS: Simulator<AlsSettings> = {
  schema: Joi.object<AlsSettings>({ port: port(DEFAULT_PORTS.als), host, hubAdminUrl: url(), payeeUrls, payerFspId: fspId('govbank'),
    payerInboundUrl: url() }),
  env: [['port', 'GPO_ALS_PORT'], ['port', 'GPO_BASE_PORT'], ['host', 'GPO_HOST'], ['hubAdminUrl', 'GPO_SWITCH_URL'],
    ['payeeUrls', 'GPO_PAYEE_URLS'], ['payerFspId', 'GPO_PAYER_FSP'], ['payerInboundUrl', 'GPO_PAYER_INBOUND_URL']],
  basePort: { port: offset(DEFAULT_PORTS.als) },
};

/** A payee DFSP's own port variable is named after its FSP id: GPO_PAYEEFSP2_PORT for payeefsp2. */
export const PAYEE_PORT_VARIABLE = 'GPO_<FSPID>_PORT';

export const PAYEE_DFSP: Simulator<PayeeDfspSettings> = {
  schema: Joi.object<PayeeDfspSettings>({ port: port(DEFAULT_PORTS.payeeFirst), host, currency,
    hubUrl: url().default(local(DEFAULT_PORTS.switch)), alsUrl: url().default(local(DEFAULT_PORTS.als)) }),
  env: [['port', PAYEE_PORT_VARIABLE], ['port', 'GPO_BASE_PORT'], ['host', 'GPO_HOST'], ['currency', 'GPO_CURRENCY'],
    ['hubUrl', 'GPO_SWITCH_URL'], ['alsUrl', 'GPO_ALS_URL']],
  // alone, a payee DFSP sits where `gpo up` puts the first one
  basePort: { port: offset(DEFAULT_PORTS.payeeFirst) },
};

export const PAYER_DFSP: Simulator<PayerDfspSettings> = {
  schema: Joi.object<PayerDfspSettings>({
    port: port(DEFAULT_PORTS.payerOutbound), inboundPort: port(DEFAULT_PORTS.payerInbound), host, fspId: fspId('govbank'), currency,
    switchUrl: url().default(local(DEFAULT_PORTS.switch)), alsUrl: url().default(local(DEFAULT_PORTS.als)), inboundPublicUrl: url(),
    backendUrl: url(), autoAcceptParty: flag, autoAcceptQuote: flag,
    profile: Joi.string().valid('current', '18.0.2').default('current').messages({ '*': 'must be current or 18.0.2, not {#value}' }),
  }),
  env: [['port', 'GPO_PAYER_PORT'], ['port', 'GPO_BASE_PORT'], ['inboundPort', 'GPO_PAYER_INBOUND_PORT'], ['inboundPort', 'GPO_BASE_PORT'],
    ['host', 'GPO_HOST'], ['fspId', 'GPO_PAYER_FSP'], ['currency', 'GPO_CURRENCY'], ['switchUrl', 'GPO_SWITCH_URL'],
    ['alsUrl', 'GPO_ALS_URL'], ['inboundPublicUrl', 'GPO_PAYER_INBOUND_URL'], ['backendUrl', 'GPO_PAYER_BACKEND_URL'],
    ['autoAcceptParty', 'GPO_PAYER_AUTO_ACCEPT_PARTY'], ['autoAcceptQuote', 'GPO_PAYER_AUTO_ACCEPT_QUOTES'],
    ['profile', 'GPO_PAYER_SDK_PROFILE']],
  basePort: { port: offset(DEFAULT_PORTS.payerOutbound), inboundPort: offset(DEFAULT_PORTS.payerInbound) },
};

export const PIL: Simulator<PilSettings> = {
  schema: Joi.object<PilSettings>({ port: port(DEFAULT_PORTS.pil), host,
    payerOutboundUrl: url().default(local(DEFAULT_PORTS.payerOutbound)), mode: Joi.string().valid('sequential', 'concurrent').default('concurrent').messages({ '*':
      'must be sequential or concurrent, not {#value}' }) }),
  env: [['port', 'GPO_PIL_PORT'], ['port', 'GPO_BASE_PORT'], ['host', 'GPO_HOST'], ['payerOutboundUrl', 'GPO_PAYER_OUTBOUND_URL'],
    ['mode', 'GPO_PIL_MODE']],
  basePort: { port: offset(DEFAULT_PORTS.pil) },
};

const BY_NAME = { switch: SWITCH, als: ALS, 'payee-dfsp': PAYEE_DFSP, 'payer-dfsp': PAYER_DFSP, pil: PIL } as const;

/** Each simulator's ENV table: which variable sets which setting (GPO_BASE_PORT under the server's own port variable). */
export const ENV: Record<SimulatorName, readonly EnvRow[]> = {
  switch: SWITCH.env, als: ALS.env, 'payee-dfsp': PAYEE_DFSP.env, 'payer-dfsp': PAYER_DFSP.env, pil: PIL.env,
};

export interface SettingsByName {
  switch: SwitchSettings;
  als: AlsSettings;
  'payee-dfsp': PayeeDfspSettings;
  'payer-dfsp': PayerDfspSettings;
  pil: PilSettings;
}

export interface OptionsByName {
  switch: SwitchOptions;
  als: AlsOptions;
  'payee-dfsp': PayeeDfspOptions;
  'payer-dfsp': PayerDfspOptions;
  pil: PilOptions;
}

export type Resolved<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** The variable a setting is read from for this simulator (a payee DFSP's port variable is named after its FSP id). */
function variableName(variable: string, fspIdOfPayee: string): string {
  return variable === PAYEE_PORT_VARIABLE ? `GPO_${fspIdOfPayee.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT` : variable;
}

/**
 * The settings GPO_* variables give one simulator, defaults where none is set; or every problem, each naming its
 * variable. `payeeFspId` names a payee DFSP's port variable (default payeefsp1).
 */
export function simulatorSettings<N extends SimulatorName>(name: N, env: NodeJS.ProcessEnv, payeeFspId = 'payeefsp1'):
  Resolved<SettingsByName[N]> {
  const sim = BY_NAME[name] as Simulator<SettingsByName[N]>;
  const input: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  const problems: string[] = [];
  for (const [setting, row] of sim.env) {
    const variable = variableName(row, payeeFspId);
    const text = env[variable];
    if (text === undefined || text.trim() === '' || setting in input) continue;
    source[setting] = variable;
    if (variable !== 'GPO_BASE_PORT') {
      input[setting] = text.trim();
      continue;
    }
    const base = Number(text);
    if (!Number.isInteger(base) || base < 0 || base > 65535) input[setting] = text.trim();
    else if (base + sim.basePort[setting] > 65535) {
      problems.push(`GPO_BASE_PORT ${base} puts ${setting === 'inboundPort' ? 'the inbound port' : name} past port 65535`);
    } else input[setting] = base === 0 ? 0 : base + sim.basePort[setting];
  }
  const { value, error } = sim.schema.validate(input, { abortEarly: false });
  for (const d of error?.details ?? []) {
    const setting = String(d.path[0]);
    problems.push(`${source[setting] ?? setting} ${d.message}`);
  }
  return problems.length ? { ok: false, problems: [...new Set(problems)] } : { ok: true, value: value as SettingsByName[N] };
}

/** The start options the settings give (what the simulator's options call them). */
export function settingsToOptions<N extends SimulatorName>(name: N, settings: SettingsByName[N]): OptionsByName[N] {
  const s = settings as SettingsByName[SimulatorName];
  switch (name) {
    case 'switch': {
      const { payeeUrls: urls, currency: cur, ...rest } = s as SwitchSettings;
      return { ...rest, participants: urls.map((p) => ({ name: p.fspId, baseUrl: p.url, currency: cur })) } as OptionsByName[N];
    }
    case 'als': {
      const a = s as AlsSettings;
      const endpoints: Record<string, string> = Object.fromEntries(a.payeeUrls.map((p) => [p.fspId, p.url]));
      if (a.payerInboundUrl) endpoints[a.payerFspId] = a.payerInboundUrl;
      const payees = a.payeeUrls.length ? a.payeeUrls.map((p) => p.fspId) : ['payeefsp1', 'payeefsp2'];
      return { port: a.port, host: a.host, ...(a.hubAdminUrl ? { hubAdminUrl: a.hubAdminUrl } : {}), endpoints,
        oracleRules: defaultOracleRules(payees) } as OptionsByName[N];
    }
    case 'payee-dfsp': {
      const { currency: cur, ...rest } = s as PayeeDfspSettings;
      return { ...rest, currencies: [cur] } as OptionsByName[N];
    }
    case 'payer-dfsp': {
      const { profile, ...rest } = s as PayerDfspSettings;
      return { ...rest, profile: sdkProfile(profile) } as OptionsByName[N];
    }
    default:
      return { ...s } as OptionsByName[N];
  }
}

/**
 * A simulator's start options from GPO_* variables over the schema's defaults, or the problems with them in the
 * words an operator reads (e.g. "GPO_PAYER_AUTO_ACCEPT_QUOTES must be true or false, not maybe").
 */
export function simulatorEnv<N extends SimulatorName>(name: N, env: NodeJS.ProcessEnv, payeeFspId?: string): Resolved<OptionsByName[N]> {
  const r = simulatorSettings(name, env, payeeFspId);
  return r.ok ? { ok: true, value: settingsToOptions(name, r.value) } : r;
}

/** The SDK release a payer DFSP behaves as, by name. */
export function sdkProfile(name: SdkProfile['name']): SdkProfile {
  return name === '18.0.2' ? { name: '18.0.2', bulkDefects: true } : { name: 'current' };
}

/** What the variables say about the payer DFSP and the PIL of a whole world (`gpo up`, the benchmark's world). */
export interface WorldEnv {
  payerOptions?: Pick<PayerDfspOptions, 'autoAcceptParty' | 'autoAcceptQuote' | 'profile' | 'backendUrl'>;
  pilMode?: 'sequential' | 'concurrent';
}

/** The variables of ENV a whole world takes: how its payer DFSP's SDK behaves, where it reports, how its PIL pays. */
export const WORLD_ENV: readonly string[] = ['GPO_PAYER_AUTO_ACCEPT_PARTY', 'GPO_PAYER_AUTO_ACCEPT_QUOTES', 'GPO_PAYER_SDK_PROFILE',
  'GPO_PAYER_BACKEND_URL', 'GPO_PIL_MODE'];

/**
 * A world's settings from WORLD_ENV (only what a variable sets: the world's own defaults stay), or the problems. The
 * world places and connects its servers itself, so the other variables do not apply to it.
 */
export function worldEnv(env: NodeJS.ProcessEnv): Resolved<WorldEnv> {
  const only = Object.fromEntries(WORLD_ENV.filter((v) => env[v] !== undefined && env[v] !== '').map((v) => [v, env[v]]));
  const payer = simulatorSettings('payer-dfsp', only);
  const pil = simulatorSettings('pil', only);
  const problems = [...(payer.ok ? [] : payer.problems), ...(pil.ok ? [] : pil.problems)];
  if (!payer.ok || !pil.ok) return { ok: false, problems };
  const set = (v: string) => only[v] !== undefined;
  const p = payer.value;
  const payerOptions: NonNullable<WorldEnv['payerOptions']> = {
    ...(set('GPO_PAYER_AUTO_ACCEPT_PARTY') ? { autoAcceptParty: p.autoAcceptParty } : {}),
    ...(set('GPO_PAYER_AUTO_ACCEPT_QUOTES') ? { autoAcceptQuote: p.autoAcceptQuote } : {}),
    ...(set('GPO_PAYER_SDK_PROFILE') ? { profile: sdkProfile(p.profile) } : {}),
    ...(p.backendUrl ? { backendUrl: p.backendUrl } : {}),
  };
  return { ok: true, value: { ...(Object.keys(payerOptions).length ? { payerOptions } : {}), ...(set('GPO_PIL_MODE') ? { pilMode:
    pil.value.mode } : {}) } };
}
