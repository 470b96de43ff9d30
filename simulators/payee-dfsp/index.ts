/**
 * Payee DFSP simulator: one per FSP id. Speaks FSPIOP v1.1 to the hub (quotes, transfers, bulk) and the ALS
 * (parties), answers 202 then calls back, honours idempotency, applies fault rules, keeps a ledger.
 */
import Hapi, { Request, ResponseToolkit, ResponseObject } from '@hapi/hapi';
import type { Logger } from 'pino';
import { DEFAULT_PORTS, RunningServer } from '../../shared/server';
import { componentLogger, maskId } from '../../shared/logger';
import { defaultPayeeConfig, PayeeDfspConfig } from './config';
import { payeeAdminPlugin } from './admin';
import { PayeeCore, PayeeError } from './domain/payee';
import type {
  BulkQuotesPostRequest, BulkTransfersPostRequest, QuotesPostRequest, TransfersIDPatchResponse, TransfersPostRequest,
} from './domain/payee';
import {
  answerVersion, checkBody, checkHeaders, describeError, errorBody, FSPIOP_MAX_BODY, fspiopHeaders, fspiopPayloadErrors, FspiopResource,
  HeaderProblem, PeerClient, warmValidators,
} from './edge';
import { decodeIlpPacket, transactionFromPacket } from '../fspiop/ilp';
import { callbackDelay, FaultAction, FaultItem, FaultRule, FaultRules } from './faults';
import { ruleAdminRoutes } from '../rules';
import { Outbound, PayeeService } from './service';
import type { Violation } from '../fspiop/validate';
import type { SentMessage } from '../fspiop/http';
import { serveSimulatorMetrics } from '../metrics';
import { ErrorCode, codeForHttpStatus } from '../../shared/fspiop-errors';

export interface PayeeDfspOptions extends Partial<PayeeDfspConfig> {
  port?: number;
  host?: string;
  /** Where quote/transfer/bulk callbacks go (the switch); default http://127.0.0.1:4030. */
  hubUrl?: string;
  /** Where PUT /parties callbacks go (the ALS, or the switch if it proxies parties); default http://127.0.0.1:4040. */
  alsUrl?: string;
  faultRules?: FaultRule[];
  seed?: number;
  logger?: Logger;
}

export type { Violation };

export type SentCallback = SentMessage;

export interface RunningPayeeDfsp extends RunningServer {
  readonly fspId: string;
  readonly core: PayeeCore;
  readonly service: PayeeService;
  readonly faults: FaultRules;
  readonly violations: Violation[];
  /** The last callbacks sent (up to 10,000, oldest first), for diagnosis. */
  readonly sent: SentCallback[];
  setHubUrl(url: string): void;
  setAlsUrl(url: string): void;
  /** Resolves when no callback is pending (queued, delayed or in flight). */
  idle(): Promise<void>;
}

const SCHEMAS = [
  'QuotesPostRequest', 'TransfersPostRequest', 'BulkQuotesPostRequest', 'BulkTransfersPostRequest',
  'ErrorInformationObject', 'QuotesIDPutResponse', 'TransfersIDPutResponse', 'BulkQuotesIDPutResponse',
  'BulkTransfersIDPutResponse', 'PartiesTypeIDPutResponse',
];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

export async function startPayeeDfsp(opts: PayeeDfspOptions = {}): Promise<RunningPayeeDfsp> {
  const fspId = opts.fspId ?? 'payeefsp1';
  const base = defaultPayeeConfig(fspId);
  const cfg: PayeeDfspConfig = {
    fspId,
    currencies: opts.currencies ?? base.currencies,
    parties: opts.parties ?? base.parties,
    partyRules: opts.partyRules ?? base.partyRules,
    fees: opts.fees ?? base.fees,
    ilpSecret: opts.ilpSecret ?? base.ilpSecret,
    ilpVersion: opts.ilpVersion ?? base.ilpVersion,
    quoteTtlMs: opts.quoteTtlMs ?? base.quoteTtlMs,
    answeringMode: opts.answeringMode ?? base.answeringMode,
  };
  const log = opts.logger ?? componentLogger('payee-dfsp', { fspId });
  const core = new PayeeCore(cfg);
  const service = new PayeeService(core, describeError);
  const faults = new FaultRules(opts.faultRules ?? [], opts.seed ?? 1);
  const client = new PeerClient();
  let hubUrl = (opts.hubUrl ?? `http://127.0.0.1:${DEFAULT_PORTS.switch}`).replace(/\/+$/, '');
  let alsUrl = (opts.alsUrl ?? `http://127.0.0.1:${DEFAULT_PORTS.als}`).replace(/\/+$/, '');
  const violations: Violation[] = [];
  const SENT_KEEP = 10_000;
  const sent: SentCallback[] = [];
  let sentNext = 0;
  let pending = 0;
  let idleWaiters: Array<() => void> = [];
  warmValidators(SCHEMAS);

  const server = Hapi.server({
    port: opts.port ?? DEFAULT_PORTS.payeeFirst,
    host: opts.host ?? '127.0.0.1',
    routes: { payload: { maxBytes: FSPIOP_MAX_BODY } },
  });
  fspiopPayloadErrors(server);
  serveSimulatorMetrics(fspId, [[server, 'fspiop']]);
  await server.register({ plugin: payeeAdminPlugin, options: { core } });

  const sweeper = setInterval(() => core.sweep(), 10_000);
  sweeper.unref();

  function violation(req: Request, p: HeaderProblem): ResponseObject {
    const v: Violation = {
      at: new Date().toISOString(), method: req.method.toUpperCase(), path: req.path,
      source: req.headers['fspiop-source'] as string | undefined, errorCode: p.body.errorInformation.errorCode, detail:
        p.body.errorInformation.errorDescription,
    };
    violations.push(v);
    if (violations.length > 10_000) violations.shift();
    log.warn({ violation: v }, 'FSPIOP request refused');
    return undefined as unknown as ResponseObject;
  }

  /** Header + body checks; returns the sync error response, or undefined when the request is acceptable. */
  function refuse(req: Request, h: ResponseToolkit, resource: FspiopResource, schema: string | undefined,
    isCallback: boolean): ResponseObject | undefined {
    const hasBody = schema !== undefined;
    const problem = checkHeaders(req.headers, resource, { hasBody, isCallback })
      ?? (schema ? checkBody(schema, req.payload) : undefined);
    if (!problem) return undefined;
    violation(req, problem);
    return h.response(problem.body).code(problem.status);
  }

  function settle(): void {
    if (--pending === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
    }
  }

  async function send(out: Outbound, version: string): Promise<void> {
    const url = (out.target === 'als' ? alsUrl : hubUrl) + out.path;
    const rec: SentCallback = { at: Date.now(), method: 'PUT', url, isError: out.isError };
    try {
      rec.status = await client.send('PUT', url, fspiopHeaders(out.resource, fspId, out.destination, true, version), out.body);
      if (rec.status >= 400) log.warn({ url, status: rec.status }, 'callback refused by peer');
    } catch (err) {
      rec.error = (err as Error).message;
      log.warn({ url, err: rec.error }, 'callback could not be delivered');
    }
    // a ring: constant work per callback however long the run
    if (sent.length < SENT_KEEP) sent.push(rec);
    else sent[sentNext] = rec;
    sentNext = (sentNext + 1) % SENT_KEEP;
  }

  /**
   * Sends a callback honouring delay / no-callback / twice / late fault actions. A no-callback request is lost
   * before the payee processed it: nothing is decided, stored or credited, and nothing is sent.
   */
  function dispatch(req: Request, make: () => Outbound | undefined, actions: FaultAction[], expiration?: string): void {
    if (actions.some((a) => a.type === 'noCallback')) return;
    pending++;
    const version = answerVersion(req.headers);
    const run = async () => {
      try {
        const expiresAt = expiration ? Date.parse(expiration) : undefined;
        const delay = callbackDelay(actions, Number.isNaN(expiresAt) ? undefined : expiresAt);
        // a late callback is decided on time and only delivered late; a delay slows the decision itself
        const late = actions.some((a) => a.type === 'lateCallback');
        let out = late ? make() : undefined;
        if (delay > 0) await sleep(delay);
        if (!late) out = make();
        if (!out) return;
        await send(out, version);
        if (actions.some((a) => a.type === 'callbackTwice')) await send(out, version);
      } catch (err) {
        log.error({ err }, 'payee processing failed');
      } finally {
        settle();
      }
    };
    setImmediate(() => void run());
  }

  /** Sync fault actions: HTTP 500/503 or a dropped connection instead of 202. */
  function syncFault(req: Request, h: ResponseToolkit, actions: FaultAction[]): ResponseObject | symbol | undefined {
    for (const a of actions) {
      if (a.type === 'httpStatus') return h.response(errorBody(codeForHttpStatus(a.status))).code(a.status);
      if (a.type === 'dropConnection') {
        req.raw.req.socket.destroy();
        return h.abandon;
      }
    }
    return undefined;
  }

  const forcedError = (actions: FaultAction[]): PayeeError | undefined => {
    const a = actions.find((x) => x.type === 'error') as Extract<FaultAction, { type: 'error' }> | undefined;
    return a ? { errorCode: a.errorCode, errorDescription: a.errorDescription } : undefined;
  };

  /** The payee party of an ILP packet's transaction object (for party rules on transfers), if it has one. */
  const packetParty = (ilpPacket: string): string | undefined => {
    try {
      return transactionFromPacket(decodeIlpPacket(ilpPacket)).payee?.partyIdInfo?.partyIdentifier;
    } catch {
      return undefined;
    }
  };

  /**
   * Fault rules for a bulk: rules without item matchers act on the whole bulk (failBulkItems fails exactly
   * round(fraction × items) items, chosen from the seed and the bulk id); rules with item matchers (partyId,
   * minAmount, maxAmount) are evaluated per item: an error fails that item alone, any other action applies to
   * the whole bulk (once) when at least one item matches.
   */
  const bulkFaults = (
    resource: 'bulkQuotes' | 'bulkTransfers', fsp: string, bulkId: string, count: number, items: () => FaultItem[],
  ): { actions: FaultAction[]; failItems?: Map<number, PayeeError> } => {
    const actions = faults.evaluate({ resource, method: 'POST', fsp });
    let failItems: Map<number, PayeeError> | undefined;
    const share = actions.find((x) => x.type === 'failBulkItems') as Extract<FaultAction, { type: 'failBulkItems' }> | undefined;
    if (share) {
      const code = share.errorCode ?? ErrorCode.PAYEE_FSP_REJECTED_TXN;
      failItems = new Map(faults.pickItems(count, share.fraction, bulkId).map((i) => [i, { errorCode: code }]));
    }
    if (faults.hasItemRules(resource, 'POST')) {
      const seen = new Set<FaultAction>(actions);
      faults.evaluateItems({ resource, method: 'POST', fsp }, items()).forEach((itemActions, i) => {
        for (const a of itemActions) {
          if (a.type === 'error') {
            failItems ??= new Map();
            failItems.set(i, { errorCode: a.errorCode, errorDescription: a.errorDescription });
          } else if (a.type !== 'failBulkItems' && !seen.has(a)) {
            seen.add(a);
            actions.push(a);
          }
        }
      });
    }
    return { actions, failItems };
  };

  const source = (req: Request): string => String(req.headers['fspiop-source']);
  const accepted = (h: ResponseToolkit) => h.response().code(202);

  server.route([
    { method: 'GET', path: '/health', handler: () => ({ status: 'OK', fspId }) },
    {
      method: 'GET',
      path: '/parties/{Type}/{ID}/{SubId?}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'parties', undefined, false);
        if (bad) return bad;
        const p = { idType: String(req.params.Type), idValue: String(req.params.ID), subId: req.params.SubId ? String(req.params.SubId)
          : undefined };
        const actions = faults.evaluate({ resource: 'parties', method: 'GET', partyId: p.idValue, fsp: source(req) });
        const sync = syncFault(req, h, actions);
        if (sync) return sync;
        if (log.isLevelEnabled('debug')) log.debug({ party: maskId(p.idValue) }, 'party lookup');
        dispatch(req, () => service.getParty(source(req), p, forcedError(actions)), actions);
        return accepted(h);
      },
    },
    {
      method: 'POST',
      path: '/quotes',
      handler: (req, h) => {
        const bad = refuse(req, h, 'quotes', 'QuotesPostRequest', false);
        if (bad) return bad;
        const body = req.payload as QuotesPostRequest;
        const actions = faults.evaluate({ resource: 'quotes', method: 'POST', partyId: body.payee.partyIdInfo.partyIdentifier, amount:
          body.amount.amount, fsp: source(req) });
        const sync = syncFault(req, h, actions);
        if (sync) return sync;
        dispatch(req, () => service.postQuote(source(req), body, forcedError(actions)), actions, body.expiration);
        return accepted(h);
      },
    },
    {
      method: 'GET',
      path: '/quotes/{ID}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'quotes', undefined, false);
        if (bad) return bad;
        dispatch(req, () => service.getQuote(source(req), String(req.params.ID)), []);
        return accepted(h);
      },
    },
    {
      method: 'POST',
      path: '/transfers',
      handler: (req, h) => {
        const bad = refuse(req, h, 'transfers', 'TransfersPostRequest', false);
        if (bad) return bad;
        const body = req.payload as TransfersPostRequest;
        const actions = faults.size === 0 ? [] : faults.evaluate({
          resource: 'transfers', method: 'POST', partyId: packetParty(body.ilpPacket), amount: body.amount.amount, fsp: source(req),
        });
        const sync = syncFault(req, h, actions);
        if (sync) return sync;
        const wrongFulfilment = actions.some((a) => a.type === 'wrongFulfilment');
        dispatch(req, () => service.postTransfer(source(req), body, { wrongFulfilment, forced: forcedError(actions) }), actions,
          body.expiration);
        return accepted(h);
      },
    },
    {
      method: 'GET',
      path: '/transfers/{ID}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'transfers', undefined, false);
        if (bad) return bad;
        dispatch(req, () => service.getTransfer(source(req), String(req.params.ID)), []);
        return accepted(h);
      },
    },
    {
      method: 'PATCH',
      path: '/transfers/{ID}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'transfers', 'TransfersIDPutResponse', true);
        if (bad) return bad;
        const body = req.payload as TransfersIDPatchResponse;
        if (!body.completedTimestamp) {
          const p: HeaderProblem = { status: 400, body: errorBody(ErrorCode.MISSING_ELEMENT, '/completedTimestamp is required') };
          violation(req, p);
          return h.response(p.body).code(400);
        }
        service.patchTransfer(String(req.params.ID), body);
        return h.response().code(200);
      },
    },
    {
      method: 'PUT',
      path: '/transfers/{ID}/error',
      handler: (req, h) => {
        const bad = refuse(req, h, 'transfers', 'ErrorInformationObject', true);
        if (bad) return bad;
        const e = (req.payload as { errorInformation: { errorCode: string; errorDescription: string } }).errorInformation;
        service.transferError(String(req.params.ID), e.errorCode, e.errorDescription);
        return h.response().code(200);
      },
    },
    {
      // the hub aborted a bulk transfer (expiry, payer's error): every item's reservation or credit is undone
      method: 'PUT',
      path: '/bulkTransfers/{ID}/error',
      handler: (req, h) => {
        const bad = refuse(req, h, 'bulkTransfers', 'ErrorInformationObject', true);
        if (bad) return bad;
        const e = (req.payload as { errorInformation: { errorCode: string; errorDescription: string } }).errorInformation;
        service.bulkTransferError(String(req.params.ID), e.errorCode, e.errorDescription);
        return h.response().code(200);
      },
    },
    {
      // the hub may tell the payee that a quote failed downstream; nothing to do but acknowledge
      method: 'PUT',
      path: '/{resource}/{ID}/error',
      handler: (req, h) => {
        const resource = String(req.params.resource);
        if (!['quotes', 'bulkQuotes'].includes(resource)) return h.response(errorBody(ErrorCode.UNKNOWN_URI)).code(404);
        const bad = refuse(req, h, resource as FspiopResource, 'ErrorInformationObject', true);
        if (bad) return bad;
        return h.response().code(200);
      },
    },
    {
      method: 'POST',
      path: '/bulkQuotes',
      handler: (req, h) => {
        const bad = refuse(req, h, 'bulkQuotes', 'BulkQuotesPostRequest', false);
        if (bad) return bad;
        const body = req.payload as BulkQuotesPostRequest;
        const { actions, failItems } = bulkFaults('bulkQuotes', source(req), body.bulkQuoteId, body.individualQuotes.length,
          () => body.individualQuotes.map((q) => ({ partyId: q.payee.partyIdInfo.partyIdentifier, amount: q.amount.amount })));
        const sync = syncFault(req, h, actions);
        if (sync) return sync;
        dispatch(req, () => service.postBulkQuote(source(req), body, { forced: forcedError(actions), failItems }), actions,
          body.expiration);
        return accepted(h);
      },
    },
    {
      method: 'GET',
      path: '/bulkQuotes/{ID}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'bulkQuotes', undefined, false);
        if (bad) return bad;
        dispatch(req, () => service.getBulkQuote(source(req), String(req.params.ID)), []);
        return accepted(h);
      },
    },
    {
      method: 'POST',
      path: '/bulkTransfers',
      handler: (req, h) => {
        const bad = refuse(req, h, 'bulkTransfers', 'BulkTransfersPostRequest', false);
        if (bad) return bad;
        const body = req.payload as BulkTransfersPostRequest;
        const { actions, failItems } = bulkFaults('bulkTransfers', source(req), body.bulkTransferId, body.individualTransfers.length,
          () => body.individualTransfers.map((t) => ({ partyId: packetParty(t.ilpPacket), amount: t.transferAmount.amount })));
        const sync = syncFault(req, h, actions);
        if (sync) return sync;
        const wrongFulfilment = actions.some((a) => a.type === 'wrongFulfilment');
        dispatch(req, () => service.postBulkTransfer(source(req), body, { forced: forcedError(actions), wrongFulfilment, failItems }),
          actions, body.expiration);
        return accepted(h);
      },
    },
    {
      method: 'GET',
      path: '/bulkTransfers/{ID}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'bulkTransfers', undefined, false);
        if (bad) return bad;
        dispatch(req, () => service.getBulkTransfer(source(req), String(req.params.ID)), []);
        return accepted(h);
      },
    },
    // fault rules and violations (admin, JSON)
    ...ruleAdminRoutes(faults),
    { method: 'GET', path: '/admin/violations', handler: () => ({ violations }) },
  ]);

  await server.start();
  const port = server.info.port as number;
  const url = `http://${server.info.host === '0.0.0.0' ? '127.0.0.1' : server.info.host}:${port}`;
  log.info({ url, hubUrl, alsUrl, ilpVersion: cfg.ilpVersion, answeringMode: cfg.answeringMode }, 'payee DFSP listening');

  return {
    name: fspId,
    fspId,
    url,
    port,
    core,
    service,
    faults,
    violations,
    get sent() {
      return sent.length < SENT_KEEP ? [...sent] : [...sent.slice(sentNext), ...sent.slice(0, sentNext)];
    },
    setHubUrl: (u) => { hubUrl = u.replace(/\/+$/, ''); },
    setAlsUrl: (u) => { alsUrl = u.replace(/\/+$/, ''); },
    idle: () => (pending === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    async stop() {
      clearInterval(sweeper);
      await server.stop({ timeout: 1000 });
      await client.close();
    },
  };
}

export { PayeeCore } from './domain/payee';
export { defaultPayeeConfig, defaultOracleRules, defaultParties } from './config';
export type { FaultRule, FaultAction, FaultItem } from './faults';
