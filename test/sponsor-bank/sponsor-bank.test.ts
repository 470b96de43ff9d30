import assert from 'node:assert/strict';
import pino from 'pino';
import request from 'supertest';
import { startSponsorBank, type RunningSponsorBank, type SponsorBankOptions } from '../../simulators/sponsor-bank';
import { readCamt053 } from '../../orchestrator/reconcile/camt053';
import { reconcile } from '../../orchestrator/reconcile/match';
import { readMt940 } from '../../orchestrator/reconcile/mt940';

const silent = pino({ level: 'silent' });

type Payee = { ref: string; amount: string | number; type?: 'BANK_ACCOUNT' | 'MOBILE_WALLET'; account: string; bank?: string;
  wallet?: string; name?: string };

/** What the G2P Bridge's example bank connector sends per payment (narrative_4 = the beneficiary id). */
function payment(block: string, p: Payee) {
  return {
    payment_reference_number: p.ref, remitting_account: 'PRG-0001', remitting_account_currency: 'USD', payment_amount: p.amount,
    funds_blocked_reference_number: block, beneficiary_name: p.name ?? `Payee ${p.ref}`, beneficiary_account: p.account,
    beneficiary_account_currency: 'USD', beneficiary_account_type: p.type ?? 'BANK_ACCOUNT', beneficiary_bank_code: p.bank ?? 'sponsorbank',
    beneficiary_branch_code: 'main', beneficiary_mobile_wallet_provider: p.wallet ?? null, beneficiary_phone_no: p.type === 'MOBILE_WALLET'
      ? p.account : null,
    narrative_1: 'Cash transfer March', narrative_2: 'CT', narrative_3: 'CYCLE-3', narrative_4: `token:${p.ref}@nationalId`, narrative_5:
      '', narrative_6: '',
    payment_date: '2026-03-01',
  };
}

describe('sponsor-bank simulator (OpenG2P example bank shape)', () => {
  let bank: RunningSponsorBank;
  const start = async (o: SponsorBankOptions = {}) => {
    bank = await startSponsorBank({ port: 0, logger: silent, ...o });
  };
  afterEach(async () => bank?.stop());
  const account = async (n: string) => (await request(bank.url).get(`/accounts/${encodeURIComponent(n)}`).expect(200)).body;

  it('checks and blocks funds, pays intra-bank and through clearing accounts, and reports it in MT940 and camt.053', async () => {
    await start({
      accounts: [
        { number: 'PRG-0001', currency: 'USD', balance: '1000.00', holder: 'Cash Transfer Program' },
        { number: 'SB-2002', currency: 'USD', status: 'closed' },
      ],
      reversalRules: [{ match: { walletProvider: '^payeefsp2$' }, reason: 'ACCOUNT_DECEASED' }],
    });
    const check = await request(bank.url).post('/check_funds').send({ account_number: 'PRG-0001', account_currency: 'USD',
      total_funds_needed: 600.5 }).expect(200);
    assert.deepEqual(check.body, { status: 'success', account_number: 'PRG-0001', has_sufficient_funds: true, error_message: '' });
    const short = await request(bank.url).post('/check_funds').send({ account_number: 'PRG-0001', account_currency: 'USD',
      total_funds_needed: '1000.01' }).expect(200);
    assert.equal(short.body.has_sufficient_funds, false);
    assert.equal(short.body.error_code, 'INSUFFICIENT_FUNDS');
    const block = await request(bank.url).post('/block_funds').send({ account_number: 'PRG-0001', currency: 'USD', amount:
      '600.50' }).expect(200);
    assert.equal(block.body.status, 'success');
    const ref = block.body.block_reference_no as string;
    assert.match(ref, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await account('PRG-0001'), { account_number: 'PRG-0001', currency: 'USD', holder: 'Cash Transfer Program', status:
      'active', book_balance: '1000.00', blocked_amount: '600.50', available_balance: '399.50' });
    const payees: Payee[] = [
      { ref: 'PAY0000000000001', amount: 100.25, account: 'SB-1001' },
      { ref: 'PAY0000000000002', amount: '200', account: 'SB-2002' },
      { ref: 'PAY0000000000003', amount: '150.25', account: 'PF1-100001', bank: 'payeefsp1' },
      { ref: 'PAYMENT-REFERENCE-LONGER-THAN-16', amount: '50', type: 'MOBILE_WALLET', account: '254720000001', wallet: 'payeefsp2' },
    ];
    const init = await request(bank.url).post('/initiate_payment').send(payees.map((p) => payment(ref, p))).expect(200);
    assert.deepEqual(init.body, { status: 'success', error_message: '' });
    await bank.idle();
    assert.equal((await account('SB-1001')).book_balance, '100.25', 'intra-bank credit');
    assert.equal((await account('CLEARING - payeefsp1')).book_balance, '150.25', 'another bank: its clearing account');
    assert.equal((await account('CLEARING - payeefsp2')).book_balance, '0.00', 'a wallet provider: credited, then reversed');
    assert.equal((await account('SB-2002')).book_balance, '0.00', 'a closed account gives the money back');
    const program = await account('PRG-0001');
    assert.equal(program.book_balance, '749.50', '1000 - 100.25 - 150.25 (the two reversed payments came back)');
    assert.equal(program.blocked_amount, '350.00', '600.50 blocked - 500.50 paid + 250 come back into the block');
    const p2 = (await request(bank.url).get('/payments/PAY0000000000002').expect(200)).body;
    assert.deepEqual([p2.status, p2.reversal_reason], ['REVERSED', 'ACCOUNT_CLOSED']);

    const gen = await request(bank.url).post('/generate_account_statement').send({ program_account_number: 'PRG-0001' }).expect(200);
    assert.equal(gen.body.status, 'success');
    const id = gen.body.account_statement_id as string;
    const mt940 = await request(bank.url).get(`/account_statement/${id}`).expect(200);
    assert.match(mt940.headers['content-type'], /text\/plain/);
    assert.match(mt940.text,
      /^:20:SBSTMT00000001\r\n:25:PRG-0001\r\n:28C:1\/1\r\n:60F:C\d{6}USD1000,00\r\n:61:\d{10}D100,25NTRFPAY0000000000001\/\/SB\d{14}\r\n:86:Cash transfer March\r\nCT\r\nCYCLE-3\r\ntoken:PAY0000000000001 nationalId\r\n\.\r\n\.\r\n/);
    assert.match(mt940.text, /:61:\d{10}D50,00NTRFNONREF\/\/SB\d{14}\r\nPAYMENT-REFERENCE-LONGER-THAN-16\r\n/);
    assert.match(mt940.text, /:61:\d{10}RD200,00NTRFPAY0000000000002\/\/SB\d{14}\r\n(.*\r\n){5}ACCOUNT_CLOSED\r\n/);
    assert.match(mt940.text, /:62F:C\d{6}USD749,50\r\n:64:C\d{6}USD399,50\r\n$/);
    const camt = await request(bank.url).get(`/account_statement/${id}?format=camt.053`).expect(200);
    assert.match(camt.headers['content-type'], /application\/xml/);
    assert.match(camt.text, /<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">/);
    assert.match(camt.text, /<RvslInd>true<\/RvslInd>/);
    assert.match(camt.text, /<Cd>MD07<\/Cd>/);

    // Both statements say the same, and reconcile the four payments the same way.
    const expected = payees.map((p) => ({ reference: p.ref, amount: String(p.amount), currency: 'USD' }));
    for (const [statement] of [readMt940(mt940.text), readCamt053(camt.text)]) {
      assert.equal(statement.account, 'PRG-0001');
      assert.equal(statement.openingBalance, '1000');
      assert.equal(statement.closingBalance, '749.5');
      const r = reconcile(statement.lines, expected);
      assert.deepEqual(r.payments.map((p) => [p.reference, p.state, p.reason?.code ?? null]), [
        ['PAY0000000000001', 'paid', null], ['PAY0000000000002', 'reversed', 'ACCOUNT_CLOSED'],
        ['PAY0000000000003', 'paid', null], ['PAYMENT-REFERENCE-LONGER-THAN-16', 'reversed', 'ACCOUNT_DECEASED'],
      ], statement.format);
      assert.equal(r.totals.paidNet, '250.5');
      assert.equal(r.counts.unmatched, 0);
    }
    // A second statement holds only what happened since, opening where the first closed.
    await request(bank.url).post('/release_funds').send({ block_reference_no: ref }).expect(200);
    assert.equal((await account('PRG-0001')).available_balance, '749.50');
    const next = await request(bank.url).post('/generate_account_statement').send({ program_account_number: 'PRG-0001' }).expect(200);
    const empty = readMt940((await request(bank.url).get(`/account_statement/${next.body.account_statement_id}`).expect(200)).text)[0];
    assert.deepEqual([empty.number, empty.openingBalance, empty.closingBalance, empty.lines.length], ['2', '749.5', '749.5', 0]);
  });

  it('takes a batch whole or not at all, with the example bank\'s answers and a code', async () => {
    await start({ processingDelayMs: 'manual', refuseDuplicateReferences: true });
    const block = (await request(bank.url).post('/block_funds').send({ account_number: 'PRG-0001', currency: 'USD', amount:
      '100' }).expect(200)).body.block_reference_no;
    const over = await request(bank.url).post('/initiate_payment').send([payment(block, { ref: 'A', amount: '60', account: 'SB-1' }),
      payment(block, { ref: 'B', amount: '50', account: 'SB-2' })]).expect(200);
    assert.deepEqual([over.body.status, over.body.error_code], ['failed', 'BLOCK_EXCEEDED']);
    const wrong = await request(bank.url).post('/initiate_payment').send([payment('no-such-block',
      { ref: 'A', amount: '1', account: 'SB-1' })]).expect(200);
    assert.equal(wrong.body.error_message, 'Invalid funds block reference or mismatch in details');
    const long = await request(bank.url).post('/initiate_payment').send([payment(block,
      { ref: 'R'.repeat(35), amount: '1', account: 'SB-1' })]).expect(200);
    assert.equal(long.body.error_code, 'REFERENCE_TOO_LONG');
    const eur = await request(bank.url).post('/initiate_payment').send([{ ...payment(block, { ref: 'E', amount: '1', account: 'SB-1' }),
      beneficiary_account_currency: 'EUR' }]).expect(200);
    assert.equal(eur.body.error_code, 'CURRENCY_MISMATCH');
    assert.equal(bank.ledger.payments.size, 0, 'nothing of a refused batch was kept');
    await request(bank.url).post('/initiate_payment').send([payment(block, { ref: 'A', amount: '60', account: 'SB-1' })]).expect(200);
    const again = await request(bank.url).post('/initiate_payment').send([payment(block,
      { ref: 'A', amount: '10', account: 'SB-1' })]).expect(200);
    assert.equal(again.body.error_code, 'DUPLICATE_REFERENCE');
    assert.equal((await request(bank.url).get('/payments/A').expect(200)).body.status, 'PENDING', 'manual processing: nothing booked yet');
    await request(bank.url).post('/admin/process').expect(200);
    assert.equal((await request(bank.url).get('/payments/A').expect(200)).body.status, 'PAID');
    await request(bank.url).post('/admin/reversals').send({ payment_reference_number: 'A', reason: 'ACCOUNT_DORMANT' }).expect(200);
    assert.equal((await request(bank.url).get('/payments/A').expect(200)).body.reversal_reason, 'ACCOUNT_DORMANT');
    const twice = await request(bank.url).post('/admin/reversals').send({ payment_reference_number: 'A', reason:
      'ACCOUNT_DORMANT' }).expect(200);
    assert.equal(twice.body.error_code, 'NOT_REVERSIBLE');

    const bad = await request(bank.url).post('/initiate_payment').send([{ ...payment(block,
      { ref: 'C', amount: '1.001', account: 'SB-1' }) }]).expect(422);
    assert.equal(bad.body.error_code, 'INVALID_REQUEST');
    assert.deepEqual(bad.body.detail[0].loc, ['body', 0, 'payment_amount']);
    const neg = await request(bank.url).post('/block_funds').send({ account_number: 'PRG-0001', currency: 'USD', amount: -5 }).expect(422);
    assert.deepEqual(neg.body.detail[0].loc, ['body', 'amount']);
    await request(bank.url).post('/check_funds').set('content-type', 'application/json').send('{"account').expect(422);
    const none = await request(bank.url).post('/block_funds').send({ account_number: 'NOPE', currency: 'USD', amount: '1' }).expect(200);
    assert.deepEqual([none.body.status, none.body.error_code, none.body.block_reference_no], ['failed', 'ACCOUNT_NOT_FOUND', '']);
    const ccy = await request(bank.url).post('/check_funds').send({ account_number: 'PRG-0001', account_currency: 'EUR', total_funds_needed:
      '1' }).expect(200);
    assert.equal(ccy.body.error_code, 'CURRENCY_MISMATCH');
    await request(bank.url).get('/account_statement/nope').expect(404);
  });

  it('fails an unknown intra-bank account back as ACCOUNT_NOT_FOUND, and answers fault rules', async () => {
    await start();
    const block = (await request(bank.url).post('/block_funds').send({ account_number: 'PRG-0001', currency: 'USD', amount:
      '10' }).expect(200)).body.block_reference_no;
    await request(bank.url).post('/initiate_payment').send([payment(block,
      { ref: 'X1', amount: '10', account: 'NOT-A-CUSTOMER' })]).expect(200);
    await bank.idle();
    assert.equal((await request(bank.url).get('/payments/X1').expect(200)).body.reversal_reason, 'ACCOUNT_NOT_FOUND');
    await request(bank.url).put('/admin/rules').send({ rules: [
      { match: { resource: 'block_funds' }, action: { type: 'error', errorCode: '4001', errorDescription: 'Insufficient funds' }, times:
        1 },
      { match: { resource: 'check_funds' }, action: { type: 'httpStatus', status: 503 }, times: 1 },
    ] }).expect(200);
    const refused = await request(bank.url).post('/block_funds').send({ account_number: 'PRG-0001', currency: 'USD', amount:
      '1' }).expect(200);
    assert.deepEqual([refused.body.status, refused.body.block_reference_no], ['failed', '']);
    await request(bank.url).post('/check_funds').send({ account_number: 'PRG-0001', account_currency: 'USD', total_funds_needed:
      '1' }).expect(503);
    await request(bank.url).put('/admin/reversal-rules').send({ rules: [{ match: {}, reason: 'NOPE' }] }).expect(200).expect((r) =>
      assert.equal(r.body.error_code, 'INVALID_RULE'));
    assert.equal((await request(bank.url).get('/health').expect(200)).body.status, 'UP');
  });
});
