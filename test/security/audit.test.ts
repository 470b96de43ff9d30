import assert from 'node:assert/strict';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { classify } = require(path.join(__dirname, '..', '..', '.ci', 'audit.js')) as { classify: (out: string, err: string,
  status: number) => { result: string } };

describe('CI: npm audit --omit=dev', () => {
  it('fails on high or critical advisories, passes a clean report, tolerates an unreachable endpoint only', () => {
    const report = (v: Record<string, number>) => JSON.stringify({ metadata:
      { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...v } } });
    assert.equal(classify(report({ high: 1 }), '', 1).result, 'findings');
    assert.equal(classify(report({ critical: 2 }), '', 1).result, 'findings');
    assert.equal(classify(report({ moderate: 3 }), '', 1).result, 'clean');
    assert.equal(classify(report({}), '', 0).result, 'clean');
    assert.equal(classify(JSON.stringify({ message: '405 Method Not Allowed - POST https://registry/-/npm/v1/security/advisories/bulk',
      statusCode: 405 }), 'npm error audit endpoint returned an error', 1).result, 'unreachable');
    assert.equal(classify('', 'npm error code ENOTFOUND', 1).result, 'unreachable');
    assert.equal(classify('', 'something else broke', 1).result, 'error');
  });
});
