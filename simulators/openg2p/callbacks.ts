/**
 * OpenG2P's G2P Connect callback receiver: `POST /on-disburse` (and `/on-status`), acknowledged at once, applied
 * by transaction_id and reference_id. Duplicates and late callbacks are counted, never applied twice.
 *
 * Shapes (G2P Connect Disburse v1.0.0, as orchestrator/intake/g2p-connect.ts sends them):
 * - on-disburse: `message: {transaction_id, correlation_id?, disbursements_status: [item...]}`
 * - on-status:   `message: {transaction_id (of the status request), correlation_id?, txnstatus_response: {txn_type,
 *   txn_status: {transaction_id (of the disbursement), disbursements_status: [item...]}}}`
 */
import Hapi from '@hapi/hapi';
import { createRemoteJWKSet } from 'jose';
import { signedFieldPayload, verifyDetachedJws } from '../../shared/g2p-jws';
import type { RunningServer } from '../../shared/server';

export interface OnDisburseItem {
  reference_id: string;
  status: string;
  status_reason_code?: string;
  amount?: string;
  timestamp?: string;
}

export interface ReceivedCallback {
  at: number;
  path: string;
  transactionId?: string;
  messageId?: string;
  items: number;
}

export interface CallbackReceiver extends RunningServer {
  readonly received: ReceivedCallback[];
  /** Callbacks whose message_id had been seen already. */
  readonly duplicates: number;
  /** Callbacks for a transaction nobody expects. */
  readonly unknown: number;
  /** Callbacks refused because their signature was missing or did not verify (when checking is on). */
  readonly badSignatures: number;
  /** Callbacks whose header and field signatures both verified. */
  readonly verified: number;
  expect(transactionId: string, apply: (items: OnDisburseItem[]) => void): void;
}

/** The disbursement's status inside an on-status response. */
export interface DisburseTxnStatus {
  transaction_id?: string;
  correlation_id?: string;
  disbursements_status?: OnDisburseItem[];
}

export interface CallbackEnvelope {
  header?: { message_id?: string };
  message?: {
    transaction_id?: string;
    disbursements_status?: OnDisburseItem[];
    txnstatus_response?: { txn_type?: string; txn_status?: DisburseTxnStatus };
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The transaction a callback is about and its items: on-disburse carries them in `message`, on-status in
 * `message.txnstatus_response.txn_status` (an object, not a list). Anything else has no items.
 */
export function readCallback(path: string, body: unknown): { transactionId?: string; items: OnDisburseItem[] } {
  const message = isObject(body) && isObject(body.message) ? (body.message as NonNullable<CallbackEnvelope['message']>) : undefined;
  if (!message) return { items: [] };
  const own = typeof message.transaction_id === 'string' ? message.transaction_id : undefined;
  if (path === '/on-status') {
    const st = isObject(message.txnstatus_response) ? message.txnstatus_response.txn_status : undefined;
    if (!isObject(st)) return { transactionId: own, items: [] };
    const items = Array.isArray(st.disbursements_status) ? st.disbursements_status : [];
    return { transactionId: typeof st.transaction_id === 'string' ? st.transaction_id : own, items };
  }
  return { transactionId: own, items: Array.isArray(message.disbursements_status) ? message.disbursements_status : [] };
}

export interface CallbackReceiverOptions {
  port?: number;
  host?: string;
  /** The orchestrator's JWKS: callbacks must carry a Signature header and a signature field that verify with it. */
  senderJwksUrl?: string;
}

export async function startCallbackReceiver(opts: CallbackReceiverOptions = {}): Promise<CallbackReceiver> {
  // Bodies are kept as received: the Signature header signs those bytes, not their parsed form.
  const server = Hapi.server({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1', routes:
    { payload: { maxBytes: 50 * 1024 * 1024, output: 'data', parse: false } } });
  const jwks = opts.senderJwksUrl ? createRemoteJWKSet(new URL(opts.senderJwksUrl)) : undefined;
  let badSignatures = 0;
  let verified = 0;
  const handlers = new Map<string, (items: OnDisburseItem[]) => void>();
  const seen = new Set<string>();
  const received: ReceivedCallback[] = [];
  let duplicates = 0;
  let unknown = 0;
  /** Both signatures GPO puts on a callback: the header over the body as sent, the field over {header}+{message}. */
  const signatureOk = async (req: Hapi.Request, raw: Buffer, parsed: unknown): Promise<boolean> => {
    if (!jwks) return true;
    const body = (isObject(parsed) ? parsed : {}) as { signature?: unknown; header?: unknown; message?: unknown };
    const header = req.headers.signature;
    if (typeof header !== 'string' || typeof body.signature !== 'string') return false;
    return await verifyDetachedJws(header, [raw], jwks) && await verifyDetachedJws(body.signature, [signedFieldPayload(body)], jwks);
  };
  const handle = (path: string) => async (req: Hapi.Request, h: Hapi.ResponseToolkit) => {
    const raw = Buffer.isBuffer(req.payload) ? req.payload : Buffer.alloc(0);
    let payload: unknown;
    try {
      payload = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      return h.response({ message: { ack_status: 'ERR', timestamp: new Date().toISOString(), error:
        { code: 'err.request.bad', message: 'the body is not JSON' } } }).code(400);
    }
    if (!(await signatureOk(req, raw, payload))) {
      badSignatures++;
      return h.response({ message: { ack_status: 'NACK', timestamp: new Date().toISOString(), error:
        { code: 'err.signature.invalid', message: 'the callback signature does not verify with the orchestrator key' } } }).code(401);
    }
    if (jwks) verified++;
    const env = (payload ?? {}) as CallbackEnvelope;
    const messageId = isObject(env.header) && typeof env.header.message_id === 'string' ? env.header.message_id : undefined;
    const { transactionId, items } = readCallback(path, payload);
    received.push({ at: Date.now(), path, transactionId, messageId, items: items.length });
    if (received.length > 10_000) received.splice(0, received.length - 10_000);
    if (messageId && seen.has(messageId)) duplicates++;
    if (messageId) seen.add(messageId);
    const apply = transactionId ? handlers.get(transactionId) : undefined;
    if (apply) apply(items); else unknown++;
    return h.response({ message: { ack_status: 'ACK', timestamp: new Date().toISOString(), correlation_id: messageId ?? '' } }).code(200);
  };
  server.route({ method: 'POST', path: '/on-disburse', handler: handle('/on-disburse') });
  server.route({ method: 'POST', path: '/disburse/on-disburse', handler: handle('/on-disburse') });
  server.route({ method: 'POST', path: '/on-status', handler: handle('/on-status') });
  server.route({ method: 'POST', path: '/disburse/txn/on-status', handler: handle('/on-status') });
  server.route({ method: 'GET', path: '/health', handler: () => ({ status: 'OK' }) });
  await server.start();
  const port = server.info.port as number;
  return {
    name: 'openg2p-callbacks',
    url: `http://${server.info.host === '0.0.0.0' ? '127.0.0.1' : server.info.host}:${port}`,
    port,
    received,
    get duplicates() { return duplicates; },
    get unknown() { return unknown; },
    get badSignatures() { return badSignatures; },
    get verified() { return verified; },
    expect: (id, apply) => { handlers.set(id, apply); },
    stop: async () => { await server.stop({ timeout: 1000 }); },
  };
}
