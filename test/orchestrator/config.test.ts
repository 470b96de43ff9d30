/** The orchestrator's configuration: one schema, options over GPO_* variables over defaults, every problem named. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configProblems, ENV, resolveConfig } from '../../orchestrator/config';

describe('orchestrator configuration (one schema)', () => {
  it('has a default for every setting', () => {
    const c = resolveConfig({}, {});
    assert.deepEqual([c.port, c.host, c.dataDir, c.rail, c.railMode, c.chunkSize, c.railConcurrency, c.perFspConcurrency],
      [4000, '127.0.0.1', '.gpo', 'mojaloop-sdk', 'bulkTransactions', 1000, 8, 4]);
    assert.deepEqual(c.retry, { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5000 });
    assert.deepEqual(c.notify, { maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 30_000, progressEveryMs: 1000 });
    assert.deepEqual(c.payer, { idType: 'ACCOUNT_ID', idValue: 'treasury', displayName: 'Treasury' });
    assert.deepEqual(c.feeLimits, {});
    assert.equal(c.webhookSecret, undefined);
    assert.deepEqual(configProblems(c), []);
  });

  it('takes GPO_* variables, and options over them', () => {
    const env = { GPO_RAIL_CONCURRENCY: '3', GPO_RETRY_MAX_ATTEMPTS: '6', GPO_FEE_LIMITS: 'USD=1,KES=50', GPO_WEBHOOK_SECRET:
      'sixteen-chars-long',
      GPO_CHUNK_SIZE: '5000', GPO_PORT: '4100' };
    const c = resolveConfig({ port: 4200, retry: { baseDelayMs: 1 } }, env);
    assert.equal(c.railConcurrency, 3);
    assert.deepEqual(c.retry, { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 5000 });
    assert.deepEqual(c.feeLimits, { USD: '1', KES: '50' });
    assert.equal(c.webhookSecret, 'sixteen-chars-long');
    assert.equal(c.chunkSize, 1000, 'at most 1000 per slice');
    assert.equal(c.port, 4200);
    assert.equal(resolveConfig({ payerOutboundUrl: 'http://10.0.0.1:4001' }, {}).sdkUrl, 'http://10.0.0.1:4001');
  });

  it('names every problem, in the words an operator reads', () => {
    const c = resolveConfig({ rail: 'swift' as never, railMode: 'fast' as never, railConcurrency: 0, duplicatePayees: 'maybe' as never,
      notify: { maxAttempts: 1.5 }, port: 70_000 }, { GPO_ON_INSUFFICIENT_LIQUIDITY: 'wait' });
    assert.deepEqual(configProblems(c), [
      'port must be 0..65535',
      'rail must be mojaloop-sdk or pil, not swift',
      'railMode must be bulkTransactions, bulkQuotesTransfers or transfers, not fast',
      'railConcurrency must be a positive integer',
      'duplicatePayees must be reject or allow',
      'onInsufficientLiquidity must be fail or pause',
      'notify.maxAttempts must be a positive integer',
    ]);
  });

  it('documents every variable it reads in docs/orchestrator.md', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'orchestrator.md'), 'utf8');
    assert.ok(ENV.length >= 20);
    for (const [, variable] of ENV) assert.ok(doc.includes(`\`${variable}\``), `${variable} in docs/orchestrator.md`);
  });
});
