import assert from 'node:assert/strict';
import { toUnits, fromUnits, normalizeAmount, amountFromJsonNumber, toMinorUnits, formatFixed, FSPIOP_AMOUNT_RE,
  MoneyError } from '../shared/money';
import { maskId } from '../shared/logger';
import { SeededRandom } from '../shared/ids';

describe('shared/money', () => {
  it('converts decimal strings to bigint units and back in canonical FSPIOP form', () => {
    assert.equal(toUnits('10.5'), 105000n);
    assert.equal(fromUnits(toUnits('10.50')), '10.5');
    assert.equal(normalizeAmount('100.00'), '100');
    assert.equal(normalizeAmount('0.0001'), '0.0001');
    assert.ok(FSPIOP_AMOUNT_RE.test(normalizeAmount('7.1000')));
  });
  it('rejects floats-as-strings it cannot represent exactly', () => {
    assert.throws(() => toUnits('1.23456'), MoneyError);
    assert.throws(() => toUnits('-1'), MoneyError);
    assert.throws(() => toUnits('01'), MoneyError);
  });
  it('reads JSON numbers as their shortest decimal, never through float arithmetic', () => {
    assert.equal(amountFromJsonNumber(100.0), '100');
    assert.equal(amountFromJsonNumber(0.1), '0.1');
    assert.equal(amountFromJsonNumber(19.99), '19.99');
    assert.throws(() => amountFromJsonNumber(1e21), MoneyError);
  });
  it('derives minor units per currency and formats fixed decimals', () => {
    assert.equal(toMinorUnits('10.5', 'USD'), 1050n);
    assert.throws(() => toMinorUnits('10.5', 'UGX'), MoneyError);
    assert.equal(formatFixed(toUnits('10.5'), 'USD'), '10.50');
  });
});

describe('shared/logger maskId and shared/ids', () => {
  it('masks beneficiary identifiers but keeps a correlatable suffix', () => {
    assert.equal(maskId('254700000001'), '25******0001');
    assert.equal(maskId('123'), '***');
  });
  it('seeded random sources repeat exactly', () => {
    const a = new SeededRandom(42), b = new SeededRandom(42);
    assert.equal(a.uuid(), b.uuid());
    assert.match(new SeededRandom(7).uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
