/**
 * Small in-process fakes of just enough of the orchestrator's native and PIL-compatible APIs and of the payer DFSP's
 * SDK outbound API for the load scripts to run against, so the runner's tests need no world. Payments of a batch
 * become final at a fixed pace after submission; `failPayees` payees fail with 3204.
 */
import Hapi from '@hapi/hapi';
import { randomUUID } from 'node:crypto';

export interface FakeOptions {
  /** How many payments per second a batch finalises (default 50,000). */
  paymentsPerSecond?: number;
  /** MSISDNs ending with this suffix fail with 3204 (party not found). */
  failSuffix?: string;
  /** Extra latency on every answer (ms). */
  delayMs?: number;
  /** Native batches larger than this are refused with 422 BATCH_REFUSED. */
  refuseOver?: number;
}

interface FakeBatch {
  id: string;
  created: number;
  payees: string[];
  failed: Set<number>;
}

export interface FakeTarget {
  url: string;
  requests: Map<string, number>;
  batches: Map<string, FakeBatch>;
  stop(): Promise<void>;
}

export async function startFakeTarget(opts: FakeOptions = {}): Promise<FakeTarget> {
  const rate = opts.paymentsPerSecond ?? 50_000;
  const fails = (msisdn: string) => !!opts.failSuffix && msisdn.endsWith(opts.failSuffix);
  const server = Hapi.server({ port: 0, host: '127.0.0.1', routes: { payload: { maxBytes: 200 * 1024 * 1024 } } });
  const requests = new Map<string, number>();
  const batches = new Map<string, FakeBatch>();
  const byKey = new Map<string, FakeBatch>();
  server.ext('onRequest', async (req, h) => {
    const key = `${req.method.toUpperCase()} ${req.path.replace(/[0-9a-f-]{36}/g, '{id}')}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    return h.continue;
  });
  const progress = (b: FakeBatch) => {
    const final = Math.min(b.payees.length, Math.floor(((Date.now() - b.created) / 1000) * rate));
    let failed = 0;
    for (const i of b.failed) if (i < final) failed++;
    return { final, failed, completed: final - failed };
  };
  const view = (b: FakeBatch) => {
    const p = progress(b);
    const total = b.payees.length;
    const status = p.final < total ? 'PROCESSING' : p.failed === 0 ? 'COMPLETED' : p.completed === 0 ? 'FAILED' : 'PARTIALLY_COMPLETED';
    return {
      id: b.id, status, totalCount: total,
      byStatus: { RECEIVED: { count: total - p.final, amount: '0' }, COMPLETED: { count: p.completed, amount: '0' }, FAILED:
        { count: p.failed, amount: '0' }, CANCELLED: { count: 0, amount: '0' } },
    };
  };
  const newBatch = (id: string, payees: string[]): FakeBatch => {
    const b: FakeBatch = { id, created: Date.now(), payees, failed: new Set(payees.map((p, i) => (fails(p) ? i : -1)).filter((i) =>
      i >= 0)) };
    batches.set(id, b);
    return b;
  };

  server.route([
    { method: 'GET', path: '/health', handler: () => ({ status: 'OK' }) },
    {
      method: 'POST', path: '/v1/batches',
      handler: (req, h) => {
        const body = req.payload as { payments?: Array<{ payeeIdValue: string }> };
        if (!Array.isArray(body?.payments) || !body.payments.length) return h.response({ errorCode: 'VALIDATION_FAILED', message:
          'payments required' }).code(400);
        if (opts.refuseOver !== undefined && body.payments.length > opts.refuseOver) return h.response({ errorCode: 'BATCH_REFUSED',
          message: 'too large for this fake' }).code(422);
        // like the orchestrator: the same Idempotency-Key replays the original batch and pays nothing new
        const key = String(req.headers['idempotency-key'] ?? randomUUID());
        const known = byKey.get(key);
        if (known) return h.response(view(known)).code(200);
        const b = newBatch(randomUUID(), body.payments.map((p) => p.payeeIdValue));
        byKey.set(key, b);
        return h.response(view(b)).code(202);
      },
    },
    {
      method: 'GET', path: '/v1/batches/{id}',
      handler: (req, h) => {
        const b = batches.get(String(req.params.id));
        return b ? view(b) : h.response({ code: 'NOT_FOUND' }).code(404);
      },
    },
    {
      method: 'GET', path: '/v1/batches/{id}/payments',
      handler: (req, h) => {
        const b = batches.get(String(req.params.id));
        if (!b) return h.response({ code: 'NOT_FOUND' }).code(404);
        const items = [...b.failed].map((i) => ({ position: i, status: 'FAILED', errorCode: '3204', payeeIdValue: b.payees[i] }));
        return { total: items.length, items: items.slice(0, Number(req.query.limit ?? 1000)) };
      },
    },
    {
      method: 'POST', path: '/disbursement',
      handler: (req) => {
        const body = req.payload as { disbursementId: string; payeeList: Array<{ payeeIdValue: string }> };
        const b = newBatch(body.disbursementId, body.payeeList.map((p) => p.payeeIdValue));
        return pilView(b);
      },
    },
    {
      method: 'GET', path: '/disbursement/{id}',
      handler: (req, h) => {
        const b = batches.get(String(req.params.id));
        return b ? pilView(b) : h.response({ errorCode: '3200' }).code(404);
      },
    },
    {
      method: 'POST', path: '/transfers',
      handler: (req) => {
        const body = req.payload as { to: { idValue: string }; amount: string; currency: string };
        const transferId = randomUUID();
        if (fails(body.to.idValue)) {
          return { transferId, currentState: 'ERROR_OCCURRED', lastError:
            { httpStatusCode: 500, mojaloopError: { errorInformation: { errorCode: '3204', errorDescription: 'Party not found' } } } };
        }
        return { transferId, currentState: 'COMPLETED', fulfil: { body: { transferState: 'COMMITTED' } } };
      },
    },
    { method: 'PUT', path: '/transfers/{id}', handler: (req) => ({ transferId: String(req.params.id), currentState: 'COMPLETED' }) },
    {
      method: 'POST', path: '/bulkQuotes',
      handler: (req) => {
        const body = req.payload as { bulkQuoteId?: string; individualQuotes: Array<{ quoteId: string; to: { idValue: string };
          amount: string; currency: string }> };
        return {
          bulkQuoteId: body.bulkQuoteId ?? randomUUID(), currentState: 'COMPLETED', expiration: new Date(Date.now() + 60_000).toISOString(),
          individualQuoteResults: body.individualQuotes.map((q) => (fails(q.to.idValue)
            ? { quoteId: q.quoteId, lastError: { mojaloopError: { errorInformation:
              { errorCode: '3204', errorDescription: 'Party not found' } } } }
            : { quoteId: q.quoteId, transferAmount: { amount: q.amount, currency: q.currency }, ilpPacket:
              'AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3AxLm1lci45T2RTOF81MDdqUUZERmZlakgyOVc4bXFmNEpLMHlGTFGCAUBQU0svMS4wCk5vbmNlOiB1SXlweUYzY3pYSXBFdzVVc05TYWh3CkVuY3J5cHRpb246IG5vbmUKUGF5bWVudC1JZDogMTMyMzZhM2ItOGZhOC00MTYzLTg0NDctNGMzZWQzZGE5OGE3CgpDb250ZW50LUxlbmd0aDogMTM1CkNvbnRlbnQtVHlwZTogYXBwbGljYXRpb24vanNvbgpTZW5kZXItSWRlbnRpZmllcjogOTI4MDYzOTEKCiJ7XCJmZWVcIjowLFwidHJhbnNmZXJDb2RlXCI6XCJpbnZvaWNlXCIsXCJkZWJpdE5hbWVcIjpcImFsaWNlIGNvb3BlclwiLFwiY3JlZGl0TmFtZVwiOlwibWVyIGNoYW50XCIsXCJkZWJpdElkZW50aWZpZXJcIjpcIjkyODA2MzkxXCJ9IgA', condition: 'f5sqb7tBTWPd5Y8BDFdMm9BJR_MNI4isf8p8n4D5pHA' })),
        };
      },
    },
    {
      method: 'POST', path: '/bulkTransfers',
      handler: (req) => {
        const body = req.payload as { bulkTransferId?: string; individualTransfers: Array<{ transferId: string }> };
        return {
          bulkTransferId: body.bulkTransferId ?? randomUUID(), currentState: 'COMPLETED',
          individualTransferResults: body.individualTransfers.map((t) =>
            ({ transferId: t.transferId, fulfilment: 'mhPUT9ZAwd-BXLfeSd7-YPh46rBWRNBiTCSWjpku90s' })),
        };
      },
    },
    {
      method: 'POST', path: '/bulkTransactions',
      handler: (req) => {
        const body =
          req.payload as { bulkTransactionId: string; individualTransfers: Array<{ to: { partyIdInfo: { partyIdentifier: string } } }> };
        return {
          bulkTransactionId: body.bulkTransactionId, currentState: 'COMPLETED',
          individualTransferResults: body.individualTransfers.map((t) => (fails(t.to.partyIdInfo.partyIdentifier)
            ? { transferId: randomUUID(), lastError: { mojaloopError:
              { errorInformation: { errorCode: '3204', errorDescription: 'Party not found' } } } }
            : { transferId: randomUUID(), fulfilment: 'mhPUT9ZAwd-BXLfeSd7-YPh46rBWRNBiTCSWjpku90s' })),
        };
      },
    },
  ]);
  function pilView(b: FakeBatch) {
    const p = progress(b);
    return {
      disbursementId: b.id,
      payeeResults: b.payees.map((msisdn, i) => ({
        payeeIdType: 'MSISDN', payeeIdValue: msisdn, amount: 10, currency: 'USD', timestamp: new Date().toISOString(),
        status: i >= p.final ? 'PENDING' : b.failed.has(i) ? 'REJECTED' : 'COMPLETED',
      })),
    };
  }
  await server.start();
  return { url: `http://127.0.0.1:${server.info.port}`, requests, batches, stop: () => server.stop({ timeout: 1000 }) };
}
