/**
 * Payer DFSP simulator (the treasury's bank): the Mojaloop SDK scheme adapter's outbound API (v2.1) plus an admin
 * API on one port, the FSPIOP inbound API (callbacks from the switch and ALS) on another. Pays from a treasury
 * account with a balance, onboards itself on the switch at start. See README.md.
 */
import Hapi from '@hapi/hapi';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import { componentLogger } from '../../shared/logger';
import { DEFAULT_PORTS, RunningServer } from '../../shared/server';
import { onboardParticipant } from '../switch/onboard';
import { FspiopClient } from '../fspiop/client';
import { describeError } from '../fspiop/errors';
import { FSPIOP_MAX_BODY, fspiopPayloadErrors } from '../fspiop/http';
import { warmValidators } from '../fspiop/validate';
import { FaultRules, type FaultRule } from '../rules';
import { Treasury } from './domain/treasury';
import { INBOUND_SCHEMAS, registerInbound, Violation } from './inbound';
import { AnswerProblem, registerOutbound, type PayerExtensions, type SdkProfile } from './outbound';
import { BulkTransaction, PayerService } from './service';
import { sdkProblem, warmSdkValidators } from './spec';
import { serveSimulatorMetrics } from '../metrics';

export interface PayerDfspOptions {
  fspId?: string;
  /** Outbound API port (default 4020); 0 for a random free port. Admin API (/admin/*) lives here too. */
  port?: number;
  /** FSPIOP inbound port (default 4021). */
  inboundPort?: number;
  host?: string;
  /** Switch base URL (quotes, transfers, bulk*); default http://127.0.0.1:4030. */
  switchUrl?: string;
  /** ALS base URL (parties); default http://127.0.0.1:4040. */
  alsUrl?: string;
  /** URL the switch and ALS should call back (this simulator's inbound base URL as seen by them); default the inbound URL. */
  inboundPublicUrl?: string;
  currency?: string;
  /** Treasury account balance, decimal string (default "1000000000"). */
  treasuryBalance?: string;
  /** Net debit cap to register at the switch at onboarding (default = treasuryBalance). */
  netDebitCap?: string;
  /** Onboard on the switch at start (participant, endpoints, limits); default true. */
  onboard?: boolean;
  /** The SDK's AUTO_ACCEPT_PARTY / AUTO_ACCEPT_QUOTES for POST /transfers (default true, as the SDK). */
  autoAcceptParty?: boolean;
  autoAcceptQuote?: boolean;
  /** Behaviours beyond the real SDK (README: Extensions); all off by default. */
  extensions?: PayerExtensions;
  /** Which SDK release to behave as: 'current' (default) or '18.0.2' (README: Profiles). */
  profile?: SdkProfile;
  /** How long to wait for an FSPIOP callback before failing the item with a timeout (ms, default 30000). */
  callbackTimeoutMs?: number;
  /** Single transfers: the wait per stage (party, quote, fulfil) before a 504, as the SDK's REQUEST_PROCESSING_TIMEOUT_SECONDS; default
   * callbackTimeoutMs. */
  stageTimeoutsMs?: Partial<{ party: number; quote: number; fulfil: number }>;
  /** FSPIOP expiration given to transfers and bulk transfers we send (ms from now; default callbackTimeoutMs). */
  transferExpiryMs?: number;
  /** Back office base URL for bulk transaction reports (`PUT {backendUrl}/bulkTransactions/{id}`); default none. */
  backendUrl?: string;
  /** Party lookups in flight per bulk transaction (default 256). */
  lookupConcurrency?: number;
  /** FSPIOP bulks in flight per bulk transaction (default 8). */
  bulkConcurrency?: number;
  /** Connections per FSPIOP peer (default 32). */
  connections?: number;
  /** Check every answer of the outbound API and every back-office report against the SDK spec (default true). */
  validateResponses?: boolean;
  faultRules?: FaultRule[];
  seed?: number;
  logger?: Logger;
}

export interface RunningPayerDfsp extends RunningServer {
  readonly fspId: string;
  /** Outbound API base URL (same as url). */
  readonly outboundUrl: string;
  /** FSPIOP inbound base URL. */
  readonly inboundUrl: string;
  readonly inboundPort: number;
  readonly service: PayerService;
  readonly treasury: Treasury;
  readonly faults: FaultRules;
  /** FSPIOP callbacks refused by the inbound API. */
  readonly violations: Violation[];
  /** Answers and reports of ours that did not match the SDK spec (a bug if not empty). */
  readonly answerProblems: AnswerProblem[];
  /** Requests that asked for a behaviour the real SDK does not have, by extension (also in GET /admin/extensions). */
  readonly extensionUses: Record<string, number>;
  /** Changes where bulk transaction reports go (undefined: nowhere). */
  setBackendUrl(url: string | undefined): void;
  /** Resolves when every bulk transaction report sent so far has been delivered (or given up). */
  reportsIdle(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/**
 * Delivers bulk transaction reports in order per transaction. As the SDK, each report is sent once (a failure is
 * logged); with the extension backendReportRetries, up to 4 times.
 */
class BackOffice {
  private readonly pools = new Map<string, Pool>();
  private readonly queues = new Map<string, Promise<void>>();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  delivered = 0;
  failed = 0;

  constructor(readonly target: { url?: string }, private readonly log: Logger, private readonly attempts = 1) {}

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) this.pools.set(origin, (p = new Pool(origin, { connections: 8, keepAliveTimeout: 30_000 })));
    return p;
  }

  send(txn: BulkTransaction, body: Record<string, unknown>): void {
    const base = this.target.url;
    if (!base) return;
    const id = txn.bulkTransactionId;
    const json = JSON.stringify(body);
    this.inFlight++;
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.then(() => this.deliver(base, id, json)).finally(() => {
      if (this.queues.get(id) === next) this.queues.delete(id);
      if (--this.inFlight === 0) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        w.forEach((f) => f());
      }
    });
    this.queues.set(id, next);
  }

  private async deliver(base: string, id: string, json: string): Promise<void> {
    const u = new URL(base.replace(/\/+$/, '') + `/bulkTransactions/${encodeURIComponent(id)}`);
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) await sleep(200 * 2 ** (attempt - 1));
      try {
        const res = await this.pool(u.origin).request({ method: 'PUT', path: u.pathname, headers: { 'content-type': 'application/json' },
          body: json });
        await res.body.dump();
        if (res.statusCode < 300) {
          this.delivered++;
          return;
        }
        this.log.warn({ bulkTransactionId: id, status: res.statusCode }, 'back office refused the bulk transaction report');
        if (res.statusCode < 500) break;
      } catch (err) {
        this.log.warn({ bulkTransactionId: id, err: (err as Error).message }, 'bulk transaction report could not be delivered');
      }
    }
    this.failed++;
  }

  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
  }
}

export async function startPayerDfsp(opts: PayerDfspOptions = {}): Promise<RunningPayerDfsp> {
  const fspId = opts.fspId ?? 'govbank';
  const host = opts.host ?? '127.0.0.1';
  const currency = opts.currency ?? 'USD';
  const treasuryBalance = opts.treasuryBalance ?? '1000000000';
  const log = opts.logger ?? componentLogger('payer-dfsp', { fspId });
  const switchUrl = (opts.switchUrl ?? `http://127.0.0.1:${DEFAULT_PORTS.switch}`).replace(/\/+$/, '');
  const alsUrl = (opts.alsUrl ?? `http://127.0.0.1:${DEFAULT_PORTS.als}`).replace(/\/+$/, '');
  const callbackTimeoutMs = opts.callbackTimeoutMs ?? 30_000;

  warmSdkValidators();
  warmValidators(INBOUND_SCHEMAS);

  const treasury = new Treasury({ [currency]: treasuryBalance });
  const client = new FspiopClient({ fspId, connections: opts.connections });
  const faults = new FaultRules(opts.faultRules ?? [], opts.seed ?? 1);
  const backend = { url: opts.backendUrl };
  const extensions = opts.extensions ?? {};
  const backOffice = new BackOffice(backend, log, extensions.backendReportRetries ? 4 : 1);
  const extensionUses: Record<string, number> = {};
  const noteExtension = (name: string): void => { extensionUses[name] = (extensionUses[name] ?? 0) + 1; };
  const violations: Violation[] = [];
  const answerProblems: AnswerProblem[] = [];
  const validateResponses = opts.validateResponses ?? true;
  const service = new PayerService({
    fspId, switchUrl, alsUrl, callbackTimeoutMs,
    stageTimeoutsMs: { party: callbackTimeoutMs, quote: callbackTimeoutMs, fulfil: callbackTimeoutMs, ...(opts.stageTimeoutsMs ?? {}) },
    transferExpiryMs: opts.transferExpiryMs ?? callbackTimeoutMs,
    autoAcceptParty: opts.autoAcceptParty ?? true,
    autoAcceptQuote: opts.autoAcceptQuote ?? true,
    lookupConcurrency: opts.lookupConcurrency ?? 256,
    bulkConcurrency: opts.bulkConcurrency ?? 8,
    extensions: { bulkAutoAcceptQuote: extensions.bulkAutoAcceptQuote, bulkHomeTransactionIdDedup: extensions.bulkHomeTransactionIdDedup },
  }, client, treasury, describeError, log, {
    report: (txn, body) => {
      if (validateResponses) {
        const problem = sdkProblem('backend:bulkTransactionResponse', body);
        if (problem) {
          answerProblems.push({ at: new Date().toISOString(), method: 'PUT', path: `/bulkTransactions/${txn.bulkTransactionId}`, status: 0,
            schema: 'backend:bulkTransactionResponse', problem });
          log.error({ bulkTransactionId: txn.bulkTransactionId, problem }, 'bulk transaction report does not match the SDK spec');
        }
      }
      backOffice.send(txn, body);
    },
    noteExtension,
    // rules with match.method "SEND" force an FSPIOP error on a transfer before it leaves
    forcedError: (ctx) => {
      if (faults.size === 0) return undefined;
      const a = faults.evaluate({ resource: ctx.resource, method: 'SEND', amount: ctx.amount, partyId: ctx.partyId }).find((x) =>
        x.type === 'error');
      return a && a.type === 'error' ? { errorCode: a.errorCode, errorDescription: a.errorDescription ?? describeError(a.errorCode) }
        : undefined;
    },
  });

  const outbound = Hapi.server({ port: opts.port ?? DEFAULT_PORTS.payerOutbound, host, routes:
    { payload: { maxBytes: 20 * 1024 * 1024 } } });
  const inbound = Hapi.server({ port: opts.inboundPort ?? DEFAULT_PORTS.payerInbound, host, routes:
    { payload: { maxBytes: FSPIOP_MAX_BODY } } });
  fspiopPayloadErrors(inbound);
  serveSimulatorMetrics(fspId, [[outbound, 'sdk-outbound'], [inbound, 'fspiop']]);
  inbound.route({ method: 'GET', path: '/health', handler: () => ({ status: 'OK', fspId }) });
  registerInbound(inbound, client, violations, faults);
  registerOutbound(outbound, { service, faults, violations, log, backend, validateResponses, answerProblems, extensions, extensionUses,
    profile: opts.profile ?? { name: 'current' } });

  await inbound.start();
  try {
    await outbound.start();
  } catch (err) {
    await inbound.stop();
    throw err;
  }
  const shownHost = (h: string | undefined) => (h === '0.0.0.0' || !h ? '127.0.0.1' : h);
  const url = `http://${shownHost(outbound.info.host)}:${outbound.info.port}`;
  const inboundUrl = `http://${shownHost(inbound.info.host)}:${inbound.info.port}`;
  let stopped = false;
  const stop = async () => {
    stopped = true;
    service.close();
    await outbound.stop({ timeout: 1000 });
    await inbound.stop({ timeout: 1000 });
    await client.close();
    await backOffice.close();
  };

  if (opts.onboard !== false) {
    const callbackBase = opts.inboundPublicUrl ?? inboundUrl;
    const onboard = () => onboardParticipant(switchUrl, fspId, callbackBase,
      { currency, netDebitCap: opts.netDebitCap ?? treasuryBalance });
    try {
      await onboard();
    } catch (err) {
      if (opts.onboard === true) {
        await stop();
        throw new Error(`payer DFSP ${fspId} could not onboard on the switch at ${switchUrl}: ${(err as Error).message}`);
      }
      // the switch may come up later (containers): keep trying in the background
      log.warn({ switchUrl, err: (err as Error).message }, 'onboarding on the switch failed; retrying in the background');
      void (async () => {
        for (let i = 0; i < 30 && !stopped; i++) {
          await sleep(2000);
          if (stopped) return;
          try {
            await onboard();
            log.info({ switchUrl }, 'onboarded on the switch');
            return;
          } catch { /* keep trying */ }
        }
        log.error({ switchUrl }, 'gave up onboarding on the switch');
      })();
    }
  }
  log.info({ url, inboundUrl, switchUrl, alsUrl, currency, treasuryBalance }, 'payer DFSP listening');

  return {
    name: fspId, fspId, url, port: outbound.info.port as number, outboundUrl: url, inboundUrl, inboundPort: inbound.info.port as number,
    service, treasury, faults, violations, answerProblems, extensionUses,
    setBackendUrl: (u) => { backend.url = u; },
    reportsIdle: () => backOffice.idle(),
    stop,
  };
}
