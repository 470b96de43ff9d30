/** Fault rules switched off and on at run time (the operator console's switches): kept in the list, never fired while off. */
import { strict as assert } from 'node:assert';
import Hapi from '@hapi/hapi';
import request from 'supertest';
import { FaultRules, ruleAdminRoutes } from '../../simulators/rules';

describe('fault rules: switched on and off', () => {
  it('a rule switched off never fires and keeps its count; switched on again it fires', () => {
    const rules = new FaultRules([{ id: 'reject', match: { resource: 'quotes' }, action: { type: 'error', errorCode: '5101' } }]);
    assert.equal(rules.evaluate({ resource: 'quotes', method: 'POST' }).length, 1);
    assert.equal(rules.setEnabled('reject', false), true);
    assert.deepEqual(rules.evaluate({ resource: 'quotes', method: 'POST' }), []);
    assert.deepEqual(rules.evaluateItems({ resource: 'quotes', method: 'POST' }, [{ partyId: '1' }]), [[]]);
    assert.equal(rules.list()[0].fired, 1);
    assert.equal(rules.list()[0].enabled, false);
    rules.setEnabled('reject', true);
    assert.equal(rules.evaluate({ resource: 'quotes', method: 'POST' }).length, 1);
    assert.equal(rules.list()[0].fired, 2);
    assert.equal(rules.setEnabled('nope', true), false);
  });

  it('a rule put switched off stays off; a bad enabled or id is refused and changes nothing', () => {
    const rules = new FaultRules([{ id: 'slow', action: { type: 'delay', ms: 5 }, enabled: false }]);
    assert.deepEqual(rules.evaluate({ resource: 'transfers', method: 'POST' }), []);
    assert.throws(() => rules.replace([{ action: { type: 'delay', ms: 1 }, enabled: 'no' as never }]), /enabled/);
    assert.throws(() => rules.replace([{ id: 'has space', action: { type: 'delay', ms: 1 } }]), /id/);
    assert.equal(rules.list()[0].id, 'slow');
  });

  it('PATCH /admin/rules/{id} switches one rule; unknown ids and bad bodies get a code', async () => {
    const rules = new FaultRules([{ id: 'a', action: { type: 'delay', ms: 1 } }, { id: 'b', action: { type: 'delay', ms: 2 } }]);
    const server = Hapi.server({ port: 0, host: '127.0.0.1' });
    server.route(ruleAdminRoutes(rules));
    await server.start();
    try {
      const url = `http://127.0.0.1:${server.info.port}`;
      const off = await request(url).patch('/admin/rules/b').send({ enabled: false }).expect(200);
      assert.deepEqual(off.body.rules.map((r: { id: string; enabled?: boolean }) => [r.id, r.enabled ?? true]),
        [['a', true], ['b', false]]);
      const missing = await request(url).patch('/admin/rules/zz').send({ enabled: true });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'RULE_NOT_FOUND');
      const bad = await request(url).patch('/admin/rules/a').send({ enabled: 'yes' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'INVALID_RULE');
    } finally {
      await server.stop();
    }
  });
});
