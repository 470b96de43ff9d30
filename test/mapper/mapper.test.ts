import assert from 'node:assert/strict';
import Hapi from '@hapi/hapi';
import pino from 'pino';
import request from 'supertest';
import { defaultMapperRules, formatFinancialAddress, MapperDirectory, mapperBeneficiaryId, partyOfAddress, startMapper, type MapperOptions,
  type RunningMapper } from '../../simulators/mapper';
import { defaultParties } from '../../simulators/payee-dfsp/config';
import { runResolveBench } from '../../simulators/mapper/bench';

const silent = pino({ level: 'silent' });
const ts = '2026-03-01T10:00:00.000Z';

function envelope(items: Array<Record<string, unknown>>, header: Record<string, unknown> = {}, transactionId = 'txn-1') {
  return {
    signature: '',
    header: { version: '1.0.0', message_id: `msg-${Math.random()}`, message_ts: ts, action: 'resolve', sender_id: 'gpo', total_count:
      items.length, ...header },
    message: { transaction_id: transactionId, resolve_request: items },
  };
}

const item = (ref: string, id: string, extra: Record<string, unknown> = {}) =>
  ({ reference_id: ref, timestamp: ts, id, scope: 'details', ...extra });

/** A hapi server on port 0 that records what arrives at /on-resolve, answering with `status`. */
async function callbackReceiver(status = 200) {
  const received: Array<{ header: Record<string, unknown>; message: { transaction_id: string; correlation_id: string;
    resolve_response: Array<Record<string, unknown>> } }> = [];
  const waiters: Array<() => void> = [];
  const server = Hapi.server({ port: 0, host: '127.0.0.1' });
  let calls = 0;
  server.route({
    method: 'POST', path: '/on-resolve',
    handler: (req, h) => {
      calls++;
      if (status >= 300 && calls === 1) return h.response({}).code(status);
      received.push(req.payload as (typeof received)[number]);
      waiters.splice(0).forEach((w) => w());
      return { message: { ack_status: 'ACK', timestamp: new Date().toISOString(), correlation_id: 'c' } };
    },
  });
  await server.start();
  return {
    url: `http://127.0.0.1:${server.info.port}/on-resolve`,
    received,
    get calls() { return calls; },
    until: async (n: number) => { while (received.length < n) await new Promise<void>((r) => waiters.push(r)); },
    stop: () => server.stop(),
  };
}

describe('mapper simulator (G2P Connect Mapper resolve)', () => {
  let mapper: RunningMapper;
  const start = async (o: MapperOptions = {}) => {
    mapper = await startMapper({ port: 0, logger: silent, callbackRetryMs: 5, ...o });
  };
  afterEach(async () => mapper?.stop());

  it('resolves a batch synchronously: wallets and bank accounts of the default payees, unknown ids answered succ.id.not_found', async () =>
    {
    await start();
    const ids = [mapperBeneficiaryId('payeefsp1', 'wallet', 1), mapperBeneficiaryId('payeefsp2', 'bank', 7), 'token:ZZ0000001@nationalId',
      mapperBeneficiaryId('payeefsp2', 'wallet', 1234567)];
    const body = envelope(ids.map((id, i) => item(`r${i}`, id)));
    const res = await request(mapper.url).post('/mapper/sync/resolve').send(body).expect(200);
    assert.equal(res.body.header.action, 'on-resolve');
    assert.equal(res.body.header.status, 'succ');
    assert.equal(res.body.header.total_count, 4);
    assert.equal(res.body.header.receiver_id, 'gpo');
    assert.match(res.body.header.message_ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(res.body.message.transaction_id, 'txn-1');
    assert.match(res.body.message.correlation_id, /^[0-9a-f-]{36}$/);
    const r = res.body.message.resolve_response as Array<Record<string, unknown>>;
    assert.deepEqual(r.map((x) => x.reference_id), ['r0', 'r1', 'r2', 'r3']);
    assert.deepEqual(r.map((x) => x.status), ['succ', 'succ', 'succ', 'succ']);
    assert.deepEqual(r.map((x) => x.status_reason_code), ['succ.id.active', 'succ.id.active', 'succ.id.not_found', 'succ.id.active']);
    assert.equal(r[0].fa, 'mobile:254710000001@payeefsp1');
    assert.equal(r[1].fa, 'account:PF2-100007@payeefsp2');
    assert.equal(r[3].fa, 'mobile:254721234567@payeefsp2');
    assert.equal(r[2].fa, undefined);
    assert.deepEqual(r[1].account_provider_info, { name: 'payeefsp2 bank', code: 'payeefsp2', subcode: 'payeefsp2-main' });
    assert.equal(r[0].id, ids[0]);
    // The wallet is a party the default payee DFSP knows (one of its five named parties).
    assert.ok(defaultParties('payeefsp1').some((p) => p.idValue === '254710000001'));
    assert.deepEqual(mapper.stats, { ...mapper.stats, messages: 1, items: 4, resolved: 3, notFound: 1 });
  });

  it('answers scope yes_no without the address, and writes SPAR strategy addresses when asked', async () => {
    await start({ faFormat: 'spar', notFoundCode: 'succ.fa.not_linked_to_id' });
    const res = await request(mapper.url).post('/mapper/sync/resolve')
      .send(envelope([item('a', mapperBeneficiaryId('payeefsp1', 'bank', 1)),
        item('b', mapperBeneficiaryId('payeefsp1', 'wallet', 2), { scope: 'yes_no' }), item('c', 'token:nobody@nationalId')])).expect(200);
    const r = res.body.message.resolve_response;
    assert.equal(r[0].fa,
      'account_number:PF1-100001.branch_name:Main.branch_code:payeefsp1-main.bank_name:payeefsp1 ' +
        'bank.bank_code:payeefsp1.fa_type:BANK_ACCOUNT');
    assert.equal(r[1].fa, undefined);
    assert.equal(r[1].status_reason_code, 'succ.id.active');
    assert.equal(r[2].status_reason_code, 'succ.fa.not_linked_to_id');
  });

  it('refuses malformed items one by one and malformed headers whole, with G2P Connect codes', async () => {
    await start({ maxItems: 3 });
    const items = [item('a', mapperBeneficiaryId('payeefsp1', 'wallet', 1)), item('a', 'x'),
      { reference_id: 'c', timestamp: 'yesterday', id: 'y' }];
    const ok = await request(mapper.url).post('/mapper/sync/resolve').send(envelope(items)).expect(200);
    assert.deepEqual(ok.body.message.resolve_response.map((x: { status_reason_code: string }) => x.status_reason_code),
      ['succ.id.active', 'rjct.reference_id.duplicate', 'rjct.timestamp.invalid']);
    assert.deepEqual(ok.body.message.resolve_response.map((x: { status: string }) => x.status), ['succ', 'rjct', 'rjct']);
    const noId = await request(mapper.url).post('/mapper/sync/resolve').send(envelope([{ reference_id: 'n', timestamp: ts },
      { reference_id: 'f', timestamp: ts, fa: 'mobile:1@x' }])).expect(200);
    assert.deepEqual(noId.body.message.resolve_response.map((x: { status_reason_code: string }) => x.status_reason_code),
      ['rjct.id.invalid', 'rjct.resolve_type.not_supported']);

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ version: '2.0.0' }, 'rjct.version.invalid'],
      [{ message_ts: '2026-03-01 10:00' }, 'rjct.message_ts.invalid'],
      [{ action: 'search' }, 'rjct.action.invalid'],
      [{ total_count: 9 }, 'rjct.total_count.invalid'],
    ];
    for (const [header, code] of cases) {
      const res = await request(mapper.url).post('/mapper/sync/resolve').send(envelope([item('a', 'x')], header)).expect(400);
      assert.equal(res.body.header.status, 'rjct', code);
      assert.equal(res.body.header.status_reason_code, code);
      assert.deepEqual(res.body.message.resolve_response, []);
    }
    const many = await request(mapper.url).post('/mapper/sync/resolve').send(envelope([1, 2, 3, 4].map((n) =>
      item(`r${n}`, 'x')))).expect(400);
    assert.equal(many.body.header.status_reason_code, 'rjct.total_count.limit_exceeded');
    const dup = envelope([item('a', 'x')], { message_id: 'same' });
    await request(mapper.url).post('/mapper/sync/resolve').send(dup).expect(200);
    await request(mapper.url).post('/mapper/sync/resolve').send(dup).expect(200);
    const other = await request(mapper.url).post('/mapper/sync/resolve').send(envelope([item('b', 'y')],
      { message_id: 'same' })).expect(400);
    assert.equal(other.body.header.status_reason_code, 'rjct.message_id.duplicate');
    const bad = await request(mapper.url).post('/mapper/sync/resolve').set('content-type',
      'application/json').send('{"header":').expect(400);
    assert.equal(bad.body.message.ack_status, 'ERR');
    assert.equal(bad.body.message.error.code, 'err.request.bad');
    const shape = await request(mapper.url).post('/mapper/sync/resolve').send({ header: {} }).expect(400);
    assert.equal(shape.body.message.error.code, 'err.request.bad');
  });

  it('resolves asynchronously: ACK at once, the result as on-resolve to sender_uri, retried when refused', async () => {
    await start();
    const receiver = await callbackReceiver(503);
    try {
      const body = envelope([item('r0', mapperBeneficiaryId('payeefsp2', 'wallet', 5)), item('r1', 'token:unknown@nationalId')],
        { sender_uri: receiver.url }, 'txn-async');
      const res = await request(mapper.url).post('/mapper/resolve').send(body).expect(200);
      assert.equal(res.body.message.ack_status, 'ACK');
      await receiver.until(1);
      await mapper.idle();
      assert.equal(receiver.calls, 2, 'the first delivery was refused and retried');
      const cb = receiver.received[0];
      assert.equal(cb.header.action, 'on-resolve');
      assert.equal(cb.message.transaction_id, 'txn-async');
      assert.equal(cb.message.correlation_id, res.body.message.correlation_id);
      assert.equal(cb.message.resolve_response[0].fa, 'mobile:254720000005@payeefsp2');
      assert.equal(cb.message.resolve_response[1].status_reason_code, 'succ.id.not_found');
      assert.equal(mapper.stats.callbacksSent, 1);
      const noUri = await request(mapper.url).post('/mapper/resolve').send(envelope([item('r0', 'x')])).expect(400);
      assert.equal(noUri.body.message.ack_status, 'ERR');
      assert.equal(noUri.body.message.error.code, 'err.sender_uri.invalid');
    } finally {
      await receiver.stop();
    }
  });

  it('takes errors, latency and lost or repeated callbacks from the shared fault rules', async () => {
    await start();
    const receiver = await callbackReceiver();
    try {
      const inactive = mapperBeneficiaryId('payeefsp1', 'wallet', 3);
      await request(mapper.url).put('/admin/rules').send({ rules: [
        { id: 'inactive', match: { resource: 'resolve', partyId: `^${inactive}$` }, action:
          { type: 'error', errorCode: 'succ.id.inactive' } },
        { id: 'twice', match: { resource: 'resolve' }, action: { type: 'callbackTwice' }, times: 1 },
      ] }).expect(200);
      const body = envelope([item('a', inactive), item('b', mapperBeneficiaryId('payeefsp1', 'wallet', 4))], { sender_uri: receiver.url });
      await request(mapper.url).post('/mapper/resolve').send(body).expect(200);
      await receiver.until(2);
      await mapper.idle();
      assert.equal(receiver.received.length, 2);
      assert.deepEqual(receiver.received[0].message.resolve_response.map((x) => x.status_reason_code),
        ['succ.id.inactive', 'succ.id.active']);

      await request(mapper.url).put('/admin/rules').send({ rules: [{ match: { resource: 'resolve' }, action:
        { type: 'noCallback' } }] }).expect(200);
      await request(mapper.url).post('/mapper/resolve').send(envelope([item('a', inactive)], { sender_uri: receiver.url })).expect(200);
      await mapper.idle();
      assert.equal(receiver.received.length, 2, 'no callback');

      await request(mapper.url).put('/admin/rules').send({ rules: [{ match: { resource: 'resolve' }, action:
        { type: 'httpStatus', status: 503 } }] }).expect(200);
      const down = await request(mapper.url).post('/mapper/sync/resolve').send(envelope([item('a', inactive)])).expect(503);
      assert.equal(down.body.errors[0].code, 'err.service.unavailable');

      await request(mapper.url).put('/admin/rules').send({ rules: [{ match: { resource: 'resolve' }, action:
        { type: 'failBulkItems', fraction: 0.5, errorCode: 'rjct.id.invalid' } }] }).expect(200);
      const half = await request(mapper.url).post('/mapper/sync/resolve').send(envelope([1, 2, 3, 4].map((n) =>
        item(`r${n}`, mapperBeneficiaryId('payeefsp1', 'wallet', n))))).expect(200);
      assert.equal(half.body.message.resolve_response.filter((x: { status: string }) => x.status === 'rjct').length, 2);

      const before = Date.now();
      await request(mapper.url).put('/admin/rules').send({ rules: [{ match: { resource: 'resolve' }, action:
        { type: 'delay', ms: 150 } }] }).expect(200);
      await request(mapper.url).post('/mapper/sync/resolve').send(envelope([item('a', inactive)])).expect(200);
      assert.ok(Date.now() - before >= 150, 'the answer waited for the delay rule');
      const bad = await request(mapper.url).put('/admin/rules').send({ rules:
        [{ action: { type: 'error', errorCode: 'nope' } }] }).expect(400);
      assert.equal(bad.body.error.code, 'INVALID_RULE');
    } finally {
      await receiver.stop();
    }
  });

  it('serves explicit links (replaced at run time) before the generator rules, ids case-insensitive', async () => {
    await start({ links: [{ id: 'token:ABC@nationalId', fa: { kind: 'token', value: 'tk-9', provider: 'payeefsp2' }, inactive: false }] });
    const res = await request(mapper.url).post('/mapper/sync/resolve').send(envelope([item('a', 'TOKEN:abc@NATIONALID')])).expect(200);
    assert.equal(res.body.message.resolve_response[0].fa, 'token:tk-9@payeefsp2');
    await request(mapper.url).put('/admin/links').send({ links: [{ id: 'token:ABC@nationalId', fa:
      { kind: 'bank', value: '123', provider: 'sponsorbank' }, inactive: true }] }).expect(200);
    const again = await request(mapper.url).post('/mapper/sync/resolve').send(envelope([item('a', 'token:ABC@nationalId')])).expect(200);
    assert.equal(again.body.message.resolve_response[0].status_reason_code, 'succ.id.inactive');
    await request(mapper.url).put('/admin/links').send({ links: [{ id: 'x' }] }).expect(400);
    assert.equal((await request(mapper.url).get('/admin/links').expect(200)).body.count, 1, 'a refused replacement changes nothing');
    assert.equal((await request(mapper.url).get('/health').expect(200)).body.status, 'UP');
    assert.match((await request(mapper.url).get('/metrics').expect(200)).text, /gpo_sim_messages_total\{[^}]*resource="mapper"/);
  });

  it('derives addresses from ids alone (the same id, the same address) and formats each kind', () => {
    const d = new MapperDirectory([], [{ idPattern: '^id:(?<n>\\d+)$', fa:
      { kind: 'email', value: 'u{n}@mail.example', provider: 'mailpay' } }]);
    assert.deepEqual(d.lookup('id:42'), d.lookup('id:42'));
    assert.equal(formatFinancialAddress(d.lookup('id:42')!.fa), 'email:u42@mail.example@mailpay');
    assert.equal(formatFinancialAddress(d.lookup('id:42')!.fa, 'spar'),
      'email_address:u42@mail.example.wallet_provider_name:mailpay.wallet_provider_code:mailpay.fa_type:EMAIL_WALLET');
    assert.equal(d.lookup('id:x'), undefined);
    assert.deepEqual(partyOfAddress({ kind: 'bank', value: 'PF1-1', provider: 'p' }), { idType: 'ACCOUNT_ID', idValue: 'PF1-1' });
    // As the README says.
    assert.equal(mapperBeneficiaryId('payeefsp1', 'wallet', 1), 'token:MW10000001@nationalId');
    assert.equal(formatFinancialAddress(new MapperDirectory([],
      defaultMapperRules(['payeefsp1'])).lookup('token:MW10000001@nationalId')!.fa), 'mobile:254710000001@payeefsp1');
  });

  it('benchmark: resolves every id to the party it stands for, sync and async, and reports its figures', async () => {
    const figures = await runResolveBench({ ids: 3000, batch: 500, concurrency: 2 });
    assert.deepEqual(figures.map((f) => [f.mode, f.resolved, f.unresolved, f.wrong]), [['sync', 2970, 30, 0], ['async', 2970, 30, 0]]);
    for (const f of figures) assert.ok(f.idsPerSecond > 0 && f.cpuMicrosPerId > 0);
  });
});
