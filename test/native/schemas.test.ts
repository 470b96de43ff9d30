import { strict as assert } from 'node:assert';
import { checkAmount, JOI_OPTS, paymentSchema, quickPaymentCheck } from '../../orchestrator/intake/native/schemas';
import { SeededRandom } from '../../shared/ids';

const base = { reference: 'r-1', payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount: '10.5', currency: 'USD' };

describe('native API: payment rules', () => {
  it('the fast check never accepts what joi refuses (seeded variations of one payment)', () => {
    const values: unknown[] = ['', ' ', 'x'.repeat(129), 'x'.repeat(33), 'USD', 'usd', 'MSISDN', 'PHONE', '0', '10', '10.5', '10.555',
      '1e3', '-1', '010', '2547-BAD-1', 'BAD ACCOUNT 1', 'PF1-2001', 'ACCOUNT_ID', 'IBAN', 'GB82WEST12345698765432', 10, null, {}, [], true,
        undefined];
    const keys = ['reference', 'payeeIdType', 'payeeIdValue', 'payeeIdSubValue', 'payeeFsp', 'amount', 'currency', 'note', 'extra'];
    const rnd = new SeededRandom(42);
    let quick = 0;
    for (let i = 0; i < 3000; i++) {
      const item: Record<string, unknown> = { ...base };
      for (let k = 0; k < 1 + rnd.int(2); k++) {
        const key = keys[rnd.int(keys.length)];
        const v = values[rnd.int(values.length)];
        if (v === undefined) delete item[key];
        else item[key] = v;
      }
      const joiOk = !paymentSchema.validate(item, JOI_OPTS).error;
      if (quickPaymentCheck(item)) {
        quick++;
        assert.ok(joiOk, `fast check accepted what joi refuses: ${JSON.stringify(item)}`);
      }
    }
    assert.ok(quick > 100, 'the fast path is taken for valid items');
    assert.ok(quickPaymentCheck(base));
  });

  it('payee identifiers have the shape of their type', () => {
    const bad = (payeeIdType: string, payeeIdValue: string) => paymentSchema.validate({ ...base, payeeIdType, payeeIdValue },
      JOI_OPTS).error?.details.map((d) => d.context?.gpoCode ?? d.type);
    assert.deepEqual(bad('MSISDN', '2547-BAD-1'), ['INVALID_FORMAT']);
    assert.deepEqual(bad('ACCOUNT_ID', 'BAD ACCOUNT 1'), ['INVALID_FORMAT']);
    assert.deepEqual(bad('EMAIL', 'nobody'), ['INVALID_FORMAT']);
    assert.equal(bad('ACCOUNT_ID', 'PF1-2001'), undefined);
    assert.equal(bad('IBAN', 'GB82WEST12345698765432'), undefined);
    assert.equal(quickPaymentCheck({ ...base, payeeIdValue: '2547-BAD-1' }), false);
  });

  it('amounts: decimal strings, positive, within the currency\'s decimals', () => {
    assert.equal(checkAmount('10.50', 'USD'), undefined);
    assert.equal(checkAmount('10.5000', 'USD'), undefined, 'trailing zeros are not extra decimals');
    assert.equal(checkAmount('10.5', 'UGX')?.code, 'AMOUNT_TOO_MANY_DECIMALS');
    assert.equal(checkAmount('1.234', 'BHD'), undefined);
    assert.equal(checkAmount('1.23456', 'BHD')?.code, 'AMOUNT_INVALID', 'more than 4 decimals is never an amount');
    assert.equal(checkAmount('0.00', 'USD')?.code, 'AMOUNT_NOT_POSITIVE');
    assert.equal(checkAmount(5, 'USD')?.code, 'AMOUNT_NOT_STRING');
    assert.equal(checkAmount('5E2', 'USD')?.code, 'AMOUNT_INVALID');
    assert.equal(checkAmount(' 5', 'USD')?.code, 'AMOUNT_INVALID');
  });
});
