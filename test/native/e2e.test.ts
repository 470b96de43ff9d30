/**
 * The native API end to end: a real orchestrator over the simulated world (payer DFSP SDK outbound API, switch,
 * ALS, payee DFSPs). A JSON batch and a CSV batch are paid; the payee ledgers say who was credited; a replay pays
 * nobody again; the report names transfer ids the payee ledger knows; the webhook hears the completion.
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import pino from 'pino';
import { parse } from 'csv-parse/sync';
import { startOrchestrator, type RunningOrchestrator } from '../../orchestrator';
import { startWorld, type World } from '../../simulators/world';
import { NATIVE_CSV_HEADER } from '../../simulators/openg2p/managers';
import { fromUnits, toUnits } from '../../shared/money';

interface Payee { idType: string; idValue: string; amount: string; fsp: string }

const PAYEES: Payee[] = [
  { idType: 'MSISDN', idValue: '254710000101', amount: '100', fsp: 'payeefsp1' },
  { idType: 'MSISDN', idValue: '254720000102', amount: '12.5', fsp: 'payeefsp2' },
  { idType: 'ACCOUNT_ID', idValue: 'PF1-2001', amount: '7.25', fsp: 'payeefsp1' },
  { idType: 'MSISDN', idValue: '254720000103', amount: '0.5', fsp: 'payeefsp2' },
];

async function partyBalance(url: string, idType: string, idValue: string): Promise<bigint> {
  const res = await request(url).get(`/admin/parties/${idType}/${encodeURIComponent(idValue)}`);
  return toUnits((res.body?.balances?.USD as string | undefined) ?? '0');
}

async function ledgerCredited(url: string): Promise<{ credited: bigint; count: number }> {
  const res = await request(url).get('/admin/ledger').expect(200);
  const t = res.body.totals?.USD ?? {};
  return { credited: toUnits(t.credited ?? '0'), count: Number(t.committedCount ?? 0) };
}

async function untilFinal(url: string, id: string, timeoutMs: number): Promise<Record<string, unknown> & { status: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(url).get(`/v1/batches/${id}`).expect(200);
    if (['COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED', 'CANCELLED'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`batch ${id} not final within ${timeoutMs} ms: ${JSON.stringify(res.body.summary)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('native API end to end over the simulated world', function () {
  this.timeout(90_000);
  let world: World;
  let orch: RunningOrchestrator;
  let dataDir: string;
  let hook: http.Server;
  let hookUrl: string;
  const hookEvents: Array<{ event: string; batch: { id: string; status: string } }> = [];

  before(async () => {
    const silent = pino({ level: 'silent' });
    world = await startWorld({ ports: 'random', seed: 31, logger: silent });
    dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-native-e2e-'));
    orch = await startOrchestrator({
      port: 0, dataDir, seed: 31, logger: silent, sdkUrl: world.urls.payerOutbound, pilUrl: world.urls.pil,
      payerFspId: world.config.payerFspId, notify: { baseDelayMs: 10, maxDelayMs: 50, progressEveryMs: 50 },
    });
    world.payer.setBackendUrl(orch.sdkBackendUrl);
    hook = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => { raw += c.toString('utf8'); });
      req.on('end', () => { hookEvents.push(JSON.parse(raw)); res.writeHead(204).end(); });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  });
  after(async () => {
    await orch?.stop();
    await world?.stop();
    await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('pays a JSON batch: all COMPLETED, each payee credited once on its ledger, replay pays nobody again', async () => {
    const before = new Map<string, bigint>();
    for (const p of PAYEES) before.set(p.idValue, await partyBalance(world.payees[p.fsp].url, p.idType, p.idValue));
    const ledgers0 = { p1: await ledgerCredited(world.payees.payeefsp1.url), p2: await ledgerCredited(world.payees.payeefsp2.url) };
    const body = {
      reference: 'e2e-json', currency: 'USD', note: 'Pension', webhookUrl: hookUrl, declaredCount: PAYEES.length,
      declaredAmount: fromUnits(PAYEES.reduce((s, p) => s + toUnits(p.amount), 0n)),
      payments: PAYEES.map((p, i) => ({ reference: `j-${i}`, payeeIdType: p.idType, payeeIdValue: p.idValue, amount: p.amount, currency:
        'USD' })),
    };
    const res = await request(orch.url).post('/v1/batches').set('idempotency-key', 'e2e-json-1').send(body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const final = await untilFinal(orch.url, res.body.id, 60_000);
    assert.equal(final.status, 'COMPLETED', JSON.stringify(final.summary));
    assert.equal((final.summary as { successPercentage: string }).successPercentage, '100.00');

    for (const p of PAYEES) {
      const now = await partyBalance(world.payees[p.fsp].url, p.idType, p.idValue);
      assert.equal(fromUnits(now - before.get(p.idValue)!), p.amount, `${p.idValue} credited exactly once`);
    }
    const ledgers1 = { p1: await ledgerCredited(world.payees.payeefsp1.url), p2: await ledgerCredited(world.payees.payeefsp2.url) };
    assert.equal(ledgers1.p1.count - ledgers0.p1.count + ledgers1.p2.count - ledgers0.p2.count, PAYEES.length);
    assert.equal(fromUnits(ledgers1.p1.credited - ledgers0.p1.credited + ledgers1.p2.credited - ledgers0.p2.credited), '120.25');
    assert.equal(final.amountCredited, '120.25');

    // The report: one row per payment, in order, each with its own transfer id.
    const rep = await request(orch.url).get(`/v1/batches/${res.body.id}/report.csv`).buffer(true).parse((r, cb) => {
      let d = '';
      r.on('data', (c: Buffer) => { d += c.toString('utf8'); });
      r.on('end', () => cb(null, d));
    });
    const rows = parse(rep.body as string, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(rows.map((r) => [r.reference, r.status]), PAYEES.map((_, i) => [`j-${i}`, 'COMPLETED']));
    assert.equal(new Set(rows.map((r) => r.transfer_id).filter(Boolean)).size, PAYEES.length);

    // Replay: the original batch, nothing paid again.
    const replay = await request(orch.url).post('/v1/batches').set('idempotency-key', 'e2e-json-1').send(body);
    assert.equal(replay.status, 200);
    assert.equal(replay.body.id, res.body.id);
    const found = await request(orch.url).get('/v1/batches?idempotencyKey=e2e-json-1').expect(200);
    assert.deepEqual(found.body.items.map((b: { id: string }) => b.id), [res.body.id]);
    const ledgers2 = { p1: await ledgerCredited(world.payees.payeefsp1.url), p2: await ledgerCredited(world.payees.payeefsp2.url) };
    assert.equal(ledgers2.p1.count + ledgers2.p2.count, ledgers1.p1.count + ledgers1.p2.count);

    // The webhook heard the end.
    const deadline = Date.now() + 10_000;
    while (!hookEvents.some((e) => e.event === 'batch.completed' && e.batch.id === res.body.id)) {
      if (Date.now() > deadline) throw new Error(`no completion webhook; got ${JSON.stringify(hookEvents.map((e) => e.event))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('an unknown payee fails with 3204 in the payments page and the report; the others are paid', async () => {
    const body = {
      currency: 'USD',
      payments: [
        { reference: 'u-0', payeeIdType: 'MSISDN', payeeIdValue: '254710000106', amount: '2', currency: 'USD' },
        { reference: 'u-1', payeeIdType: 'MSISDN', payeeIdValue: '254790000001', amount: '3', currency: 'USD' },
      ],
    };
    const res = await request(orch.url).post('/v1/batches').set('idempotency-key', 'e2e-unknown').send(body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const final = await untilFinal(orch.url, res.body.id, 60_000);
    assert.equal(final.status, 'PARTIALLY_COMPLETED');
    const failed = await request(orch.url).get(`/v1/batches/${res.body.id}/payments?status=FAILED`).expect(200);
    assert.deepEqual(failed.body.items.map((p: { reference: string; errorCode: string }) => [p.reference, p.errorCode]), [['u-1', '3204']]);
    const rep = await request(orch.url).get(`/v1/batches/${res.body.id}/report.csv`).buffer(true).parse((r, cb) => {
      let d = '';
      r.on('data', (c: Buffer) => { d += c.toString('utf8'); });
      r.on('end', () => cb(null, d));
    });
    const rows = parse(rep.body as string, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(rows.map((r) => [r.reference, r.status, r.error_code, r.amount_credited]),
      [['u-0', 'COMPLETED', '', '2'], ['u-1', 'FAILED', '3204', '']]);
    assert.equal(fromUnits(await partyBalance(world.payees.payeefsp1.url, 'MSISDN', '254710000106')), '2');
    // The failure is found by its code, and the batch's failures are summed by code.
    const byCode = await request(orch.url).get(`/v1/batches/${res.body.id}/payments?errorCode=3204`).expect(200);
    assert.deepEqual(byCode.body.items.map((p: { reference: string }) => p.reference), ['u-1']);
    const none = await request(orch.url).get(`/v1/batches/${res.body.id}/payments?errorCode=5104`).expect(200);
    assert.equal(none.body.total, 0);
    const failures = await request(orch.url).get(`/v1/batches/${res.body.id}/failures`).expect(200);
    assert.deepEqual(failures.body.items.map((f: { errorCode: string; count: number; amount: string }) => [f.errorCode, f.count, f.amount]),
      [['3204', 1, '3']]);
  });

  it('lists the batches newest first, by status and by creation time, as the store keeps them', async () => {
    const all = await request(orch.url).get('/v1/batches?limit=500').expect(200);
    assert.ok(all.body.total >= 2, JSON.stringify(all.body.total));
    const created = (all.body.items as Array<{ createdAt: string }>).map((b) => b.createdAt);
    assert.deepEqual(created, [...created].sort().reverse(), 'newest first');
    const partial = await request(orch.url).get('/v1/batches?status=PARTIALLY_COMPLETED').expect(200);
    assert.ok(partial.body.items.length >= 1);
    assert.ok(partial.body.items.every((b: { status: string }) => b.status === 'PARTIALLY_COMPLETED'));
    const future = await request(orch.url).get(`/v1/batches?from=${new Date(Date.now() + 60_000).toISOString()}`).expect(200);
    assert.deepEqual(future.body, { total: 0, offset: 0, limit: 50, items: [] });
    const page = await request(orch.url).get('/v1/batches?limit=1&offset=1').expect(200);
    assert.equal(page.body.total, all.body.total);
    assert.deepEqual(page.body.items.map((b: { id: string }) => b.id), [all.body.items[1].id]);
  });

  it('pays a CSV upload in the bulk-file columns, and refuses a bad one without paying anything', async () => {
    const payees = [
      { idType: 'MSISDN', idValue: '254710000104', amount: '3', fsp: 'payeefsp1' },
      { idType: 'MSISDN', idValue: '254720000105', amount: '4.75', fsp: 'payeefsp2' },
    ];
    const count0 = (await ledgerCredited(world.payees.payeefsp1.url)).count + (await ledgerCredited(world.payees.payeefsp2.url)).count;
    const bad =
      `${NATIVE_CSV_HEADER}\nc-1,e2e-csv,mojaloop,ACCOUNT_ID,treasury,MSISDN,254710000104,3,USD,\nc-2,e2e-csv,mojaloop,ACCOUNT_ID,treasury,MSISDN,254720000105,4.755,USD,\n`;
    const refused = await request(orch.url).post('/v1/batches').set('content-type', 'text/csv').set('idempotency-key',
      'e2e-csv-bad').send(bad);
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.errors.map((e: { row: number; column: string; code: string }) => [e.row, e.column, e.code]),
      [[3, 'amount', 'AMOUNT_TOO_MANY_DECIMALS']]);

    const csv = `${NATIVE_CSV_HEADER}\n${payees.map((p, i) =>
      `c-${i},e2e-csv,mojaloop,ACCOUNT_ID,treasury,${p.idType},${p.idValue},${p.amount},USD,Pension`).join('\n')}\n`;
    // Over bulk quotes then bulk transfers, GPO's transfer ids are the FSPIOP ones: the payee ledger books them.
    const res = await request(orch.url).post('/v1/batches?railMode=bulkQuotesTransfers').set('content-type',
      'text/csv').set('idempotency-key', 'e2e-csv-1').send(csv);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const final = await untilFinal(orch.url, res.body.id, 60_000);
    assert.equal(final.status, 'COMPLETED');
    assert.equal(final.reference, 'e2e-csv');
    const count1 = (await ledgerCredited(world.payees.payeefsp1.url)).count + (await ledgerCredited(world.payees.payeefsp2.url)).count;
    assert.equal(count1 - count0, 2, 'only the accepted file was paid');
    for (const p of payees) assert.equal(fromUnits(await partyBalance(world.payees[p.fsp].url, p.idType, p.idValue)), p.amount);
    const page = await request(orch.url).get(`/v1/batches/${res.body.id}/payments?status=COMPLETED`).expect(200);
    assert.equal(page.body.total, 2);
    for (const [i, item] of (page.body.items as Array<{ transferId: string }>).entries()) {
      const booked = await request(world.payees[payees[i].fsp].url).get(`/admin/ledger/transfers/${item.transferId}`);
      assert.equal(booked.status, 200, `payee ledger knows transfer ${item.transferId}`);
    }
  });
});
