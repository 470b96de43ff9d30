import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  isFinalCode, newSliceState, S_CANCELLED, S_COMPLETED, S_FAILED, S_QUOTED, S_RECEIVED, S_RESOLVED, S_SENT, type SliceStateRecord,
} from '../../orchestrator/domain/model';
import {
  canMove, IllegalTransition, markFinal, markQuoted, markResolved, markRetry, markSent, markUnseen, noteDoubt,
} from '../../orchestrator/domain/payment-state';

const AT = '2026-12-03T10:00:00.000Z';

function slice(n = 1): SliceStateRecord {
  return newSliceState('b', 0, 0, n, AT);
}

/** Every operation of the machine, applied to payment 0. */
const OPS: Record<string, (s: SliceStateRecord) => void> = {
  resolved: (s) => markResolved(s, 0, 'payeefsp1'),
  quoted: (s) => markQuoted(s, 0, '0.50'),
  sent: (s) => markSent(s, 0, 0),
  unseen: (s) => markUnseen(s, 0, s.mid!, 'new-id'),
  retry: (s) => markRetry(s, 0, '2003', 'unavailable'),
  doubt: (s) => noteDoubt(s, 0, '2004', 'timed out'),
  completed: (s) => { markFinal(s, 0, S_COMPLETED, AT, { code: null, description: null }); },
  failed: (s) => { markFinal(s, 0, S_FAILED, AT, { code: '5105', description: 'rejected' }); },
  cancelled: (s) => { markFinal(s, 0, S_CANCELLED, AT, { code: null, description: 'cancelled' }); },
};

describe('payment state machine (domain)', () => {
  it('walks the happy path and the recovery paths', () => {
    const s = slice();
    markResolved(s, 0, 'payeefsp1');
    markQuoted(s, 0, '0.50');
    markSent(s, 0, 3);
    assert.equal(s.st[0], S_SENT);
    assert.equal(s.g[0], 3);
    markUnseen(s, 0, s.mid!, 'tid-2');
    assert.equal(s.st[0], S_QUOTED);
    assert.equal(s.tid[0], 'tid-2');
    markSent(s, 0, 4);
    markRetry(s, 0, '2003', 'unavailable', s.mid!);
    assert.equal(s.st[0], S_RESOLVED, 'the FSP is known: back to RESOLVED');
    assert.equal(s.tid[0], null, 'nothing was sent under the old id: a new one comes');
    assert.equal(s.g[0], -1);
    markSent(s, 0, 5);
    assert.equal(markFinal(s, 0, S_COMPLETED, AT, { code: null, description: null }), true);
    assert.equal(s.err[0], null);
    assert.equal(s.at[0], AT);
  });

  it('refuses every transition out of a final status, and a second final status changes nothing', () => {
    for (const final of ['completed', 'failed', 'cancelled']) {
      const s = slice();
      if (final === 'completed') OPS.sent(s);
      OPS[final](s);
      const before = JSON.stringify(s);
      for (const [name, op] of Object.entries(OPS)) {
        if (['completed', 'failed', 'cancelled'].includes(name)) {
          op(s); // markFinal on a final payment: no-op
        } else {
          assert.throws(() => op(s), IllegalTransition, `${final} then ${name}`);
        }
      }
      assert.equal(JSON.stringify(s), before, `${final}: nothing written`);
    }
  });

  it('only a SENT payment can be unseen or in doubt; a final status must be final', () => {
    assert.throws(() => OPS.unseen(slice()), IllegalTransition);
    assert.throws(() => OPS.doubt(slice()), IllegalTransition);
    assert.throws(() => markFinal(slice(), 0, S_SENT, AT, { code: null, description: null }), IllegalTransition);
    assert.equal(canMove(S_SENT, S_COMPLETED), true);
    assert.equal(canMove(S_QUOTED, S_COMPLETED), false, 'nothing completes without having been sent');
    assert.equal(canMove(S_RECEIVED, S_COMPLETED), false);
  });

  it('any sequence of operations: final stays final, completion only after SENT, a refused one writes nothing', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...Object.keys(OPS)), { maxLength: 30 }), (ops) => {
      const s = slice();
      let finalAt: number | undefined;
      ops.forEach((name, k) => {
        const from = s.st[0];
        const before = JSON.stringify(s);
        try {
          OPS[name](s);
        } catch (err) {
          assert.ok(err instanceof IllegalTransition);
          assert.equal(JSON.stringify(s), before);
          return;
        }
        if (s.st[0] === S_COMPLETED && from !== S_COMPLETED) assert.equal(from, S_SENT);
        if (isFinalCode(s.st[0]) && finalAt === undefined) finalAt = k;
        if (finalAt !== undefined) assert.ok(isFinalCode(s.st[0]));
      });
    }), { seed: 20261203, numRuns: 500 });
  });
});
