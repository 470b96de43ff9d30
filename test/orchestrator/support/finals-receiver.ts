/**
 * An upstream receiver of GPO's final notifications (native webhook batch.completed at /hook, G2P Connect final
 * on-disburse at /g2p/on-disburse) on port 0. It records every final delivery with its event id and answers 503 to
 * the ones `refuse` picks, 200 to the rest (and to everything that is not a final).
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FinalDelivery { channel: 'webhook' | 'g2p'; batchId: string; eventId: string; status: number }

export interface FinalsReceiver {
  url: string;
  finals: FinalDelivery[];
  /** Resolves once pred holds (checked now and at each final delivery). */
  until(pred: () => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startFinalsReceiver(refuse: (final: Omit<FinalDelivery, 'status'>,
  before: FinalDelivery[]) => boolean): Promise<FinalsReceiver> {
  const finals: FinalDelivery[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString('utf8'); });
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as Record<string, any>;
      let final: Omit<FinalDelivery, 'status'> | undefined;
      if (req.url === '/hook' && body.event === 'batch.completed') {
        assert.equal(req.headers['x-gpo-event-id'], body.eventId);
        final = { channel: 'webhook', batchId: body.batch.id, eventId: body.eventId };
      } else if (req.url === '/g2p/on-disburse' && ['succ', 'rjct'].includes(body.header?.status)) {
        final = { channel: 'g2p', batchId: body.message.correlation_id, eventId: body.header.message_id };
      }
      let status = 200;
      if (final) {
        status = refuse(final, finals) ? 503 : 200;
        finals.push({ ...final, status });
        waiters.splice(0).forEach((w) => w());
      }
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, finals,
    until: (pred) => new Promise<void>((resolve) => {
      const check = () => (pred() ? resolve() : waiters.push(check));
      check();
    }),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
