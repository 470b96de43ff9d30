/**
 * The G2P cycle's parties in the world `gpo up` starts: the mapper resolves the default payees' ids to addresses
 * their payee DFSPs serve, and the sponsor bank pays resolved payees from the program account and reports it in a
 * statement GPO reads and reconciles. (Phase 1: the parts side by side, not yet wired into the engine.)
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import { request } from 'undici';
import { startUp, type Up } from '../../cli/commands/up';
import { mapperBeneficiaryId } from '../../simulators/mapper';
import { G2pMapperResolver } from '../../orchestrator/resolve/g2p-mapper';
import { reconcile } from '../../orchestrator/reconcile/match';
import { readCamt053 } from '../../orchestrator/reconcile/camt053';
import { readMt940 } from '../../orchestrator/reconcile/mt940';

const silent = pino({ level: 'silent' });

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await request(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return (await res.body.json()) as Record<string, unknown>;
}

describe('G2P cycle parties in the world of gpo up', () => {
  let up: Up;
  let resolver: G2pMapperResolver;
  before(async () => {
    up = await startUp({ ports: 'random', orchestrator: false });
    resolver = new G2pMapperResolver({ url: up.world.urls.mapper, logger: silent });
  });
  after(async () => {
    await resolver?.close();
    await up?.stop();
  });

  it('lists the mapper and the sponsor bank in the port map, each answering /health', async () => {
    for (const name of ['mapper (G2P Connect)', 'sponsor bank']) {
      const line = up.table.split('\n').find((l) => l.startsWith(name));
      assert.ok(line, `${name} in\n${up.table}`);
      const res = await request(`${line!.trim().split(/\s+/).pop()!}/health`);
      assert.equal(res.statusCode, 200, name);
      await res.body.dump();
    }
  });

  it('resolves the default payees through the mapper to parties their payee DFSPs serve; unknown ids fail alone', async () => {
    const ids = [mapperBeneficiaryId('payeefsp1', 'wallet', 1), mapperBeneficiaryId('payeefsp2', 'bank', 42), 'token:NOBODY@nationalId',
      mapperBeneficiaryId('payeefsp2', 'wallet', 5)];
    const out = await resolver.resolve(ids.map((id, i) => ({ key: String(i), id })));
    assert.deepEqual(out.map((r) => r.outcome), ['resolved', 'resolved', 'unresolved', 'resolved']);
    for (const r of out) {
      if (r.outcome !== 'resolved') continue;
      assert.ok(up.world.payees[r.payeeFsp].core.directory.lookup(r.payeeIdType, r.payeeIdValue),
        `${r.payeeIdType} ${r.payeeIdValue} at ${r.payeeFsp}`);
    }
  });

  it('pays resolved payees through the sponsor bank; its MT940 and camt.053 reconcile every payment, a reversal with its reason',
    async () => {
    const bank = up.world.urls.sponsorBank;
    const ids = [1, 2, 3].map((n) => mapperBeneficiaryId('payeefsp1', n === 2 ? 'bank' : 'wallet', n));
    const resolved = await resolver.resolve(ids.map((id, i) => ({ key: `GPO-CYCLE-${i + 1}`, id })));
    const amounts = ['10.00', '20.50', '5.25'];
    const block = await post(`${bank}/block_funds`, { account_number: 'PRG-0001', currency: 'USD', amount: '35.75' });
    assert.equal(block.status, 'success');
    const rules = await request(`${bank}/admin/reversal-rules`, { method: 'PUT', body:
      JSON.stringify({ rules: [{ match: { beneficiaryAccount: '^254710000003$' }, reason: 'ACCOUNT_DORMANT' }] }), headers:
        { 'content-type': 'application/json' } });
    assert.equal(rules.statusCode, 200);
    await rules.body.dump();
    const payments = resolved.map((r, i) => {
      assert.equal(r.outcome, 'resolved');
      if (r.outcome !== 'resolved') throw new Error('unresolved');
      return {
        payment_reference_number: r.key, remitting_account: 'PRG-0001', remitting_account_currency: 'USD', payment_amount: amounts[i],
        funds_blocked_reference_number: block.block_reference_no, beneficiary_name: r.name ?? 'payee', beneficiary_account: r.payeeIdValue,
        beneficiary_account_currency: 'USD', beneficiary_account_type: r.kind === 'bank' ? 'BANK_ACCOUNT' : 'MOBILE_WALLET',
        beneficiary_bank_code: r.bankCode ?? '', beneficiary_branch_code: r.branchCode ?? '', beneficiary_mobile_wallet_provider:
          r.kind === 'wallet' ? r.provider : null,
        beneficiary_phone_no: r.kind === 'wallet' ? r.payeeIdValue : null, narrative_1: 'Cycle 1', narrative_4: ids[i], payment_date:
          '2026-03-01',
      };
    });
    assert.deepEqual(await post(`${bank}/initiate_payment`, payments), { status: 'success', error_message: '' });
    await up.world.sponsorBank!.idle();
    const statement = await post(`${bank}/generate_account_statement`, { program_account_number: 'PRG-0001' });
    const expected = payments.map((p) => ({ reference: p.payment_reference_number, amount: p.payment_amount, currency: 'USD' }));
    for (const format of ['mt940', 'camt.053']) {
      const text = await (await request(`${bank}/account_statement/${statement.account_statement_id}?format=${format}`)).body.text();
      const [s] = format === 'mt940' ? readMt940(text) : readCamt053(text);
      const r = reconcile(s.lines, expected);
      assert.deepEqual(r.payments.map((p) => [p.state, p.reason?.code ?? null]),
        [['paid', null], ['paid', null], ['reversed', 'ACCOUNT_DORMANT']], format);
      assert.equal(r.totals.paidNet, '30.5');
    }
  });
});
