import assert from 'node:assert/strict';
import { startPayeeDfsp } from '../../simulators/payee-dfsp';
import { putRules, readPayeeAccount, readPayeeLedger, findUrl, pickDebited } from '../../scenarios/environment';
import { servedIdentifier } from '../../simulators/openg2p';

/** The runner reads the payee simulators only through their admin APIs: check it reads them right. */
describe('scenario environment against a real payee DFSP simulator', () => {
  let payee: Awaited<ReturnType<typeof startPayeeDfsp>>;
  before(async () => { payee = await startPayeeDfsp({ port: 0, host: '127.0.0.1', fspId: 'payeefsp1', hubUrl: 'http://127.0.0.1:9', alsUrl:
    'http://127.0.0.1:9' }); });
  after(async () => { await payee.stop(); });

  it('reads an empty ledger, named and generated accounts, and sets fault rules', async () => {
    const l = await readPayeeLedger(payee.url, 'payeefsp1', 'USD');
    assert.equal(l.committedCount, 0);
    assert.equal(l.credited, '0');
    assert.equal(l.balances.size, 0);
    assert.equal(await readPayeeAccount(payee.url, 'MSISDN', '254710000001'), 'payeefsp1-wallet-1');
    // Generated registrants get identifiers this FSP serves, credited to the account the runner expects.
    const id = servedIdentifier('MSISDN', 'payeefsp1', 42);
    assert.equal(await readPayeeAccount(payee.url, 'MSISDN', id), `MSISDN:${id}`);
    const acct = servedIdentifier('ACCOUNT_ID', 'payeefsp1', 42);
    assert.equal(await readPayeeAccount(payee.url, 'ACCOUNT_ID', acct), `ACCOUNT_ID:${acct}`);
    assert.equal(await readPayeeAccount(payee.url, 'MSISDN', '254790000001'), undefined);
    await putRules(payee.url, [{ match: { resource: 'transfers' }, action: { type: 'error', errorCode: '5104' }, times: 2 }]);
    assert.equal(payee.faults.list().length, 1);
    await assert.rejects(putRules(payee.url, [{ action: { type: 'explode' } }]), /HTTP 400/);
  });

  it('finds server URLs and treasury debits in the shapes a world may use', () => {
    assert.equal(findUrl({ switch: { url: 'http://a' } }, 'switch'), 'http://a');
    assert.equal(findUrl({ urls: { als: 'http://b' } }, 'als'), 'http://b');
    assert.equal(findUrl({ payees: { payeefsp2: { url: 'http://c' } } }, 'payeefsp2'), 'http://c');
    assert.equal(findUrl({}, 'pil'), undefined);
    assert.equal(pickDebited({ totals: { USD: { debited: '12.5' } } }, 'USD', 'govbank'), '12.5');
    assert.equal(pickDebited({ positions: { govbank: { USD: { debited: '7' } } } }, 'USD', 'govbank'), '7');
    assert.equal(pickDebited([{ currency: 'EUR', value: 1 }, { currency: 'USD', value: '1200.5' }], 'USD', 'govbank'), '1200.5');
  });
});
