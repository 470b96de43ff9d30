import assert from 'node:assert/strict';
import { startPil, type RunningPil } from '../../simulators/pil';
import { call, errorFormat } from '../security/support';

describe('PIL simulator: every refusal in the PIL\'s format', () => {
  let pil: RunningPil;
  before(async () => { pil = await startPil({ port: 0, payerOutboundUrl: 'http://127.0.0.1:9' }); });
  after(async () => pil?.stop());

  it('unknown routes, wrong methods, bad encodings, deep JSON and prototype keys', async () => {
    const cases: Array<[string, string, string | undefined, number, string]> = [
      ['GET', '/nothing', undefined, 404, '3002'],
      ['DELETE', '/disbursement', undefined, 405, '3000'],
      ['GET', '/disbursement/%E0%A4%A', undefined, 400, '3101'],
      ['POST', '/disbursement', `{"disbursementId":${'['.repeat(10_000)}1${']'.repeat(10_000)}}`, 400, '3101'],
      ['POST', '/disbursement', '{"disbursementId":"x","__proto__":{"a":1},"payeeList":[]}', 400, '3101'],
      ['POST', '/disbursementCheck', '{"requestId":"x","constructor":{"prototype":{}},"payeeList":[]}', 400, '3101'],
      ['POST', '/disbursement', '{"disbursementId":', 400, '3101'],
    ];
    for (const [method, p, body, status, code] of cases) {
      const a = await call(pil.url, method, p, body === undefined ? {} : { body });
      assert.equal(a.status, status, `${method} ${p}: ${a.text}`);
      assert.equal(errorFormat('pil', a), code, `${method} ${p}`);
    }
    assert.equal(pil.stats.disbursements, 0);
  });
});
