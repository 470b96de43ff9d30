import { strict as assert } from 'node:assert';
import request from 'supertest';
import { parse } from 'csv-parse/sync';
import { BatchStatus, PaymentStatus } from '../../orchestrator/domain/types';
import { percentage, REPORT_COLUMNS, csvField } from '../../orchestrator/intake/native/report';
import { failWhen } from '../intake/fake-service';
import { batchBody, payment, startNative, type NativeHarness } from './helpers';

describe('native API: batches, payments, cancel, report', () => {
  let h: NativeHarness;
  afterEach(async () => { await h?.stop(); h = undefined as unknown as NativeHarness; });

  it('percentages are exact, rounded half up, with two decimals', () => {
    assert.equal(percentage(1n, 3n), '33.33');
    assert.equal(percentage(2n, 3n), '66.67');
    assert.equal(percentage(1n, 8n), '12.50');
    assert.equal(percentage(1n, 200000n), '0.00');
    assert.equal(percentage(1n, 1n), '100.00');
    assert.equal(percentage(0n, 0n), '0.00');
  });

  it('shows counts, amounts and percentages by status, and debited/credited/fees totals', async () => {
    h = await startNative({ service: { outcome: (p) => (p.payeeIdValue.endsWith('01')
      ? { status: PaymentStatus.FAILED, errorCode: '3204', errorDescription: 'Party not found' }
        : { status: PaymentStatus.COMPLETED, fee: '0.25' }) } });
    const body = batchBody(3);
    (body.payments as Record<string, unknown>[])[2].amount = '20';
    const res = await request(h.url).post('/v1/batches').set('idempotency-key', 'sum-1').send(body);
    await h.service.settle(res.body.id);
    const got = await request(h.url).get(`/v1/batches/${res.body.id}`);
    assert.equal(got.status, 200);
    const b = got.body;
    assert.equal(b.status, BatchStatus.PARTIALLY_COMPLETED);
    assert.equal(b.totalAmount, '41');
    assert.deepEqual(b.byStatus.COMPLETED, { count: 2, amount: '30.5', countPercentage: '66.67', amountPercentage: '74.39' });
    assert.deepEqual(b.byStatus.FAILED, { count: 1, amount: '10.5', countPercentage: '33.33', amountPercentage: '25.61' });
    assert.equal(b.byStatus.SENT.count, 0);
    assert.equal(b.amountCredited, '30.5');
    assert.equal(b.fees, '0.5');
    assert.equal(b.amountDebited, '31');
    assert.deepEqual({ ...b.summary }, {
      total: 3, ongoing: 0, successful: 2, failed: 1, cancelled: 0, totalAmount: '41', successfulAmount: '30.5',
      pendingAmount: '0', failedAmount: '10.5', cancelledAmount: '0', successPercentage: '66.67', failPercentage: '33.33',
      finishedPercentage: '100.00',
    });
    const missing = await request(h.url).get('/v1/batches/6c1f0000-0000-4000-8000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errorCode, 'BATCH_NOT_FOUND');
    // A malformed id (a batch reference, a space, no UUID at all) is a 400, as the docs say, not a 404.
    for (const bad of ['nope', 'cycle-9', 'bad%20id', `${res.body.id}x`]) {
      const badId = await request(h.url).get(`/v1/batches/${bad}`);
      assert.equal(badId.status, 400, bad);
      assert.equal(badId.body.errorCode, 'VALIDATION_FAILED', bad);
    }
  });

  it('pages payments and filters them by status', async () => {
    h = await startNative({ service: { outcome: failWhen(/[05]$/) } });
    const res = await request(h.url).post('/v1/batches').send(batchBody(25));
    await h.service.settle(res.body.id);
    const page = await request(h.url).get(`/v1/batches/${res.body.id}/payments?offset=10&limit=10`);
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 25);
    assert.equal(page.body.offset, 10);
    assert.equal(page.body.limit, 10);
    assert.deepEqual(page.body.items.map((p: { position: number }) => p.position), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert.equal(page.body.items[0].reference, 'p-10');
    assert.ok(page.body.items[1].transferId);
    const failed = await request(h.url).get(`/v1/batches/${res.body.id}/payments?status=FAILED`);
    assert.equal(failed.body.total, 5);
    assert.deepEqual(failed.body.items.map((p: { reference: string }) => p.reference), ['p-0', 'p-5', 'p-10', 'p-15', 'p-20']);
    assert.equal(failed.body.items[0].errorCode, '3204');
    assert.equal(failed.body.limit, 1000, 'default page size');
    const tooBig = await request(h.url).get(`/v1/batches/${res.body.id}/payments?limit=10001&status=PAID&offset=-1`);
    assert.equal(tooBig.status, 400);
    assert.deepEqual(tooBig.body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`).sort(),
      ['limit:OUT_OF_RANGE', 'offset:OUT_OF_RANGE', 'status:NOT_ALLOWED']);
    const maxPage = await request(h.url).get(`/v1/batches/${res.body.id}/payments?limit=10000`);
    assert.equal(maxPage.status, 200);
    assert.equal(maxPage.body.items.length, 25);
  });

  it('cancel stops what has not been sent; a final batch cannot be cancelled; resume needs a paused batch', async () => {
    h = await startNative();
    const res = await request(h.url).post('/v1/batches').send(batchBody(10));
    await h.service.settle(res.body.id, 4);
    const cancelled = await request(h.url).post(`/v1/batches/${res.body.id}/cancel`).set('content-type', 'application/json').send('{}');
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, BatchStatus.CANCELLED);
    assert.equal(cancelled.body.byStatus.COMPLETED.count, 4);
    assert.equal(cancelled.body.byStatus.CANCELLED.count, 6);
    const again = await request(h.url).post(`/v1/batches/${res.body.id}/cancel`);
    assert.equal(again.status, 200, 'cancelling a cancelled batch is harmless');
    const resume = await request(h.url).post(`/v1/batches/${res.body.id}/resume`);
    assert.equal(resume.status, 409);
    assert.equal(resume.body.errorCode, 'BATCH_NOT_PAUSED');

    const done = await request(h.url).post('/v1/batches').send(batchBody(2));
    await h.service.settle(done.body.id);
    const late = await request(h.url).post(`/v1/batches/${done.body.id}/cancel`);
    assert.equal(late.status, 409);
    assert.equal(late.body.errorCode, 'BATCH_FINAL');
    const missing = await request(h.url).post('/v1/batches/00000000-0000-4000-8000-0000000000ff/cancel');
    assert.equal(missing.status, 404);
  });

  it('report.csv has one RFC 4180 row per payment with what a finance officer reconciles', async () => {
    h = await startNative({ service: { outcome: (p) => (p.payeeIdValue.endsWith('01')
      ? { status: PaymentStatus.FAILED, errorCode: '5104', errorDescription: 'Payee rejected: "closed", dormant account' }
        : { status: PaymentStatus.COMPLETED, fee: '0.5' }) } });
    const body = batchBody(3);
    const ps = body.payments as Record<string, unknown>[];
    ps[0] = payment(0, { reference: 'ref, with comma', payeeFsp: 'payeefsp1' });
    ps[2] = payment(2, { reference: 'multi\nline' });
    const res = await request(h.url).post('/v1/batches').send(body);
    await h.service.settle(res.body.id);
    const rep = await request(h.url).get(`/v1/batches/${res.body.id}/report.csv`).buffer(true).parse((r, cb) => {
      let data = '';
      r.on('data', (c: Buffer) => { data += c.toString('utf8'); });
      r.on('end', () => cb(null, data));
    });
    assert.equal(rep.status, 200);
    assert.match(String(rep.headers['content-type']), /^text\/csv/);
    assert.match(String(rep.headers['content-disposition']), /attachment; filename="batch-00000000-0000-4000-8000-000000000001\.csv"/);
    const text = rep.body as string;
    assert.ok(text.startsWith(REPORT_COLUMNS.join(',') + '\r\n'));
    assert.ok(text.includes('"ref, with comma"'));
    assert.ok(text.includes('"Payee rejected: ""closed"", dormant account"'));
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0], {
      position: '0', reference: 'ref, with comma', payee_id_type: 'MSISDN', payee_id_value: '254710000000', payee_fsp: 'payeefsp1',
      amount: '10.5', currency: 'USD', status: 'COMPLETED', transfer_id: 'tx-00000000-0000-4000-8000-000000000001-0', amount_debited: '11',
      amount_credited: '10.5',
      fee: '0.5', error_code: '', error_description: '', completed_at: rows[0].completed_at,
    });
    assert.match(rows[0].completed_at, /^\d{4}-\d\d-\d\dT/);
    assert.equal(rows[1].status, 'FAILED');
    assert.equal(rows[1].error_code, '5104');
    assert.equal(rows[1].error_description, 'Payee rejected: "closed", dormant account');
    assert.equal(rows[2].reference, 'multi\nline');
    const missing = await request(h.url).get('/v1/batches/00000000-0000-4000-8000-0000000000ff/report.csv');
    assert.equal(missing.status, 404);
  });

  it('quotes only what needs quoting', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a"b'), '"a""b"');
    assert.equal(csvField('a\rb'), '"a\rb"');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(0), '0');
  });
});
