import assert from 'node:assert/strict';
import Hapi from '@hapi/hapi';
import fc from 'fast-check';
import pino from 'pino';
import request from 'supertest';
import { formatFinancialAddress, mapperBeneficiaryId, startMapper, type FaKind, type MapperOptions,
  type RunningMapper } from '../../simulators/mapper';
import { defaultPartyRules } from '../../simulators/payee-dfsp/config';
import { PartyDirectory } from '../../simulators/payee-dfsp/domain/directory';
import { parseMapperAddress } from '../../orchestrator/resolve/financial-address';
import { G2pMapperResolver, type G2pMapperOptions } from '../../orchestrator/resolve/g2p-mapper';
import type { Resolution } from '../../orchestrator/resolve/port';

const silent = pino({ level: 'silent' });

describe('payee resolver: G2P Connect Mapper adapter against the mapper simulator', () => {
  let mapper: RunningMapper;
  let resolver: G2pMapperResolver | undefined;
  let receiver: Hapi.Server | undefined;
  const start = async (o: MapperOptions = {}) => {
    mapper = await startMapper({ port: 0, logger: silent, callbackRetryMs: 5, ...o });
  };
  const sync = (o: Partial<G2pMapperOptions> = {}) => (resolver = new G2pMapperResolver({ url: mapper.url, logger: silent, retryBaseMs: 5,
    retryMaxMs: 20, ...o }));
  /** An async resolver whose on-resolve route is served by a hapi server on port 0. */
  const async = async (o: Partial<G2pMapperOptions> = {}) => {
    receiver = Hapi.server({ port: 0, host: '127.0.0.1' });
    await receiver.start();
    resolver = new G2pMapperResolver({ url: mapper.url, mode: 'async', callbackUrl:
      `http://127.0.0.1:${receiver.info.port}/mapper/on-resolve`, logger: silent, retryBaseMs: 5, retryMaxMs: 20, ...o });
    receiver.route(resolver.routes());
    return resolver;
  };
  /** Counts the messages the mapper received (a delay rule of 0 ms fires once per message). */
  const countMessages = () => request(mapper.url).put('/admin/rules').send({ rules:
    [{ id: 'count', match: { resource: 'resolve' }, action: { type: 'delay', ms: 0 } }] }).expect(200);
  const messages = async () => ((await request(mapper.url).get('/admin/rules').expect(200)).body.rules as Array<{ id?: string;
    fired: number }>).find((r) => r.id === 'count')!.fired;
  afterEach(async () => {
    await resolver?.close();
    resolver = undefined;
    await receiver?.stop();
    receiver = undefined;
    await mapper?.stop();
  });

  it('resolves 2,500 payees in batches of 1,000 (sync): each outcome by key, addresses the default payee DFSPs pay, unknown ids failed ' +
    'alone', async () => {
    await start();
    await countMessages();
    const payees = Array.from({ length: 2500 }, (_, i) => {
      const fsp = i % 2 ? 'payeefsp2' : 'payeefsp1';
      const id = i % 10 === 3 ? `token:NOPE${i}@nationalId` : mapperBeneficiaryId(fsp, i % 3 ? 'wallet' : 'bank', i + 1);
      return { key: `p${i}`, id };
    });
    const out = await sync({ batchSize: 1000, concurrency: 2 }).resolve(payees);
    assert.equal(await messages(), 3);
    assert.deepEqual(out.map((r) => r.key), payees.map((p) => p.key));
    const unresolved = out.filter((r) => r.outcome === 'unresolved');
    assert.equal(unresolved.length, 250);
    for (const r of unresolved) {
      assert.equal(r.outcome === 'unresolved' && r.errorCode, '3204');
      assert.equal(r.outcome === 'unresolved' && r.reasonCode, 'succ.id.not_found');
      assert.equal(r.outcome === 'unresolved' && r.transient, false);
    }
    const directories = { payeefsp1: new PartyDirectory([], defaultPartyRules('payeefsp1'), ['USD']), payeefsp2:
      new PartyDirectory([], defaultPartyRules('payeefsp2'), ['USD']) };
    for (const r of out) {
      if (r.outcome !== 'resolved') continue;
      assert.ok(directories[r.payeeFsp as 'payeefsp1'].lookup(r.payeeIdType, r.payeeIdValue),
        `${r.payeeIdType} ${r.payeeIdValue} is a party of ${r.payeeFsp}`);
    }
    const first = out[1];
    assert.deepEqual(first, { key: 'p1', outcome: 'resolved', fa: 'mobile:254720000002@payeefsp2', kind: 'wallet', provider: 'payeefsp2',
      payeeFsp: 'payeefsp2', payeeIdType: 'MSISDN', payeeIdValue: '254720000002', name: 'payeefsp2 wallet' });
    const bank = out[0];
    assert.equal(bank.outcome === 'resolved' && bank.payeeIdType, 'ACCOUNT_ID');
    assert.equal(bank.outcome === 'resolved' && bank.bankCode, 'payeefsp1');
    assert.equal(bank.outcome === 'resolved' && bank.branchCode, 'payeefsp1-main');
  });

  it('resolves asynchronously through on-resolve callbacks; a lost callback is asked again, a repeated one ignored', async () => {
    await start();
    const r = await async({ timeoutMs: 300, batchSize: 2 });
    const payees = [1, 2, 3].map((n) => ({ key: `k${n}`, id: mapperBeneficiaryId('payeefsp1', 'wallet', n) }));
    await request(mapper.url).put('/admin/rules').send({ rules: [{ match: { resource: 'resolve' }, action: { type: 'noCallback' }, times:
      1 }] }).expect(200);
    const out = await r.resolve(payees, { batchId: 'b1' });
    assert.deepEqual(out.map((x) => x.outcome), ['resolved', 'resolved', 'resolved']);
    assert.deepEqual(out.map((x) => x.outcome === 'resolved' && x.payeeIdValue), ['254710000001', '254710000002', '254710000003']);
    assert.equal(mapper.stats.messages, 3, 'two messages, one of them asked again after its callback was lost');
    await request(mapper.url).put('/admin/rules').send({ rules: [{ match: { resource: 'resolve' }, action:
      { type: 'callbackTwice' } }] }).expect(200);
    const twice = await r.resolve(payees.slice(0, 1));
    await mapper.idle();
    assert.equal(twice[0].outcome, 'resolved');
    assert.equal(r.unexpectedCallbacks, 1, 'the second copy of a callback changed nothing');
    const unknown = await request(`http://127.0.0.1:${receiver!.info.port}`).post('/mapper/on-resolve').send({ header: {}, message:
      {} }).expect(400);
    assert.equal(unknown.body.message.error.code, 'err.request.bad');
  });

  it('asks again after transient failures, and fails the payees transiently (2003) when the mapper stays down', async () => {
    await start();
    await request(mapper.url).put('/admin/rules').send({ rules: [{ match: { resource: 'resolve' }, action:
      { type: 'httpStatus', status: 503 }, times: 2 }] }).expect(200);
    const ok = await sync({ attempts: 3 }).resolve([{ key: 'a', id: mapperBeneficiaryId('payeefsp2', 'bank', 9) }]);
    assert.equal(ok[0].outcome, 'resolved');
    await request(mapper.url).put('/admin/rules').send({ rules: [{ match: { resource: 'resolve' }, action:
      { type: 'httpStatus', status: 503 } }] }).expect(200);
    const down = await resolver!.resolve([{ key: 'a', id: 'x' }, { key: 'b', id: 'y' }]);
    assert.deepEqual(down.map((d) => d.outcome === 'unresolved' && [d.errorCode, d.transient]), [['2003', true], ['2003', true]]);
    await request(mapper.url).put('/admin/rules').send({ rules: [{ match: { resource: 'resolve' }, action:
      { type: 'dropConnection' } }] }).expect(200);
    const dropped = await resolver!.resolve([{ key: 'a', id: 'x' }]);
    assert.equal(dropped[0].outcome === 'unresolved' && dropped[0].errorCode, '1001');
    await resolver!.close();
    const gone = new G2pMapperResolver({ url: 'http://127.0.0.1:1', logger: silent, attempts: 1 });
    const none = await gone.resolve([{ key: 'z', id: 'x' }]);
    await gone.close();
    assert.equal(none[0].outcome === 'unresolved' && none[0].errorCode, '1001');
    // The backoff's jitter comes from the given source (a seeded one makes runs reproducible): one draw per wait.
    let draws = 0;
    const seeded = new G2pMapperResolver({ url: 'http://127.0.0.1:1', logger: silent, attempts: 3, retryBaseMs: 1, retryMaxMs: 2,
      random: () => { draws++; return 0.5; } });
    await seeded.resolve([{ key: 'y', id: 'x' }]);
    await seeded.close();
    assert.equal(draws, 2);
  });

  it('does not ask again when the mapper refuses the message itself (3100, once)', async () => {
    await start({ maxItems: 2 });
    await countMessages();
    const out = await sync({ batchSize: 3 }).resolve([1, 2, 3].map((n) =>
      ({ key: `${n}`, id: mapperBeneficiaryId('payeefsp1', 'wallet', n) })));
    assert.deepEqual(out.map((x) => x.outcome === 'unresolved' && [x.errorCode, x.transient, x.reasonCode]),
      Array(3).fill(['3100', false, 'rjct.total_count.limit_exceeded']));
    assert.equal(await messages(), 1);
  });

  it('fails refused, inactive and unmapped payees alone with their reasons; reads SPAR addresses and maps providers to FSPs', async () => {
    await start({ faFormat: 'spar', notFoundCode: 'succ.fa.not_linked_to_id' });
    const inactive = mapperBeneficiaryId('payeefsp1', 'wallet', 7);
    await request(mapper.url).put('/admin/rules').send({ rules: [
      { match: { resource: 'resolve', partyId: `^${inactive}$` }, action: { type: 'error', errorCode: 'succ.id.inactive' } },
      { match: { resource: 'resolve', partyId: '^bad' }, action: { type: 'error', errorCode: 'rjct.id.invalid' } },
    ] }).expect(200);
    const out = await sync({ providers: { PAYEEFSP1: 'fsp-one' } }).resolve([
      { key: 'bank', id: mapperBeneficiaryId('payeefsp1', 'bank', 3) },
      { key: 'inactive', id: inactive },
      { key: 'bad', id: 'bad-id' },
      { key: 'unmapped', id: mapperBeneficiaryId('payeefsp2', 'wallet', 1) },
      { key: 'unknown', id: 'token:none@nationalId' },
    ]);
    const byKey = Object.fromEntries(out.map((o) => [o.key, o])) as Record<string, Resolution>;
    assert.deepEqual(byKey.bank, {
      key: 'bank', outcome: 'resolved', fa:
        'account_number:PF1-100003.branch_name:Main.branch_code:payeefsp1-main.bank_name:payeefsp1 ' +
          'bank.bank_code:payeefsp1.fa_type:BANK_ACCOUNT',
      kind: 'bank', provider: 'payeefsp1', payeeFsp: 'fsp-one', payeeIdType: 'ACCOUNT_ID', payeeIdValue: 'PF1-100003', bankCode:
        'payeefsp1', branchCode: 'payeefsp1-main', name: 'payeefsp1 bank',
    });
    const codes = (k: string) => { const o = byKey[k]; return o.outcome === 'unresolved' ? [o.errorCode, o.reasonCode ?? null]
      : ['resolved', null]; };
    assert.deepEqual(codes('inactive'), ['3204', 'succ.id.inactive']);
    assert.deepEqual(codes('bad'), ['3100', 'rjct.id.invalid']);
    assert.deepEqual(codes('unmapped'), ['3201', 'succ.id.active']);
    assert.deepEqual(codes('unknown'), ['3204', 'succ.fa.not_linked_to_id']);
  });

  it('refuses to start async without a callback URL', () => {
    assert.throws(() => new G2pMapperResolver({ url: 'http://127.0.0.1:1', mode: 'async' }), /callbackUrl/);
  });
});

describe('financial addresses as mappers write them', () => {
  it('reads G2P Connect, SPAR strings and SPAR objects; refuses what is neither', () => {
    assert.deepEqual(parseMapperAddress('token:12345@gtbank'), { kind: 'token', value: '12345', provider: 'gtbank', payeeIdType: 'ALIAS' });
    assert.deepEqual(parseMapperAddress('email:amina@mail.example@paypal'),
      { kind: 'email', value: 'amina@mail.example', provider: 'paypal', payeeIdType: 'EMAIL' });
    assert.deepEqual(parseMapperAddress('account_number:3333.branch_name:HDFC Lajpat Nagar.branch_code:HDFC0004479.bank_name:HDFC Bank ' +
      'Ltd..bank_code:HDFC.fa_type:BANK_ACCOUNT'),
      { kind: 'bank', value: '3333', provider: 'HDFC', payeeIdType: 'ACCOUNT_ID', bankCode: 'HDFC', branchCode: 'HDFC0004479', providerName:
        'HDFC Bank Ltd.' });
    assert.deepEqual(parseMapperAddress({ mobile_number: '2547100', wallet_provider_code: 'TMOB', wallet_provider_name: 'T-Mobile', fa_type:
      'MOBILE_WALLET' }),
      { kind: 'wallet', value: '2547100', provider: 'TMOB', payeeIdType: 'MSISDN', providerName: 'T-Mobile' });
    for (const bad of ['', 'mobile:2547', 'mobile:@x', 'fax:1@x', 'account_number:1.fa_type:BANK_ACCOUNT', 'mobile:1 2@x', 42, null,
      ['x']]) assert.equal(parseMapperAddress(bad), undefined, JSON.stringify(bad));
  });

  it('reads back every address the mapper simulator writes, in both forms (property)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);
    fc.assert(fc.property(fc.constantFrom<FaKind>('bank', 'wallet', 'token', 'email'), token, fc.stringMatching(/^[a-z0-9]{1,12}$/),
      fc.constantFrom('g2p-connect', 'spar') as fc.Arbitrary<'g2p-connect' | 'spar'>, (kind, v, provider, format) => {
      const value = kind === 'email' ? `${v}@mail.example` : v;
      const parsed = parseMapperAddress(formatFinancialAddress({ kind, value, provider, branchCode: 'b1', branchName: 'Main', providerName:
        'P' }, format));
      assert.ok(parsed);
      assert.equal(parsed.kind, kind);
      assert.equal(parsed.value, value);
      assert.equal(parsed.provider, provider);
    }), { seed: 16, numRuns: 300 });
  });
});
