/**
 * The simulated world (simulators/world.ts): every part starts on free ports and answers /health; an outside
 * DFSP onboarded on its switch completes lookup + quote + transfer to a payee; a part that cannot start takes
 * down what had started.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { request } from 'undici';
import { SeededRandom } from '../../shared/ids';
import { onboardParticipant } from '../../simulators/switch/onboard';
import { checkBody } from '../../simulators/fspiop';
import { defaultWorldConfig, startWorld, World } from '../../simulators/world';
import { CallbackSink, fspiop, Received, startCallbackSink } from '../network/helpers';

const rnd = new SeededRandom(7);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('simulated world', function () {
  let world: World;
  let sink: CallbackSink;
  const at = (p: string) => (r: Received) => r.path === p;

  before(async () => {
    world = await startWorld({ ...defaultWorldConfig(), ports: 'random', seed: 3 });
    sink = await startCallbackSink();
    await onboardParticipant(world.urls.switch, 'outsidefsp', sink.url, { netDebitCap: '5000' });
  });
  after(async () => {
    await world?.stop();
    await sink?.stop();
  });

  it('starts switch, ALS, payee DFSPs, payer DFSP and PIL, each answering /health, payees onboarded on the switch', async () => {
    assert.deepEqual(Object.keys(world.payees).sort(), ['payeefsp1', 'payeefsp2']);
    for (const key of ['switch', 'als', 'payerOutbound', 'payerInbound', 'pil', 'payeefsp1', 'payeefsp2']) {
      const res = await request(`${world.urls[key]}/health`);
      assert.equal(res.statusCode, 200, key);
      await res.body.dump();
    }
    for (const fsp of ['payeefsp1', 'payeefsp2', 'govbank']) {
      const res = await request(`${world.urls.switch}/participants/${fsp}/endpoints`);
      const eps = JSON.parse(await res.body.text()) as Array<{ type: string; value: string }>;
      assert.ok(eps.some((e) => e.type === 'FSPIOP_CALLBACK_URL_TRANSFER_POST'), fsp);
    }
    const limits =
      JSON.parse(await (await request(`${world.urls.switch}/participants/govbank/limits`)).body.text()) as Array<{ currency: string }>;
    assert.equal(limits[0].currency, 'USD');
  });

  it('an outside DFSP looks up, quotes and pays a default party; the payee is credited and positions sum to zero', async () => {
    const msisdn = '254720000002';
    assert.equal((await fspiop(world.urls.als, 'GET', `/parties/MSISDN/${msisdn}`, 'parties', 'outsidefsp')).status, 202);
    const party = (await sink.waitFor(at(`/parties/MSISDN/${msisdn}`))).body as { party: { partyIdInfo: { fspId: string } } };
    assert.equal(checkBody('PartiesTypeIDPutResponse', party), undefined);
    assert.equal(party.party.partyIdInfo.fspId, 'payeefsp2');

    const quoteId = rnd.uuid();
    const transactionId = rnd.uuid();
    await fspiop(world.urls.switch, 'POST', '/quotes', 'quotes', 'outsidefsp', {
      quoteId, transactionId, payee: party.party, payer: { partyIdInfo:
        { partyIdType: 'MSISDN', partyIdentifier: '15550009', fspId: 'outsidefsp' } },
      amountType: 'SEND', amount: { currency: 'USD', amount: '42' }, transactionType:
        { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    }, { destination: 'payeefsp2' });
    const q = (await sink.waitFor(at(`/quotes/${quoteId}`))).body as { transferAmount: { amount: string; currency: string };
      ilpPacket: string; condition: string };
    await fspiop(world.urls.switch, 'POST', '/transfers', 'transfers', 'outsidefsp', {
      transferId: transactionId, payerFsp: 'outsidefsp', payeeFsp: 'payeefsp2', amount: q.transferAmount,
      ilpPacket: q.ilpPacket, condition: q.condition, expiration: new Date(Date.now() + 30_000).toISOString(),
    }, { destination: 'payeefsp2' });
    const t = (await sink.waitFor(at(`/transfers/${transactionId}`))).body as { transferState: string; fulfilment: string };
    assert.equal(t.transferState, 'COMMITTED');
    assert.equal(createHash('sha256').update(Buffer.from(t.fulfilment, 'base64url')).digest('base64url'), q.condition);

    const ledger =
      JSON.parse(await (await request(`${world.urls.payeefsp2}/admin/ledger/accounts?offset=0&limit=100`)).body.text()) as { accounts: Array<{ account: string; balances: Record<string, string> }> };
    assert.equal(ledger.accounts.find((a) => a.account === 'payeefsp2-wallet-2')?.balances.USD, '42');
    await world.switch.idle();
    const pos = JSON.parse(await (await request(`${world.urls.switch}/admin/positions`)).body.text()) as { sums: Record<string, string>;
      positions: Record<string, Record<string, { value: string }>> };
    assert.deepEqual(pos.sums, { USD: '0' });
    assert.equal(pos.positions.outsidefsp.USD.value, '42');
  });

  it('a party lookup sent to the switch without a destination goes through the ALS', async () => {
    assert.equal((await fspiop(world.urls.switch, 'GET', '/parties/MSISDN/254710000004', 'parties', 'outsidefsp')).status, 202);
    const put = await sink.waitFor(at('/parties/MSISDN/254710000004'));
    assert.equal((put.body as { party: { partyIdInfo: { fspId: string } } }).party.partyIdInfo.fspId, 'payeefsp1');
  });

  it('when a part cannot start, what started is stopped and the error surfaces', async () => {
    const switchPort = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const alsPort = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startWorld({ ...defaultWorldConfig(), ports:
        { switch: switchPort, als: alsPort, payeeFirst: 0, payerOutbound: 0, payerInbound: 0, pil: 0 } }), /EADDRINUSE/);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
    // the switch that had started is gone: its port is free again
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.listen(switchPort, '127.0.0.1', () => resolve()); });
    await new Promise<void>((r) => probe.close(() => r()));
  });
});
