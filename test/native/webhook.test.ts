import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import pino from 'pino';
import { retryWithBackoff } from '../../shared/backoff';
import { HttpStatusError, isTransientHttpFailure } from '../../orchestrator/notify/retry';
import { signBody, startWebhookNotifier } from '../../orchestrator/notify/webhook';
import { toNativeBatch } from '../../orchestrator/intake/native/report';
import { FakeDisbursementService } from '../intake/fake-service';
import { batchBody, eventually, startNative, type NativeHarness } from './helpers';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: { event: string; deliveryId: string; batch: { id: string; status: string; summary: { finishedPercentage: string } } };
}

/** A webhook receiver on port 0 that answers each call with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; calls: Received[]; ok: Received[]; statuses: number[];
  close(): Promise<void> }> {
  const calls: Received[] = [];
  const ok: Received[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString('utf8'); });
    req.on('end', () => {
      const r: Received = { headers: req.headers, raw, body: JSON.parse(raw) };
      calls.push(r);
      const status = statuses.shift() ?? 200;
      if (status === 200) ok.push(r);
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/gpo`, calls, ok, statuses, close: () =>
    new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

describe('native API: webhooks', () => {
  let h: NativeHarness;
  let rx: Awaited<ReturnType<typeof receiver>> | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined as unknown as NativeHarness;
    await rx?.close();
    rx = undefined;
  });

  it('retries network errors, 5xx, 408 and 429, and gives up other 4xx at once (the backoff: test/shared/backoff.test.ts)', () => {
    assert.ok(!isTransientHttpFailure(new HttpStatusError(400, '')));
    assert.ok(isTransientHttpFailure(new HttpStatusError(408, '')));
    assert.ok(isTransientHttpFailure(new HttpStatusError(503, '')));
    assert.ok(isTransientHttpFailure(new HttpStatusError(429, '')));
  });

  it('retryWithBackoff stops at maxAttempts and at a definitive failure', async () => {
    let n = 0;
    await assert.rejects(retryWithBackoff(async () => { n++; throw new HttpStatusError(500, 'x'); },
      { policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, isRetryable: isTransientHttpFailure }), /HTTP 500/);
    assert.equal(n, 3);
    n = 0;
    await assert.rejects(retryWithBackoff(async () => { n++; throw new HttpStatusError(404, 'x'); },
      { policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, isRetryable: isTransientHttpFailure }), /HTTP 404/);
    assert.equal(n, 1);
    n = 0;
    assert.equal(await retryWithBackoff(async (a) => { n++; if (a < 2) throw new Error('flaky'); return 'ok'; },
      { policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }), 'ok');
    assert.equal(n, 2);
  });

  it('delivers progress and completion to the batch webhook, retrying after a failing first attempt, signed', async () => {
    rx = await receiver([500]);
    h = await startNative({ service: { stepSize: 2 } });
    const res = await request(h.url).post('/v1/batches').send(batchBody(6, { webhookUrl: rx.url, webhookSecret: 'sixteen-chars-secret!' }));
    assert.equal(res.status, 202);
    await h.service.settle(res.body.id);
    const final = await eventually(() => rx!.ok.find((r) => r.body.event === 'batch.completed'), 5000, 'the completion webhook');
    assert.equal(final.body.batch.id, res.body.id);
    assert.equal(final.body.batch.status, 'COMPLETED');
    assert.equal(final.body.batch.summary.finishedPercentage, '100.00');
    assert.equal(final.headers['x-gpo-event'], 'batch.completed');
    assert.equal(final.headers['x-gpo-signature'], signBody('sixteen-chars-secret!', final.raw));
    assert.ok(!final.raw.includes('sixteen-chars-secret!'), 'the secret is never sent');
    assert.equal(rx.calls[0].body.event, 'batch.progress', 'the first call was a progress event');
    assert.ok(rx.calls.length >= 2 && rx.calls[0].body.deliveryId === rx.calls[1].body.deliveryId, 'the failed delivery was retried as is');
    await h.handle.notifier.idle();
    assert.equal(rx.ok.filter((r) => r.body.event === 'batch.completed').length, 1, 'completion delivered once');
    assert.equal(h.handle.notifier.stats.failed, 0);
    assert.ok(h.handle.notifier.stats.attempts > h.handle.notifier.stats.delivered, 'a retry was counted');
  });

  it('throttles progress per batch to the latest view, and gives up after maxAttempts', async () => {
    rx = await receiver([503, 503, 503, 503]);
    const service = new FakeDisbursementService({ settle: 'manual', stepSize: 1 });
    const notifier = startWebhookNotifier({ service, config: { notify:
      { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 4, progressEveryMs: 60_000 }, seed: 3 }, logger: pino({ level: 'silent' }),
      present: toNativeBatch });
    try {
      const sub = await service.submitBatch({ source: 'native', sourceKey: 't-1', requestHash: 'h', currency: 'USD', callback:
        { kind: 'webhook', url: rx.url }, payments: [1, 2, 3, 4].map((i) =>
          ({ reference: `r${i}`, payeeIdType: 'MSISDN', payeeIdValue: `${i}`, amount: '1', currency: 'USD' })) });
      await service.settle(sub.batch.id, 3);
      // Three progress events: the first goes out at once (and fails 4 times: given up), the other two wait for the
      // 60 s throttle window, folded into one.
      await eventually(() => notifier.stats.failed === 1, 5000, 'the progress delivery to be given up');
      assert.deepEqual(rx.calls.map((c) => c.body.event), ['batch.progress', 'batch.progress', 'batch.progress', 'batch.progress']);
      // The end supersedes the waiting progress event: the completion goes out at once.
      await service.settle(sub.batch.id);
      await notifier.idle();
      assert.deepEqual(rx.calls.map((c) => c.body.event), ['batch.progress', 'batch.progress', 'batch.progress', 'batch.progress',
        'batch.completed']);
      assert.equal(rx.calls[4].body.batch.status, 'COMPLETED');
      assert.equal(notifier.stats.failed, 1);
      assert.equal(notifier.stats.delivered, 1);
    } finally {
      await notifier.stop();
    }
  });

  it('a completion supersedes a progress event still being retried', async () => {
    rx = await receiver([503, 503, 503, 503, 503, 503]);
    const service = new FakeDisbursementService({ settle: 'manual', stepSize: 1 });
    // Long backoff: the progress delivery would take seconds to exhaust its attempts.
    const notifier = startWebhookNotifier({ service, config: { notify:
      { maxAttempts: 6, baseDelayMs: 2000, maxDelayMs: 2000, progressEveryMs: 0 } }, logger: pino({ level: 'silent' }),
      present: toNativeBatch });
    try {
      const sub = await service.submitBatch({ source: 'native', sourceKey: 't-2', requestHash: 'h', currency: 'USD', callback:
        { kind: 'webhook', url: rx.url }, payments: [1, 2].map((i) => ({ reference: `r${i}`, payeeIdType: 'MSISDN', payeeIdValue: `${i}`,
          amount: '1', currency: 'USD' })) });
      await service.settle(sub.batch.id, 1);
      await eventually(() => rx!.calls.length === 1 || undefined, 5000, 'the first progress attempt');
      rx.calls.length = 0;
      rx.statuses.length = 0;
      await service.settle(sub.batch.id);
      await notifier.idle();
      assert.equal(rx.calls.filter((c) => c.body.event === 'batch.progress').length, 0, 'the progress event was abandoned');
      assert.ok(rx.calls.some((c) => c.body.event === 'batch.completed'));
    } finally {
      await notifier.stop();
    }
  });

  it('sends nothing for batches without a webhook', async () => {
    rx = await receiver();
    h = await startNative();
    const res = await request(h.url).post('/v1/batches').send(batchBody(2));
    await h.service.settle(res.body.id);
    await h.handle.notifier.idle();
    assert.equal(rx.calls.length, 0);
    assert.equal(h.handle.notifier.stats.attempts, 0);
  });
});
