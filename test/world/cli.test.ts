/**
 * `gpo up` and `gpo sim`: the world behind `gpo up` on free ports (port map, /health, a payment walked through it),
 * each simulator `gpo sim` runs, options from flags, config file and GPO_* variables, and --help with examples.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import yargs from 'yargs';
import { SeededRandom } from '../../shared/ids';
import { onboardParticipant } from '../../simulators/bench';
import type { RunningSwitch } from '../../simulators/switch';
import { SIMULATORS, simCommand, startSimulator } from '../../cli/commands/sim';
import { startUp, Up, upCommand } from '../../cli/commands/up';
import { fspiop, Received, startCallbackSink } from '../network/helpers';

const rnd = new SeededRandom(11);

async function health(url: string): Promise<number> {
  const res = await request(`${url}/health`);
  await res.body.dump();
  return res.statusCode;
}

async function helpOf(cmd: typeof upCommand | typeof simCommand, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    yargs().scriptName('gpo').command(cmd as never).exitProcess(false).parse(argv, (err: Error | undefined, _a: unknown, output: string) => (err ? reject(err) : resolve(output)));
  });
}

describe('gpo up', function () {
  let up: Up;
  before(async () => {
    up = await startUp({ ports: 'random', orchestrator: false });
  });
  after(async () => {
    await up?.stop();
  });

  it('prints a port map of every server, each answering /health', async () => {
    for (const name of ['switch', 'als', 'pil', 'payer DFSP govbank (outbound)', 'payer DFSP govbank (inbound)', 'payee DFSP payeefsp1', 'payee DFSP payeefsp2']) {
      const line = up.table.split('\n').find((l) => l.startsWith(name));
      assert.ok(line, `${name} in\n${up.table}`);
      const url = line!.trim().split(/\s+/).pop()!;
      assert.equal(await health(url), 200, name);
    }
  });

  it('carries a lookup, quote and transfer from an outside DFSP to a payee; the payee ledger is credited', async () => {
    const sink = await startCallbackSink();
    try {
      const at = (p: string) => (r: Received) => r.path === p;
      const { urls } = up.world;
      await onboardParticipant(urls.switch, 'visitorfsp', sink.url, { netDebitCap: '100' });
      await fspiop(urls.als, 'GET', '/parties/MSISDN/254710000005', 'parties', 'visitorfsp');
      const party = ((await sink.waitFor(at('/parties/MSISDN/254710000005'))).body as { party: unknown }).party;
      const quoteId = rnd.uuid();
      const transactionId = rnd.uuid();
      await fspiop(urls.switch, 'POST', '/quotes', 'quotes', 'visitorfsp', {
        quoteId, transactionId, payee: party, payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '1555', fspId: 'visitorfsp' } },
        amountType: 'SEND', amount: { currency: 'USD', amount: '9.99' }, transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
      }, { destination: 'payeefsp1' });
      const q = (await sink.waitFor(at(`/quotes/${quoteId}`))).body as { transferAmount: unknown; ilpPacket: string; condition: string };
      await fspiop(urls.switch, 'POST', '/transfers', 'transfers', 'visitorfsp', {
        transferId: transactionId, payerFsp: 'visitorfsp', payeeFsp: 'payeefsp1', amount: q.transferAmount, ilpPacket: q.ilpPacket,
        condition: q.condition, expiration: new Date(Date.now() + 20_000).toISOString(),
      }, { destination: 'payeefsp1' });
      assert.equal(((await sink.waitFor(at(`/transfers/${transactionId}`))).body as { transferState: string }).transferState, 'COMMITTED');
      const accounts = JSON.parse(await (await request(`${urls.payeefsp1}/admin/ledger/accounts?offset=0&limit=100`)).body.text()) as { accounts: Array<{ account: string; balances: Record<string, string> }> };
      assert.equal(accounts.accounts.find((a) => a.account === 'payeefsp1-wallet-5')?.balances.USD, '9.99');
      await up.world.switch.idle();
      assert.deepEqual(up.world.switch.participants.positionSums(), { USD: '0' });
    } finally {
      await sink.stop();
    }
  });
});

describe('gpo sim', () => {
  it('runs each simulator on a free port, answering /health', async () => {
    const sw = await startSimulator({ name: 'switch', port: 0, host: '127.0.0.1' }, {});
    try {
      assert.equal(await health(sw.url), 200, 'switch');
      for (const name of SIMULATORS.filter((n) => n !== 'switch')) {
        const s = await startSimulator({ name, port: 0, host: '127.0.0.1', ...(name === 'payer-dfsp' ? { 'inbound-port': 0 } : {}) }, {
          GPO_SWITCH_URL: sw.url, GPO_ALS_URL: 'http://127.0.0.1:9',
        });
        try {
          assert.equal(await health(s.url), 200, name);
        } finally {
          await s.stop();
        }
      }
    } finally {
      await sw.stop();
    }
  });

  it('the switch onboards the payees named in GPO_PAYEE_URLS and reads a config file, refusing unknown keys', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-sim-'));
    try {
      const file = path.join(dir, 'switch.yaml');
      writeFileSync(file, 'hubName: hub\nexpirySweepMs: 50\n');
      const sw = (await startSimulator({ name: 'switch', port: 0, host: '127.0.0.1', config: file }, {
        GPO_PAYEE_URLS: 'payeefsp1=http://payeefsp1:4050,payeefsp2=http://payeefsp2:4051', GPO_CURRENCY: 'KES',
      })) as RunningSwitch;
      try {
        assert.equal(sw.hubName, 'hub');
        const eps = JSON.parse(await (await request(`${sw.url}/participants/payeefsp2/endpoints`)).body.text()) as Array<{ type: string; value: string }>;
        assert.equal(eps.find((e) => e.type === 'FSPIOP_CALLBACK_URL_TRANSFER_PUT')?.value, 'http://payeefsp2:4051/transfers/{{transferId}}');
        assert.equal(sw.participants.positions('payeefsp1')[0].currency, 'KES');
      } finally {
        await sw.stop();
      }
      writeFileSync(file, 'hubNme: typo\n');
      await assert.rejects(startSimulator({ name: 'switch', port: 0, host: '127.0.0.1', config: file }, {}), /unknown option/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help shows an example for up and sim', async () => {
    assert.match(await helpOf(upCommand, ['up', '--help']), /Examples:[\s\S]*gpo up/);
    const sim = await helpOf(simCommand, ['sim', '--help']);
    assert.match(sim, /Examples:[\s\S]*gpo sim switch --port 4030/);
    assert.match(sim, /--fsp-id/);
    assert.match(sim, /--inbound-port/);
  });
});
