/**
 * Mapper simulator: a SPAR-like ID → financial address mapper speaking the G2P Connect Mapper API v1.0.0.
 *   POST /mapper/sync/resolve  -> the on-resolve envelope itself
 *   POST /mapper/resolve       -> ACK | ERR; the result later as POST {header.sender_uri} (the on-resolve envelope)
 *   GET /health, GET /metrics, GET|PUT|PATCH /admin/rules, GET|PUT /admin/links, GET /admin/stats
 * Batched: one message carries up to `maxItems` resolve requests, answered item by item. An id that is not linked
 * is answered as SPAR does, `status: succ` with `status_reason_code: succ.id.not_found`. Errors, latency, lost and
 * repeated callbacks come from the shared fault rules (resource `resolve`; item rules match the id as `partyId`).
 */
import Hapi from '@hapi/hapi';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { request } from 'undici';
import { SeededRandom } from '../../shared/ids';
import { componentLogger, maskId } from '../../shared/logger';
import { DEFAULT_PORTS, type RunningServer } from '../../shared/server';
import { serveSimulatorMetrics } from '../metrics';
import { callbackDelay, FaultRules, ruleAdminRoutes, type FaultAction, type FaultRule } from '../rules';
import { defaultMapperRules, formatFinancialAddress, MapperDirectory, type FaFormat, type MapperLink, type MapperRule } from './directory';

export * from './directory';

export const MAPPER_DEFAULT_PORT = DEFAULT_PORTS.mapper;
export const G2P_MAPPER_VERSION = '1.0.0';

export type MapperNotFoundCode = 'succ.id.not_found' | 'succ.fa.not_linked_to_id';

export interface MapperOptions {
  port?: number;
  host?: string;
  /** `sender_id` of what the mapper sends (default `mapper`). */
  mapperId?: string;
  /** The payee FSPs the default rules serve (default payeefsp1, payeefsp2). */
  payeeFsps?: string[];
  links?: MapperLink[];
  /** Generator rules; default `defaultMapperRules(payeeFsps)`. */
  rules?: MapperRule[];
  /** How `fa` is written: `g2p-connect` (`type:value@provider`, default) or SPAR's strategy strings. */
  faFormat?: FaFormat;
  /** The reason code for an id with no link: `succ.id.not_found` (default) or `succ.fa.not_linked_to_id` (SPAR 2.x). */
  notFoundCode?: MapperNotFoundCode;
  /** Most resolve requests one message may carry (default 10000; more: rjct.total_count.limit_exceeded). */
  maxItems?: number;
  /** Attempts to deliver an on-resolve callback (default 3), `callbackRetryMs` apart, doubling (default 200). */
  callbackAttempts?: number;
  callbackRetryMs?: number;
  callbackTimeoutMs?: number;
  faultRules?: FaultRule[];
  seed?: number;
  logger?: Logger;
}

export interface MapperStats {
  messages: number;
  items: number;
  resolved: number;
  notFound: number;
  rejected: number;
  callbacksSent: number;
  callbacksFailed: number;
}

export interface RunningMapper extends RunningServer {
  readonly directory: MapperDirectory;
  readonly faults: FaultRules;
  readonly stats: MapperStats;
  /** Resolves when no on-resolve callback is waiting or being delivered. */
  idle(): Promise<void>;
}

type Status = 'rcvd' | 'pdng' | 'succ' | 'rjct';

interface ResolveItemIn {
  reference_id?: unknown;
  timestamp?: unknown;
  id?: unknown;
  fa?: unknown;
  scope?: unknown;
  locale?: unknown;
}

export interface ResolveItemOut {
  reference_id: string;
  timestamp: string;
  id?: string;
  fa?: string;
  account_provider_info?: { name: string; code: string; subcode?: string };
  status: Status;
  status_reason_code: string;
  status_reason_message?: string;
  locale?: string;
}

interface Header {
  version?: unknown;
  message_id?: unknown;
  message_ts?: unknown;
  action?: unknown;
  sender_id?: unknown;
  sender_uri?: unknown;
  receiver_id?: unknown;
  total_count?: unknown;
}

class Rejection {
  constructor(readonly code: string, readonly message: string) {}
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
/** ISO 8601 date-time with a time zone, as G2P Connect's DateTime says. */
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const isDateTime = (v: unknown): v is string => typeof v === 'string' && DATE_TIME_RE.test(v) && !Number.isNaN(Date.parse(v));
const nonEmpty = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

export async function startMapper(opts: MapperOptions = {}): Promise<RunningMapper> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? componentLogger('mapper');
  const mapperId = opts.mapperId ?? 'mapper';
  const directory = new MapperDirectory(opts.links ?? [], opts.rules ?? defaultMapperRules(opts.payeeFsps ?? ['payeefsp1', 'payeefsp2']));
  const faFormat = opts.faFormat ?? 'g2p-connect';
  const notFoundCode = opts.notFoundCode ?? 'succ.id.not_found';
  const maxItems = opts.maxItems ?? 10_000;
  const callbackAttempts = Math.max(1, opts.callbackAttempts ?? 3);
  const callbackRetryMs = opts.callbackRetryMs ?? 200;
  const callbackTimeoutMs = opts.callbackTimeoutMs ?? 10_000;
  const faults = new FaultRules(opts.faultRules ?? [], opts.seed ?? 1);
  const random = new SeededRandom(opts.seed ?? 1);
  const stats: MapperStats = { messages: 0, items: 0, resolved: 0, notFound: 0, rejected: 0, callbacksSent: 0, callbacksFailed: 0 };
  /** message_id → hash of the message: the same id with other content is a duplicate. Bounded. */
  const seenMessages = new Map<string, string>();
  const pending = new Set<Promise<void>>();
  let stopping = false;

  const now = () => new Date().toISOString();

  function validateHeader(header: Header, count: number, async: boolean): void {
    if (header.version !== undefined && header.version !== G2P_MAPPER_VERSION) throw new Rejection('rjct.version.invalid',
      `version must be ${G2P_MAPPER_VERSION}`);
    if (!isDateTime(header.message_ts)) throw new Rejection('rjct.message_ts.invalid',
      'message_ts must be an ISO 8601 date-time with a time zone');
    if (header.action !== 'resolve') throw new Rejection('rjct.action.invalid',
      `action must be resolve, not ${JSON.stringify(header.action)?.slice(0, 40)}`);
    if (!Number.isInteger(header.total_count) || header.total_count !== count) throw new Rejection('rjct.total_count.invalid',
      `total_count must equal the ${count} resolve requests`);
    if (count > maxItems) throw new Rejection('rjct.total_count.limit_exceeded', `at most ${maxItems} resolve requests per message`);
    if (async) {
      let ok = false;
      try {
        const u = new URL(String(header.sender_uri));
        ok = u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        ok = false;
      }
      if (!ok) throw new Rejection('err.sender_uri.invalid', 'sender_uri must be the http(s) URL that receives on-resolve');
    }
  }

  /** The answer to one resolve request. */
  function resolveItem(item: ResolveItemIn, seenRefs: Set<string>, actions: readonly FaultAction[], failed: boolean,
    failCode: string): ResolveItemOut {
    const reference = nonEmpty(item.reference_id, 99) ? item.reference_id : String(item.reference_id ?? '').slice(0, 99);
    const out = (status: Status, code: string, message?: string): ResolveItemOut => {
      const r: ResolveItemOut = { reference_id: reference, timestamp: now(), status, status_reason_code: code };
      if (typeof item.id === 'string') r.id = item.id;
      if (message) r.status_reason_message = message;
      if (typeof item.locale === 'string') r.locale = item.locale;
      return r;
    };
    const reject = (code: string, message: string) => {
      stats.rejected++;
      return out('rjct', code, message);
    };
    if (!nonEmpty(item.reference_id, 99)) return reject('rjct.reference_id.invalid', 'reference_id must be a string of 1-99 characters');
    if (seenRefs.has(item.reference_id)) return reject('rjct.reference_id.duplicate',
      `reference_id ${item.reference_id} appears twice in this message`);
    seenRefs.add(item.reference_id);
    if (!isDateTime(item.timestamp)) return reject('rjct.timestamp.invalid', 'timestamp must be an ISO 8601 date-time with a time zone');
    if (item.scope !== undefined && item.scope !== 'yes_no' && item.scope !== 'details') return reject('rjct.resolve_type.not_supported',
      'scope must be yes_no or details');
    if (item.id === undefined || item.id === null || item.id === '') {
      return item.fa ? reject('rjct.resolve_type.not_supported', 'resolving a financial address without an id is not supported')
        : reject('rjct.id.invalid', 'id is required');
    }
    if (!nonEmpty(item.id, 256)) return reject('rjct.id.invalid', 'id must be a string of 1-256 characters');
    const injected = actions.find((a) => a.type === 'error');
    if (injected && injected.type === 'error') {
      const code = injected.errorCode;
      const status: Status = code.startsWith('succ.') ? 'succ' : 'rjct';
      if (status === 'rjct') stats.rejected++;
      else stats.notFound++;
      return out(status, code, injected.errorDescription ?? 'answered by a mapper fault rule');
    }
    if (failed) {
      if (failCode.startsWith('succ.')) stats.notFound++;
      else stats.rejected++;
      return out(failCode.startsWith('succ.') ? 'succ' : 'rjct', failCode, 'answered by a mapper fault rule (failBulkItems)');
    }
    const link = directory.lookup(item.id);
    if (!link) {
      stats.notFound++;
      return out('succ', notFoundCode, 'Mapping not found against given ID');
    }
    if (link.inactive) {
      stats.notFound++;
      return out('succ', 'succ.id.inactive', 'the id is inactive');
    }
    if (link.fa.inactive) {
      stats.notFound++;
      return out('succ', 'succ.fa.inactive', 'the financial address linked to the id is inactive');
    }
    stats.resolved++;
    const r = out('succ', 'succ.id.active');
    if (item.scope === 'details') {
      r.fa = formatFinancialAddress(link.fa, faFormat);
      r.account_provider_info = { name: link.fa.providerName ?? link.fa.provider, code: link.fa.provider };
      if (link.fa.branchCode) r.account_provider_info.subcode = link.fa.branchCode;
    }
    return r;
  }

  function resolveMessage(message: Record<string, unknown>, header: Header, requestActions: readonly FaultAction[]): ResolveItemOut[] {
    const items = message.resolve_request as ResolveItemIn[];
    const ctx = { resource: 'resolve', method: 'POST', fsp: typeof header.sender_id === 'string' ? header.sender_id : undefined };
    const perItem = faults.hasItemRules('resolve', 'POST')
      ? faults.evaluateItems(ctx, items.map((it) => ({ partyId: typeof it?.id === 'string' ? it.id : undefined })))
      : items.map(() => [] as FaultAction[]);
    const bulk = requestActions.find((a) => a.type === 'failBulkItems');
    const failedIdx = new Set(bulk && bulk.type === 'failBulkItems' ? faults.pickItems(items.length, bulk.fraction,
      String(message.transaction_id)) : []);
    const failCode = bulk && bulk.type === 'failBulkItems' && bulk.errorCode ? bulk.errorCode : notFoundCode;
    const seenRefs = new Set<string>();
    stats.items += items.length;
    return items.map((it, i) => resolveItem(isObject(it) ? it : {}, seenRefs, perItem[i], failedIdx.has(i), failCode));
  }

  function responseEnvelope(header: Header, transactionId: unknown, correlationId: string, results: ResolveItemOut[],
    rejection?: Rejection) {
    const h: Record<string, unknown> = {
      version: G2P_MAPPER_VERSION, message_id: random.uuid(), message_ts: now(), action: 'on-resolve',
      status: rejection ? 'rjct' : 'succ', total_count: results.length, completed_count: results.length,
      sender_id: mapperId, is_msg_encrypted: false,
    };
    if (rejection) {
      h.status_reason_code = rejection.code;
      h.status_reason_message = rejection.message;
    }
    if (typeof header.sender_id === 'string') h.receiver_id = header.sender_id;
    return { header: h, message: { transaction_id: typeof transactionId === 'string' ? transactionId : '', correlation_id: correlationId,
      resolve_response: results } };
  }

  function ack(correlationId: string, error?: { code: string; message: string }) {
    return { message: { ack_status: error ? 'ERR' : 'ACK', timestamp: now(), correlation_id: correlationId, ...(error ? { error } : {}) } };
  }

  async function deliver(url: string, body: unknown, messageId: string): Promise<void> {
    let wait = callbackRetryMs;
    for (let attempt = 1; attempt <= callbackAttempts && !stopping; attempt++) {
      try {
        const res = await request(url, {
          method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' },
          headersTimeout: callbackTimeoutMs, bodyTimeout: callbackTimeoutMs,
        });
        await res.body.dump();
        if (res.statusCode < 300) {
          stats.callbacksSent++;
          return;
        }
        log.warn({ url, status: res.statusCode, attempt, messageId }, 'on-resolve callback refused');
      } catch (err) {
        log.warn({ url, attempt, messageId, err: (err as Error).message }, 'on-resolve callback failed');
      }
      if (attempt < callbackAttempts) await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
    }
    stats.callbacksFailed++;
  }

  function track(p: Promise<void>): void {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }

  /** Reads and checks the envelope; a Rejection names the header problem, a string is a malformed body. */
  function readEnvelope(payload: unknown, async: boolean): { header: Header; message: Record<string, unknown> } | Rejection | string {
    if (!isObject(payload) || !isObject(payload.header) || !isObject(payload.message)) return 'expected {signature?, header, message}';
    const header = payload.header as Header;
    const message = payload.message;
    if (!nonEmpty(header.message_id, 128)) return 'header.message_id must be a string of 1-128 characters';
    if (!nonEmpty(header.sender_id, 256)) return 'header.sender_id must be a non-empty string';
    if (!nonEmpty(message.transaction_id, 99)) return 'message.transaction_id must be a string of 1-99 characters';
    if (!Array.isArray(message.resolve_request)) return 'message.resolve_request must be a list';
    try {
      validateHeader(header, message.resolve_request.length, async);
    } catch (err) {
      if (err instanceof Rejection) return err;
      throw err;
    }
    const hash = createHash('sha256').update(JSON.stringify(message)).digest('hex');
    const seen = seenMessages.get(header.message_id);
    if (seen !== undefined && seen !== hash) return new Rejection('rjct.message_id.duplicate',
      `message_id ${header.message_id} was used for another message`);
    if (seen === undefined) {
      if (seenMessages.size >= 10_000) seenMessages.delete(seenMessages.keys().next().value as string);
      seenMessages.set(header.message_id, hash);
    }
    return { header, message };
  }

  const server = Hapi.server({ port: opts.port ?? MAPPER_DEFAULT_PORT, host, routes: { payload: { maxBytes: 20 * 1024 * 1024 } } });
  serveSimulatorMetrics('mapper', [[server, 'mapper']]);
  const badJson = {
    failAction: (_req: Hapi.Request, h: Hapi.ResponseToolkit, err?: Error) =>
      h.response(ack(random.uuid(), { code: 'err.request.bad', message: `the body is not valid JSON: ${err?.message
        ?? ''}`.slice(0, 999) })).code(400).takeover(),
  };

  /** Fault rules on the message as a whole: transport failures answer at once (true when answered). */
  async function transportFaults(req: Hapi.Request, h: Hapi.ResponseToolkit, actions: readonly FaultAction[]): Promise<Hapi.ResponseObject
    | symbol | undefined> {
    const status = actions.find((a) => a.type === 'httpStatus');
    if (status && status.type === 'httpStatus') return h.response({ errors:
      [{ code: 'err.service.unavailable', message: 'injected by a mapper fault rule' }] }).code(status.status);
    if (actions.some((a) => a.type === 'dropConnection')) {
      req.raw.req.socket.destroy();
      return h.abandon;
    }
    return undefined;
  }

  server.route({ method: 'GET', path: '/health', handler: () => ({ status: 'UP', links: directory.linkCount, pendingCallbacks:
    pending.size }) });

  type Accepted = { actions: FaultAction[]; correlationId: string; env: { header: Header; message: Record<string, unknown> } | Rejection };

  /** What both resolve routes do first: fault rules, then the envelope read; an answer when that already decides. */
  async function accept(req: Hapi.Request, h: Hapi.ResponseToolkit, async: boolean): Promise<Accepted
    | { answer: Hapi.ResponseObject | symbol }> {
    const sender = isObject(req.payload) && isObject(req.payload.header) ? req.payload.header.sender_id : undefined;
    const actions = faults.evaluate({ resource: 'resolve', method: 'POST', fsp: typeof sender === 'string' ? sender : undefined });
    const delay = async ? 0 : callbackDelay(actions);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const answered = await transportFaults(req, h, actions);
    if (answered) return { answer: answered };
    const correlationId = random.uuid();
    const env = readEnvelope(req.payload, async);
    if (typeof env === 'string') return { answer: h.response(ack(correlationId, { code: 'err.request.bad', message: env })).code(400) };
    return { actions, correlationId, env };
  }

  /** The on-resolve envelope of an accepted message: rejected whole by an error rule, else answered item by item. */
  function onResolve(env: { header: Header; message: Record<string, unknown> }, correlationId: string, actions: readonly FaultAction[]) {
    stats.messages++;
    const refused = actions.find((a) => a.type === 'error');
    if (refused && refused.type === 'error') return responseEnvelope(env.header, env.message.transaction_id, correlationId, [],
      new Rejection(refused.errorCode, refused.errorDescription ?? 'injected by a mapper fault rule'));
    return responseEnvelope(env.header, env.message.transaction_id, correlationId, resolveMessage(env.message, env.header, actions));
  }

  server.route({
    method: 'POST',
    path: '/mapper/sync/resolve',
    options: { payload: badJson },
    handler: async (req, h) => {
      const a = await accept(req, h, false);
      if ('answer' in a) return a.answer;
      if (a.env instanceof Rejection) {
        const { header, message } = req.payload as { header: Header; message: Record<string, unknown> };
        return h.response(responseEnvelope(header, message.transaction_id, a.correlationId, [], a.env)).code(400);
      }
      const body = onResolve(a.env, a.correlationId, a.actions);
      log.debug({ transactionId: body.message.transaction_id, items: body.message.resolve_response.length }, 'sync resolve answered');
      return body;
    },
  });

  server.route({
    method: 'POST',
    path: '/mapper/resolve',
    options: { payload: badJson },
    handler: async (req, h) => {
      const a = await accept(req, h, true);
      if ('answer' in a) return a.answer;
      const { env, actions, correlationId } = a;
      if (env instanceof Rejection) {
        const code = env.code.startsWith('err.') ? env.code : 'err.request.bad';
        return h.response(ack(correlationId, { code, message: `${env.code}: ${env.message}` })).code(400);
      }
      const url = String(env.header.sender_uri);
      const body = onResolve(env, correlationId, actions);
      if (!actions.some((x) => x.type === 'noCallback')) {
        const times = actions.some((x) => x.type === 'callbackTwice') ? 2 : 1;
        const delay = callbackDelay(actions);
        track((async () => {
          if (delay > 0) await new Promise((r) => setTimeout(r, delay));
          for (let k = 0; k < times; k++) await deliver(url, body, String(body.header.message_id));
        })());
      }
      log.debug({ transactionId: env.message.transaction_id, items: body.message.resolve_response.length, sender:
        maskId(String(env.header.sender_id)) }, 'async resolve acknowledged');
      return h.response(ack(correlationId)).code(200);
    },
  });

  server.route([
    { method: 'GET', path: '/admin/stats', handler: () => ({ ...stats, pendingCallbacks: pending.size }) },
    { method: 'GET', path: '/admin/links', handler: () => ({ count: directory.linkCount, links: directory.listLinks() }) },
    {
      method: 'PUT',
      path: '/admin/links',
      handler: (req, h) => {
        const links = (req.payload as { links?: MapperLink[] } | null)?.links;
        if (!Array.isArray(links)) return h.response({ error: { code: 'INVALID_LINKS', message:
          'expected {links:[{id, fa:{kind, value, provider}}]}' } }).code(400);
        try {
          directory.replaceLinks(links);
        } catch (err) {
          return h.response({ error: { code: 'INVALID_LINK', message: (err as Error).message } }).code(400);
        }
        return { count: directory.linkCount };
      },
    },
    ...ruleAdminRoutes(faults),
  ]);

  await server.start();
  const port = server.info.port as number;
  log.info({ port, faFormat, links: directory.linkCount }, 'mapper simulator listening');
  return {
    name: 'mapper',
    url: `http://${host}:${port}`,
    port,
    directory,
    faults,
    stats,
    idle: async () => {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    stop: async () => {
      stopping = true;
      await server.stop({ timeout: 1000 });
      await Promise.allSettled([...pending]);
    },
  };
}
