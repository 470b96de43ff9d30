/**
 * ALS simulator: party lookups routed through an oracle to the owning FSP and back, the participants API,
 * and an admin API to bulk-load identifier → FSP mappings (a million in seconds) and participant endpoints.
 * Endpoints come from its own registrations and/or the hub's admin API (as a real ALS reads central-ledger).
 */
import Hapi, { Request, ResponseToolkit, ResponseObject } from '@hapi/hapi';
import type { Logger } from 'pino';
import { componentLogger, maskId } from '../../shared/logger';
import { DEFAULT_PORTS, RunningServer } from '../../shared/server';
import {
  checkBody, checkHeaders, describeError, errorBody, FSPIOP_MAX_BODY, fspiopHeaders, fspiopPayloadErrors, HeaderProblem,
  PeerClient, warmValidators,
} from '../payee-dfsp/edge';
import { callbackDelay, FaultAction, FaultRule, FaultRules, ruleAdminRoutes } from '../rules';
import { defaultOracleRules, readConfigFile } from '../payee-dfsp/config';
import { ChainedEndpoints, EndpointSource, HubEndpoints, StaticEndpoints } from './endpoints';
import { Oracle, OracleEntry, OracleError, OracleRule } from './oracle';
import { AlsRouter, BatchParty, OutgoingRequest } from './router';
import { serveSimulatorMetrics } from '../metrics';
import { codeForHttpStatus } from '../../shared/fspiop-errors';

export interface AlsOptions {
  port?: number;
  host?: string;
  /** Hub admin API base URL to read participant endpoints from (central-ledger convention); default none. */
  hubAdminUrl?: string;
  /** Endpoints held by the ALS itself: fspId → base URL, or fspId → {endpointType: url template}. */
  endpoints?: Record<string, string | Record<string, string>>;
  oracleEntries?: OracleEntry[];
  /** Default: the default world's rules (`defaultOracleRules`) for payeefsp1 and payeefsp2. */
  oracleRules?: OracleRule[];
  faultRules?: FaultRule[];
  seed?: number;
  /** FSPIOP-Source on errors the ALS originates; default "switch" as in Mojaloop. */
  hubName?: string;
  logger?: Logger;
}

export interface RunningAls extends RunningServer {
  readonly oracle: Oracle;
  readonly endpoints: StaticEndpoints;
  readonly faults: FaultRules;
  readonly violations: Array<{ at: string; method: string; path: string; source?: string; errorCode: string; detail: string }>;
  /** Resolves when no forwarded request or callback is pending. */
  idle(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade']);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

function forwardable(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && typeof v === 'string') out[k] = v;
  return out;
}

export async function startAls(opts: AlsOptions = {}): Promise<RunningAls> {
  const log = opts.logger ?? componentLogger('als');
  const oracle = new Oracle(opts.oracleEntries ?? [], opts.oracleRules ?? defaultOracleRules(['payeefsp1', 'payeefsp2']));
  const own = new StaticEndpoints();
  for (const [fsp, eps] of Object.entries(opts.endpoints ?? {})) {
    if (typeof eps === 'string') own.setBase(fsp, eps);
    else for (const [t, v] of Object.entries(eps)) own.set(fsp, t, v);
  }
  const hubAdminUrl = opts.hubAdminUrl;
  const hub = hubAdminUrl ? new HubEndpoints(hubAdminUrl) : undefined;
  const source: EndpointSource = hub ? new ChainedEndpoints([own, hub]) : own;
  const faults = new FaultRules(opts.faultRules ?? [], opts.seed ?? 1);
  const client = new PeerClient();
  const violations: RunningAls['violations'] = [];
  let pending = 0;
  let idleWaiters: Array<() => void> = [];
  warmValidators(['PartiesTypeIDPutResponse', 'ErrorInformationObject', 'ParticipantsTypeIDSubIDPostRequest', 'ParticipantsPostRequest']);

  const send = async (r: OutgoingRequest): Promise<void> => {
    const headers = r.forwardHeaders
      ? { ...forwardable(r.forwardHeaders), ...(r.destination ? { 'fspiop-destination': r.destination } : {}) }
      : fspiopHeaders(r.resource, r.source, r.destination, r.method === 'PUT');
    const status = await client.send(r.method, r.url, headers, r.body);
    if (status >= 400) log.warn({ url: r.url, status }, 'peer refused an ALS request');
  };
  const router = new AlsRouter({
    oracle, endpoints: source, send, describe: describeError, hubName: opts.hubName,
    onProblem: (what, detail) => log.warn(detail, what),
  });

  const server = Hapi.server({
    port: opts.port ?? DEFAULT_PORTS.als,
    host: opts.host ?? '127.0.0.1',
    routes: { payload: { maxBytes: FSPIOP_MAX_BODY } },
  });
  fspiopPayloadErrors(server);
  serveSimulatorMetrics('als', [[server, 'fspiop']]);

  function refuse(req: Request, h: ResponseToolkit, resource: 'parties' | 'participants', schema: string | undefined, isCallback: boolean,
    requireDestination = false): ResponseObject | undefined {
    const problem: HeaderProblem | undefined = checkHeaders(req.headers, resource,
      { hasBody: schema !== undefined, isCallback, requireDestination })
      ?? (schema ? checkBody(schema, req.payload) : undefined);
    if (!problem) return undefined;
    const v = {
      at: new Date().toISOString(), method: req.method.toUpperCase(), path: req.path, source: req.headers['fspiop-source'] as string
        | undefined,
      errorCode: problem.body.errorInformation.errorCode, detail: problem.body.errorInformation.errorDescription,
    };
    violations.push(v);
    if (violations.length > 10_000) violations.shift();
    log.warn({ violation: v }, 'FSPIOP request refused');
    return h.response(problem.body).code(problem.status);
  }

  function settle(): void {
    if (--pending === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
    }
  }

  /** Runs routing work after the 202, honouring delay / no-callback / twice fault actions. */
  function later(work: () => Promise<void>, actions: FaultAction[] = []): void {
    pending++;
    setImmediate(async () => {
      try {
        const delay = callbackDelay(actions);
        if (delay > 0) await sleep(delay);
        if (actions.some((a) => a.type === 'noCallback')) return;
        await work();
        if (actions.some((a) => a.type === 'callbackTwice')) await work();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'ALS routing failed');
      } finally {
        settle();
      }
    });
  }

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

  const party = (req: Request) => ({
    idType: String(req.params.Type), idValue: String(req.params.ID), subId: req.params.SubId ? String(req.params.SubId) : undefined,
  });
  const src = (req: Request) => String(req.headers['fspiop-source']);
  const dst = (req: Request) => String(req.headers['fspiop-destination']);

  const putParty = (isError: boolean) => (req: Request, h: ResponseToolkit) => {
    const bad = refuse(req, h, 'parties', isError ? 'ErrorInformationObject' : 'PartiesTypeIDPutResponse', true, true);
    if (bad) return bad;
    const p = party(req);
    const headers = forwardable(req.headers);
    later(() => router.putParty(src(req), dst(req), p, req.payload, isError, headers));
    return h.response().code(200);
  };

  const participantsAdmin = (req: Request, h: ResponseToolkit) => {
    const body = req.payload as { entries?: OracleEntry[]; rules?: OracleRule[]; replaceRules?: boolean } | null;
    if (!body || (!Array.isArray(body.entries) && !Array.isArray(body.rules))) {
      return h.response({ error: { code: 'INVALID_ORACLE_LOAD', message:
        'expected {entries:[{idType,idValue,fspId}]} and/or {rules:[...]}' } }).code(400);
    }
    try {
      const loaded = body.entries ? oracle.loadEntries(body.entries) : 0;
      if (body.rules && body.replaceRules) oracle.setRules(body.rules);
      else if (body.rules) oracle.addRules(body.rules);
      return h.response({ loaded, size: oracle.size, rules: oracle.ruleList.length }).code(201);
    } catch (err) {
      if (err instanceof OracleError) return h.response({ error: { code: 'INVALID_ORACLE_LOAD', message: err.message } }).code(400);
      throw err;
    }
  };

  server.route([
    { method: 'GET', path: '/health', handler: () => ({ status: 'OK', oracleSize: oracle.size }) },
    {
      method: 'GET',
      path: '/parties/{Type}/{ID}/{SubId?}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'parties', undefined, false);
        if (bad) return bad;
        const p = party(req);
        const actions = faults.evaluate({ resource: 'parties', method: 'GET', partyId: p.idValue, fsp: src(req) });
        const sync = syncFault(req, h, actions);
        if (sync) return sync;
        if (log.isLevelEnabled('debug')) log.debug({ party: maskId(p.idValue), from: src(req) }, 'party lookup');
        const forced = actions.find((a) => a.type === 'error') as Extract<FaultAction, { type: 'error' }> | undefined;
        const headers = forwardable(req.headers);
        later(forced
          ? () => router.partyErrorTo(src(req), p, forced.errorCode, forced.errorDescription)
          : () => router.getParty(src(req), p, headers, req.headers['fspiop-destination'] as string | undefined), actions);
        return h.response().code(202);
      },
    },
    { method: 'PUT', path: '/parties/{Type}/{ID}', handler: putParty(false) },
    { method: 'PUT', path: '/parties/{Type}/{ID}/error', handler: putParty(true) },
    { method: 'PUT', path: '/parties/{Type}/{ID}/{SubId}', handler: putParty(false) },
    { method: 'PUT', path: '/parties/{Type}/{ID}/{SubId}/error', handler: putParty(true) },
    {
      method: 'GET',
      path: '/participants/{Type}/{ID}/{SubId?}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'participants', undefined, false);
        if (bad) return bad;
        const p = party(req);
        later(() => router.getParticipant(src(req), p));
        return h.response().code(202);
      },
    },
    {
      method: 'POST',
      path: '/participants/{Type}/{ID}/{SubId?}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'participants', 'ParticipantsTypeIDSubIDPostRequest', false);
        if (bad) return bad;
        const p = party(req);
        const body = req.payload as { fspId: string; currency?: string };
        later(() => router.postParticipant(src(req), p, body));
        return h.response().code(202);
      },
    },
    {
      method: 'DELETE',
      path: '/participants/{Type}/{ID}/{SubId?}',
      handler: (req, h) => {
        const bad = refuse(req, h, 'participants', undefined, false);
        if (bad) return bad;
        const p = party(req);
        later(() => router.deleteParticipant(src(req), p));
        return h.response().code(202);
      },
    },
    {
      method: 'POST',
      path: '/participants',
      handler: (req, h) => {
        const bad = refuse(req, h, 'participants', 'ParticipantsPostRequest', false);
        if (bad) return bad;
        const body = req.payload as { requestId: string; partyList: BatchParty[]; currency?: string };
        later(() => router.postParticipantsBatch(src(req), body));
        return h.response().code(202);
      },
    },
    // admin (JSON)
    { method: 'GET', path: '/admin/oracle', handler: () => ({ size: oracle.size, rules: oracle.ruleList }) },
    { method: 'POST', path: '/admin/oracle', options: { payload: { maxBytes: 512 * 1024 * 1024 } }, handler: participantsAdmin },
    {
      method: 'POST',
      path: '/admin/oracle/csv',
      options: { payload: { maxBytes: 512 * 1024 * 1024, parse: false, output: 'data' } },
      handler: (req, h) => {
        const raw = req.payload as Buffer;
        try {
          const loaded = oracle.loadCsv(raw.toString('utf8'));
          return h.response({ loaded, size: oracle.size }).code(201);
        } catch (err) {
          if (err instanceof OracleError) return h.response({ error: { code: 'INVALID_ORACLE_LOAD', message: err.message } }).code(400);
          throw err;
        }
      },
    },
    {
      method: 'GET',
      path: '/admin/oracle/{Type}/{ID}',
      handler: (req, h) => {
        const fspId = oracle.lookup(String(req.params.Type), String(req.params.ID));
        return fspId ? { fspId } : h.response({ error: { code: 'NOT_MAPPED', message: 'identifier not mapped' } }).code(404);
      },
    },
    {
      method: 'DELETE',
      path: '/admin/oracle',
      handler: (_req, h) => {
        oracle.clear();
        return h.response().code(204);
      },
    },
    { method: 'GET', path: '/admin/endpoints', handler: () => ({ endpoints: own.list() }) },
    {
      method: 'PUT',
      path: '/admin/endpoints/{fspId}',
      handler: (req, h) => {
        const body = req.payload as { baseUrl?: string; endpoints?: Array<{ type: string; value: string }> } | null;
        const fspId = String(req.params.fspId);
        if (body?.baseUrl && /^https?:\/\//.test(body.baseUrl)) own.setBase(fspId, body.baseUrl);
        else if (Array.isArray(body?.endpoints) && body.endpoints.every((e) => typeof e?.type === 'string'
          && typeof e?.value === 'string')) {
          for (const e of body.endpoints) own.set(fspId, e.type, e.value);
        } else return h.response({ error: { code: 'INVALID_ENDPOINTS', message:
          'expected {baseUrl} or {endpoints:[{type,value}]}' } }).code(400);
        hub?.invalidate(fspId);
        return { fspId, endpoints: own.list()[fspId] };
      },
    },
    ...ruleAdminRoutes(faults),
    { method: 'GET', path: '/admin/violations', handler: () => ({ violations }) },
  ]);

  await server.start();
  const port = server.info.port as number;
  const url = `http://${server.info.host === '0.0.0.0' ? '127.0.0.1' : server.info.host}:${port}`;
  log.info({ url, oracleSize: oracle.size, hubAdminUrl }, 'ALS listening');
  return {
    name: 'als',
    url,
    port,
    oracle,
    endpoints: own,
    faults,
    violations,
    idle: () => (pending === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    async stop() {
      await server.stop({ timeout: 1000 });
      await client.close();
      await hub?.close();
    },
  };
}

export { Oracle } from './oracle';
export type { OracleEntry, OracleRule } from './oracle';

/** Options from a YAML or JSON file (for `gpo sim als --config file`). */
export function readAlsConfigFile(file: string): Record<string, unknown> {
  return readConfigFile(file, ['port', 'host', 'hubAdminUrl', 'endpoints', 'oracleEntries', 'oracleRules', 'faultRules', 'seed',
    'hubName']);
}
