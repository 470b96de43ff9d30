import assert from 'node:assert/strict';
import Hapi from '@hapi/hapi';
import request from 'supertest';
import { parseFinancialAddress, registerG2pConnectApi } from '../../orchestrator/intake/g2p-connect';
import { PaymentStatus } from '../../orchestrator/domain/types';
import { g2pConnectEnvelope, ExchangeLog } from '../../simulators/openg2p/managers';
import type { PaymentBatch } from '../../simulators/openg2p/program';
import { SeededRandom } from '../../shared/ids';
import { startCallbackSink, type CallbackSink, type Received } from '../network/helpers';
import { failWhen } from './fake-service';
import { startIntake, eventually, type IntakeHarness } from './helpers';

interface StatusItem { reference_id: string; status: string; status_reason_code?: string; amount: string; payee_fa: string;
  currency_code: string }
interface OnDisburse { header: { action: string; status: string; total_count: number; completed_count: number; message_id: string;
  receiver_id?: string }; message: { transaction_id: string; disbursements_status: StatusItem[] } }

/** The envelope OpenG2P's g2p-connect manager sends, built by its own model. */
function envelope(sink: { url: string } | undefined, txId: string, messageId: string,
  payees: Array<{ ref: string; idType: string; idValue: string; fsp?: string; amount: string }>) {
  const batch = {
    id: txId,
    payments: payees.map((p) => ({ reference: p.ref, amount: p.amount, currency: 'USD', registrant:
      { idType: p.idType, idValue: p.idValue, fsp: p.fsp, name: `Name ${p.ref}` } })),
  } as unknown as PaymentBatch;
  const ctx = { orchestratorUrl: '', programName: 'Child Grant', cycleId: '3', callbacks: sink as never, log: new ExchangeLog(), rnd:
    new SeededRandom(1) };
  return g2pConnectEnvelope(batch, ctx, messageId) as { header: Record<string, unknown>;
    message: { transaction_id: string; disbursements: Array<Record<string, unknown>> } };
}

const PAYEES = [
  { ref: 'a', idType: 'MSISDN', idValue: '254710000001', fsp: 'payeefsp1', amount: '25' },
  { ref: 'b', idType: 'MSISDN', idValue: '254790000001', fsp: 'payeefsp1', amount: '30.5' },
  { ref: 'c', idType: 'ACCOUNT_ID', idValue: 'PF2-1001', fsp: 'payeefsp2', amount: '40.25' },
  { ref: 'd', idType: 'MSISDN', idValue: '254720000009', amount: '60' },
];

function onDisburse(r: Received): OnDisburse {
  return r.body as OnDisburse;
}

describe('G2P Connect Disburse API (orchestrator intake)', () => {
  let h: IntakeHarness;
  let sink: CallbackSink;
  beforeEach(async () => { sink = await startCallbackSink(); });
  afterEach(async () => { await h?.stop(); await sink.stop(); });

  it('ACKs OpenG2P\'s envelope, pays by financial address and calls back on-disburse with per-item statuses and counts', async () => {
    h = await startIntake(registerG2pConnectApi, { service: { outcome: failWhen(/^25479/), stepSize: 1, settle: 'manual' }, config:
      { notify: { progressEveryMs: 0 } } });
    const env = envelope(sink, 'tx-1', 'msg-1', PAYEES);
    const res = await request(h.url).post('/disburse').send(env).expect(200);
    assert.equal(res.body.message.ack_status, 'ACK');
    assert.ok(res.body.message.correlation_id);

    const cmd = h.service.submitCalls[0];
    assert.equal(cmd.source, 'g2p-connect');
    assert.equal(cmd.sourceKey, 'msg-1');
    assert.equal(cmd.declaredCount, 4);
    assert.deepEqual(cmd.callback, { kind: 'g2p-connect', senderUri: sink.url, senderId: 'openg2p', receiverId: 'gpo' });
    assert.deepEqual(cmd.payments.map((p) => [p.reference, p.payeeIdType, p.payeeIdValue, p.payeeFsp, p.amount]), [
      ['a', 'MSISDN', '254710000001', 'payeefsp1', '25'],
      ['b', 'MSISDN', '254790000001', 'payeefsp1', '30.5'],
      ['c', 'ACCOUNT_ID', 'PF2-1001', 'payeefsp2', '40.25'],
      ['d', 'MSISDN', '254720000009', undefined, '60'],
    ]);

    // Settle one payment, see the progress callback, then settle the rest: the order is driven, not timed.
    const batch = await h.service.findBatchBySourceKey('g2p-connect', 'msg-1');
    assert.ok(batch);
    await h.service.settle(batch.id, 1);
    const progress = await sink.waitFor((r) => r.path === '/on-disburse' && onDisburse(r).header.status === 'pdng', 5000);
    assert.ok(onDisburse(progress).header.completed_count >= 1);
    await h.service.settle(batch.id);
    const finalCb = await sink.waitFor((r) => r.path === '/on-disburse' && onDisburse(r).header.status !== 'pdng', 5000);
    const body = onDisburse(finalCb);
    assert.equal(body.header.action, 'on-disburse');
    assert.equal(body.header.status, 'succ');
    assert.equal(body.header.total_count, 4);
    assert.equal(body.header.receiver_id, 'openg2p');
    assert.equal(body.message.transaction_id, 'tx-1');
    const byRef = new Map(body.message.disbursements_status.map((i) => [i.reference_id, i]));
    assert.equal(byRef.size, 4);
    assert.equal(byRef.get('a')!.status, 'succ');
    assert.equal(byRef.get('a')!.amount, '25.00');
    assert.equal(byRef.get('a')!.payee_fa, 'mobile:254710000001@payeefsp1');
    assert.equal(byRef.get('b')!.status, 'rjct');
    assert.equal(byRef.get('b')!.status_reason_code, '3204');
    assert.equal(byRef.get('c')!.status, 'succ');
    // Progress callbacks came first, with completed_count never going down.
    const all = sink.received.filter((r) => r.path === '/on-disburse').map(onDisburse);
    assert.ok(all.length >= 2, `expected progress and final callbacks, got ${all.length}`);
    const counts = all.map((b) => b.header.completed_count);
    assert.deepEqual(counts, [...counts].sort((x, y) => x - y));
    assert.ok(all.slice(0, -1).every((b) => b.header.status === 'pdng'));
    assert.equal(new Set(all.map((b) => b.header.message_id)).size, all.length, 'each callback has its own message_id');
  });

  it('refuses header and item problems with the spec\'s reject codes, storing nothing', async () => {
    h = await startIntake(registerG2pConnectApi);
    const missing = await request(h.url).post('/disburse').send({ header: { version: '1.0.0', action: 'disburse' }, message:
      {} }).expect(400);
    assert.equal(missing.body.message.ack_status, 'ERR');
    assert.ok(missing.body.message.error.details.length >= 3);

    const version = envelope(sink, 'tx-2', 'msg-2', PAYEES);
    version.header.version = '0.9';
    const v = await request(h.url).post('/disburse').send(version).expect(400);
    assert.equal(v.body.message.error.code, 'rjct.version.invalid');

    const count = envelope(sink, 'tx-3', 'msg-3', PAYEES);
    count.header.total_count = 5;
    assert.equal((await request(h.url).post('/disburse').send(count).expect(400)).body.message.error.code, 'rjct.total_count.invalid');

    const action = envelope(sink, 'tx-4', 'msg-4', PAYEES);
    action.header.action = 'search';
    assert.equal((await request(h.url).post('/disburse').send(action).expect(400)).body.message.error.code, 'rjct.action.not_supported');

    const ts = envelope(sink, 'tx-5', 'msg-5', PAYEES);
    ts.header.message_ts = 'yesterday';
    assert.equal((await request(h.url).post('/disburse').send(ts).expect(400)).body.message.error.code, 'rjct.message_ts.invalid');

    const items = envelope(sink, 'tx-6', 'msg-6', PAYEES);
    items.message.disbursements[0].amount = '10.505';
    items.message.disbursements[1].payee_fa = 'nonsense';
    items.message.disbursements[2].reference_id = 'a';
    items.message.disbursements[3].currency_code = 'EUR';
    const bad = await request(h.url).post('/disburse').send(items).expect(400);
    const codes = bad.body.message.error.details.map((d: { code: string; reference_id?: string }) => `${d.reference_id}:${d.code}`).sort();
    assert.deepEqual(codes, ['a:rjct.amount.invalid', 'a:rjct.reference_id.duplicate', 'b:rjct.payee_fa.invalid',
      'd:rjct.currency_code.invalid']);

    const noUri = envelope(undefined, 'tx-7', 'msg-7', PAYEES);
    assert.equal((await request(h.url).post('/disburse').send(noUri).expect(400)).body.message.error.code, 'ERR_INVALID_SENDER_URI');

    const notJson = await request(h.url).post('/disburse').set('content-type', 'application/json').send('{"header":').expect(400);
    assert.equal(notJson.body.message.ack_status, 'ERR');
    assert.equal(h.service.submitCalls.length, 0, 'nothing reached the service');
  });

  it('a replayed message gets the original ACK and pays nothing again; the same message_id with other content is rejected', async () => {
    h = await startIntake(registerG2pConnectApi, { service: { settle: 'manual' } });
    const env = envelope(sink, 'tx-8', 'msg-8', PAYEES);
    const first = await request(h.url).post('/disburse').send(env).expect(200);
    const again = await request(h.url).post('/disburse').send({ ...env, header:
      { ...env.header, message_ts: new Date(Date.now() + 5000).toISOString() } }).expect(200);
    assert.deepEqual(again.body, first.body);
    assert.equal(h.service.createdCount, 1);
    const changed = envelope(sink, 'tx-8', 'msg-8', PAYEES.map((p) => ({ ...p, amount: '1' })));
    const conflict = await request(h.url).post('/disburse').send(changed).expect(409);
    assert.equal(conflict.body.message.ack_status, 'ERR');
    assert.equal(conflict.body.message.error.code, 'rjct.message_id.duplicate');
    assert.equal(h.service.createdCount, 1);
  });

  it('retries an on-disburse callback the receiver refused, until it is taken', async () => {
    h = await startIntake(registerG2pConnectApi, { config: { notify: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 5, progressEveryMs:
      60_000 } } });
    const attempts: number[] = [];
    const receiver = Hapi.server({ port: 0, host: '127.0.0.1' });
    receiver.route({ method: 'POST', path: '/on-disburse', handler: (_req, res) => {
      attempts.push(Date.now());
      return res.response({ message: { ack_status: attempts.length <= 2 ? 'ERR' : 'ACK' } }).code(attempts.length <= 2 ? 503 : 200);
    } });
    await receiver.start();
    try {
      const env = envelope({ url: `http://127.0.0.1:${receiver.info.port}` }, 'tx-9', 'msg-9', PAYEES.slice(0, 2));
      await request(h.url).post('/disburse').send(env).expect(200);
      await eventually(() => attempts.length, (n) => n >= 3, 3000, 'third delivery attempt');
      assert.equal(attempts.length, 3, 'stops retrying once the callback is taken');
    } finally {
      await receiver.stop();
    }
  });

  it('answers the sync variant with the final statuses inline', async () => {
    h = await startIntake(registerG2pConnectApi, { service: { outcome: failWhen(/^25479/) } });
    const env = envelope(undefined, 'tx-11', 'msg-11', PAYEES);
    const res = await request(h.url).post('/disburse/sync/disburse').send(env).expect(200);
    assert.equal(res.body.header.status, 'succ');
    assert.equal(res.body.header.completed_count, 4);
    assert.deepEqual(res.body.message.disbursements_status.map((i: StatusItem) => `${i.reference_id}:${i.status}`),
      ['a:succ', 'b:rjct', 'c:succ', 'd:succ']);
    assert.equal(h.service.submitCalls[0].callback, undefined);
  });

  it('answers txn status by transaction_id, correlation_id and reference list, sync and through on-status', async () => {
    h = await startIntake(registerG2pConnectApi, { service: { settle: 'manual' } });
    const env = envelope(sink, 'tx-12', 'msg-12', PAYEES);
    const ack = await request(h.url).post('/disburse').send(env).expect(200);
    const batchId = ack.body.message.correlation_id as string;
    await h.service.settle(batchId, 2);
    const status = (attribute_type: string, attribute_value: unknown, transactionId = 'st-1') => ({
      header: { version: '1.0.0', message_id: `st-${attribute_type}`, message_ts: new Date().toISOString(), action: 'txn-status', sender_id:
        'openg2p', sender_uri: sink.url, total_count: 1 },
      message: { transaction_id: transactionId, txnstatus_request: { reference_id: 'q1', txn_type: 'disburse', attribute_type,
        attribute_value } },
    });
    const sync = await request(h.url).post('/disburse/sync/txn/status').send(status('transaction_id', 'tx-12')).expect(200);
    const items = sync.body.message.txnstatus_response.txn_status.disbursements_status as StatusItem[];
    assert.deepEqual(items.map((i) => `${i.reference_id}:${i.status}`), ['a:succ', 'b:succ', 'c:rcvd', 'd:rcvd']);
    assert.equal(sync.body.header.completed_count, 2);

    const byCorrelation = await request(h.url).post('/disburse/sync/txn/status').send(status('correlation_id', batchId)).expect(200);
    assert.equal(byCorrelation.body.message.txnstatus_response.txn_status.disbursements_status.length, 4);
    const refs = await request(h.url).post('/disburse/sync/txn/status').send(status('reference_id_list', ['c', 'a'], 'tx-12')).expect(200);
    assert.deepEqual(refs.body.message.txnstatus_response.txn_status.disbursements_status.map((i: StatusItem) => i.reference_id).sort(),
      ['a', 'c']);

    const async = await request(h.url).post('/disburse/txn/status').send(status('transaction_id', 'tx-12')).expect(200);
    assert.equal(async.body.message.ack_status, 'ACK');
    const cb = await sink.waitFor((r) => r.path === '/disburse/txn/on-status', 3000);
    const msg = (cb.body as { message: { txnstatus_response: { txn_status: { disbursements_status: StatusItem[] } } } }).message;
    assert.equal(msg.txnstatus_response.txn_status.disbursements_status.length, 4);

    const unknown = await request(h.url).post('/disburse/sync/txn/status').send(status('transaction_id', 'nope')).expect(404);
    assert.equal(unknown.body.message.ack_status, 'ERR');
  });

  it('parses financial addresses into party id type, value and FSP', () => {
    assert.deepEqual(parseFinancialAddress('mobile:254700000001@mpesa'), { idType: 'MSISDN', idValue: '254700000001', provider: 'mpesa' });
    assert.deepEqual(parseFinancialAddress('account:PF1-1001@payeefsp1'),
      { idType: 'ACCOUNT_ID', idValue: 'PF1-1001', provider: 'payeefsp1' });
    assert.deepEqual(parseFinancialAddress('email:a.b@x.org'), { idType: 'EMAIL', idValue: 'a.b@x.org', provider: undefined });
    assert.deepEqual(parseFinancialAddress('email:a.b@x.org@bank1'), { idType: 'EMAIL', idValue: 'a.b@x.org', provider: 'bank1' });
    assert.equal(parseFinancialAddress('mobile:2547@'), undefined);
    assert.deepEqual(parseFinancialAddress('mobile:254700000001'), { idType: 'MSISDN', idValue: '254700000001', provider: undefined });
    assert.equal(parseFinancialAddress('nonsense'), undefined);
    assert.equal(parseFinancialAddress('telepathy:42@x'), undefined);
    assert.equal(PaymentStatus.COMPLETED, 'COMPLETED');
  });
});
