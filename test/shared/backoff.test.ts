import assert from 'node:assert/strict';
import { backoffDelay, pollUntil } from '../../shared/backoff';

describe('shared backoff and polling', () => {
  it('one formula: exponential, capped, half fixed and half random', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelay(1, policy, 0), 50);
    assert.equal(backoffDelay(2, policy, 0.5), 150);
    assert.equal(backoffDelay(5, policy, 0.999), 1000);
    assert.equal(backoffDelay(1, policy, 0.999999), 100);
    assert.equal(backoffDelay(30, policy, 0), 500);
  });

  it('polls until the value is there, and times out with what the last look found pending', async () => {
    let looks = 0;
    const value = await pollUntil(async () => (++looks < 3 ? { done: false, pending: 3 - looks } : { done: true, value: 'ok' }),
      { timeoutMs: 10_000, timedOut: () => new Error('not expected') });
    assert.equal(value, 'ok');
    assert.equal(looks, 3);
    let last = 0;
    await assert.rejects(pollUntil(async () => ({ done: false, pending: ++last }),
      { timeoutMs: -1, timedOut: (p) => new Error(`${p} pending`) }),
      /^Error: 1 pending$/);
  });
});
