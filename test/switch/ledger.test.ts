/**
 * The switch's pure parts: participant registry (endpoint templates, limits, positions) and transfer ledger
 * (reserve within the net debit cap, commit on a valid fulfilment, release, expiry, bulk, idempotency).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { toUnits } from '../../shared/money';
import { fingerprint, SwitchLedger } from '../../simulators/switch/ledger';
import { Participants, RegistryError, routeFor } from '../../simulators/switch/participants';
import { standardEndpoints } from '../../simulators/switch/onboard';

function pair(): { fulfilment: string; condition: string } {
  const f = randomBytes(32);
  return { fulfilment: f.toString('base64url'), condition: createHash('sha256').update(f).digest('base64url') };
}

function world(): { p: Participants; l: SwitchLedger } {
  const p = new Participants();
  for (const name of ['payer', 'payee']) {
    p.add(name, 'USD');
    for (const ep of standardEndpoints(`http://${name}.local:1`)) p.setEndpoint(name, ep.type, ep.value);
    p.initialPositionAndLimits(name, 'USD', toUnits('100'), 0n);
  }
  return { p, l: new SwitchLedger(p) };
}

const future = () => new Date(Date.now() + 60_000).toISOString();

describe('switch participants', () => {
  it('resolves endpoint templates and plain bases', () => {
    const { p } = world();
    assert.equal(p.resolve('payee', routeFor('POST', '/quotes')!), 'http://payee.local:1/quotes');
    assert.equal(p.resolve('payee', routeFor('PUT', '/quotes/q1/error')!), 'http://payee.local:1/quotes/q1/error');
    assert.equal(p.resolve('payee', routeFor('POST', '/transfers')!), 'http://payee.local:1/transfers');
    assert.equal(p.resolve('payer', routeFor('PUT', '/transfers/t1')!), 'http://payer.local:1/transfers/t1');
    assert.equal(p.resolve('payer', routeFor('PUT', '/transfers/t1/error')!), 'http://payer.local:1/transfers/t1/error');
    assert.equal(p.resolve('payer', routeFor('PUT', '/bulkTransfers/b1/error')!), 'http://payer.local:1/bulkTransfers/b1/error');
    assert.equal(p.resolve('payee', routeFor('GET', '/parties/MSISDN/123')!), 'http://payee.local:1/parties/MSISDN/123');
    assert.equal(p.resolve('payee', routeFor('GET', '/parties/MSISDN/123/sub')!), 'http://payee.local:1/parties/MSISDN/123/sub');
    assert.equal(p.resolve('nobody', routeFor('POST', '/quotes')!), undefined);
  });

  it('refuses a second registration of the same currency and a second initial limit', () => {
    const { p } = world();
    assert.throws(() => p.add('payer', 'USD'), (e: RegistryError) => /already/.test(e.message));
    assert.throws(() => p.initialPositionAndLimits('payer', 'USD', 1n, 0n), RegistryError);
    assert.throws(() => p.setEndpoint('payer', 'NOT_A_TYPE', 'http://x'), RegistryError);
    assert.throws(() => p.endpoints('ghost'), (e: RegistryError) => e.httpStatus === 404);
  });
});

describe('switch ledger', () => {
  it('reserves within the cap, commits on a valid fulfilment, positions sum to zero', () => {
    const { p, l } = world();
    const { fulfilment, condition } = pair();
    const out = l.prepare({ transferId: 't1', payerFsp: 'payer', payeeFsp: 'payee', amount: { amount: '60', currency: 'USD' }, condition,
      expiration: future() }, 'fp');
    assert.equal(out.kind, 'reserved');
    assert.equal(p.positions('payer')[0].reservedValue, '60');
    const over = l.prepare({ transferId: 't2', payerFsp: 'payer', payeeFsp: 'payee', amount: { amount: '40.0001', currency: 'USD' },
      condition, expiration: future() }, 'fp2');
    assert.deepEqual(over.kind === 'rejected' && over.errorCode, '4001');
    assert.equal(l.fulfil('t1', fulfilment, undefined).kind, 'committed');
    assert.deepEqual(p.positions('payer').map((x) => [x.value, x.reservedValue]), [['60', '0']]);
    assert.deepEqual(p.positions('payee').map((x) => [x.value, x.reservedValue]), [['-60', '0']]);
    assert.deepEqual(p.positionSums(), { USD: '0' });
  });

  it('aborts on a wrong fulfilment and releases the reservation', () => {
    const { p, l } = world();
    const { condition } = pair();
    l.prepare({ transferId: 't1', payerFsp: 'payer', payeeFsp: 'payee', amount: { amount: '10', currency: 'USD' }, condition, expiration:
      future() }, 'fp');
    const out = l.fulfil('t1', pair().fulfilment, undefined);
    assert.equal(out.kind === 'aborted' && out.errorCode, '3100');
    assert.equal(p.positions('payer')[0].reservedValue, '0');
    assert.equal(p.positions('payer')[0].value, '0');
    assert.equal(l.fulfil('t1', pair().fulfilment, undefined).kind, 'final');
  });

  it('same id and body is a duplicate, a different body is 3106', () => {
    const { l } = world();
    const { condition } = pair();
    const body = { transferId: 't1', payerFsp: 'payer', payeeFsp: 'payee', amount: { amount: '10', currency: 'USD' }, condition, expiration:
      future() };
    l.prepare(body, fingerprint(body));
    assert.equal(l.prepare(body, fingerprint(body)).kind, 'duplicate');
    const changed = { ...body, amount: { amount: '11', currency: 'USD' } };
    const out = l.prepare(changed, fingerprint(changed));
    assert.equal(out.kind === 'rejected' && out.errorCode, '3106');
  });

  it('expires transfers and bulks past their expiration with 3303', () => {
    const { p, l } = world();
    const { condition } = pair();
    const soon = new Date(Date.now() + 1000).toISOString();
    l.prepare({ transferId: 't1', payerFsp: 'payer', payeeFsp: 'payee', amount: { amount: '10', currency: 'USD' }, condition, expiration:
      soon }, 'fp');
    l.prepareBulk({ bulkTransferId: 'b1', payerFsp: 'payer', payeeFsp: 'payee', expiration: soon, individualTransfers: [
      { transferId: 'i1', transferAmount: { amount: '1', currency: 'USD' }, condition },
      { transferId: 'i2', transferAmount: { amount: '2', currency: 'USD' }, condition },
    ] }, 'fpb');
    assert.equal(p.positions('payer')[0].reservedValue, '13');
    assert.equal(l.expireTransfers(new Date()).length, 0);
    const later = new Date(Date.now() + 2000);
    assert.deepEqual(l.expireTransfers(later).map((r) => [r.id, r.errorCode]), [['t1', '3303']]);
    const bulks = l.expireBulks(later);
    assert.equal(bulks.length, 1);
    assert.deepEqual(l.bulkResults(bulks[0], () => 'x').map((r) => r.errorInformation?.errorCode), ['3303', '3303']);
    assert.equal(p.positions('payer')[0].reservedValue, '0');
  });

  it('bulk: reserves the total, commits items with valid fulfilments, refuses beyond the cap', () => {
    const { p, l } = world();
    const a = pair();
    const b = pair();
    const items = [
      { transferId: 'i1', transferAmount: { amount: '30', currency: 'USD' }, condition: a.condition },
      { transferId: 'i2', transferAmount: { amount: '20', currency: 'USD' }, condition: b.condition },
    ];
    assert.equal(l.prepareBulk({ bulkTransferId: 'b1', payerFsp: 'payer', payeeFsp: 'payee', expiration: future(), individualTransfers:
      items }, 'fp').kind, 'reserved');
    const over = l.prepareBulk({ bulkTransferId: 'b2', payerFsp: 'payer', payeeFsp: 'payee', expiration: future(), individualTransfers: [
      { transferId: 'i3', transferAmount: { amount: '51', currency: 'USD' }, condition: a.condition },
    ] }, 'fp2');
    assert.equal(over.kind === 'rejected' && over.errorCode, '4001');
    const results = l.fulfilBulk('b1', [{ transferId: 'i1', fulfilment: a.fulfilment }, { transferId: 'i2', fulfilment: a.fulfilment }],
      undefined, (c) => c)!;
    assert.equal(results[0].fulfilment, a.fulfilment);
    assert.equal(results[1].errorInformation?.errorCode, '3100');
    assert.deepEqual(p.positions('payer').map((x) => [x.value, x.reservedValue]), [['30', '0']]);
    assert.deepEqual(p.positionSums(), { USD: '0' });
  });
});
