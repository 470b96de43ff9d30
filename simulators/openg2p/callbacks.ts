/**
 * OpenG2P's G2P Connect callback receiver: `POST /on-disburse` (and `/on-status`), acknowledged at once, applied
 * by transaction_id and reference_id. Duplicates and late callbacks are counted, never applied twice.
 */
import Hapi from '@hapi/hapi';
import { bindHost, RunningServer } from '../../shared/server';

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
  expect(transactionId: string, apply: (items: OnDisburseItem[]) => void): void;
}

interface Envelope {
  header?: { message_id?: string };
  message?: { transaction_id?: string; disbursements_status?: OnDisburseItem[]; txnstatus_response?: { txn_status?: OnDisburseItem[] } };
}

export async function startCallbackReceiver(opts: { port?: number; host?: string } = {}): Promise<CallbackReceiver> {
  const server = Hapi.server({ port: opts.port ?? 0, host: opts.host ?? bindHost(), routes: { payload: { maxBytes: 50 * 1024 * 1024 } } });
  const handlers = new Map<string, (items: OnDisburseItem[]) => void>();
  const seen = new Set<string>();
  const received: ReceivedCallback[] = [];
  let duplicates = 0;
  let unknown = 0;
  const handle = (path: string) => (req: Hapi.Request, h: Hapi.ResponseToolkit) => {
    const env = (req.payload ?? {}) as Envelope;
    const messageId = env.header?.message_id;
    const transactionId = env.message?.transaction_id;
    const items = env.message?.disbursements_status ?? env.message?.txnstatus_response?.txn_status ?? [];
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
    expect: (id, apply) => { handlers.set(id, apply); },
    stop: async () => { await server.stop({ timeout: 1000 }); },
  };
}
