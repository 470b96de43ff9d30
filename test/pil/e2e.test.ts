/**
 * The PIL simulator in the simulated world: OpenG2P's exact interop-layer payload, paid through the real payer
 * DFSP (SDK outbound API), switch, ALS and payee DFSPs; money checked on the payee ledgers.
 */
import assert from 'node:assert/strict';
import request from 'supertest';
import pino from 'pino';
import { startWorld, type World } from '../../simulators/world';
import { startPil, type RunningPil } from '../../simulators/pil';
import { interopLayerBody } from '../../simulators/openg2p/managers';
import type { PaymentBatch } from '../../simulators/openg2p/program';
import { fromUnits, toUnits } from '../../shared/money';

interface Payee { idType: string; idValue: string; amount: string; fsp?: string }
type Result = { payeeIdType: string; payeeIdValue: string; status: string; amountCredited: string; errorCode?: string };

function body(id: string, payees: Payee[]): string {
  const batch = { id, payments: payees.map((p, i) => ({ reference: `r${i}`, amount: p.amount, currency: 'USD', registrant:
    { idType: p.idType, idValue: p.idValue } })) } as unknown as PaymentBatch;
  return interopLayerBody(batch, { programName: 'Demo 1', cycleId: '42' });
}

async function ledgerTotals(url: string): Promise<{ credited: bigint; count: number }> {
  const res = await request(url).get('/admin/ledger').expect(200);
  const t = res.body.totals?.USD ?? {};
  return { credited: toUnits(t.credited ?? '0'), count: Number(t.committedCount ?? 0) };
}

async function partyBalance(url: string, idType: string, idValue: string): Promise<string> {
  const res = await request(url).get(`/admin/parties/${idType}/${encodeURIComponent(idValue)}`);
  return (res.body?.balances?.USD as string | undefined) ?? '0';
}

async function untilFinal(pil: { url: string }, id: string, timeoutMs: number): Promise<Result[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(pil.url).get(`/disbursement/${id}`).expect(200);
    const results = res.body.payeeResults as Result[];
    if (results.every((r) => r.status !== 'RECEIVED' && r.status !== 'PENDING')) return results;
    if (Date.now() > deadline) throw new Error(`disbursement ${id} not final within ${timeoutMs} ms: ${JSON.stringify(results.map((r) =>
      r.status))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PIL simulator in the simulated world (end to end)', function () {
  this.timeout(60_000);
  let world: World;
  let sequential: RunningPil;

  before(async () => {
    world = await startWorld({ ports: 'random', seed: 21, logger: pino({ level: 'silent' }) });
    sequential = await startPil({ port: 0, payerOutboundUrl: world.payer.outboundUrl, mode: 'sequential', logger:
      pino({ level: 'silent' }) });
  });
  after(async () => {
    await sequential?.stop();
    await world?.stop();
  });

  it('pays every valid payee of OpenG2P\'s payload and marks unknown ones REJECTED, in request order', async () => {
    const payees: Payee[] = [
      { idType: 'MSISDN', idValue: '254710000101', amount: '100', fsp: 'payeefsp1' },
      { idType: 'MSISDN', idValue: '254790000001', amount: '40' },
      { idType: 'MSISDN', idValue: '254720000102', amount: '12.5', fsp: 'payeefsp2' },
      { idType: 'ACCOUNT_ID', idValue: 'PF1-2001', amount: '7.25', fsp: 'payeefsp1' },
      { idType: 'ACCOUNT_ID', idValue: 'ZZ9-100001', amount: '5' },
      { idType: 'MSISDN', idValue: '254720000103', amount: '0.5', fsp: 'payeefsp2' },
    ];
    const before1 = await ledgerTotals(world.payees.payeefsp1.url);
    const before2 = await ledgerTotals(world.payees.payeefsp2.url);
    const res = await request(world.pil!.url).post('/disbursement').set('content-type',
      'application/json').send(body('e2e-world-1', payees)).expect(200);
    assert.equal(res.body.disbursementId, 'e2e-world-1');
    const results = (res.body.payeeResults as Result[]).some((r) => r.status === 'PENDING' || r.status === 'RECEIVED')
      ? await untilFinal(world.pil!, 'e2e-world-1', 30_000)
      : res.body.payeeResults as Result[];
    assert.deepEqual(results.map((r) => r.payeeIdValue), payees.map((p) => p.idValue));
    assert.deepEqual(results.map((r) => r.status), payees.map((p) => (p.fsp ? 'COMPLETED' : 'REJECTED')));
    for (const r of results.filter((x) => x.status === 'REJECTED')) assert.equal(r.errorCode, '3204',
      `an unknown payee is rejected as party not found: ${JSON.stringify(r)}`);

    // The payee ledgers, not the statuses, say who was paid.
    for (const p of payees.filter((x) => x.fsp)) {
      assert.equal(await partyBalance(world.payees[p.fsp!].url, p.idType, p.idValue), p.amount, `${p.idValue} credited once`);
    }
    const after1 = await ledgerTotals(world.payees.payeefsp1.url);
    const after2 = await ledgerTotals(world.payees.payeefsp2.url);
    const sum = (fsp: string) => payees.filter((p) => p.fsp === fsp).reduce((s, p) => s + toUnits(p.amount), 0n);
    assert.equal(fromUnits(after1.credited - before1.credited), fromUnits(sum('payeefsp1')));
    assert.equal(fromUnits(after2.credited - before2.credited), fromUnits(sum('payeefsp2')));
    assert.equal(after1.count - before1.count + after2.count - before2.count, 4);

    // A resend pays nobody again.
    await request(world.pil!.url).post('/disbursement').set('content-type',
      'application/json').send(body('e2e-world-1', payees)).expect(200);
    assert.equal((await ledgerTotals(world.payees.payeefsp1.url)).count, after1.count);
    assert.equal((await ledgerTotals(world.payees.payeefsp2.url)).count, after2.count);
  });

  it('in sequential mode (demo #1 as it was) pays the same way, one payee at a time', async () => {
    const payees: Payee[] = Array.from({ length: 8 }, (_, i) => ({ idType: 'MSISDN', idValue: `2547${1 + (i % 2)}0000${300 + i}`, amount:
      `${i + 1}`, fsp: `payeefsp${1 + (i % 2)}` }));
    const res = await request(sequential.url).post('/disbursement').set('content-type',
      'application/json').send(body('e2e-seq-1', payees)).expect(200);
    const results = res.body.payeeResults as Result[];
    assert.deepEqual(results.map((r) => r.status), payees.map(() => 'COMPLETED'));
    for (const p of payees) assert.equal(await partyBalance(world.payees[p.fsp!].url, p.idType, p.idValue), p.amount);
  });
});
