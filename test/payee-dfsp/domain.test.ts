import assert from 'node:assert/strict';
import { SeededRandom } from '../../shared/ids';
import { fulfilmentMatchesCondition } from '../../simulators/fspiop/ilp';
import { PartyDirectory } from '../../simulators/payee-dfsp/domain/directory';
import { computeFee } from '../../simulators/payee-dfsp/domain/fees';
import { BulkTransfersPostRequest, PayeeCore, QuotesPostRequest, TransfersPostRequest } from '../../simulators/payee-dfsp/domain/payee';
import { toUnits } from '../../shared/money';

const rnd = new SeededRandom(42);
const NOW = Date.parse('2030-01-01T10:00:00.000Z');

function core(overrides: Partial<ConstructorParameters<typeof PayeeCore>[0]> = {}): PayeeCore {
  return new PayeeCore({
    fspId: 'payeefsp1',
    currencies: ['USD'],
    ilpSecret: 'secret',
    parties: [{ idType: 'MSISDN', idValue: '254700000001', firstName: 'Amina', lastName: 'Achieng', account: 'acc-1' }],
    partyRules: [{ idType: 'MSISDN', range: { from: '254711000000', to: '254711999999' } }],
    fees: [{ fixed: '0.5', percent: '1' }],
    ...overrides,
  });
}

function quoteReq(amount: string, amountType: 'SEND' | 'RECEIVE' = 'SEND', msisdn = '254700000001'): QuotesPostRequest {
  return {
    quoteId: rnd.uuid(),
    transactionId: rnd.uuid(),
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId: 'payeefsp1' } },
    payer: { partyIdInfo: { partyIdType: 'BUSINESS', partyIdentifier: 'treasury', fspId: 'govbank' } },
    amountType,
    amount: { currency: 'USD', amount },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'BUSINESS' },
  };
}

function transferFor(c: PayeeCore, q: QuotesPostRequest): TransfersPostRequest {
  const a = c.quote(q, NOW);
  assert.equal(a.kind, 'new');
  if (a.kind !== 'new' || !a.decision.ok) throw new Error('quote failed');
  return {
    transferId: q.transactionId,
    payerFsp: 'govbank',
    payeeFsp: 'payeefsp1',
    amount: a.decision.body.transferAmount,
    ilpPacket: a.decision.body.ilpPacket,
    condition: a.decision.body.condition,
    expiration: '2030-01-01T10:00:30.000Z',
  };
}

describe('payee DFSP domain', () => {
  it('directory: explicit parties, generated ranges with stable names, unknown ids', () => {
    const d = new PartyDirectory(
      [{ idType: 'MSISDN', idValue: '1', firstName: 'A', lastName: 'B' }],
      [{ idType: 'MSISDN', range: { from: '2547000000', to: '2547999999' }, account: 'wallet-{idValue}' },
        { idType: 'ACCOUNT_ID', pattern: 'ACC[0-9]{6}' }],
      ['USD'],
    );
    assert.equal(d.lookup('MSISDN', '1')?.firstName, 'A');
    const g = d.lookup('MSISDN', '2547123456');
    assert.ok(g?.generated);
    assert.equal(g?.account, 'wallet-2547123456');
    assert.deepEqual(d.lookup('MSISDN', '2547123456'), g);
    assert.equal(d.lookup('MSISDN', '2548000000'), undefined);
    assert.equal(d.lookup('MSISDN', '254712345'), undefined);
    assert.equal(d.lookup('ACCOUNT_ID', 'ACC123456')?.account, 'ACCOUNT_ID:ACC123456');
    assert.equal(d.lookup('ACCOUNT_ID', 'ACC12345X'), undefined);
    assert.throws(() => new PartyDirectory([], [{ idType: 'MSISDN', range: { from: '1', to: '99' } }], ['USD']));
  });

  it('fees: fixed + percent, min/max, rounded half-up to minor units, per currency', () => {
    assert.equal(computeFee([{ fixed: '0.5', percent: '1' }], toUnits('100'), 'USD'), toUnits('1.5'));
    assert.equal(computeFee([{ percent: '1.5' }], toUnits('0.33'), 'USD'), toUnits('0'));
    assert.equal(computeFee([{ percent: '1.5' }], toUnits('0.34'), 'USD'), toUnits('0.01'));
    assert.equal(computeFee([{ percent: '10', max: '2' }], toUnits('100'), 'USD'), toUnits('2'));
    assert.equal(computeFee([{ percent: '10', min: '1' }], toUnits('1'), 'USD'), toUnits('1'));
    assert.equal(computeFee([{ fixed: '3', currency: 'KES' }], toUnits('100'), 'USD'), 0n);
  });

  it('quotes: SEND deducts the fee from what the payee receives, RECEIVE adds it to the transfer amount', () => {
    const c = core();
    const send = c.quote(quoteReq('100'), NOW);
    assert.ok(send.kind === 'new' && send.decision.ok);
    if (send.kind !== 'new' || !send.decision.ok) return;
    assert.deepEqual(send.decision.body.transferAmount, { currency: 'USD', amount: '100' });
    assert.deepEqual(send.decision.body.payeeReceiveAmount, { currency: 'USD', amount: '98.5' });
    assert.deepEqual(send.decision.body.payeeFspFee, { currency: 'USD', amount: '1.5' });
    assert.equal(send.decision.body.expiration, '2030-01-01T10:01:00.000Z');
    const recv = c.quote(quoteReq('100', 'RECEIVE'), NOW);
    assert.ok(recv.kind === 'new' && recv.decision.ok && recv.decision.body.transferAmount.amount === '101.5');
  });

  it('quotes: unknown party 3204, currency 5106, fee above amount 5103, too many decimals 3100, expired 3302; resend and 3106', () => {
    const c = core();
    const code = (q: QuotesPostRequest): string | undefined => {
      const a = c.quote(q, NOW);
      return a.kind === 'new' && !a.decision.ok ? a.decision.error.errorCode : undefined;
    };
    assert.equal(code(quoteReq('10', 'SEND', '999')), '3204');
    assert.equal(code({ ...quoteReq('10'), amount: { currency: 'EUR', amount: '10' } }), '5106');
    assert.equal(code(quoteReq('0.5')), '5103');
    assert.equal(code(quoteReq('10.001')), '3100');
    assert.equal(code(quoteReq('999999999999999999')), '3100'); // does not fit an ILP packet's uint64
    assert.equal(code({ ...quoteReq('10'), expiration: '2029-01-01T00:00:00.000Z' }), '3302');
    const q = quoteReq('10');
    const first = c.quote(q, NOW);
    const again = c.quote(JSON.parse(JSON.stringify(q)), NOW + 5);
    assert.equal(again.kind, 'resend');
    assert.deepEqual(again.kind === 'resend' && again.decision, first.kind === 'new' && first.decision);
    assert.equal(c.quote({ ...q, note: 'changed' }, NOW).kind, 'modified');
  });

  it('transfers: fulfils with sha256(fulfilment) == condition and credits exactly once', () => {
    const c = core();
    const t = transferFor(c, quoteReq('100'));
    const a = c.transfer(t, NOW + 1000);
    assert.ok(a.kind === 'new' && a.decision.ok);
    if (a.kind !== 'new' || !a.decision.ok) return;
    assert.equal(a.decision.body.transferState, 'COMMITTED');
    assert.ok(fulfilmentMatchesCondition(a.decision.body.fulfilment, t.condition));
    assert.equal(c.ledger.balance('acc-1', 'USD'), toUnits('98.5'));
    const again = c.transfer(JSON.parse(JSON.stringify(t)), NOW + 2000);
    assert.equal(again.kind, 'resend');
    assert.deepEqual(again.kind === 'resend' && again.decision, a.decision);
    assert.equal(c.transfer({ ...t, amount: { currency: 'USD', amount: '1' } }, NOW).kind, 'modified');
    assert.equal(c.ledger.balance('acc-1', 'USD'), toUnits('98.5'));
    assert.equal(c.ledger.currencyTotals('USD').committedCount, 1);
    assert.equal(c.ledger.currencyTotals('USD').fees, toUnits('1.5'));
  });

  it('transfers: amount that differs from the packet, expired transfer, expired quote are refused and credit nothing', () => {
    const c = core({ quoteTtlMs: 10_000 });
    const bad = transferFor(c, quoteReq('100'));
    const a = c.transfer({ ...bad, amount: { currency: 'USD', amount: '99' } }, NOW);
    assert.ok(a.kind === 'new' && !a.decision.ok && a.decision.error.errorCode === '5105');
    const exp = transferFor(c, quoteReq('100'));
    const b = c.transfer({ ...exp, expiration: '2030-01-01T09:00:00.000Z' }, NOW);
    assert.ok(b.kind === 'new' && !b.decision.ok && b.decision.error.errorCode === '3303');
    const late = transferFor(c, quoteReq('100'));
    const d = c.transfer({ ...late, expiration: '2030-01-01T11:00:00.000Z' }, NOW + 20_000);
    assert.ok(d.kind === 'new' && !d.decision.ok && d.decision.error.errorCode === '3302');
    assert.equal(c.ledger.balance('acc-1', 'USD'), 0n);
    assert.equal(c.ledger.currencyTotals('USD').rejectedCount, 3);
    assert.ok(c.transferState(bad.transferId).ok === false);
    assert.equal(c.transferState(rnd.uuid()).ok, false);
  });

  it('RESERVED mode: nothing credited until the hub PATCHes COMMITTED; ABORTED releases', () => {
    const c = core({ answeringMode: 'RESERVED' });
    const t1 = transferFor(c, quoteReq('10'));
    const a = c.transfer(t1, NOW);
    assert.ok(a.kind === 'new' && a.decision.ok && a.decision.body.transferState === 'RESERVED');
    assert.equal(c.ledger.balance('acc-1', 'USD'), 0n);
    assert.deepEqual(c.patchTransfer(t1.transferId, { transferState: 'COMMITTED', completedTimestamp: '2030-01-01T10:00:01.000Z' }),
      { changed: true });
    assert.equal(c.patchTransfer(t1.transferId, { transferState: 'COMMITTED', completedTimestamp: '2030-01-01T10:00:01.000Z' }).changed,
      false);
    assert.equal(c.ledger.balance('acc-1', 'USD'), toUnits('9.4'));
    const t2 = transferFor(c, quoteReq('10'));
    c.transfer(t2, NOW);
    assert.equal(c.patchTransfer(t2.transferId, { transferState: 'ABORTED', completedTimestamp: '2030-01-01T10:00:01.000Z' }).changed,
      true);
    assert.equal(c.ledger.balance('acc-1', 'USD'), toUnits('9.4'));
    assert.equal(c.ledger.currencyTotals('USD').reservedCount, 0);
  });

  it('wrong-fulfilment fault credits nothing until the hub decides; a hub abort after commit reverses the credit', () => {
    const c = core();
    const t = transferFor(c, quoteReq('10'));
    const a = c.transfer(t, NOW, { wrongFulfilment: true });
    assert.ok(a.kind === 'new' && a.decision.ok && !fulfilmentMatchesCondition(a.decision.body.fulfilment, t.condition));
    assert.equal(c.ledger.balance('acc-1', 'USD'), 0n);
    assert.ok(c.transferAborted(t.transferId, '3100'));
    const t2 = transferFor(c, quoteReq('10'));
    c.transfer(t2, NOW);
    assert.equal(c.ledger.balance('acc-1', 'USD'), toUnits('9.4'));
    assert.ok(c.transferAborted(t2.transferId, '3303'));
    assert.equal(c.ledger.balance('acc-1', 'USD'), 0n);
    assert.equal(c.ledger.currencyTotals('USD').committedCount, 0);
  });

  it('bulk: per-item quote results and errors, per-item transfer results, each item credited once', () => {
    const c = core({ ilpVersion: 'v4' });
    const items = [quoteReq('10', 'SEND', '254711000001'), quoteReq('20', 'SEND', '000'), quoteReq('30', 'SEND', '254711000003')];
    const bq = c.bulkQuote({
      bulkQuoteId: rnd.uuid(),
      payer: items[0].payer,
      individualQuotes: items.map(({ quoteId, transactionId, payee, amountType, amount, transactionType }) =>
        ({ quoteId, transactionId, payee, amountType, amount, transactionType })),
    }, NOW, new Map([[2, { errorCode: '5101' }]]));
    assert.ok(bq.kind === 'new' && bq.decision.ok);
    if (bq.kind !== 'new' || !bq.decision.ok) return;
    const results = bq.decision.body.individualQuoteResults ?? [];
    assert.equal(results.length, 3);
    assert.ok(results[0].ilpPacket && !results[0].errorInformation);
    assert.equal(results[1].errorInformation?.errorCode, '3204');
    assert.equal(results[2].errorInformation?.errorCode, '5101');
    const bulkTransferId = rnd.uuid();
    const req: BulkTransfersPostRequest = {
      bulkTransferId, bulkQuoteId: rnd.uuid(), payerFsp: 'govbank', payeeFsp: 'payeefsp1', expiration: '2030-01-01T10:00:30.000Z',
      individualTransfers: [
        { transferId: items[0].transactionId, transferAmount: results[0].transferAmount!, ilpPacket: results[0].ilpPacket!, condition:
          results[0].condition! },
        { transferId: rnd.uuid(), transferAmount: { currency: 'USD' as const, amount: '5' }, ilpPacket: results[0].ilpPacket!, condition:
          results[0].condition! },
      ],
    };
    const bt = c.bulkTransfer(req, NOW);
    assert.ok(bt.kind === 'new' && bt.decision.ok);
    if (bt.kind !== 'new' || !bt.decision.ok) return;
    const tr = bt.decision.body.individualTransferResults ?? [];
    assert.equal(bt.decision.body.bulkTransferState, 'COMPLETED');
    assert.ok(fulfilmentMatchesCondition(tr[0].fulfilment, results[0].condition));
    assert.equal(tr[1].errorInformation?.errorCode, '5105');
    assert.equal(c.ledger.balance('MSISDN:254711000001', 'USD'), toUnits('9.4'));
    assert.equal(c.bulkTransfer(JSON.parse(JSON.stringify(req)), NOW).kind, 'resend');
    assert.equal(c.bulkTransfer({ ...req, expiration: '2030-01-01T10:00:31.000Z' }, NOW).kind, 'modified');
    assert.equal(c.ledger.currencyTotals('USD').committedCount, 1);
    // another bulk reusing a transfer id: same item is kept (no second credit), a changed amount is 3106
    const again = c.bulkTransfer({ ...req, bulkTransferId: rnd.uuid(), individualTransfers:
      [req.individualTransfers[0], { ...req.individualTransfers[0], transferAmount: { currency: 'USD', amount: '10.01' } }] }, NOW);
    assert.ok(again.kind === 'new' && again.decision.ok);
    if (again.kind !== 'new' || !again.decision.ok) return;
    const ar = again.decision.body.individualTransferResults ?? [];
    assert.ok(ar[0].fulfilment && !ar[0].errorInformation);
    assert.equal(ar[1].errorInformation?.errorCode, '3106');
    assert.equal(c.ledger.currencyTotals('USD').committedCount, 1);
  });
});
