/** The payer DFSP's pure parts: treasury, bulk planning, fee limits, errors from FSPIOP outcomes. */
import assert from 'node:assert/strict';
import { errorFromOutcome, feeWithinLimits, fingerprint, planChunks } from '../../simulators/payer-dfsp/domain/model';
import { Treasury } from '../../simulators/payer-dfsp/domain/treasury';

const describeCode = (c: string) => `official ${c}`;

describe('payer DFSP domain: treasury', () => {
  it('reserves, commits and releases by transfer id, never twice', () => {
    const t = new Treasury({ USD: '100' });
    assert.equal(t.reserve('a', 'USD', '60'), 'reserved');
    assert.equal(t.reserve('a', 'USD', '60'), 'already');
    assert.equal(t.reserve('b', 'USD', '50'), 'insufficient');
    assert.equal(t.reserve('c', 'USD', '40'), 'reserved');
    assert.equal(t.commit('a'), true);
    assert.equal(t.commit('a'), false);
    assert.equal(t.release('c'), true);
    assert.equal(t.release('c'), false);
    assert.deepEqual(t.totals().USD, { balance: '40', debited: '60', reserved: '0', available: '40', completedCount: 1 });
    assert.equal(t.reserve('d', 'EUR', '1'), 'insufficient');
  });

  it('a late COMMITTED after a released hold is debited once, even below zero', () => {
    const t = new Treasury({ USD: '10' });
    t.reserve('x', 'USD', '8');
    t.reserve('y', 'USD', '2');
    t.release('x');
    t.commit('y');
    assert.equal(t.commitLate('x', 'USD', '8'), true);
    assert.equal(t.commitLate('x', 'USD', '8'), false);
    assert.deepEqual(t.totals().USD, { balance: '0', debited: '10', reserved: '0', available: '0', completedCount: 2 });
    assert.equal(t.commitLate('z', 'USD', '1'), true);
    assert.equal(t.totals().USD.balance, '-1');
  });

  it('keeps exact decimals in bigint units', () => {
    const t = new Treasury({ USD: '0.3' });
    t.reserve('a', 'USD', '0.1');
    t.reserve('b', 'USD', '0.2');
    t.commit('a');
    t.commit('b');
    assert.equal(t.totals().USD.balance, '0');
    assert.equal(t.totals().USD.debited, '0.3');
  });
});

describe('payer DFSP domain: planning and decisions', () => {
  it('groups items per payee FSP in chunks of at most 1000, keeping order and skipping unresolved items', () => {
    const fsps = Array.from({ length: 2503 }, (_, i) => (i === 5 ? undefined : i % 2 === 0 ? 'a' : 'b'));
    const chunks = planChunks(fsps);
    assert.deepEqual(chunks.map((c) => [c.fspId, c.items.length]), [['a', 1000], ['a', 252], ['b', 1000], ['b', 250]]);
    assert.ok(!chunks.some((c) => c.items.includes(5)));
    assert.deepEqual(chunks[0].items.slice(0, 3), [0, 2, 4]);
    assert.deepEqual(planChunks(['a', 'a', 'a'], 2).map((c) => c.items), [[0, 1], [2]]);
    assert.deepEqual(planChunks([]), []);
  });

  it('checks fees against perTransferFeeLimits for the currency only', () => {
    const limits = [{ currency: 'USD', amount: '0.5' }];
    assert.equal(feeWithinLimits(limits, 'USD', '10', '10', '0.5'), true);
    assert.equal(feeWithinLimits(limits, 'USD', '10', '10', '0.51'), false);
    assert.equal(feeWithinLimits(limits, 'USD', '10', '10.6'), false);
    assert.equal(feeWithinLimits(limits, 'EUR', '10', '10', '99'), true);
    assert.equal(feeWithinLimits(undefined, 'USD', '10', '10', '99'), true);
  });

  it('turns FSPIOP outcomes into the SDK lastError: peer error as is, timeouts 3303/2004, refusals 1001', () => {
    const e = { errorCode: '5104', errorDescription: 'Payee rejected transaction' };
    assert.deepEqual(errorFromOutcome({ kind: 'error', errorInformation: e }, 'transfer', describeCode).mojaloopError.errorInformation, e);
    assert.equal(errorFromOutcome({ kind: 'timeout', waitedMs: 5 }, 'transfer', describeCode).mojaloopError.errorInformation.errorCode,
      '3303');
    const q = errorFromOutcome({ kind: 'timeout', waitedMs: 5 }, 'quote', describeCode);
    assert.equal(q.mojaloopError.errorInformation.errorCode, '2004');
    assert.equal(q.httpStatusCode, 504);
    assert.equal(errorFromOutcome({ kind: 'rejected', status: 0, message: 'ECONNREFUSED' }, 'party',
      describeCode).mojaloopError.errorInformation.errorCode, '1001');
    assert.equal(errorFromOutcome({ kind: 'rejected', status: 400, message: 'x', errorInformation:
      { errorCode: '3101', errorDescription: 'd' } }, 'party', describeCode).mojaloopError.errorInformation.errorCode, '3101');
  });

  it('fingerprints bodies so a resend is told from a modified request', () => {
    assert.equal(fingerprint({ a: 1, b: '2' }), fingerprint({ a: 1, b: '2' }));
    assert.notEqual(fingerprint({ a: 1, b: '2' }), fingerprint({ a: 1, b: '3' }));
  });
});
