import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../../shared/ids';
import { formatFixed, toUnits } from '../../shared/money';
import { readCamt053 } from '../../orchestrator/reconcile/camt053';
import { reconcile, type ExpectedPayment } from '../../orchestrator/reconcile/match';
import { readMt940 } from '../../orchestrator/reconcile/mt940';
import { reversalReason, StatementError, type StatementLine } from '../../orchestrator/reconcile/statement';
import { REVERSAL_REASONS, SponsorBankLedger, writeCamt053, writeMt940, type PaymentInstruction,
  type ReversalReason } from '../../simulators/sponsor-bank';

/** An MT940 as another bank writes it: SWIFT blocks, structured :86:, a reversal, a fee nobody expects. */
const FOREIGN_MT940 = [
  '{1:F01BANKXXXXAXXX0000000000}{2:O9401200260301BANKXXXXAXXX00000000002603011200N}{4:',
  ':20:STMT-2026-03-01',
  ':25:PRG-0001',
  ':28C:00042/001',
  ':60F:C260228USD5000,00',
  ':61:2603010301D120,00NTRFGPO000000000001//BANKREF0001',
  ':86:/EREF/GPO000000000001/NAME/Amina Achieng',
  ':61:2603010301D80,50NTRFGPO000000000002//BANKREF0002',
  ':86:/EREF/GPO000000000002',
  ':61:2603020302RD80,50NTRFGPO000000000002//BANKREF0003',
  ':86:/RTRN/AC04/EREF/GPO000000000002',
  ':61:2603020302D1,50NMSCNONREF//FEE0001',
  ':86:Monthly account fee',
  ':62F:C260302USD4878,50',
  '-}',
].join('\r\n');

const CAMT = (entries: string, closing = '4799.00') => `<?xml version="1.0" encoding="UTF-8"?>
<ns:Document xmlns:ns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><ns:BkToCstmrStmt>
 <ns:GrpHdr><ns:MsgId>M1</ns:MsgId><ns:CreDtTm>2026-03-02T18:00:00+03:00</ns:CreDtTm></ns:GrpHdr>
 <ns:Stmt><ns:Id>CAMT-1</ns:Id><ns:ElctrncSeqNb>7</ns:ElctrncSeqNb>
  <ns:Acct><ns:Id><ns:IBAN>KE00SPON0000PRG0001</ns:IBAN></ns:Id><ns:Ccy>USD</ns:Ccy></ns:Acct>
  <ns:Bal><ns:Tp><ns:CdOrPrtry><ns:Cd>PRCD</ns:Cd></ns:CdOrPrtry></ns:Tp><ns:Amt Ccy="USD">5000.00</ns:Amt><ns:CdtDbtInd>CRDT</ns:CdtDbtInd><ns:Dt><ns:Dt>2026-03-01</ns:Dt></ns:Dt></ns:Bal>
  <ns:Bal><ns:Tp><ns:CdOrPrtry><ns:Cd>CLBD</ns:Cd></ns:CdOrPrtry></ns:Tp><ns:Amt Ccy="USD">${closing}</ns:Amt><ns:CdtDbtInd>CRDT</ns:CdtDbtInd><ns:Dt><ns:Dt>2026-03-02</ns:Dt></ns:Dt></ns:Bal>
  ${entries}
 </ns:Stmt></ns:BkToCstmrStmt></ns:Document>`;

const BATCH_ENTRY =
  `<ns:Ntry><ns:Amt Ccy="USD">201.00</ns:Amt><ns:CdtDbtInd>DBIT</ns:CdtDbtInd><ns:Sts>BOOK</ns:Sts><ns:BookgDt><ns:Dt>2026-03-01</ns:Dt></ns:BookgDt><ns:ValDt><ns:Dt>2026-03-01</ns:Dt></ns:ValDt>
  <ns:NtryDtls><ns:TxDtls><ns:Refs><ns:InstrId>I-1</ns:InstrId><ns:EndToEndId>GPO-A</ns:EndToEndId></ns:Refs><ns:AmtDtls><ns:TxAmt><ns:Amt Ccy="USD">120.00</ns:Amt></ns:TxAmt></ns:AmtDtls><ns:RmtInf><ns:Ustrd>March</ns:Ustrd><ns:Ustrd>cycle 3</ns:Ustrd></ns:RmtInf></ns:TxDtls>
  <ns:TxDtls><ns:Refs><ns:EndToEndId>NOTPROVIDED</ns:EndToEndId><ns:TxId>GPO-B</ns:TxId></ns:Refs><ns:Amt Ccy="USD">81.00</ns:Amt></ns:TxDtls></ns:NtryDtls></ns:Ntry>
 <ns:Ntry><ns:Amt Ccy="USD">81.00</ns:Amt><ns:CdtDbtInd>CRDT</ns:CdtDbtInd><ns:BookgDt><ns:DtTm>2026-03-02T09:00:00+03:00</ns:DtTm></ns:BookgDt>
  <ns:NtryDtls><ns:TxDtls><ns:Refs><ns:EndToEndId>GPO-B</ns:EndToEndId></ns:Refs><ns:RtrInf><ns:Rsn><ns:Cd>MD07</ns:Cd></ns:Rsn></ns:RtrInf></ns:TxDtls></ns:NtryDtls></ns:Ntry>
 <ns:Ntry><ns:Amt Ccy="USD">81.00</ns:Amt><ns:CdtDbtInd>DBIT</ns:CdtDbtInd><ns:ValDt><ns:Dt>2026-03-02</ns:Dt></ns:ValDt><ns:NtryDtls><ns:TxDtls><ns:Refs><ns:EndToEndId>GPO-A</ns:EndToEndId></ns:Refs></ns:TxDtls></ns:NtryDtls></ns:Ntry>`;

describe('statement readers', () => {
  it('reads another bank\'s MT940: blocks, structured :86:, reversal reason codes, exact amounts', () => {
    const [s] = readMt940(FOREIGN_MT940);
    assert.deepEqual([s.format, s.id, s.account, s.currency, s.number, s.openingBalance, s.closingBalance],
      ['mt940', 'STMT-2026-03-01', 'PRG-0001', 'USD', '00042', '5000', '4878.5']);
    assert.deepEqual(s.lines.map((l) => [l.direction, l.reversal, l.amount, l.valueDate, l.references[0] ?? null, l.reason?.code ?? null]),
      [
      ['debit', false, '120', '2026-03-01', 'GPO000000000001', null],
      ['debit', false, '80.5', '2026-03-01', 'GPO000000000002', null],
      ['credit', true, '80.5', '2026-03-02', 'GPO000000000002', 'ACCOUNT_CLOSED'],
      ['debit', false, '1.5', '2026-03-02', null, null],
    ]);
    assert.equal(s.lines[0].bankReference, 'BANKREF0001');
    const r = reconcile(s.lines, [{ reference: 'GPO000000000001', amount: '120.00', currency: 'USD' },
      { reference: 'GPO000000000002', amount: '80.50', currency: 'USD' }, { reference: 'GPO000000000009', amount: '5', currency: 'USD' }]);
    assert.deepEqual(r.payments.map((p) => p.state), ['paid', 'reversed', 'not-on-statement']);
    assert.deepEqual(r.counts, { paid: 2, duplicate: 0, reversed: 1, 'reversal-without-debit': 0, 'amount-mismatch': 0, unmatched: 1 });
    assert.deepEqual(r.totals, { debited: '200.5', reversed: '80.5', unmatchedDebits: '1.5', unmatchedCredits: '0', paidNet: '120' });
  });

  it('refuses an MT940 whose turnover does not reach its closing balance, or that is no MT940', () => {
    assert.throws(() => readMt940(FOREIGN_MT940.replace(':62F:C260302USD4878,50', ':62F:C260302USD4878,51')), (e: StatementError) =>
      e.code === 'STATEMENT_UNBALANCED');
    assert.throws(() => readMt940('hello'), (e: StatementError) => e instanceof StatementError && e.code === 'STATEMENT_UNREADABLE');
  });

  it('reads a camt.053.001.02 with a batch-booked entry (one line per transaction), a return without RvslInd, and a second debit', () => {
    const [s] = readCamt053(CAMT(BATCH_ENTRY));
    assert.deepEqual([s.format, s.id, s.account, s.number, s.openingBalance, s.closingBalance],
      ['camt.053', 'CAMT-1', 'KE00SPON0000PRG0001', '7', '5000', '4799']);
    assert.deepEqual(s.lines.map((l) => [l.direction, l.reversal, l.amount, l.valueDate, l.references, l.reason?.code ?? null]), [
      ['debit', false, '120', '2026-03-01', ['GPO-A', 'I-1'], null],
      ['debit', false, '81', '2026-03-01', ['GPO-B'], null],
      ['credit', false, '81', '2026-03-02', ['GPO-B'], 'ACCOUNT_DECEASED'],
      ['debit', false, '81', '2026-03-02', ['GPO-A'], null],
    ]);
    assert.equal(s.lines[0].details, 'March\ncycle 3');
    const r = reconcile(s.lines, [{ reference: 'GPO-A', amount: '120', currency: 'USD' },
      { reference: 'GPO-B', amount: '81', currency: 'USD' }]);
    assert.deepEqual(r.lines.map((l) => l.kind), ['paid', 'paid', 'reversed', 'amount-mismatch']);
    assert.deepEqual(r.payments.map((p) => [p.state, p.reason?.code ?? null]), [['paid', null], ['reversed', 'ACCOUNT_DECEASED']]);
  });

  it('refuses camt.053 documents that do not add up, are not camt.053, or are not XML', () => {
    assert.throws(() => readCamt053(CAMT(BATCH_ENTRY, '4800.00')), (e: StatementError) => e.code === 'STATEMENT_UNBALANCED');
    assert.throws(() => readCamt053(CAMT(BATCH_ENTRY).replace('camt.053.001.02', 'camt.052.001.02')), (e: StatementError) =>
      e.code === 'STATEMENT_UNREADABLE' && /namespace/.test(e.message));
    assert.throws(() => readCamt053('<Document'), (e: StatementError) => e.code === 'STATEMENT_UNREADABLE');
    assert.throws(() => readCamt053(CAMT(BATCH_ENTRY.replace('<ns:Amt Ccy="USD">81.00</ns:Amt><ns:CdtDbtInd>DBIT</ns:CdtDbtInd><ns:ValDt>',
      '<ns:Amt Ccy="USD">8.1e1</ns:Amt><ns:CdtDbtInd>DBIT</ns:CdtDbtInd><ns:ValDt>'))), (e: StatementError) =>
        e.code === 'STATEMENT_UNREADABLE' && /decimal/.test(e.message));
  });

  it('normalises reasons given as ISO codes or words', () => {
    assert.equal(reversalReason('AC04', undefined)?.code, 'ACCOUNT_CLOSED');
    assert.equal(reversalReason(undefined, 'ACCOUNT_DORMANT')?.code, 'ACCOUNT_DORMANT');
    assert.equal(reversalReason(undefined, 'returned: beneficiary deceased')?.code, 'ACCOUNT_DECEASED');
    assert.equal(reversalReason(undefined, 'see AC01')?.code, 'ACCOUNT_NOT_FOUND');
    assert.deepEqual(reversalReason('XX99', 'bank says no'), { code: 'OTHER', raw: 'XX99 bank says no' });
    assert.equal(reversalReason(undefined, undefined), undefined);
  });
});

const line = (index: number, direction: 'debit' | 'credit', amount: string, ref: string, reversal = false): StatementLine => (
  { statementId: 'S', index, direction, reversal, amount, currency: 'USD', valueDate: '2026-03-01', references: [ref] });

describe('reconciliation (properties)', () => {
  const payments = fc.uniqueArray(fc.record({ reference: fc.stringMatching(/^[A-Z0-9]{4,16}$/), cents:
    fc.integer({ min: 1, max: 10_000_000 }) }), { minLength: 1, maxLength: 40, selector: (p) => p.reference });

  it('every payment debited once is paid; taken back after it, reversed; a second debit is a duplicate; others unmatched; totals add up',
    () => {
    fc.assert(fc.property(payments, fc.array(fc.nat(), { maxLength: 80 }), fc.integer({ min: 0, max: 2 ** 31 }), (ps, picks, seed) => {
      const rnd = new SeededRandom(seed);
      const expected: ExpectedPayment[] = ps.map((p) => ({ reference: p.reference, amount: formatFixed(BigInt(p.cents) * 100n, 'USD'),
        currency: 'USD' }));
      // What happens to each payment: 0 never booked, 1 paid, 2 paid then reversed, 3 paid twice.
      const fate = ps.map((_, i) => (picks[i] ?? 1) % 4);
      const lines: StatementLine[] = [];
      const later: StatementLine[] = [];
      ps.forEach((p, i) => {
        const amount = expected[i].amount;
        if (fate[i] >= 1) lines.push(line(0, 'debit', amount, p.reference));
        if (fate[i] === 2) later.push(line(0, 'credit', amount, p.reference, true));
        if (fate[i] === 3) later.push(line(0, 'debit', amount, p.reference));
      });
      const noise = picks.slice(ps.length).map((n) => line(0, n % 2 ? 'debit' : 'credit', `${(n % 500) + 1}`, `OTHER-${n}`));
      // First debits in any order, then what came later, with unrelated lines anywhere.
      const all = [...lines, ...later, ...noise].map((l, k) => ({ l, k: k < lines.length ? rnd.next() : 1 + rnd.next() }));
      const ordered = all.sort((a, b) => a.k - b.k).map(({ l }, index) => ({ ...l, index }));
      const r = reconcile(ordered, expected);
      assert.deepEqual(r.payments.map((p) => p.state), fate.map((f) => (f === 0 ? 'not-on-statement' : f === 2 ? 'reversed' : 'paid')));
      assert.equal(r.counts.duplicate, fate.filter((f) => f === 3).length);
      assert.equal(r.counts.unmatched, noise.length);
      const cents = (f: (x: number) => boolean) => ps.reduce((t, p, i) => t + (f(fate[i]) ? BigInt(p.cents) : 0n), 0n);
      assert.equal(toUnits(r.totals.paidNet), (cents((f) => f === 1) + 2n * cents((f) => f === 3)) * 100n);
      assert.equal(toUnits(r.totals.debited) - toUnits(r.totals.reversed), toUnits(r.totals.paidNet));
    }), { seed: 1616, numRuns: 200 });
  });

  it('the sponsor bank\'s MT940 and camt.053 of the same ledger read back to the same lines, and both reconcile as the ledger says', () => {
    const reasons = fc.constantFrom<ReversalReason | null>(null, null, ...REVERSAL_REASONS);
    fc.assert(fc.property(fc.array(fc.record({ cents: fc.integer({ min: 1, max: 99_999_999 }), reason: reasons, longRef: fc.boolean(),
      wallet: fc.boolean() }), { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 1000 }), (items, seed) => {
      const ledger = new SponsorBankLedger('sponsorbank', [{ number: 'PRG-0001', currency: 'USD', balance: toUnits('10000000') }],
        new SeededRandom(seed));
      const total = items.reduce((t, it) => t + BigInt(it.cents) * 100n, 0n);
      const hold = ledger.blockFunds('PRG-0001', 'USD', total);
      const batch: PaymentInstruction[] = items.map((it, i) => ({
        reference: it.longRef ? `GPO-PAYMENT-${seed}-${String(i).padStart(8, '0')}` : `P${seed}X${i}`, remittingAccount: 'PRG-0001',
        currency: 'USD',
        amount: BigInt(it.cents) * 100n, holdReference: hold.reference, beneficiaryName: `Payee ${i}`, beneficiaryAccount: it.wallet
          ? `2547100${i}` : `SB-${i}`,
        beneficiaryAccountCurrency: 'USD', beneficiaryAccountType: it.wallet ? 'MOBILE_WALLET' : 'BANK_ACCOUNT', bankCode: it.wallet ? ''
          : 'sponsorbank', branchCode: '',
        ...(it.wallet ? { walletProvider: 'payeefsp1' } : {}), narratives: ['March', 'CT', '', `id-${i}`, '', ''], paymentDate:
          '2026-03-01',
      }));
      const batchId = ledger.acceptPayments(batch);
      ledger.processBatch(batchId, '2026-03-01T10:00:00.000Z');
      items.forEach((it, i) => { if (it.reason) ledger.reverse(batch[i].reference, it.reason, '2026-03-02T10:00:00.000Z'); });
      const s = ledger.statement('PRG-0001', '2026-03-02T18:00:00.000Z');
      const [m] = readMt940(writeMt940(s));
      const [c] = readCamt053(writeCamt053(s, 'sponsorbank'));
      const view = (l: StatementLine) => [l.direction, l.reversal, l.amount, l.valueDate, l.references[0], l.reason?.code ?? null];
      assert.deepEqual(m.lines.map(view), c.lines.map(view));
      assert.deepEqual([m.openingBalance, m.closingBalance], [c.openingBalance, c.closingBalance]);
      const expected = batch.map((p) => ({ reference: p.reference, amount: formatFixed(p.amount, 'USD'), currency: 'USD' }));
      for (const st of [m, c]) {
        const r = reconcile(st.lines, expected);
        assert.deepEqual(r.payments.map((p) => [p.state, p.reason?.code ?? null]),
          items.map((it) => (it.reason ? ['reversed', it.reason] : ['paid', null])));
        assert.equal(r.counts.unmatched, 0);
      }
    }), { seed: 940, numRuns: 60 });
  });
});
