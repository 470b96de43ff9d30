import { strict as assert } from 'node:assert';
import request from 'supertest';
import { ErrorList } from '../../orchestrator/intake/native/schemas';
import { parseBulkCsv } from '../../orchestrator/intake/native/csv';
import { buildFromCsv, buildFromJson } from '../../orchestrator/intake/native/batch';
import { NATIVE_CSV_HEADER } from '../../simulators/openg2p/managers';
import { startNative, type NativeHarness } from './helpers';

const HEADER =
  'id,request_id,payment_mode,payer_identifier_type,payer_identifier,payee_identifier_type,payee_identifier,amount,currency,note';

function csv(rows: string[]): string {
  return [HEADER, ...rows].join('\n') + '\n';
}

const GOOD = [
  'r-1,cycle-9,mojaloop,ACCOUNT_ID,treasury,MSISDN,254710000001,80,USD,"Program: Pension, cycle 9"',
  'r-2,cycle-9,mojaloop,ACCOUNT_ID,treasury,MSISDN,254710000002,80.25,USD,',
  'r-3,cycle-9,,ACCOUNT_ID,treasury,ACCOUNT_ID,acc-3,0.5,USD,"said ""hi"""',
];

describe('native API: CSV bulk file intake', () => {
  let h: NativeHarness;
  afterEach(async () => { await h?.stop(); h = undefined as unknown as NativeHarness; });

  it('uses the same column set as the OpenG2P native payment manager', () => {
    assert.equal(NATIVE_CSV_HEADER, HEADER);
  });

  it('accepts a bulk file: rows become payments, request_id the reference, payer from the rows', async () => {
    h = await startNative();
    const res = await request(h.url).post('/v1/batches?declaredCount=3&declaredAmount=160.75').set('content-type',
      'text/csv').set('idempotency-key', 'file-1').send(csv(GOOD));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.totalCount, 3);
    assert.equal(res.body.totalAmount, '160.75');
    assert.equal(res.body.reference, 'cycle-9');
    const cmd = h.service.submitCalls[0];
    assert.equal(cmd.currency, 'USD');
    assert.deepEqual(cmd.payer, { idType: 'ACCOUNT_ID', idValue: 'treasury' });
    assert.deepEqual(cmd.payments.map((p) => [p.reference, p.payeeIdType, p.payeeIdValue, p.amount, p.note]), [
      ['r-1', 'MSISDN', '254710000001', '80', 'Program: Pension, cycle 9'],
      ['r-2', 'MSISDN', '254710000002', '80.25', undefined],
      ['r-3', 'ACCOUNT_ID', 'acc-3', '0.5', 'said "hi"'],
    ]);
  });

  it('the same batch as CSV and as JSON hashes the same (replay across formats)', async () => {
    const fromCsv = await buildFromCsv(csv(GOOD), {}, { sourceKey: 'k', duplicatePayees: 'reject' });
    const fromJson = await buildFromJson({
      reference: 'cycle-9', currency: 'USD', payer: { idType: 'ACCOUNT_ID', idValue: 'treasury' },
      payments: [
        { reference: 'r-1', payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount: '80.00', currency: 'USD', note:
          'Program: Pension, cycle 9' },
        { reference: 'r-2', payeeIdType: 'MSISDN', payeeIdValue: '254710000002', amount: '80.25', currency: 'USD' },
        { reference: 'r-3', payeeIdType: 'ACCOUNT_ID', payeeIdValue: 'acc-3', amount: '0.50', currency: 'USD', note: 'said "hi"' },
      ],
    }, { sourceKey: 'k', duplicatePayees: 'reject' });
    assert.ok(fromCsv.ok && fromJson.ok);
    assert.equal(fromCsv.command.requestHash, fromJson.command.requestHash);
  });

  it('rejects the whole upload on bad rows, naming row, column and problem', async () => {
    h = await startNative();
    const rows = [
      GOOD[0],
      'r-2,cycle-9,mojaloop,ACCOUNT_ID,treasury,MSISDN,254710000002,ten,USD,',
      'r-3,cycle-9,mojaloop,ACCOUNT_ID,treasury,TELEPHONE,254710000003,5,USD,',
      ',cycle-9,mojaloop,ACCOUNT_ID,treasury,MSISDN,254710000004,5.001,USD,',
      'r-5,cycle-9,mojaloop,ACCOUNT_ID,treasury,MSISDN,254710000005,5,EUR,',
      'r-6,cycle-9,mojaloop,ACCOUNT_ID,treasury,MSISDN',
    ];
    const res = await request(h.url).post('/v1/batches').set('content-type', 'text/csv').send(csv(rows));
    assert.equal(res.status, 400);
    assert.equal(res.body.errorCode, 'CSV_INVALID');
    const got = res.body.errors.map((e: { row: number; column?: string; code: string }) => `${e.row}:${e.column ?? ''}:${e.code}`);
    assert.deepEqual(got.sort(), [
      '3:amount:AMOUNT_INVALID',
      '4:payee_identifier_type:NOT_ALLOWED',
      '5:amount:AMOUNT_TOO_MANY_DECIMALS',
      '5:id:REQUIRED',
      '6:currency:CURRENCY_MISMATCH',
      '7::CSV_CELL_COUNT',
      '7:amount:REQUIRED',
      '7:currency:REQUIRED',
      '7:payee_identifier:REQUIRED',
    ].sort());
    assert.match(res.body.message, /nothing was stored/);
    assert.equal(h.service.submitCalls.length, 0);
  });

  it('refuses a file without the required columns (the malformed-batch scenario)', async () => {
    h = await startNative();
    const res = await request(h.url).post('/v1/batches').set('content-type', 'text/csv').send('id,amount\n1,10\n');
    assert.equal(res.status, 400);
    assert.equal(res.body.errorCode, 'CSV_INVALID');
    assert.deepEqual(res.body.errors.map((e: { column: string; code: string }) => `${e.column}:${e.code}`).sort(), [
      'currency:CSV_MISSING_COLUMN', 'payee_identifier:CSV_MISSING_COLUMN', 'payee_identifier_type:CSV_MISSING_COLUMN',
    ]);
    assert.equal(h.service.submitCalls.length, 0);
  });

  it('reports broken quoting, an empty file and a header without rows', async () => {
    const broken = new ErrorList();
    await parseBulkCsv(`${HEADER}\nr-1,x,mojaloop,A,B,MSISDN,1,"10,USD,\n`, broken);
    assert.equal(broken.items[0].code, 'CSV_MALFORMED');
    const empty = new ErrorList();
    await parseBulkCsv('', empty);
    assert.equal(empty.items[0].code, 'CSV_EMPTY');
    const none = new ErrorList();
    await parseBulkCsv(HEADER + '\n', none);
    assert.equal(none.items[0].code, 'CSV_NO_ROWS');
  });

  it('stops reading a file of bad rows once the error cap is reached, and keeps no more rows than it read', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 50_000; i++) rows.push(`r${i},req,mojaloop,ACCOUNT_ID,treasury,MSISDN,not-a-number-${i},-${i}.5,usd,`);
    const text = csv(rows);
    let seen = 0;
    const file = await parseBulkCsv(text, new ErrorList(), () => ++seen >= 40);
    assert.equal(seen, 40);
    assert.equal(file.payments.length, 40);
    assert.equal(file.payments[39].row, 41);
    const r = await buildFromCsv(text, {}, { sourceKey: 'k', duplicatePayees: 'reject', maxCsvErrors: 100 });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.body.errorCode, 'CSV_INVALID');
    assert.equal(r.body.errorsTruncated, true);
    assert.ok((r.body.errorCount ?? r.body.errors?.length ?? 0) >= 100);
    // Every reported row is among the first rows read: reading stopped long before the end of the file.
    const maxRow = Math.max(...(r.body.errors ?? []).map((e) => e.row ?? 0));
    assert.ok(maxRow <= 102, `an error on row ${maxRow}`);
  });

  it('flags duplicate payees by row, and control totals from the query string', async () => {
    h = await startNative({ config: { duplicatePayees: 'reject' } });
    const dup = [GOOD[0], GOOD[1], 'r-4,cycle-9,mojaloop,ACCOUNT_ID,treasury,MSISDN,254710000001,3,USD,'];
    const res = await request(h.url).post('/v1/batches').set('content-type', 'text/csv').send(csv(dup));
    assert.equal(res.status, 422);
    assert.equal(res.body.errorCode, 'DUPLICATE_PAYEES');
    assert.deepEqual(res.body.errors.map((e: { row: number; column: string; duplicateOf: number }) => [e.row, e.column, e.duplicateOf]),
      [[4, 'payee_identifier', 2]]);
    const totals = await request(h.url).post('/v1/batches?declaredCount=2').set('content-type', 'text/csv').send(csv(GOOD));
    assert.equal(totals.status, 422);
    assert.equal(totals.body.errorCode, 'CONTROL_TOTAL_MISMATCH');
    const badQuery = await request(h.url).post('/v1/batches?declaredCount=many&rail=x').set('content-type', 'text/csv').send(csv(GOOD));
    assert.equal(badQuery.status, 400);
    assert.deepEqual(badQuery.body.errors.map((e: { field: string }) => e.field).sort(), ['declaredCount', 'rail']);
    assert.equal(h.service.submitCalls.length, 0);
  });

  it('takes the webhook from X-CallbackURL (Payment Hub EE header)', async () => {
    h = await startNative();
    const res = await request(h.url).post('/v1/batches').set('content-type', 'text/csv; charset=utf-8').set('x-callbackurl',
      'http://127.0.0.1:9/cb').send(csv(GOOD));
    assert.equal(res.status, 202);
    assert.equal(res.body.webhookUrl, 'http://127.0.0.1:9/cb');
  });
});

describe('native API: compressed uploads', () => {
  it('accepts a gzip-compressed bulk file and refuses an unknown encoding', async () => {
    const { gzipSync } = await import('node:zlib');
    const h = await startNative();
    try {
      const body = gzipSync(Buffer.from(csv(GOOD)));
      const res = await request(h.url).post('/v1/batches').set('content-type', 'text/csv').set('content-encoding', 'gzip').send(body);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.totalCount, 3);
      const br = await request(h.url).post('/v1/batches').set('content-type', 'text/csv').set('content-encoding',
        'br').send(Buffer.from('x'));
      assert.equal(br.status, 415);
      const broken = await request(h.url).post('/v1/batches').set('content-type', 'text/csv').set('content-encoding',
        'gzip').send(Buffer.from('not gzip'));
      assert.equal(broken.status, 400);
      assert.equal(broken.body.errorCode, 'MALFORMED_BODY');
      assert.equal(h.service.submitCalls.length, 1);
    } finally {
      await h.stop();
    }
  });
});

describe('native API: CSV separators', () => {
  it('reads a semicolon- or tab-separated file as spreadsheets write it', async () => {
    for (const sep of [';', '\t']) {
      const text = [HEADER, ...GOOD.slice(1, 2)].map((l) => l.split(',').join(sep)).join('\r\n') + '\r\n';
      const r = await buildFromCsv(text, {}, { sourceKey: 'k', duplicatePayees: 'reject' });
      assert.ok(r.ok, JSON.stringify(!r.ok && r.body));
      assert.deepEqual(r.command.payments.map((p) => [p.reference, p.payeeIdValue, p.amount]), [['r-2', '254710000002', '80.25']]);
    }
  });
});
