import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { deserializeIlpPrepare } from 'ilp-packet';
import {
  conditionFromFulfilment,
  decodeIlpPacket,
  detectIlpVersion,
  encodeIlpV1Payment,
  fulfilmentMatchesCondition,
  ilpAmount,
  ILP_V4_ADDRESS,
  PayeeIlp,
  randomFulfilment,
  transactionFromPacket,
  transactionObjectFor,
  TransactionObject,
} from '../../simulators/fspiop/ilp';

const B64URL_43 = /^[A-Za-z0-9_-]{43}$/;

function tx(amount = '10.5', currency = 'USD', note?: string): TransactionObject {
  return transactionObjectFor(
    {
      quoteId: '6f2a4d1e-3c55-4a0b-9d4e-2c1b0a9f8e7d',
      transactionId: '1b7f0a52-8c3d-4e61-a2f9-5d0c7e4b3a21',
      transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'BUSINESS' },
      payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '254700000001', fspId: 'payeefsp1' } },
      payer: { partyIdInfo: { partyIdType: 'BUSINESS', partyIdentifier: 'treasury', fspId: 'govbank' } },
    },
    { transferAmount: { amount, currency }, expiration: '2030-01-01T10:00:00.000Z', note },
  );
}

describe('ILP packets, conditions and fulfilments', () => {
  it('serialises ILPv1 IlpPayment in the ilp-packet 2.x layout (published test vector)', () => {
    const packet = encodeIlpV1Payment({ amount: 123000000n, account: 'g.us.nexus.bob', data: Buffer.from('BBBB', 'base64') });
    assert.equal(Buffer.from(packet, 'base64url').toString('hex'), '011c000000000754d4c00e672e75732e6e657875732e626f620304104100');
    const decoded = decodeIlpPacket(packet);
    assert.equal(decoded.version, 'v1');
    assert.equal(decoded.amount, 123000000n);
    assert.equal(decoded.address, 'g.us.nexus.bob');
  });

  it('v1 terms: 43-char base64url fulfilment and condition, condition = sha256(fulfilment), fulfilment = HMAC(packet)', () => {
    const ilp = new PayeeIlp('s3cret', 'v1');
    const terms = ilp.terms(tx('10.5'));
    assert.match(terms.fulfilment, B64URL_43);
    assert.match(terms.condition, B64URL_43);
    assert.match(terms.ilpPacket, /^[A-Za-z0-9_-]+$/);
    const digest = createHash('sha256').update(Buffer.from(terms.fulfilment, 'base64url')).digest('base64url');
    assert.equal(digest, terms.condition);
    // Mojaloop SDK derivation: key = ASCII of base64(secret), message = ASCII of the base64url packet.
    const expected = createHmac('sha256', Buffer.from(Buffer.from('s3cret').toString('base64'), 'ascii'))
      .update(Buffer.from(terms.ilpPacket, 'ascii')).digest('base64url');
    assert.equal(terms.fulfilment, expected);
    assert.ok(fulfilmentMatchesCondition(terms.fulfilment, terms.condition));
  });

  it('v1 packet carries amount in minor units, the payee ILP address and base64url JSON transaction data', () => {
    const terms = new PayeeIlp('s3cret', 'v1').terms(tx('10.5', 'USD', 'x'.repeat(400)));
    const decoded = decodeIlpPacket(terms.ilpPacket);
    assert.equal(decoded.amount, 1050n);
    assert.equal(decoded.address, 'g.payeefsp1.msisdn.254700000001');
    assert.match(decoded.data, /^[A-Za-z0-9_-]+$/);
    const back = transactionFromPacket(decoded);
    assert.deepEqual(back, JSON.parse(JSON.stringify(tx('10.5', 'USD', 'x'.repeat(400)))));
  });

  it('v4 terms: an IlpPrepare that ilp-packet reads, holding the condition; fulfilment from the transaction object', () => {
    const ilp = new PayeeIlp('s3cret', 'v4');
    const t = tx('7', 'USD');
    const terms = ilp.terms(t);
    const prepare = deserializeIlpPrepare(Buffer.from(terms.ilpPacket, 'base64url'));
    assert.equal(prepare.amount, '700');
    assert.equal(prepare.destination, ILP_V4_ADDRESS);
    assert.equal(prepare.expiresAt.toISOString(), '2030-01-01T10:00:00.000Z');
    assert.equal(prepare.executionCondition.toString('base64url'), terms.condition);
    const expected = createHmac('sha256', Buffer.from(Buffer.from('s3cret').toString('base64'), 'ascii'))
      .update(Buffer.from(Buffer.from(JSON.stringify(t)).toString('base64'), 'ascii')).digest('base64url');
    assert.equal(terms.fulfilment, expected);
    assert.equal(conditionFromFulfilment(terms.fulfilment), terms.condition);
    assert.equal(detectIlpVersion(terms.ilpPacket), 'v4');
  });

  for (const version of ['v1', 'v4'] as const) {
    it(`${version}: the payee regenerates the fulfilment from the packet alone and checks it against the transfer`, () => {
      const ilp = new PayeeIlp('s3cret', version);
      const terms = ilp.terms(tx('10.5'));
      const ok = ilp.check(terms.ilpPacket, {
        amount: { amount: '10.5', currency: 'USD' }, payerFsp: 'govbank', payeeFsp: 'payeefsp1', condition: terms.condition,
      });
      assert.ok(ok.ok);
      assert.equal(ok.ok && ok.fulfilment, terms.fulfilment);
      // a payee answering a v1 quote can be configured v4 and still fulfil it (version read from the envelope)
      const other = new PayeeIlp('s3cret', version === 'v1' ? 'v4' : 'v1');
      assert.equal(other.fulfilmentFor(terms.ilpPacket), terms.fulfilment);
    });

    it(`${version}: a transfer that differs from its packet is refused`, () => {
      const ilp = new PayeeIlp('s3cret', version);
      const terms = ilp.terms(tx('10.5'));
      const cases: Array<[Parameters<PayeeIlp['check']>[1], RegExp]> = [
        [{ amount: { amount: '10.51', currency: 'USD' } }, /amount/],
        [{ amount: { amount: '10.5', currency: 'EUR' } }, /currency/],
        [{ amount: { amount: '10.5', currency: 'USD' }, payeeFsp: 'payeefsp2' }, /payee FSP/],
        [{ amount: { amount: '10.5', currency: 'USD' }, payerFsp: 'otherbank' }, /payer FSP/],
        [{ amount: { amount: '10.5', currency: 'USD' }, condition: randomFulfilment() }, /condition/],
        [{ amount: { amount: '10.505', currency: 'USD' } }, /decimals/],
      ];
      for (const [transfer, reason] of cases) {
        const res = ilp.check(terms.ilpPacket, transfer);
        assert.equal(res.ok, false);
        assert.match(res.ok ? '' : res.reason, reason);
      }
    });
  }

  it('a packet issued with another secret does not verify', () => {
    const mine = new PayeeIlp('s3cret', 'v4');
    const theirs = new PayeeIlp('other', 'v4').terms(tx('1'));
    const res = mine.check(theirs.ilpPacket, { amount: { amount: '1', currency: 'USD' } });
    assert.equal(res.ok, false);
    const v1 = new PayeeIlp('other', 'v1').terms(tx('1'));
    assert.equal(new PayeeIlp('s3cret', 'v1').check(v1.ilpPacket, { amount: { amount: '1', currency: 'USD' }, condition: v1.condition }).ok,
      false);
  });

  it('malformed packets are a failed check, never an exception', () => {
    const ilp = new PayeeIlp('s3cret');
    for (const bad of ['', 'AQ', 'DA', '!!!', 'AQE', Buffer.from([1, 5, 0, 0]).toString('base64url'), 'x'.repeat(100)]) {
      const res = ilp.check(bad, { amount: { amount: '1', currency: 'USD' } });
      assert.equal(res.ok, false, bad);
    }
    assert.throws(() => decodeIlpPacket('AQE'), /truncated|ILP/);
  });

  it('condition helpers: fixed length, wrong fulfilments never match', () => {
    const f = randomFulfilment();
    assert.match(f, B64URL_43);
    assert.ok(fulfilmentMatchesCondition(f, conditionFromFulfilment(f)));
    assert.equal(fulfilmentMatchesCondition(randomFulfilment(), conditionFromFulfilment(f)), false);
    assert.equal(fulfilmentMatchesCondition(f + 'A', conditionFromFulfilment(f)), false);
    assert.equal(fulfilmentMatchesCondition(undefined, 'x'), false);
    assert.throws(() => conditionFromFulfilment('AAAA'), /32 bytes/);
  });

  it('amounts go to minor units per currency without floats', () => {
    assert.equal(ilpAmount({ amount: '0.1', currency: 'USD' }), 10n);
    assert.equal(ilpAmount({ amount: '100', currency: 'UGX' }), 100n);
    assert.equal(ilpAmount({ amount: '1.234', currency: 'BHD' }), 1234n);
    assert.equal(ilpAmount({ amount: '123456789012345678.99', currency: 'USD' }), 12345678901234567899n);
    assert.throws(() => ilpAmount({ amount: '1.5', currency: 'UGX' }));
  });
});
