import assert from 'node:assert/strict';
import { FaultRuleError, FaultRules } from '../../simulators/payee-dfsp/faults';

describe('fault rules (payee DFSP and ALS)', () => {
  it('match on resource, method, party id pattern, amount range and FSP', () => {
    const rules = new FaultRules([
      { match: { resource: 'quotes', method: 'POST', partyId: '^2547100', minAmount: '10', maxAmount: '20', fsp: 'govbank' }, action: { type: 'error', errorCode: '5101' } },
    ]);
    const base = { resource: 'quotes', method: 'POST', partyId: '254710012345', amount: '15', fsp: 'govbank' };
    assert.deepEqual(rules.evaluate(base), [{ type: 'error', errorCode: '5101' }]);
    assert.deepEqual(rules.evaluate({ ...base, resource: 'transfers' }), []);
    assert.deepEqual(rules.evaluate({ ...base, method: 'GET' }), []);
    assert.deepEqual(rules.evaluate({ ...base, partyId: '254720012345' }), []);
    assert.deepEqual(rules.evaluate({ ...base, amount: '20.01' }), []);
    assert.deepEqual(rules.evaluate({ ...base, amount: 'not-money' }), []);
    assert.deepEqual(rules.evaluate({ ...base, fsp: 'other' }), []);
  });

  it('probability and bulk item choice are deterministic for a seed; times limits firing', () => {
    const run = (seed: number) => {
      const r = new FaultRules([{ action: { type: 'noCallback' }, probability: 0.3 }], seed);
      const fired = Array.from({ length: 200 }, () => r.evaluate({ resource: 'transfers', method: 'POST' }).length);
      return { fired, items: r.pickItems(1000, 0.1) };
    };
    assert.deepEqual(run(5), run(5));
    assert.notDeepEqual(run(5).fired, run(6).fired);
    const hits = run(5).fired.filter(Boolean).length;
    assert.ok(hits > 30 && hits < 90, String(hits));
    const items = run(5).items.length;
    assert.ok(items > 60 && items < 140, String(items));
    const limited = new FaultRules([{ action: { type: 'callbackTwice' }, times: 2 }]);
    const n = Array.from({ length: 5 }, () => limited.evaluate({ resource: 'quotes', method: 'POST' }).length).reduce((a, b) => a + b, 0);
    assert.equal(n, 2);
    assert.equal(limited.list()[0].fired, 2);
  });

  it('refuses malformed rules and keeps the previous set', () => {
    const rules = new FaultRules([{ action: { type: 'delay', ms: 5 } }]);
    assert.throws(() => rules.replace([{ action: { type: 'explode' } as never }]), FaultRuleError);
    assert.throws(() => rules.replace([{ action: { type: 'error', errorCode: '51' } }]), FaultRuleError);
    assert.throws(() => rules.replace([{ action: { type: 'httpStatus', status: 404 as 500 } }]), FaultRuleError);
    assert.throws(() => rules.replace([{ match: { partyId: '(' }, action: { type: 'noCallback' } }]), FaultRuleError);
    assert.equal(rules.size, 1);
  });
});
