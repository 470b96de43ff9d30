/**
 * The native northbound API: batches as JSON or as a bulk CSV file, their summary, their payments page by page,
 * cancel/resume, a reconciliation report and a webhook. Thin adapter: input rules in native/schemas.ts and
 * native/csv.ts, command building in native/batch.ts, views in native/report.ts, the work in the DisbursementService.
 */
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Request, ResponseToolkit, Server, ResponseObject } from '@hapi/hapi';
import type { Logger } from 'pino';
import { newId } from '../../shared/ids';
import { BatchStatus, type BatchSource, type BatchView } from '../domain/types';
import { startWebhookNotifier, type WebhookNotifier } from '../notify/webhook';
import { registerOpenApi } from '../openapi';
import { AuthFailure, seesAllPrograms } from '../security/credentials';
import { EdgeError, parseJsonText } from '../security/edge';
import { apiRoute, callerOf, limitsOf, stampOwner, visibleTo } from './access';
import type { IntakeDeps } from './deps';
import { buildFromCsv, buildFromJson, type BatchFields } from './native/batch';
import { failureSummary, reportChunks, toNativeBatch } from './native/report';
import { batchIdSchema, batchListSchema, csvQuerySchema, fieldPath, idempotencyKeySchema, joiErrors, MAX_BATCH_PAGE, paymentsQuerySchema,
  type NativeErrorBody } from './native/schemas';

const FINAL_BATCH: ReadonlySet<BatchStatus> = new Set([BatchStatus.COMPLETED, BatchStatus.PARTIALLY_COMPLETED, BatchStatus.FAILED,
  BatchStatus.CANCELLED]);
const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/comma-separated-values']);
const gunzipAsync = promisify(gunzip);

export interface NativeApiHandle {
  notifier: WebhookNotifier;
}

function fail(h: ResponseToolkit, status: number, body: NativeErrorBody): ResponseObject {
  return h.response(body).code(status).takeover();
}

/** Any hapi error on a native route (bad payload size, unknown media type, a crash) in the native error format. */
function nativeErrors(log: Logger) {
  return (request: Request, h: ResponseToolkit) => {
    const res = request.response as unknown as { isBoom?: boolean; output?: { statusCode: number; headers?: Record<string, string
      | number> }; message?: string; data?: { gpoCode?: string } | null };
    if (!res || !res.isBoom) return h.continue;
    const status = res.output?.statusCode ?? 500;
    if (status >= 500) log.error({ err: res, path: request.path }, 'native API request failed');
    const errorCode = res.data?.gpoCode ?? (status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE'
      : status === 404 ? 'NOT_FOUND' : status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
    const message = status >= 500 ? 'the request could not be processed; nothing was changed by this error' : res.message ?? 'bad request';
    const out = h.response({ errorCode, message } satisfies NativeErrorBody).code(status);
    for (const [k, v] of Object.entries(res.output?.headers ?? {})) if (/^(retry-after|www-authenticate|allow)$/i.test(k)) out.header(k,
      String(v));
    return out;
  };
}

/**
 * The service re-checks what it is given (control totals, duplicate payees, ...) and throws a refusal carrying
 * `problems` ({code, message, positions?}). Shown in this API's format; anything else is a fault (500).
 */
export function serviceRefusal(err: unknown): NativeErrorBody | undefined {
  const e = err as { name?: string; problems?: Array<{ code?: string; message?: string; positions?: number[] }> } | undefined;
  if (!e || e.name !== 'BatchRejected' || !Array.isArray(e.problems)) return undefined;
  const errors = e.problems.flatMap((p) => {
    const code = p.code ?? 'INVALID';
    const message = p.message ?? 'refused';
    return p.positions?.length ? p.positions.slice(0, 100).map((i) => ({ field: `payments[${i}]`, code, message }))
      : [{ field: 'body', code, message }];
  });
  return { errorCode: 'BATCH_REFUSED', message: `the batch was refused; nothing was stored: ${e.problems.map((p) => p.message).join('; ')}`,
    errors };
}

function mediaType(request: Request): string {
  return String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

export function registerNativeApi(server: Server, deps: IntakeDeps): NativeApiHandle {
  const { service, config } = deps;
  const log = deps.logger.child({ module: 'native-api' });
  const ext = { onPreResponse: { method: nativeErrors(log) } };
  const webhookSecret = config.webhookSecret;
  const notifier = startWebhookNotifier({ service, config, logger: deps.logger, present: toNativeBatch, secret: webhookSecret || undefined,
    journal: deps.journal, outbox: deps.outbox, crash: deps.crash });
  server.ext('onPreStop', async () => {
    await notifier.stop();
  });
  // The document describing all three northbound APIs rides with the native one (idempotent if also registered elsewhere).
  registerOpenApi(server);

  const batchIdOr400 = (request: Request, h: ResponseToolkit): string | ResponseObject => {
    const id = request.params.id as string;
    const { error } = batchIdSchema.validate(id);
    if (error) return fail(h, 400, { errorCode: 'VALIDATION_FAILED', message: 'the batch id is not valid', errors:
      [{ field: 'id', code: 'INVALID_FORMAT', message:
        'a batch id is the UUID the submission answered with, not the batch reference; GET /v1/batches?idempotencyKey= finds it' }] });
    return id;
  };
  const notFound = (h: ResponseToolkit, id: string) => fail(h, 404, { errorCode: 'BATCH_NOT_FOUND', message: `no batch ${id}` });
  const limits = limitsOf(deps);
  const maxBytes = limits.maxBodyBytes.native;
  const route = (scope: 'batches:submit' | 'batches:read' | 'batches:operate', audit?: string) =>
    ({ ...apiRoute(deps, 'native', scope, { audit }), ext });
  /** The batch when the caller may see it (a batch of another program is reported as not found). */
  const visibleBatch = async (request: Request, id: string) => {
    const batch = await service.getBatch(id);
    return visibleTo(request, batch) ? batch : undefined;
  };
  /** The batch a route's {id} names, or the answer to give instead (400 bad id, 404 no such batch). */
  const batchOrAnswer = async (request: Request, h: ResponseToolkit): Promise<{ id: string; batch: BatchView } | ResponseObject> => {
    const id = batchIdOr400(request, h);
    if (typeof id !== 'string') return id;
    const batch = await service.getBatch(id);
    return batch && visibleTo(request, batch) ? { id, batch } : notFound(h, id);
  };

  server.route({
    method: 'POST',
    path: '/v1/batches',
    options: {
      ...route('batches:submit'),
      payload: { parse: false, output: 'data', maxBytes, timeout: false },
      handler: async (request, h) => {
        const type = mediaType(request);
        const isCsv = CSV_TYPES.has(type);
        if (!isCsv && type !== 'application/json') {
          const form = type === 'application/x-www-form-urlencoded'
            ? ' (curl -d sends form data: add -H "Content-Type: text/csv" and send the file with --data-binary @file)' : '';
          return fail(h, 415, { errorCode: 'UNSUPPORTED_MEDIA_TYPE', message: `send the batch as application/json or text/csv, not ${type
            || 'no content type'}${form}` });
        }
        // Payment Hub EE clients name their batch with X-CorrelationID: it serves as the key when there is no other.
        const keyName = request.headers['idempotency-key'] !== undefined ? 'Idempotency-Key' : 'X-CorrelationID';
        const keyHeader = request.headers['idempotency-key'] ?? request.headers['x-correlationid'];
        if (keyHeader !== undefined && idempotencyKeySchema.validate(keyHeader).error) {
          return fail(h, 400, { errorCode: 'VALIDATION_FAILED', message: `the ${keyName} header is not valid`, errors:
            [{ field: keyName, code: 'INVALID_FORMAT', message:
              'an idempotency key is 1-256 printable ASCII characters without spaces' }] });
        }
        // Without a key the batch is accepted once and cannot be replayed safely: callers should always send one.
        const sourceKey = (keyHeader as string | undefined) ?? newId();
        const opts = { sourceKey, duplicatePayees: config.duplicatePayees, maxPayments: limits.maxPaymentsPerBatch, maxCsvErrors:
          limits.maxCsvErrors };
        const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
        let raw = (request.payload as Buffer | undefined) ?? Buffer.alloc(0);
        if (encoding === 'gzip') {
          try {
            raw = await gunzipAsync(raw, { maxOutputLength: maxBytes });
          } catch (err) {
            if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
              return fail(h, 413, { errorCode: 'PAYLOAD_TOO_LARGE', message:
                `the body is larger than ${maxBytes} bytes once decompressed` });
            }
            return fail(h, 400, { errorCode: 'MALFORMED_BODY', message:
              `the gzip body cannot be decompressed: ${(err as Error).message}` });
          }
        } else if (encoding !== 'identity') {
          return fail(h, 415, { errorCode: 'UNSUPPORTED_MEDIA_TYPE', message:
            `content encoding ${encoding} is not supported; send identity or gzip` });
        }
        let built;
        if (isCsv) {
          const q = { ...request.query } as Record<string, unknown>;
          const callbackHeader = request.headers['x-callbackurl'];
          if (callbackHeader && q.webhookUrl === undefined) q.webhookUrl = callbackHeader;
          const { error, value } = csvQuerySchema.validate(q, { abortEarly: false, convert: true });
          if (error) {
            return fail(h, 400, { errorCode: 'VALIDATION_FAILED', message:
              'the batch parameters of the upload are not valid; nothing was stored', errors:
                joiErrors(error, (path) => ({ field: fieldPath(path) })) });
          }
          const { type: _type, ...fields } = value as Partial<BatchFields> & { type?: string };
          built = await buildFromCsv(raw.toString('utf8'), fields, opts);
        } else {
          let body: unknown;
          try {
            body = parseJsonText(raw, limits.maxJsonDepth);
          } catch (err) {
            if (!(err instanceof EdgeError)) throw err;
            return fail(h, err.status, { errorCode: err.code, message: err.message });
          }
          built = await buildFromJson(body, opts);
        }
        if (!built.ok) {
          log.info({ idempotencyKey: sourceKey, errorCode: built.body.errorCode, errors: built.body.errorCount
            ?? built.body.errors?.length }, 'batch refused');
          return fail(h, built.status, built.body);
        }
        try {
          stampOwner(deps, request, built.command);
        } catch (err) {
          if (err instanceof AuthFailure) return fail(h, err.status, { errorCode: err.code, message: err.message });
          throw err;
        }
        let outcome;
        try {
          outcome = await service.submitBatch(built.command);
        } catch (err) {
          const refusal = serviceRefusal(err);
          if (!refusal) throw err;
          log.info({ idempotencyKey: sourceKey, errorCode: refusal.errorCode }, 'batch refused by the service');
          return fail(h, 422, refusal);
        }
        if (!visibleTo(request, outcome.batch)) {
          // The key is taken by a batch of another program: say so without showing that batch.
          return fail(h, 409, { errorCode: 'IDEMPOTENCY_CONFLICT', message:
            `Idempotency-Key ${sourceKey} is already in use; nothing was stored` });
        }
        const view = toNativeBatch(outcome.batch);
        if (outcome.outcome === 'conflict') {
          return fail(h, 409, {
            errorCode: 'IDEMPOTENCY_CONFLICT',
            message: `Idempotency-Key ${sourceKey} was already used for a different batch (${outcome.batch.id}); nothing was stored`,
            details: { batchId: outcome.batch.id },
          });
        }
        const warnings = built.duplicatePayees > 0 ? { warnings: built.warnings,
          ...(built.duplicatePayees > built.warnings.length ? { warningCount: built.duplicatePayees } : {}) } : {};
        log.info({ batchId: view.id, idempotencyKey: sourceKey, outcome: outcome.outcome, payments: view.totalCount },
          outcome.outcome === 'created' ? 'batch accepted' : 'batch replayed');
        return h.response({ ...view, ...warnings })
          .code(outcome.outcome === 'created' ? 202 : 200)
          .header('location', `/v1/batches/${encodeURIComponent(view.id)}`);
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/v1/batches',
    options: {
      ...route('batches:read'),
      handler: async (request, h) => {
        const { error, value } = batchListSchema.validate(request.query, { abortEarly: false, convert: true });
        if (error) return fail(h, 400, { errorCode: 'VALIDATION_FAILED', message: 'the query is not valid', errors:
          joiErrors(error, (path) => ({ field: fieldPath(path) })) });
        const q = value as { idempotencyKey?: string; status?: BatchStatus[]; source?: BatchSource; from?: Date; to?: Date; offset: number;
          limit: number };
        if (q.idempotencyKey !== undefined) {
          const batch = await service.findBatchBySourceKey(q.source ?? 'native', q.idempotencyKey);
          const items = visibleTo(request, batch) ? [toNativeBatch(batch)] : [];
          return { total: items.length, offset: 0, limit: q.limit, items };
        }
        const filter = { statuses: q.status, source: q.source, from: q.from?.toISOString(), to: q.to?.toISOString() };
        if (seesAllPrograms(callerOf(request))) {
          const page = await service.listBatches({ ...filter, offset: q.offset, limit: q.limit });
          return { total: page.total, offset: q.offset, limit: q.limit, items: page.items.map(toNativeBatch) };
        }
        // A client of some programs: their batches only. The store has no program index yet, so the matching
        // batches are read page by page and filtered here (batches are few; payments are not read).
        const mine: BatchView[] = [];
        for (let offset = 0; ; offset += MAX_BATCH_PAGE) {
          const page = await service.listBatches({ ...filter, offset, limit: MAX_BATCH_PAGE });
          for (const b of page.items) if (visibleTo(request, b)) mine.push(b);
          if (page.items.length < MAX_BATCH_PAGE) break;
        }
        return { total: mine.length, offset: q.offset, limit: q.limit, items: mine.slice(q.offset, q.offset + q.limit).map(toNativeBatch) };
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/v1/batches/{id}',
    options: {
      ...route('batches:read'),
      handler: async (request, h) => {
        const id = batchIdOr400(request, h);
        if (typeof id !== 'string') return id;
        const batch = await visibleBatch(request, id);
        return batch ? toNativeBatch(batch) : notFound(h, id);
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/v1/batches/{id}/payments',
    options: {
      ...route('batches:read'),
      handler: async (request, h) => {
        const id = batchIdOr400(request, h);
        if (typeof id !== 'string') return id;
        const { error, value } = paymentsQuerySchema.validate(request.query, { abortEarly: false, convert: true });
        if (error) return fail(h, 400, { errorCode: 'VALIDATION_FAILED', message: 'the query is not valid', errors:
          joiErrors(error, (path) => ({ field: fieldPath(path) })) });
        const batch = await visibleBatch(request, id);
        if (!batch) return notFound(h, id);
        const q = value as { status?: string; errorCode?: string; offset: number; limit: number };
        const page = await service.listPayments(id, { status: q.status as never, errorCode: q.errorCode, offset: q.offset, limit:
          q.limit });
        return { total: page.total, offset: q.offset, limit: q.limit, items: page.items };
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/v1/batches/{id}/failures',
    options: {
      ...route('batches:read'),
      handler: async (request, h) => {
        const found = await batchOrAnswer(request, h);
        if (!('batch' in found)) return found;
        const { id, batch } = found;
        return { batchId: id, currency: batch.currency, items: await failureSummary(service.iteratePayments(id)) };
      },
    },
  });

  server.route({
    method: 'POST',
    path: '/v1/batches/{id}/cancel',
    options: {
      ...route('batches:operate', 'batch.cancel'),
      payload: { parse: false, output: 'data', maxBytes: 64 * 1024 },
      handler: async (request, h) => {
        const found = await batchOrAnswer(request, h);
        if (!('batch' in found)) return found;
        const { id, batch } = found;
        if (batch.status === BatchStatus.CANCELLED) return toNativeBatch(batch);
        if (FINAL_BATCH.has(batch.status)) {
          return fail(h, 409,
            { errorCode: 'BATCH_FINAL', message: `batch ${id} is already ${batch.status}; there is nothing left to cancel`, details:
              { status: batch.status } });
        }
        const after = await service.cancelBatch(id);
        log.info({ batchId: id }, 'batch cancel requested');
        return after ? toNativeBatch(after) : notFound(h, id);
      },
    },
  });

  server.route({
    method: 'POST',
    path: '/v1/batches/{id}/resume',
    options: {
      ...route('batches:operate', 'batch.resume'),
      payload: { parse: false, output: 'data', maxBytes: 64 * 1024 },
      handler: async (request, h) => {
        const found = await batchOrAnswer(request, h);
        if (!('batch' in found)) return found;
        const { id, batch } = found;
        if (batch.status !== BatchStatus.PAUSED) {
          return fail(h, 409, { errorCode: 'BATCH_NOT_PAUSED', message:
            `batch ${id} is ${batch.status}; only a PAUSED batch can be resumed`, details: { status: batch.status } });
        }
        const after = await service.resumeBatch(id);
        log.info({ batchId: id }, 'batch resume requested');
        return after ? toNativeBatch(after) : notFound(h, id);
      },
    },
  });

  server.route({
    method: 'GET',
    path: '/v1/batches/{id}/report.csv',
    options: {
      ...route('batches:read'),
      handler: async (request, h) => {
        const found = await batchOrAnswer(request, h);
        if (!('batch' in found)) return found;
        const { id } = found;
        const stream = Readable.from(reportChunks(service.iteratePayments(id)), { objectMode: false });
        stream.on('error', (err) => log.error({ err, batchId: id }, 'report stream failed'));
        return h.response(stream)
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="batch-${id}.csv"`);
      },
    },
  });

  return { notifier };
}
