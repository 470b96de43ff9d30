import assert from 'node:assert/strict';
import { FaultRuleError, FaultRules } from '../../simulators/payee-dfsp/faults';

describe('fault rules (payee DFSP and ALS)', () => {
  it('match on resource, method, party id pattern, amount range and FSP', () => {
    const rules = new FaultRules([
      { match: { resource: 'quotes', method: 'POST', partyId: '^2547100', minAmount: '10', maxAmount: '20', fsp: 'govbank' }, action:
        { type: 'error', errorCode: '5101' } },
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
    assert.equal(run(5).items.length, 100);
    assert.equal(new Set(run(5).items).size, 100);
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

  it('failBulkItems picks exactly round(fraction x count) distinct items, the same for the same seed and bulk id', () => {
    const r = new FaultRules([], 9);
    assert.equal(r.pickItems(95, 0.1, 'bulk-a').length, 10);
    assert.equal(r.pickItems(4, 0.1, 'bulk-a').length, 0);
    assert.equal(r.pickItems(10, 1, 'bulk-a').length, 10);
    assert.deepEqual(r.pickItems(1000, 0.1, 'bulk-a'), new FaultRules([], 9).pickItems(1000, 0.1, 'bulk-a'));
    assert.notDeepEqual(r.pickItems(1000, 0.1, 'bulk-a'), r.pickItems(1000, 0.1, 'bulk-b'));
    assert.notDeepEqual(r.pickItems(1000, 0.1, 'bulk-a'), new FaultRules([], 10).pickItems(1000, 0.1, 'bulk-a'));
    const picked = r.pickItems(1000, 0.25, 'bulk-c');
    assert.equal(new Set(picked).size, 250);
    assert.ok(picked.every((i, k) => i >= 0 && i < 1000 && (k === 0 || picked[k - 1] < i)));
  });

  it('item rules (party, amount) are skipped on the bulk as a whole and evaluated per item', () => {
    const rules = new FaultRules([
      { match: { resource: 'bulkTransfers', partyId: '0$' }, action: { type: 'error', errorCode: '5104' } },
      { match: { resource: 'bulkTransfers', minAmount: '100' }, action: { type: 'delay', ms: 5 } },
      { match: { resource: 'bulkTransfers' }, action: { type: 'callbackTwice' } },
    ]);
    assert.equal(rules.hasItemRules('bulkTransfers', 'POST'), true);
    assert.equal(rules.hasItemRules('bulkQuotes', 'POST'), false);
    assert.deepEqual(rules.evaluate({ resource: 'bulkTransfers', method: 'POST' }), [{ type: 'callbackTwice' }]);
    const per = rules.evaluateItems({ resource: 'bulkTransfers', method: 'POST' }, [
      { partyId: '254720000010', amount: '5' }, { partyId: '254720000011', amount: '150' }, { amount: '1' },
    ]);
    assert.deepEqual(per, [[{ type: 'error', errorCode: '5104' }], [{ type: 'delay', ms: 5 }], []]);
  });
});
