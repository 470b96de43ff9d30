import assert from 'node:assert/strict';
import { request } from 'undici';
import { CallbackReceiver, OnDisburseItem, readCallback, startCallbackReceiver } from '../../simulators/openg2p/callbacks';

const post = async (url: string, body: unknown): Promise<{ status: number; body: { message?: { ack_status?: string } } }> => {
  const res = await request(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.statusCode, body: (await res.body.json()) as { message?: { ack_status?: string } } };
};

describe('OpenG2P G2P Connect callback receiver', () => {
  let rx: CallbackReceiver;
  before(async () => { rx = await startCallbackReceiver({ port: 0, host: '127.0.0.1' }); });
  after(async () => { await rx?.stop(); });

  const items: OnDisburseItem[] = [
    { reference_id: 'ref-1', status: 'succ', amount: '10.00', timestamp: '2026-01-01T00:00:00.000Z' },
    { reference_id: 'ref-2', status: 'rjct', status_reason_code: 'rjct.payee_fa.invalid' },
  ];

  it('reads on-status as G2P Connect sends it: txnstatus_response.txn_status is an object holding disbursements_status', async () => {
    const got: OnDisburseItem[][] = [];
    rx.expect('disb-tx-1', (its) => got.push(its));
    // the status request has its own transaction_id; the disbursement's is inside txn_status
    const res = await post(`${rx.url}/disburse/txn/on-status`, {
      header: { message_id: 'st-1', action: 'on-status' },
      message: {
        transaction_id: 'status-req-1', correlation_id: 'batch-1',
        txnstatus_response: { txn_type: 'on-disburse', txn_status: { transaction_id: 'disb-tx-1', disbursements_status: items } },
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.message?.ack_status, 'ACK');
    assert.deepEqual(got, [items]);
    const last = rx.received[rx.received.length - 1];
    assert.deepEqual({ path: last.path, transactionId: last.transactionId, items: last.items },
      { path: '/on-status', transactionId: 'disb-tx-1', items: 2 });
  });

  it('reads on-disburse items from message.disbursements_status', async () => {
    const got: OnDisburseItem[][] = [];
    rx.expect('disb-tx-2', (its) => got.push(its));
    const res = await post(`${rx.url}/on-disburse`, { header: { message_id: 'od-1' }, message:
      { transaction_id: 'disb-tx-2', disbursements_status: items } });
    assert.equal(res.status, 200);
    assert.deepEqual(got, [items]);
  });

  it('takes no items from malformed envelopes and never crashes on them', async () => {
    assert.deepEqual(readCallback('/on-status', { message: { transaction_id: 't', txnstatus_response: { txn_status: items } } }),
      { transactionId: 't', items: [] });
    assert.deepEqual(readCallback('/on-status', { message: { transaction_id: 't', txnstatus_response:
      { txn_status: { disbursements_status: 'x' } } } }), { transactionId: 't', items: [] });
    assert.deepEqual(readCallback('/on-disburse', null), { items: [] });
    assert.deepEqual(readCallback('/on-disburse', { message: 'x' }), { items: [] });
    const unknownBefore = rx.unknown;
    const res = await post(`${rx.url}/on-status`, { header: 'x', message: { txnstatus_response: 5 } });
    assert.equal(res.status, 200);
    assert.equal(rx.unknown, unknownBefore + 1);
  });
});
