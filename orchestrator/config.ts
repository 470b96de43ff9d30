/**
 * The orchestrator's configuration: one joi schema (SCHEMA: every field's default and check) and the GPO_* variable
 * of each (ENV). Options (flags, a config file) win over variables, variables over defaults. Amount limits are
 * decimal strings. This is the only place the orchestrator reads its environment.
 */
import Joi from 'joi';
import type { Logger } from 'pino';
import type { MojaloopSdkMode, RailName } from './domain/types';
import { resolveSecurity, securityProblems, type SecurityConfig, type SecurityOptions } from './security/config';

export interface RetryPolicy {
  /** Attempts per payment on transient failures (timeouts, 5xx, 1001, 2003, 2004, 2005), first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** One server of a simulated world the operator console shows (`gpo up` passes them; called over HTTP only). */
export interface WorldLink {
  /** e.g. switch, als, govbank, payeefsp1, pil */
  name: string;
  role: 'switch' | 'als' | 'payer' | 'payee' | 'pil';
  /** Base URL of its admin surface. */
  url: string;
}

export interface OrchestratorConfig {
  port: number;
  host: string;
  /** nedb data directory (default .gpo/ or $GPO_DATA_DIR). */
  dataDir: string;
  payerFspId: string;
  /** The treasury's party at its bank (SDK `from`). */
  payer: { idType: string; idValue: string; displayName?: string };
  currency: string;
  /** Default rail and mode when the batch does not say. */
  rail: RailName;
  railMode: MojaloopSdkMode;
  /** Payer DFSP's SDK outbound API base URL (rail mojaloop-sdk); default $GPO_PAYER_OUTBOUND_URL or :4020. */
  sdkUrl: string;
  /** A PIL's base URL (rail pil); default $GPO_PIL_URL or :4010. */
  pilUrl: string;
  /** Items per chunk (<= 1000) and chunks in flight, overall and per payee FSP. */
  chunkSize: number;
  railConcurrency: number;
  perFspConcurrency: number;
  retry: RetryPolicy;
  /** How long one rail call may take before it counts as a timeout (ms). */
  railTimeoutMs: number;
  /** How long a payment the rail reports in doubt (2004 after it may have been sent) is asked about again before it fails (ms). */
  inDoubtTimeoutMs: number;
  /**
   * transfers mode: how long a transfer the payer DFSP's SDK may have started without GPO learning its id (or that
   * GPO accepted and the hub does not know yet) can still complete, in ms. Set it to the SDK's
   * 2 × REQUEST_PROCESSING_TIMEOUT_SECONDS + EXPIRY_SECONDS plus a margin: default 150000 (SDK defaults 30 s, 60 s).
   */
  transferHoldMs: number;
  /** Largest fee accepted per transfer, per currency (decimal string); a quote above it fails the payment. */
  feeLimits: Record<string, string>;
  duplicatePayees: 'reject' | 'allow';
  onInsufficientLiquidity: 'fail' | 'pause';
  /** PIL-compatible intake: answer synchronously if the batch is final within this window (ms). */
  pilSyncWindowMs: number;
  /** Upstream callbacks / webhooks: attempts and backoff. */
  notify: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; progressEveryMs: number };
  seed?: number;
  /** The simulated world behind the rail, when there is one: the console's world pages read and switch its admin surfaces. */
  world?: WorldLink[];
  logger?: Logger;
  /** Authentication, limits and G2P Connect signatures (orchestrator/security/config.ts). */
  security: SecurityConfig;
  /** Signs native webhooks of batches without a secret of their own ($GPO_WEBHOOK_SECRET). */
  webhookSecret?: string;
  /** A crash point for recovery tests, `<phase>:<n>` ($GPO_CRASH_AT; engine/crash.ts). Unset in production. */
  crashAt?: string;
}

export type OrchestratorOptions = Partial<Omit<OrchestratorConfig, 'retry' | 'notify' | 'payer' | 'security'>> & SecurityOptions & {
  retry?: Partial<RetryPolicy>;
  notify?: Partial<OrchestratorConfig['notify']>;
  payer?: Partial<OrchestratorConfig['payer']>;
  /** Alias of sdkUrl. */
  payerOutboundUrl?: string;
};

/** A positive integer setting, refused with "<name> must be a positive integer". */
const count = (name: string, fallback: number) => Joi.number().integer().min(1).default(fallback)
  .messages({ '*': `${name} must be a positive integer` });
/** A duration or other non-negative number of ms. */
const ms = (name: string, fallback: number) => Joi.number().min(0).default(fallback).messages({ '*':
  `${name} must be a number of ms, 0 or more` });

const WORLD_ROLES = ['switch', 'als', 'payer', 'payee', 'pil'];

/** One server of the console's world; each refusal names the server, as an operator reads it. */
const worldLink = Joi.any().custom((w: WorldLink, h) => {
  if (!w || typeof w.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(w.name)) {
    return h.message({ custom: 'world: every server needs a name of letters, digits or ._-' });
  }
  if (!WORLD_ROLES.includes(w.role)) return h.message({ custom: `world ${w.name}: role must be switch, als, payer, payee or pil` });
  if (typeof w.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(w.url)) return h.message({ custom:
    `world ${w.name}: url must be an http(s) URL` });
  return w;
});

/**
 * The orchestrator's configuration as one schema: every setting with its default and its check. What a GPO_*
 * variable sets is in ENV below; resolveConfig applies options over variables over these defaults.
 */
const SCHEMA = Joi.object({
  port: Joi.number().integer().min(0).max(65535).default(4000).messages({ '*': 'port must be 0..65535' }),
  host: Joi.string().default('127.0.0.1'),
  dataDir: Joi.string().default('.gpo'),
  payerFspId: Joi.string().default('govbank'),
  payer: Joi.object({ idType: Joi.string().default('ACCOUNT_ID'), idValue: Joi.string().default('treasury'), displayName:
    Joi.string().default('Treasury') }).unknown(true).default(),
  currency: Joi.string().default('USD'),
  rail: Joi.string().valid('mojaloop-sdk', 'pil').default('mojaloop-sdk').messages({ '*':
    'rail must be mojaloop-sdk or pil, not {#value}' }),
  railMode: Joi.string().valid('bulkTransactions', 'bulkQuotesTransfers', 'transfers').default('bulkTransactions')
    .messages({ '*': 'railMode must be bulkTransactions, bulkQuotesTransfers or transfers, not {#value}' }),
  sdkUrl: Joi.string().default('http://127.0.0.1:4020'),
  pilUrl: Joi.string().default('http://127.0.0.1:4010'),
  chunkSize: count('chunkSize', 1000),
  railConcurrency: count('railConcurrency', 8),
  perFspConcurrency: count('perFspConcurrency', 4),
  retry: Joi.object({ maxAttempts: count('retry.maxAttempts', 4), baseDelayMs: ms('retry.baseDelayMs', 200), maxDelayMs:
    ms('retry.maxDelayMs', 5000) }).default(),
  railTimeoutMs: ms('railTimeoutMs', 60_000),
  inDoubtTimeoutMs: ms('inDoubtTimeoutMs', 300_000),
  transferHoldMs: ms('transferHoldMs', 150_000),
  feeLimits: Joi.object().pattern(/^[A-Z]{3}$/, Joi.string().pattern(/^\d+(\.\d+)?$/)).default({})
    .messages({ '*': 'feeLimits must map currency codes to decimal amounts' }),
  duplicatePayees: Joi.string().valid('reject', 'allow').default('reject').messages({ '*': 'duplicatePayees must be reject or allow' }),
  onInsufficientLiquidity: Joi.string().valid('fail', 'pause').default('fail')
    .messages({ '*': 'onInsufficientLiquidity must be fail or pause' }),
  pilSyncWindowMs: ms('pilSyncWindowMs', 15_000),
  notify: Joi.object({ maxAttempts: count('notify.maxAttempts', 8), baseDelayMs: ms('notify.baseDelayMs', 250), maxDelayMs:
    ms('notify.maxDelayMs', 30_000), progressEveryMs: ms('notify.progressEveryMs', 1000) }).default(),
  seed: Joi.number().integer(),
  world: Joi.array().items(worldLink),
  logger: Joi.any(),
  security: Joi.any(),
  webhookSecret: Joi.string(),
  crashAt: Joi.string(),
});

/** The GPO_* variable of each setting (a dotted path for nested ones) and how its text is read. */
export const ENV: ReadonlyArray<[path: string, variable: string, read?: (text: string) => unknown]> = [
  ['port', 'GPO_PORT', Number], ['host', 'GPO_HOST'], ['dataDir', 'GPO_DATA_DIR'], ['payerFspId', 'GPO_PAYER_FSP'],
  ['currency', 'GPO_CURRENCY'], ['rail', 'GPO_RAIL'], ['railMode', 'GPO_RAIL_MODE'], ['sdkUrl', 'GPO_PAYER_OUTBOUND_URL'],
  ['pilUrl', 'GPO_PIL_URL'], ['chunkSize', 'GPO_CHUNK_SIZE', envNumber], ['railConcurrency', 'GPO_RAIL_CONCURRENCY', envNumber],
  ['perFspConcurrency', 'GPO_PER_FSP_CONCURRENCY', envNumber], ['retry.maxAttempts', 'GPO_RETRY_MAX_ATTEMPTS', envNumber],
  ['railTimeoutMs', 'GPO_RAIL_TIMEOUT_MS', envNumber], ['inDoubtTimeoutMs', 'GPO_IN_DOUBT_TIMEOUT_MS', envNumber],
  ['transferHoldMs', 'GPO_TRANSFER_HOLD_MS', envNumber], ['feeLimits', 'GPO_FEE_LIMITS', parseFeeLimits],
  ['duplicatePayees', 'GPO_DUPLICATE_PAYEES'], ['onInsufficientLiquidity', 'GPO_ON_INSUFFICIENT_LIQUIDITY'],
  ['notify.maxAttempts', 'GPO_NOTIFY_MAX_ATTEMPTS', envNumber], ['seed', 'GPO_SEED', envNumber],
  ['webhookSecret', 'GPO_WEBHOOK_SECRET'], ['crashAt', 'GPO_CRASH_AT'],
];

const CONFIG_KEYS = Object.keys(SCHEMA.describe().keys ?? {});

/** Options over GPO_* variables over the schema's defaults. Never throws on a bad value: configProblems says what is wrong. */
export function resolveConfig(opts: OrchestratorOptions = {}, env: NodeJS.ProcessEnv = process.env): OrchestratorConfig {
  const input: Record<string, unknown> = {};
  for (const [path, variable, read] of ENV) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    const value = read ? read(text) : text;
    if (value === undefined) continue;
    const [head, leaf] = path.split('.');
    if (leaf) input[head] = { ...(input[head] as object | undefined), [leaf]: value };
    else input[head] = value;
  }
  const given = opts as Record<string, unknown>;
  for (const key of CONFIG_KEYS) {
    if (given[key] === undefined) continue;
    const nested = ['retry', 'notify', 'payer'].includes(key);
    input[key] = nested ? { ...(input[key] as object | undefined), ...(given[key] as object) } : given[key];
  }
  if (opts.sdkUrl === undefined && opts.payerOutboundUrl !== undefined) input.sdkUrl = opts.payerOutboundUrl;
  const { value } = SCHEMA.validate(input, { abortEarly: false });
  const config = value as OrchestratorConfig;
  if (Number.isInteger(config.chunkSize)) config.chunkSize = Math.max(1, Math.min(config.chunkSize, 1000));
  config.security = resolveSecurity(opts, env);
  if (!config.logger) delete config.logger;
  return config;
}

function envNumber(v: string): number | undefined {
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** "USD=1,KES=50" -> {USD: "1", KES: "50"}. */
export function parseFeeLimits(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [currency, amount] = part.split('=').map((x) => x.trim());
    if (!/^[A-Z]{3}$/.test(currency ?? '') || !/^\d+(\.\d+)?$/.test(amount ?? '')) throw new Error(`fee limit "${part}" is not CUR=amount`);
    out[currency] = amount;
  }
  return out;
}

/** Problems with a resolved configuration (empty when it is usable): the schema's refusals, then the security settings'. */
export function configProblems(c: OrchestratorConfig): string[] {
  const { error } = SCHEMA.validate(c, { abortEarly: false, errors: { wrap: { label: false } } });
  return [...(error?.details.map((d) => d.message) ?? []), ...securityProblems(c.security)];
}

/** Keys a config file may set (YAML or JSON); anything else is refused. */
export const CONFIG_FILE_KEYS = [
  'port', 'host', 'dataDir', 'payerFspId', 'payer', 'currency', 'rail', 'railMode', 'sdkUrl', 'pilUrl', 'chunkSize',
  'railConcurrency', 'perFspConcurrency', 'retry', 'railTimeoutMs', 'inDoubtTimeoutMs', 'transferHoldMs', 'feeLimits', 'duplicatePayees',
  'onInsufficientLiquidity',
  'pilSyncWindowMs', 'notify', 'seed', 'world', 'auth', 'limits', 'g2pSignatures',
] as const;
