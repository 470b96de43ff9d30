/**
 * G2P Connect Disburse API v1.0.0 on the orchestrator.
 *   POST /disburse                 -> ACK | ERR; results later as POST {sender_uri}/on-disburse
 *   POST /disburse/sync/disburse   -> the on-disburse envelope itself, once final or after the sync window
 *   POST /disburse/txn/status      -> ACK | ERR; result as POST {sender_uri}/disburse/txn/on-status (owed in the outbox first)
 *   POST /disburse/sync/txn/status -> the on-status envelope itself
 * Idempotent on header.message_id: the same message again returns the original ACK and pays nothing again; the
 * same message_id with other content is refused with rjct.message_id.duplicate. A message with any invalid header
 * field or disbursement is refused whole (ERR, HTTP 400, every problem listed with its reject code): nothing is stored.
 */
import type { Request, ResponseObject, ResponseToolkit, Server } from '@hapi/hapi';
import { maskId } from '../../shared/logger';
import { AuthFailure } from '../security/credentials';
import { EdgeError, edgeResponse } from '../security/edge';
import { apiRoute, limitsOf, readBody, stampOwner, visibleTo } from './access';
import type { StatusRequest } from '../domain/model';
import { type BatchView } from '../domain/types';
import { JOI_OPTIONS } from './common';
import type { IntakeDeps } from './deps';
import { OnDisburseNotifier, statusAnswer, statusMessage } from './g2p-connect/on-disburse';
import { parseDisburse } from './g2p-connect/messages';
import { G2pRejection, problemsOf, rejection, txnStatusSchema, type G2pHeader } from './g2p-connect/messages';
import { ack, callbackHeader, err } from './g2p-connect/status';

export { parseDisburse, parseFinancialAddress } from './g2p-connect/messages';

// ---------------------------------------------------------------------------------------------------------------
// Transaction status lookups

interface TxnStatusEnvelope {
  header: G2pHeader;
  message: { transaction_id: string; txnstatus_request: { reference_id: string; txn_type: string; attribute_type: 'transaction_id'
    | 'reference_id_list' | 'correlation_id'; attribute_value: string | string[] } };
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

export function registerG2pConnectApi(server: Server, deps: IntakeDeps): void {
  const log = deps.logger.child({ module: 'intake-g2p-connect' });
  const notifier = new OnDisburseNotifier(deps, log);
  notifier.start();
  server.events.on('stop', () => {
    void notifier.stop();
  });

  const submitRoute = apiRoute(deps, 'g2p-connect', 'batches:submit', { body: true });
  const readRoute = apiRoute(deps, 'g2p-connect', 'batches:read', { body: true });

  /** The body, read at the edge and its signature checked; or the refusal (ERR for unreadable, NACK for signatures). */
  async function signedBody(req: Request, h: ResponseToolkit): Promise<{ ok: true; body: unknown }
    | { ok: false; response: ResponseObject }> {
    const read = readBody(req, h, deps, 'g2p-connect');
    if (!read.ok) return read;
    const verifier = deps.security?.g2pVerifier;
    if (verifier) {
      const sig = req.headers.signature;
      try {
        await verifier.verify(read.raw, read.body, typeof sig === 'string' ? sig : undefined);
      } catch (e) {
        if (!(e instanceof EdgeError)) throw e;
        log.info({ code: e.code, path: req.path }, 'G2P Connect message refused: signature');
        return { ok: false, response: edgeResponse(h, 'g2p-connect', e) };
      }
    }
    return { ok: true, body: read.body };
  }

  async function accept(req: Request, body: unknown, sync: boolean): Promise<{ rejected: G2pRejection }
    | { batch: BatchView; header: G2pHeader }> {
    const parsed = parseDisburse(body, { currency: deps.config.currency, sync, maxItems: limitsOf(deps).maxPaymentsPerBatch });
    if (!parsed.ok) {
      log.info({ code: parsed.rejection.code, problems: parsed.rejection.details.length }, 'G2P Connect disburse refused');
      return { rejected: parsed.rejection };
    }
    const cmd = parsed.command;
    try {
      stampOwner(deps, req, cmd);
    } catch (e) {
      if (e instanceof AuthFailure) return { rejected: new G2pRejection(403, 'err.request.forbidden', e.message) };
      throw e;
    }
    const submitted = await deps.service.submitBatch(cmd);
    if (submitted.outcome === 'conflict' || !visibleTo(req, submitted.batch)) {
      log.warn({ messageId: cmd.sourceKey, batchId: submitted.batch.id }, 'G2P Connect message_id reused with another message');
      return { rejected: new G2pRejection(409, 'rjct.message_id.duplicate',
        `message_id ${cmd.sourceKey} was already used for a different message; nothing was paid for this one`) };
    }
    log.info({ messageId: cmd.sourceKey, batchId: submitted.batch.id, outcome: submitted.outcome, items: cmd.payments.length, firstPayee:
      maskId(cmd.payments[0]?.payeeIdValue) }, 'G2P Connect disburse accepted');
    return { batch: submitted.batch, header: parsed.header };
  }

  server.route({
    method: 'POST',
    path: '/disburse',
    options: submitRoute,
    handler: async (req, h) => {
      const b = await signedBody(req, h);
      if (!b.ok) return b.response;
      const r = await accept(req, b.body, false);
      if ('rejected' in r) return h.response(err(r.rejected)).code(r.rejected.status);
      return h.response(ack(r.batch.id, r.batch.createdAt)).code(200);
    },
  });

  server.route({
    method: 'POST',
    path: '/disburse/sync/disburse',
    options: submitRoute,
    handler: async (req, h) => {
      const b = await signedBody(req, h);
      if (!b.ok) return b.response;
      const r = await accept(req, b.body, true);
      if ('rejected' in r) return h.response(err(r.rejected)).code(r.rejected.status);
      const batch = (await deps.service.waitForBatch(r.batch.id, deps.config.pilSyncWindowMs)) ?? r.batch;
      return h.response({
        header: callbackHeader(batch, 'on-disburse', r.header.receiver_id || 'gpo', r.header.sender_id),
        message: { ...(await statusMessage(deps.service, batch)), correlation_id: batch.id },
      }).code(200);
    },
  });

  /** Finds the batch a txn status request asks about; undefined when unknown. */
  async function findForStatus(req: Request, env: TxnStatusEnvelope): Promise<{ batch?: BatchView; references?: string[] }> {
    const found = await findForStatusOfSender(env);
    return visibleTo(req, found.batch) ? found : {};
  }

  async function findForStatusOfSender(env: TxnStatusEnvelope): Promise<{ batch?: BatchView; references?: string[] }> {
    const q = env.message.txnstatus_request;
    const senderId = env.header.sender_id;
    // The store's transaction_id index: answers after restarts too (the newest message of that transaction).
    const byTransaction = async (transactionId: string) => {
      const batch = await deps.service.findBatchByTransaction(senderId, transactionId);
      return batch?.source === 'g2p-connect' && batch.meta?.sender_id === senderId ? batch : undefined;
    };
    if (q.attribute_type === 'correlation_id') {
      const batch = await deps.service.getBatch(String(q.attribute_value));
      return { batch: batch?.source === 'g2p-connect' && batch.meta?.sender_id === senderId ? batch : undefined };
    }
    if (q.attribute_type === 'transaction_id') return { batch: await byTransaction(String(q.attribute_value)) };
    // reference_id_list: references of the transaction named by the request's own transaction_id.
    const refs = Array.isArray(q.attribute_value) ? q.attribute_value : [q.attribute_value];
    return { batch: await byTransaction(env.message.transaction_id), references: refs };
  }

  function parseTxnStatus(body: unknown, sync: boolean): { ok: true; env: TxnStatusEnvelope } | { ok: false; rejection: G2pRejection } {
    const { error } = txnStatusSchema.validate(body, JOI_OPTIONS);
    const problems = error ? problemsOf(error, body) : [];
    const header = (body as { header?: Record<string, unknown> })?.header;
    if (header && typeof header === 'object') {
      if (header.is_msg_encrypted === true) problems.push({ code: 'ERR_INVALID_ENCRYPTION', field: 'header.is_msg_encrypted', message:
        'encrypted messages are not supported' });
      if (!sync && !header.sender_uri) problems.push({ code: 'ERR_INVALID_SENDER_URI', field: 'header.sender_uri', message:
        "'sender_uri' is required: the result goes to {sender_uri}/disburse/txn/on-status" });
    }
    return problems.length ? { ok: false, rejection: rejection(problems) } : { ok: true, env: body as TxnStatusEnvelope };
  }

  const requestOf = (env: TxnStatusEnvelope, references?: string[]): Omit<StatusRequest, 'url'> => ({
    transactionId: env.message.transaction_id, senderId: env.header.sender_id, ...(env.header.receiver_id ? { receiverId:
      env.header.receiver_id } : {}), ...(references ? { references } : {}),
  });

  const notFound = (env: TxnStatusEnvelope) => new G2pRejection(404, 'rjct.reference_id.invalid',
    `no disbursement found for ${env.message.txnstatus_request.attribute_type} ` +
      `${JSON.stringify(env.message.txnstatus_request.attribute_value)}`);

  server.route({
    method: 'POST',
    path: '/disburse/txn/status',
    options: readRoute,
    handler: async (req, h) => {
      const b = await signedBody(req, h);
      if (!b.ok) return b.response;
      const parsed = parseTxnStatus(b.body, false);
      if (!parsed.ok) return h.response(err(parsed.rejection)).code(parsed.rejection.status);
      const env = parsed.env;
      const found = await findForStatus(req, env);
      if (!found.batch) return h.response(err(notFound(env))).code(404);
      const batch = found.batch;
      const url = `${env.header.sender_uri!.replace(/\/$/, '')}/disburse/txn/on-status`;
      // Owed before the ACK: with the outbox, the answer is stored first and sent even if GPO dies right after.
      await notifier.oweStatus(batch, { url, ...requestOf(env, found.references) });
      return h.response(ack(batch.id)).code(200);
    },
  });

  server.route({
    method: 'POST',
    path: '/disburse/sync/txn/status',
    options: readRoute,
    handler: async (req, h) => {
      const b = await signedBody(req, h);
      if (!b.ok) return b.response;
      const parsed = parseTxnStatus(b.body, true);
      if (!parsed.ok) return h.response(err(parsed.rejection)).code(parsed.rejection.status);
      const found = await findForStatus(req, parsed.env);
      if (!found.batch) return h.response(err(notFound(parsed.env))).code(404);
      return h.response(await statusAnswer(deps.service, requestOf(parsed.env, found.references), found.batch)).code(200);
    },
  });
}
