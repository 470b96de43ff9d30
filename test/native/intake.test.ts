import { strict as assert } from 'node:assert';
import request from 'supertest';
import { PaymentStatus } from '../../orchestrator/domain/types';
import { batchBody, payment, startNative, type NativeHarness } from './helpers';

describe('native API: POST /v1/batches (JSON)', () => {
  let h: NativeHarness;
  afterEach(async () => { await h?.stop(); h = undefined as unknown as NativeHarness; });

  it('accepts a valid batch with 202, durable before the answer, and shows it', async () => {
    h = await startNative();
    const res = await request(h.url).post('/v1/batches').set('idempotency-key',
      'key-1').send(batchBody(3, { declaredCount: 3, declaredAmount: '31.5' }));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.id, '00000000-0000-4000-8000-000000000001');
    assert.equal(res.body.status, 'RECEIVED');
    assert.equal(res.body.reference, 'cycle-1');
    assert.equal(res.body.idempotencyKey, 'key-1');
    assert.equal(res.body.totalCount, 3);
    assert.equal(res.body.totalAmount, '31.5');
    assert.equal(res.headers.location, '/v1/batches/00000000-0000-4000-8000-000000000001');
    assert.equal(h.service.submitCalls.length, 1);
    const cmd = h.service.submitCalls[0];
    assert.equal(cmd.source, 'native');
    assert.equal(cmd.sourceKey, 'key-1');
    assert.match(cmd.requestHash, /^[0-9a-f]{64}$/);
    assert.equal(cmd.payments[0].amount, '10.5', 'amounts are normalised');
    assert.deepEqual(cmd.meta, { reference: 'cycle-1' });
    assert.equal(cmd.declaredCount, 3);
    assert.equal(cmd.declaredAmount, '31.5');

    const got = await request(h.url).get('/v1/batches/00000000-0000-4000-8000-000000000001');
    assert.equal(got.status, 200);
    assert.equal(got.body.byStatus.RECEIVED.count, 3);
    assert.equal(got.body.byStatus.RECEIVED.countPercentage, '100.00');
  });

  it('without an Idempotency-Key generates one (each such request is a new batch)', async () => {
    h = await startNative();
    const a = await request(h.url).post('/v1/batches').send(batchBody(1));
    const b = await request(h.url).post('/v1/batches').send(batchBody(1));
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.notEqual(a.body.idempotencyKey, b.body.idempotencyKey);
    assert.notEqual(a.body.id, b.body.id);
  });

  it('refuses bad fields with field-level errors and stores nothing', async () => {
    h = await startNative();
    const body = batchBody(4, { rail: 'carrier-pigeon' });
    const ps = body.payments as Record<string, unknown>[];
    ps[0].amount = 10.5;
    ps[1].amount = '-3';
    ps[2] = payment(2, { amount: '1.005', payeeIdType: 'PHONE' });
    delete ps[3].reference;
    const res = await request(h.url).post('/v1/batches').set('idempotency-key', 'bad-1').send(body);
    assert.equal(res.status, 400);
    assert.equal(res.body.errorCode, 'VALIDATION_FAILED');
    const by = new Map<string, string>(res.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]));
    assert.equal(by.get('rail'), 'NOT_ALLOWED');
    assert.equal(by.get('payments[0].amount'), 'AMOUNT_NOT_STRING');
    assert.equal(by.get('payments[1].amount'), 'AMOUNT_INVALID');
    assert.equal(by.get('payments[2].amount'), 'AMOUNT_TOO_MANY_DECIMALS');
    assert.equal(by.get('payments[2].payeeIdType'), 'NOT_ALLOWED');
    assert.equal(by.get('payments[3].reference'), 'REQUIRED');
    for (const e of res.body.errors) assert.ok(e.message.length > 5, 'every error has a readable message');
    assert.equal(h.service.submitCalls.length, 0, 'nothing stored');
  });

  it('refuses zero amounts, exponents, a currency mismatch and a reused reference', async () => {
    h = await startNative();
    const body = batchBody(4);
    const ps = body.payments as Record<string, unknown>[];
    ps[0].amount = '0';
    ps[1].amount = '1e3';
    ps[2].currency = 'EUR';
    ps[3].reference = 'p-0';
    const res = await request(h.url).post('/v1/batches').send(body);
    assert.equal(res.status, 400);
    const codes = res.body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`);
    assert.deepEqual(codes, ['payments[0].amount:AMOUNT_NOT_POSITIVE', 'payments[1].amount:AMOUNT_INVALID',
      'payments[2].currency:CURRENCY_MISMATCH', 'payments[3].reference:DUPLICATE_REFERENCE']);
    assert.equal(res.body.errors[3].duplicateOf, 'payments[0]');
    assert.equal(h.service.submitCalls.length, 0);
  });

  it('answers malformed JSON, an empty batch and a wrong content type in its own format', async () => {
    h = await startNative();
    const bad = await request(h.url).post('/v1/batches').set('content-type', 'application/json').send('{"currency": "USD", "payments": [');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errorCode, 'MALFORMED_JSON');
    const empty = await request(h.url).post('/v1/batches').send({ currency: 'USD', payments: [] });
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`), ['payments:TOO_FEW']);
    const xml = await request(h.url).post('/v1/batches').set('content-type', 'application/xml').send('<batch/>');
    assert.equal(xml.status, 415);
    assert.equal(xml.body.errorCode, 'UNSUPPORTED_MEDIA_TYPE');
    const notObject = await request(h.url).post('/v1/batches').set('content-type', 'application/json').send('[1,2]');
    assert.equal(notObject.status, 400);
    assert.equal(notObject.body.errorCode, 'VALIDATION_FAILED');
    assert.deepEqual(notObject.body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`), ['body:WRONG_TYPE']);
    assert.equal(h.service.submitCalls.length, 0);
  });

  it('checks declared control totals at the edge (422, nothing stored)', async () => {
    h = await startNative();
    const res = await request(h.url).post('/v1/batches').send(batchBody(3, { declaredCount: 4, declaredAmount: '31.49' }));
    assert.equal(res.status, 422);
    assert.equal(res.body.errorCode, 'CONTROL_TOTAL_MISMATCH');
    assert.deepEqual(res.body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`),
      ['declaredCount:COUNT_MISMATCH', 'declaredAmount:AMOUNT_MISMATCH']);
    assert.equal(res.body.details.actualCount, 3);
    assert.equal(res.body.details.actualAmount, '31.5');
    const amountOnly = await request(h.url).post('/v1/batches').send(batchBody(3, { declaredAmount: '31.50' }));
    assert.equal(amountOnly.status, 202, '31.50 equals 31.5');
    assert.equal(h.service.submitCalls.length, 1);
  });

  it('refuses duplicate payees when configured to, naming both rows', async () => {
    h = await startNative({ config: { duplicatePayees: 'reject' } });
    const body = batchBody(3);
    (body.payments as Record<string, unknown>[])[2].payeeIdValue = (body.payments as Record<string, unknown>[])[0].payeeIdValue;
    const res = await request(h.url).post('/v1/batches').send(body);
    assert.equal(res.status, 422);
    assert.equal(res.body.errorCode, 'DUPLICATE_PAYEES');
    assert.equal(res.body.errors.length, 1);
    assert.equal(res.body.errors[0].field, 'payments[2].payeeIdValue');
    assert.equal(res.body.errors[0].duplicateOf, 'payments[0]');
    assert.equal(h.service.submitCalls.length, 0);
  });

  it('accepts duplicate payees when allowed, and flags them as warnings', async () => {
    h = await startNative({ config: { duplicatePayees: 'allow' } });
    const body = batchBody(3);
    (body.payments as Record<string, unknown>[])[2].payeeIdValue = (body.payments as Record<string, unknown>[])[0].payeeIdValue;
    const res = await request(h.url).post('/v1/batches').send(body);
    assert.equal(res.status, 202);
    assert.equal(res.body.warnings.length, 1);
    assert.equal(res.body.warnings[0].code, 'DUPLICATE_PAYEE');
    assert.equal(h.service.submitCalls[0].payments.length, 3);
  });

  it('replays the same key and body with 200 and the original batch; a different body is a 409', async () => {
    h = await startNative();
    const first = await request(h.url).post('/v1/batches').set('idempotency-key', 'k-42').send(batchBody(2));
    assert.equal(first.status, 202);
    // Same content, other spelling: keys reordered, 10.50 written 10.5.
    const again = batchBody(2);
    for (const p of again.payments as Record<string, unknown>[]) p.amount = '10.5';
    const replay = await request(h.url).post('/v1/batches').set('idempotency-key', 'k-42').send(again);
    assert.equal(replay.status, 200);
    assert.equal(replay.body.id, first.body.id);
    const conflict = await request(h.url).post('/v1/batches').set('idempotency-key', 'k-42').send(batchBody(3));
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.errorCode, 'IDEMPOTENCY_CONFLICT');
    assert.equal(conflict.body.details.batchId, first.body.id);
    assert.equal(h.service.createdCount, 1, 'only one batch exists');
  });

  it('finds a batch by its Idempotency-Key (an answer lost in transit is recovered without resending)', async () => {
    h = await startNative();
    const res = await request(h.url).post('/v1/batches').set('idempotency-key', 'lost-202').send(batchBody(2));
    const found = await request(h.url).get('/v1/batches?idempotencyKey=lost-202');
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.items.map((b: { id: string }) => b.id), [res.body.id]);
    const none = await request(h.url).get('/v1/batches?idempotencyKey=never-used');
    assert.deepEqual(none.body.items, []);
    const bad = await request(h.url).get('/v1/batches?idempotencyKey=has%20space');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].field, 'idempotencyKey');
  });

  it('takes X-CorrelationID (Payment Hub EE) as the key when there is no Idempotency-Key', async () => {
    h = await startNative();
    const a = await request(h.url).post('/v1/batches').set('x-correlationid', 'corr-7').send(batchBody(1));
    const b = await request(h.url).post('/v1/batches').set('x-correlationid', 'corr-7').send(batchBody(1));
    assert.equal(a.status, 202);
    assert.equal(a.body.idempotencyKey, 'corr-7');
    assert.equal(b.status, 200);
    assert.equal(b.body.id, a.body.id);
    const both = await request(h.url).post('/v1/batches').set('x-correlationid', 'corr-8').set('idempotency-key',
      'idem-8').send(batchBody(1));
    assert.equal(both.body.idempotencyKey, 'idem-8', 'Idempotency-Key wins');
  });

  it('refuses an unusable Idempotency-Key', async () => {
    h = await startNative();
    const res = await request(h.url).post('/v1/batches').set('idempotency-key', 'has space').send(batchBody(1));
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].field, 'Idempotency-Key');
    assert.equal(h.service.submitCalls.length, 0);
  });

  it('keeps the webhook secret out of every answer', async () => {
    h = await startNative();
    const res = await request(h.url).post('/v1/batches').send(batchBody(1,
      { webhookUrl: 'http://127.0.0.1:9/hook', webhookSecret: 'a-very-secret-value-123' }));
    assert.equal(res.status, 202);
    assert.equal(res.body.webhookUrl, 'http://127.0.0.1:9/hook');
    assert.ok(!JSON.stringify(res.body).includes('a-very-secret-value-123'));
    assert.equal(h.service.submitCalls[0].callback?.kind, 'webhook');
    const got = await request(h.url).get(`/v1/batches/${res.body.id}`);
    assert.ok(!JSON.stringify(got.body).includes('a-very-secret-value-123'));
    assert.equal(PaymentStatus.RECEIVED, 'RECEIVED');
  });
});

describe('native API: refusals from the service', () => {
  it('a refusal the service throws (BatchRejected) is a 422 in this API\'s format, not a 500', async () => {
    const h = await startNative();
    try {
      h.service.submitBatch = async () => {
        const err = Object.assign(new Error('payee appears more than once'),
          { name: 'BatchRejected', problems: [{ code: 'DUPLICATE_PAYEE', message: 'payee appears more than once at position(s) 1',
            positions: [1] }] });
        throw err;
      };
      const res = await request(h.url).post('/v1/batches').send(batchBody(2));
      assert.equal(res.status, 422);
      assert.equal(res.body.errorCode, 'BATCH_REFUSED');
      assert.deepEqual(res.body.errors, [{ field: 'payments[1]', code: 'DUPLICATE_PAYEE', message:
        'payee appears more than once at position(s) 1' }]);
      h.service.submitBatch = async () => { throw new Error('disk full'); };
      const crash = await request(h.url).post('/v1/batches').send(batchBody(2));
      assert.equal(crash.status, 500);
      assert.equal(crash.body.errorCode, 'INTERNAL_ERROR');
      assert.ok(!JSON.stringify(crash.body).includes('disk full'), 'internal details stay in the log');
    } finally {
      await h.stop();
    }
  });
});
