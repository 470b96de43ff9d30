/**
 * PIL simulator: the Payments Interoperability Layer of OpenG2P's demo #1 (SP Convergence PIL API v0.1.0).
 *   POST /disbursementCheck, POST /disbursement (1..1000 payees), GET /disbursement/{id}, GET /health,
 *   GET/PUT /admin/rules.
 * Each payee is routed through the directory to a payer DFSP and paid with the SDK outbound API's
 * POST /transfers (auto-accept, or PUT /transfers/{id} acceptParty/acceptQuote when the DFSP waits for them).
 * Mode 'sequential' pays one payee at a time, as the proof of concept behind demo #1 did; 'concurrent' keeps
 * `concurrency` transfers in flight. Results live in memory, in request order.
 */
import Hapi from '@hapi/hapi';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import { addMethodNotAllowed, formatBoomAnswers, fspiopCodeForStatus, readJson } from '../../shared/http-edge';
import { componentLogger, maskId } from '../../shared/logger';
import type { RunningServer } from '../../shared/server';
import { FaultRules, ruleAdminRoutes, type FaultRule } from '../rules';
import {
  checkSchema, DEFAULT_DIRECTORY, Directory, disbursementResponse, joiErrors, parseDisbursementRequest, pilError,
  sdkNote, transferOutcome, type DisbursementRecord, type PayeeRecord, type PilDirectoryEntry,
} from './domain';
import { serveSimulatorMetrics } from '../metrics';
import { ErrorCode, codeForHttpStatus } from '../../shared/fspiop-errors';

export type { PilDirectoryEntry } from './domain';

export interface PilOptions {
  port?: number;
  host?: string;
  /** The payer DFSP's SDK outbound API base URL; default http://127.0.0.1:4020. */
  payerOutboundUrl?: string;
  directory?: PilDirectoryEntry[];
  /** 'sequential' = as in demo #1 (one payee at a time); 'concurrent' = many at once (default). */
  mode?: 'sequential' | 'concurrent';
  /** Answer POST /disbursement synchronously if the batch completes within this window (ms, default 15000). */
  syncWindowMs?: number;
  /** Transfers in flight in concurrent mode (default 16). */
  concurrency?: number;
  /** The treasury's party at the payer DFSP (SDK `from`); default ACCOUNT_ID treasury. */
  payer?: { idType: string; idValue: string; displayName?: string };
  /** How long one SDK call may take (ms, default 60000); past it the payee is REJECTED with 2004. */
  requestTimeoutMs?: number;
  /** Disbursements kept in memory (oldest finished ones dropped first; default 10000). */
  maxDisbursements?: number;
  faultRules?: FaultRule[];
  seed?: number;
  logger?: Logger;
}

export interface RunningPil extends RunningServer {
  /** Transfers the PIL has asked the payer DFSP for (resends of a known disbursement ask nothing). */
  readonly stats: { disbursements: number; transfersRequested: number; completed: number; rejected: number };
}

interface Job {
  record: DisbursementRecord;
  finished: Promise<void>;
}

export async function startPil(opts: PilOptions = {}): Promise<RunningPil> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? componentLogger('pil');
  const defaultUrl = (opts.payerOutboundUrl ?? 'http://127.0.0.1:4020').replace(/\/$/, '');
  const directory = new Directory(opts.directory ?? DEFAULT_DIRECTORY);
  const mode = opts.mode ?? 'concurrent';
  const concurrency = mode === 'sequential' ? 1 : Math.max(1, opts.concurrency ?? 16);
  const syncWindowMs = opts.syncWindowMs ?? 15_000;
  const timeoutMs = opts.requestTimeoutMs ?? 60_000;
  const payer = opts.payer ?? { idType: 'ACCOUNT_ID', idValue: 'treasury' };
  const maxDisbursements = opts.maxDisbursements ?? 10_000;
  const rules = new FaultRules(opts.faultRules ?? [], opts.seed ?? 1);
  const jobs = new Map<string, Job>();
  const pools = new Map<string, Pool>();
  const stats = { disbursements: 0, transfersRequested: 0, completed: 0, rejected: 0 };

  const pool = (url: string): Pool => {
    let p = pools.get(url);
    if (!p) {
      p = new Pool(url, { connections: Math.max(4, concurrency), keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout:
        timeoutMs });
      pools.set(url, p);
    }
    return p;
  };

  async function sdk(url: string, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<{ status: number;
    body: unknown }> {
    const res = await pool(url).request({ method, path, body: body === undefined ? undefined : JSON.stringify(body), headers:
      { 'content-type': 'application/json', accept: 'application/json' } });
    const text = await res.body.text();
    let parsed: unknown;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = { message: text.slice(0, 200) }; }
    return { status: res.statusCode, body: parsed };
  }

  function finish(p: PayeeRecord, fields: Partial<PayeeRecord>): void {
    Object.assign(p, fields, { timestamp: fields.timestamp ?? new Date().toISOString() });
    if (p.status === 'COMPLETED') stats.completed++;
    else if (p.status === 'REJECTED') stats.rejected++;
  }

  /** Pays one payee: route, faults, POST /transfers, acceptances, result in place. Never throws. */
  async function pay(record: DisbursementRecord, index: number): Promise<void> {
    const p = record.payees[index];
    const route = directory.route(p.payeeIdType, p.payeeIdValue);
    if (!route) {
      finish(p, { status: 'REJECTED', errorCode: ErrorCode.PARTY_NOT_FOUND, errorDescription:
        `no route for payeeIdType ${p.payeeIdType} in the PIL directory` });
      return;
    }
    const faults = rules.evaluate({ resource: 'transfers', method: 'POST', partyId: p.payeeIdValue, amount: p.amount, fsp:
      route.entry.payerFsp });
    for (const f of faults) if (f.type === 'delay') await new Promise((r) => setTimeout(r, f.ms));
    const injected = faults.find((f) => f.type === 'error');
    if (injected && injected.type === 'error') {
      finish(p, { status: 'REJECTED', errorCode: injected.errorCode, errorDescription: injected.errorDescription
        ?? 'injected by a PIL fault rule' });
      return;
    }
    p.status = 'PENDING';
    p.timestamp = new Date().toISOString();
    const url = (route.entry.outboundUrl ?? defaultUrl).replace(/\/$/, '');
    const homeTransactionId = `${record.disbursementId}:${index}`;
    try {
      stats.transfersRequested++;
      let res = await sdk(url, 'POST', '/transfers', {
        homeTransactionId,
        from: payer,
        to: { idType: route.partyIdType, idValue: p.payeeIdValue },
        amountType: 'SEND',
        currency: p.currency,
        amount: p.amount,
        transactionType: 'TRANSFER',
        ...(sdkNote(record.note) ? { note: sdkNote(record.note) } : {}),
      });
      for (let step = 0; step < 3; step++) {
        const o = transferOutcome(res.status, res.body, p);
        if (o.kind === 'completed') {
          finish(p, { status: 'COMPLETED', transferId: o.transferId, amountDebited: o.amountDebited, amountCredited: o.amountCredited,
            timestamp: o.timestamp });
          return;
        }
        if (o.kind === 'failed') {
          finish(p, { status: 'REJECTED', transferId: o.transferId, errorCode: o.errorCode, errorDescription: o.errorDescription });
          log.info({ disbursementId: record.disbursementId, index, payee: maskId(p.payeeIdValue), errorCode: o.errorCode },
            'PIL payee rejected');
          return;
        }
        p.transferId = o.transferId;
        res = await sdk(url, 'PUT', `/transfers/${encodeURIComponent(o.transferId)}`, o.kind === 'accept-party' ? { acceptParty: true }
          : { acceptQuote: true });
      }
      finish(p, { status: 'REJECTED', errorCode: ErrorCode.INTERNAL_SERVER_ERROR, errorDescription:
        'the payer DFSP kept asking for acceptances' });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const timeout = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
      finish(p, { status: 'REJECTED', errorCode: timeout ? ErrorCode.SERVER_TIMED_OUT : ErrorCode.DESTINATION_COMMUNICATION_ERROR,
        errorDescription: `payer DFSP ${timeout ? 'timed out'
        : 'unreachable'}: ${e.message ?? String(err)}` });
      log.warn({ disbursementId: record.disbursementId, index, err: e.message }, 'PIL transfer request failed');
    }
  }

  async function run(record: DisbursementRecord): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < record.payees.length) {
        const i = next++;
        await pay(record, i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, record.payees.length) }, worker));
    record.done = true;
    log.info({ disbursementId: record.disbursementId, payees: record.payees.length, completed:
      record.payees.filter((p) => p.status === 'COMPLETED').length }, 'PIL disbursement finished');
  }

  function evictIfFull(): void {
    if (jobs.size < maxDisbursements) return;
    for (const [id, job] of jobs) {
      if (job.record.done) { jobs.delete(id); return; }
    }
  }

  const server = Hapi.server({ port: opts.port ?? 4010, host, routes: { payload: { maxBytes: 5 * 1024 * 1024 } } });
  serveSimulatorMetrics('pil', [[server, 'pil']]);
  // Bodies are read raw and parsed here: depth-limited, no prototype keys, every refusal in the PIL's format.
  const payloadFail = { parse: false, output: 'data' as const };
  const readBody = (req: Hapi.Request): { ok: true; value: unknown } | { ok: false; message: string } => {
    const r = readJson(Buffer.isBuffer(req.payload) ? req.payload : Buffer.alloc(0), 32);
    return r.ok ? r : { ok: false, message: r.message };
  };
  const malformed = (h: Hapi.ResponseToolkit, message: string) => h.response(pilError(ErrorCode.MALFORMED_SYNTAX,
    `Malformed syntax - ${message}`)).code(400);
  formatBoomAnswers(server, (request, h, b) => {
    const [code, text] = fspiopCodeForStatus(b.status);
    if (b.status >= 500) log.error({ path: request.path, err: request.response }, 'PIL simulator request failed');
    const detail = b.status >= 500 ? 'the request could not be processed' : b.status === 404 ? `no route ${request.path.slice(0, 200)}`
      : b.message.slice(0, 300);
    return h.response(pilError(code, `${text} - ${detail}`)).code(b.status);
  });

  server.route({ method: 'GET', path: '/health', handler: () => ({ status: 'UP', mode, inFlight:
    [...jobs.values()].filter((j) => !j.record.done).length }) });

  server.route({
    method: 'POST',
    path: '/disbursement',
    options: { payload: payloadFail },
    handler: async (req, h) => {
      const requestFaults = rules.evaluate({ resource: 'disbursement', method: 'POST' });
      for (const f of requestFaults) if (f.type === 'delay') await new Promise((r) => setTimeout(r, f.ms));
      const status = requestFaults.find((f) => f.type === 'httpStatus');
      if (status && status.type === 'httpStatus') return h.response(pilError(codeForHttpStatus(status.status),
        'injected by a PIL fault rule')).code(status.status);
      if (requestFaults.some((f) => f.type === 'dropConnection')) {
        req.raw.req.socket.destroy();
        return h.abandon;
      }
      const read = readBody(req);
      if (!read.ok) return malformed(h, read.message);
      const parsed = parseDisbursementRequest(read.value);
      if (!parsed.ok) return h.response(pilError(ErrorCode.VALIDATION_ERROR, `Generic validation error - ${parsed.errors.map((e) =>
        `${e.field}: ${e.message}`).slice(0, 3).join('; ')}`, parsed.errors)).code(400);
      const r = parsed.request;
      let job = jobs.get(r.disbursementId);
      if (job && job.record.hash !== r.hash) {
        return h.response(pilError(ErrorCode.MODIFIED_REQUEST,
          `Modified request - disbursementId ${r.disbursementId} was already used for a different request`)).code(409);
      }
      if (!job) {
        evictIfFull();
        const now = new Date().toISOString();
        const record: DisbursementRecord = {
          disbursementId: r.disbursementId, note: r.note, hash: r.hash, createdAt: now, done: false,
          payees: r.payees.map((p) => ({ ...p, status: 'RECEIVED', timestamp: now })),
        };
        job = { record, finished: run(record) };
        jobs.set(r.disbursementId, job);
        stats.disbursements++;
        log.info({ disbursementId: r.disbursementId, payees: r.payees.length, mode }, 'PIL disbursement received');
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([job.finished, new Promise<void>((resolve) => { timer = setTimeout(resolve, syncWindowMs); })]);
      clearTimeout(timer);
      return h.response(disbursementResponse(job.record)).code(200);
    },
  });

  server.route({
    method: 'GET',
    path: '/disbursement/{disbursementId}',
    handler: (req, h) => {
      const job = jobs.get(String(req.params.disbursementId));
      if (!job) return h.response(pilError(ErrorCode.ID_NOT_FOUND,
        `Generic ID not found - no disbursement ${req.params.disbursementId}`)).code(404);
      return disbursementResponse(job.record);
    },
  });

  server.route({
    method: 'POST',
    path: '/disbursementCheck',
    options: { payload: payloadFail },
    handler: async (req, h) => {
      const read = readBody(req);
      if (!read.ok) return malformed(h, read.message);
      const { error } = checkSchema.validate(read.value, { abortEarly: false, allowUnknown: true, convert: false });
      if (error) {
        const errors = joiErrors(error);
        return h.response(pilError(ErrorCode.VALIDATION_ERROR, `Generic validation error - ${errors.map((e) =>
          `${e.field}: ${e.message}`).slice(0,
          3).join('; ')}`, errors)).code(400);
      }
      const check = read.value as { requestId: string; payeeList: Array<{ payeeIdType: string; payeeIdValue: string }> };
      const results = new Array(check.payeeList.length);
      let next = 0;
      const worker = async () => {
        while (next < check.payeeList.length) {
          const i = next++;
          const p = check.payeeList[i];
          const base = { payeeIdType: p.payeeIdType, payeeIdValue: p.payeeIdValue };
          const route = directory.route(p.payeeIdType, p.payeeIdValue);
          if (!route) {
            results[i] = { ...base, isPayable: false, timestamp: new Date().toISOString(), errors:
              [`no route for payeeIdType ${p.payeeIdType}`] };
            continue;
          }
          try {
            const url = (route.entry.outboundUrl ?? defaultUrl).replace(/\/$/, '');
            const res = await sdk(url, 'GET', `/parties/${encodeURIComponent(route.partyIdType)}/${encodeURIComponent(p.payeeIdValue)}`);
            const party = (res.body as { party?: { body?: { name?: string;
              personalInfo?: { complexName?: { firstName?: string; lastName?: string } } } } } | undefined)?.party?.body;
            const errInfo = (res.body as { errorInformation?: { errorCode?: string; errorDescription?: string };
              party?: { body?: { errorInformation?: { errorCode?: string; errorDescription?: string } } } } | undefined);
            const e = errInfo?.errorInformation ?? errInfo?.party?.body?.errorInformation;
            if (res.status === 200 && party && !e) {
              const cn = party.personalInfo?.complexName;
              const name = party.name ?? ([cn?.firstName, cn?.lastName].filter(Boolean).join(' ') || undefined);
              results[i] = { ...base, isPayable: true, timestamp: new Date().toISOString(), ...(name ? { name } : {}), errors: [] };
            } else {
              results[i] = { ...base, isPayable: false, timestamp: new Date().toISOString(), errors:
                [`${e?.errorCode ?? res.status}: ${e?.errorDescription ?? 'party not found'}`] };
            }
          } catch (err) {
            results[i] = { ...base, isPayable: false, timestamp: new Date().toISOString(), errors:
              [`1001: payer DFSP unreachable: ${(err as Error).message}`] };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, check.payeeList.length) }, worker));
      return { requestId: check.requestId, payeeResults: results };
    },
  });

  server.route(ruleAdminRoutes(rules));
  addMethodNotAllowed(server, (request, h, path, allow) => h.response(pilError(ErrorCode.CLIENT_ERROR,
    `Generic client error - Method Not Allowed - ${request.method.toUpperCase()} is not served on ${path}; use ${allow}`)).code(405));

  await server.start();
  const port = server.info.port as number;
  log.info({ port, mode, payerOutboundUrl: defaultUrl }, 'PIL simulator listening');
  return {
    name: 'pil',
    url: `http://${host}:${port}`,
    port,
    stats,
    stop: async () => {
      await server.stop({ timeout: 1000 });
      await Promise.all([...pools.values()].map((p) => p.close().catch(() => undefined)));
    },
  };
}
