/**
 * The orchestrator's configuration: every field has a default, every one can come from options, a config file or
 * GPO_* environment variables (cli). Amount limits are decimal strings.
 */
import type { Logger } from 'pino';
import type { MojaloopSdkMode, RailName } from './domain/types';
import { resolveSecurity, securityProblems, type SecurityConfig, type SecurityOptions } from './security/config';

export interface RetryPolicy {
  /** Attempts per payment on transient failures (timeouts, 5xx, 1001, 2003, 2004), first one included. */
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

export function resolveConfig(opts: OrchestratorOptions = {}, env: NodeJS.ProcessEnv = process.env): OrchestratorConfig {
  const payerFspId = opts.payerFspId ?? env.GPO_PAYER_FSP ?? 'govbank';
  return {
    port: opts.port ?? Number(env.GPO_PORT ?? 4000),
    host: opts.host ?? env.GPO_HOST ?? '127.0.0.1',
    dataDir: opts.dataDir ?? env.GPO_DATA_DIR ?? '.gpo',
    payerFspId,
    payer: { idType: 'ACCOUNT_ID', idValue: 'treasury', displayName: 'Treasury', ...(opts.payer ?? {}) },
    currency: opts.currency ?? env.GPO_CURRENCY ?? 'USD',
    rail: opts.rail ?? (env.GPO_RAIL as RailName | undefined) ?? 'mojaloop-sdk',
    railMode: opts.railMode ?? (env.GPO_RAIL_MODE as MojaloopSdkMode | undefined) ?? 'bulkTransactions',
    sdkUrl: opts.sdkUrl ?? opts.payerOutboundUrl ?? env.GPO_PAYER_OUTBOUND_URL ?? 'http://127.0.0.1:4020',
    pilUrl: opts.pilUrl ?? env.GPO_PIL_URL ?? 'http://127.0.0.1:4010',
    chunkSize: Math.max(1, Math.min(opts.chunkSize ?? envNumber(env.GPO_CHUNK_SIZE) ?? 1000, 1000)),
    railConcurrency: opts.railConcurrency ?? envNumber(env.GPO_RAIL_CONCURRENCY) ?? 8,
    perFspConcurrency: opts.perFspConcurrency ?? envNumber(env.GPO_PER_FSP_CONCURRENCY) ?? 4,
    retry: { maxAttempts: envNumber(env.GPO_RETRY_MAX_ATTEMPTS) ?? 4, baseDelayMs: 200, maxDelayMs: 5000, ...(opts.retry ?? {}) },
    railTimeoutMs: opts.railTimeoutMs ?? envNumber(env.GPO_RAIL_TIMEOUT_MS) ?? 60_000,
    inDoubtTimeoutMs: opts.inDoubtTimeoutMs ?? envNumber(env.GPO_IN_DOUBT_TIMEOUT_MS) ?? 300_000,
    transferHoldMs: opts.transferHoldMs ?? envNumber(env.GPO_TRANSFER_HOLD_MS) ?? 150_000,
    feeLimits: opts.feeLimits ?? (env.GPO_FEE_LIMITS ? parseFeeLimits(env.GPO_FEE_LIMITS) : {}),
    duplicatePayees: opts.duplicatePayees ?? (env.GPO_DUPLICATE_PAYEES as 'reject' | 'allow' | undefined) ?? 'reject',
    onInsufficientLiquidity: opts.onInsufficientLiquidity ?? (env.GPO_ON_INSUFFICIENT_LIQUIDITY as 'fail' | 'pause' | undefined) ?? 'fail',
    pilSyncWindowMs: opts.pilSyncWindowMs ?? 15_000,
    notify: { maxAttempts: envNumber(env.GPO_NOTIFY_MAX_ATTEMPTS) ?? 8, baseDelayMs: 250, maxDelayMs: 30_000, progressEveryMs: 1000,
      ...(opts.notify ?? {}) },
    seed: opts.seed ?? envNumber(env.GPO_SEED),
    ...(opts.world ? { world: opts.world } : {}),
    logger: opts.logger,
    security: resolveSecurity(opts, env),
    ...((opts.webhookSecret ?? env.GPO_WEBHOOK_SECRET) ? { webhookSecret: opts.webhookSecret ?? env.GPO_WEBHOOK_SECRET } : {}),
    ...((opts.crashAt ?? env.GPO_CRASH_AT) ? { crashAt: opts.crashAt ?? env.GPO_CRASH_AT } : {}),
  };
}

function envNumber(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
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

/** Problems with a resolved configuration (empty when it is usable). */
export function configProblems(c: OrchestratorConfig): string[] {
  const p: string[] = [];
  if (c.rail !== 'mojaloop-sdk' && c.rail !== 'pil') p.push(`rail must be mojaloop-sdk or pil, not ${String(c.rail)}`);
  if (!['bulkTransactions', 'bulkQuotesTransfers',
    'transfers'].includes(c.railMode)) p.push(`railMode must be bulkTransactions, bulkQuotesTransfers or transfers, not ` +
      `${String(c.railMode)}`);
  if (!['reject', 'allow'].includes(c.duplicatePayees)) p.push('duplicatePayees must be reject or allow');
  if (!['fail', 'pause'].includes(c.onInsufficientLiquidity)) p.push('onInsufficientLiquidity must be fail or pause');
  for (const [k, v] of [['railConcurrency', c.railConcurrency], ['perFspConcurrency', c.perFspConcurrency], ['chunkSize', c.chunkSize],
    ['retry.maxAttempts', c.retry.maxAttempts], ['notify.maxAttempts', c.notify.maxAttempts]] as const) {
    if (!Number.isInteger(v) || v < 1) p.push(`${k} must be a positive integer`);
  }
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) p.push('port must be 0..65535');
  for (const w of c.world ?? []) {
    if (!w || typeof w.name !== 'string'
      || !/^[A-Za-z0-9._-]{1,64}$/.test(w.name)) p.push('world: every server needs a name of letters, digits or ._-');
    else if (!['switch', 'als', 'payer', 'payee',
      'pil'].includes(w.role)) p.push(`world ${w.name}: role must be switch, als, payer, payee or pil`);
    else if (typeof w.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(w.url)) p.push(`world ${w.name}: url must be an http(s) URL`);
  }
  p.push(...securityProblems(c.security));
  return p;
}

/** Keys a config file may set (YAML or JSON); anything else is refused. */
export const CONFIG_FILE_KEYS = [
  'port', 'host', 'dataDir', 'payerFspId', 'payer', 'currency', 'rail', 'railMode', 'sdkUrl', 'pilUrl', 'chunkSize',
  'railConcurrency', 'perFspConcurrency', 'retry', 'railTimeoutMs', 'inDoubtTimeoutMs', 'transferHoldMs', 'feeLimits', 'duplicatePayees',
  'onInsufficientLiquidity',
  'pilSyncWindowMs', 'notify', 'seed', 'world', 'auth', 'limits', 'g2pSignatures',
] as const;
