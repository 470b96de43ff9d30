/**
 * `gpo up` and `gpo sim`: the world behind `gpo up` on free ports (port map, /health, a payment walked through it),
 * ports and bind addresses from flags, config file and GPO_* variables, each simulator `gpo sim` runs, --help with
 * examples; the `gpo` command from each way of starting it, and its errors: one line and a hint.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import yargs from 'yargs';
import { SeededRandom } from '../../shared/ids';
import { onboardParticipant } from '../../simulators/switch/onboard';
import type { RunningSwitch } from '../../simulators/switch';
import { SIMULATORS, simCommand, startSimulator } from '../../cli/commands/sim';
import { startUp, Up, upCommand } from '../../cli/commands/up';
import { resolveUpLayout } from '../../cli/up-config';
import { simulatorEnv } from '../../simulators/config';
import { formatCliError } from '../../cli/errors';
import { UserError } from '../../shared/errors';
import { logToFile, rootLogger } from '../../shared/logger';
import { formatProgress, ProgressLine } from '../../shared/progress';
import { progressPrinter } from '../../scenarios/report';
import { fspiop, Received, startCallbackSink } from '../network/helpers';

const rnd = new SeededRandom(11);
const ROOT = path.join(__dirname, '..', '..');
const PAYEES = ['payeefsp1', 'payeefsp2'];

/** Runs a command in the clone's root; resolves with its exit code and output whatever the code. */
async function cmd(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { GPO_LOG_LEVEL: _quiet, ...base } = process.env;
  try {
    const r = await promisify(execFile)(file, args, { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function health(url: string): Promise<number> {
  const res = await request(`${url}/health`);
  await res.body.dump();
  return res.statusCode;
}

async function helpOf(cmd: typeof upCommand | typeof simCommand, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    yargs().scriptName('gpo').command(cmd as never).exitProcess(false).parse(argv, (err: Error | undefined, _a: unknown, output: string) =>
      (err ? reject(err) : resolve(output)));
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
    for (const name of ['switch', 'als', 'pil', 'payer DFSP govbank (outbound)', 'payer DFSP govbank (inbound)', 'payee DFSP payeefsp1',
      'payee DFSP payeefsp2']) {
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
        quoteId, transactionId, payee: party, payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '1555', fspId:
          'visitorfsp' } },
        amountType: 'SEND', amount: { currency: 'USD', amount: '9.99' }, transactionType:
          { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
      }, { destination: 'payeefsp1' });
      const q = (await sink.waitFor(at(`/quotes/${quoteId}`))).body as { transferAmount: unknown; ilpPacket: string; condition: string };
      await fspiop(urls.switch, 'POST', '/transfers', 'transfers', 'visitorfsp', {
        transferId: transactionId, payerFsp: 'visitorfsp', payeeFsp: 'payeefsp1', amount: q.transferAmount, ilpPacket: q.ilpPacket,
        condition: q.condition, expiration: new Date(Date.now() + 20_000).toISOString(),
      }, { destination: 'payeefsp1' });
      assert.equal(((await sink.waitFor(at(`/transfers/${transactionId}`))).body as { transferState: string }).transferState, 'COMMITTED');
      const accounts =
        JSON.parse(await (await request(`${urls.payeefsp1}/admin/ledger/accounts?offset=0&limit=100`)).body.text()) as { accounts: Array<{ account: string; balances: Record<string, string> }> };
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
        const eps = JSON.parse(await (await request(`${sw.url}/participants/payeefsp2/endpoints`)).body.text()) as Array<{ type: string;
          value: string }>;
        assert.equal(eps.find((e) => e.type === 'FSPIOP_CALLBACK_URL_TRANSFER_PUT')?.value,
          'http://payeefsp2:4051/transfers/{{transferId}}');
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

describe('gpo up: ports and bind addresses', () => {
  it('moves the whole map with a base port; 0 gives free ports; GPO_PORT is the orchestrator\'s', () => {
    const moved = resolveUpLayout({ 'base-port': 5300 }, {}, PAYEES);
    assert.deepEqual(Object.fromEntries(Object.entries(moved).map(([n, a]) => [n, a.port])), {
      orchestrator: 5300, pil: 5310, payer: 5320, 'payer-inbound': 5321, switch: 5330, als: 5340, payeefsp1: 5350, payeefsp2: 5351, mapper:
        5360, 'sponsor-bank': 5370,
    });
    assert.ok(Object.values(moved).every((a) => a.host === '127.0.0.1'));
    assert.ok(Object.values(resolveUpLayout({}, { GPO_BASE_PORT: '0' }, PAYEES)).every((a) => a.port === 0));
    const dflt = resolveUpLayout({}, { GPO_PORT: '4100' }, PAYEES);
    assert.equal(dflt.orchestrator.port, 4100);
    assert.equal(dflt.switch.port, 4030);
  });

  it('takes flags over the config file over GPO_* variables, a server\'s own setting over the general one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-up-'));
    try {
      const file = path.join(dir, 'up.yaml');
      writeFileSync(file, 'basePort: 6000\nhost: 0.0.0.0\nports: { als: 6999 }\nhosts: { switch: 10.0.0.1 }\n');
      const env = { GPO_SWITCH_PORT: '7030', GPO_PAYEEFSP2_PORT: '7051', GPO_HOST: '127.0.0.2', GPO_PIL_HOST: '127.0.0.3' };
      const l = resolveUpLayout({ config: file, port: ['orchestrator=8080'], host: ['payer=127.0.0.9'] }, env, PAYEES);
      assert.deepEqual(l.orchestrator, { port: 8080, host: '0.0.0.0' });
      assert.deepEqual(l.switch, { port: 6030, host: '10.0.0.1' }, 'the file\'s base port wins over GPO_SWITCH_PORT');
      assert.deepEqual(l.als, { port: 6999, host: '0.0.0.0' });
      assert.deepEqual(l.payer, { port: 6020, host: '127.0.0.9' });
      assert.deepEqual(l['payer-inbound'], { port: 6021, host: '127.0.0.9' }, 'the payer DFSP\'s two servers share its address');
      assert.deepEqual(l.payeefsp2, { port: 6051, host: '0.0.0.0' });
      const envOnly = resolveUpLayout({}, env, PAYEES);
      assert.deepEqual(envOnly.switch, { port: 7030, host: '127.0.0.2' });
      assert.deepEqual(envOnly.pil, { port: 4010, host: '127.0.0.3' });
      assert.equal(envOnly.payeefsp2.port, 7051);
      writeFileSync(file, 'basePort: 6000\nport: 1\n');
      assert.throws(() => resolveUpLayout({ config: file }, {}, PAYEES), /unknown option\(s\) port/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a port given twice, an unknown server, a port out of range and a separate host for payer-inbound', () => {
    assert.throws(() => resolveUpLayout({ port: ['switch=4040'] }, {}, PAYEES), (e: unknown) => e instanceof UserError
      && /port 4040 is given to both switch and als/.test(e.message));
    assert.throws(() => resolveUpLayout({ port: ['swtich=4100'] }, {}, PAYEES), /no server "swtich"/);
    assert.throws(() => resolveUpLayout({ port: ['switch=70000'] }, {}, PAYEES), /not a port/);
    assert.throws(() => resolveUpLayout({ 'base-port': 65500 }, {}, PAYEES), /past 65535/);
    assert.throws(() => resolveUpLayout({ host: ['payer-inbound=0.0.0.0'] }, {}, PAYEES), /shares the payer DFSP's bind address/);
    assert.throws(() => resolveUpLayout({}, { GPO_PORT: 'eighty' }, PAYEES), /GPO_PORT: "eighty" is not a port/);
  });

  it('gpo sim reads its port from GPO_<NAME>_PORT or where GPO_BASE_PORT puts it', () => {
    const ports = (name: Parameters<typeof simulatorEnv>[0], env: NodeJS.ProcessEnv, fspId?: string) => {
      const r = simulatorEnv(name, env, fspId);
      assert.ok(r.ok);
      return r.value as { port?: number; inboundPort?: number };
    };
    assert.equal(ports('switch', { GPO_BASE_PORT: '5300' }).port, 5330);
    assert.equal(ports('switch', { GPO_BASE_PORT: '5300', GPO_SWITCH_PORT: '5399' }).port, 5399);
    assert.equal(ports('payee-dfsp', { GPO_BASE_PORT: '5300' }, 'payeefsp2').port, 5350);
    assert.equal(ports('payee-dfsp', { GPO_PAYEEFSP2_PORT: '5352' }, 'payeefsp2').port, 5352);
    assert.equal(ports('payer-dfsp', { GPO_BASE_PORT: '0' }).inboundPort, 0);
    assert.equal(ports('als', {}).port, 4040);
  });

  it('starts every server where the layout says and prints the port map from what listens', async () => {
    const layout = resolveUpLayout({ 'base-port': 0, host: ['127.0.0.1'] }, {}, PAYEES);
    const up = await startUp({ ports: layout, orchestrator: false });
    try {
      const rows = up.table.split('\n').slice(2);
      assert.equal(rows.length, 9, up.table);
      for (const row of rows) {
        const [listens, url] = row.trim().split(/\s+/).slice(-2);
        assert.equal(`http://${listens}`, url, row);
        assert.notEqual(new URL(url).port, '0');
        assert.equal(await health(url), 200, row);
      }
    } finally {
      await up.stop();
    }
  });
});

describe('the gpo command', function () {
  this.timeout(120_000);

  it('runs the same from bin/gpo, through a symlink as npx and npm scripts do, and as tsx cli/main.ts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-bin-'));
    try {
      // node_modules/.bin/gpo is a symlink: the entry must not depend on the path it was started by.
      const link = path.join(dir, 'gpo');
      symlinkSync(path.join(ROOT, 'bin', 'gpo'), link);
      const runs = await Promise.all([
        cmd(process.execPath, [path.join(ROOT, 'bin', 'gpo'), 'up', '--help']),
        cmd(link, ['up', '--help']),
        cmd('npx', ['gpo', 'up', '--help']),
        cmd(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), 'up', '--help']),
      ]);
      for (const r of runs) {
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /Examples:[\s\S]*gpo up --base-port 5300/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints a failure as one line and a hint, never the help or a stack trace; --verbose adds the stack', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const gpo = path.join(ROOT, 'bin', 'gpo');
      const [inUse, noMatch, noProfile, usage, verbose] = await Promise.all([
        cmd(process.execPath, [gpo, 'sim', 'switch', '--port', String(port), '--host', '127.0.0.1']),
        cmd(process.execPath, [gpo, 'scenario', 'run', 'no/such/*.yaml']),
        cmd(process.execPath, [gpo, 'load', 'no-such-profile']),
        cmd(process.execPath, [gpo, 'up', '--bsae-port', '5300']),
        cmd(process.execPath, [gpo, 'scenario', 'run', 'no/such/*.yaml', '--verbose']),
      ]);
      const lines = (r: { stderr: string }) => r.stderr.trim().split('\n');
      for (const r of [inUse, noMatch, noProfile, usage]) {
        assert.equal(r.code, 1, r.stderr);
        assert.equal(lines(r).length, 2, r.stderr);
        assert.match(lines(r)[0], /^gpo: /);
        assert.match(lines(r)[1], /^hint: /);
        assert.doesNotMatch(r.stderr + r.stdout, /Options:|^\s+at /m);
      }
      assert.match(inUse.stderr, new RegExp(`EADDRINUSE.*${port}\nhint: another program listens on 127\.0\.0\.1:${port}`));
      assert.match(noMatch.stderr, /^gpo: no scenario file matches no\/such\/\*\.yaml\nhint: .*quotes/);
      assert.match(noProfile.stderr, /^gpo: no load profile "no-such-profile"\nhint: the profiles are bulk-disbursement, /);
      assert.match(usage.stderr, /^gpo: Unknown arguments?: .*bsae-port.*\nhint: gpo up --help lists/);
      assert.equal(verbose.code, 1);
      assert.match(verbose.stderr, /^gpo: no scenario file matches[\s\S]*\n\s+at /);
    } finally {
      taken.close();
    }
  });

  it('keeps every line of a many-line error, and hints at --verbose for an unexpected one', () => {
    assert.equal(formatCliError(new UserError('two problems:\nfirst\nsecond', 'fix them'), false),
      'gpo: two problems:\n  first\n  second\nhint: fix them\n');
    const unexpected = formatCliError(new TypeError('x is not a function'), false);
    assert.equal(unexpected, 'gpo: x is not a function\nhint: run it again with --verbose for the stack trace\n');
    assert.match(formatCliError(new TypeError('x is not a function'), true),
      /^gpo: x is not a function\nTypeError: x is not a function\n\s+at /);
  });
});

/** The keys of a JSON object's top level, in order, duplicates kept (JSON.parse would keep only the last). */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(json.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return keys;
}

describe('log lines', () => {
  it('carry each key once, the orchestrator\'s parts naming themselves with module', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-logs-'));
    const file = path.join(dir, 'gpo.log');
    const level = rootLogger.level;
    rootLogger.level = 'info';
    const restore = logToFile(file);
    try {
      const up = await startUp({ ports: 'random', dataDir: path.join(dir, 'data') });
      try {
        const base = up.orchestrator!.url;
        const native = await request(`${base}/v1/batches`, { method: 'POST', headers:
          { 'content-type': 'application/json', 'idempotency-key': 'logs-1' }, body:
            JSON.stringify({ currency: 'USD', payments: [{ reference: 'r1', payeeIdType: 'MSISDN', payeeIdValue: '254710000001', amount:
              '1', currency: 'USD' }] }) });
        assert.equal(native.statusCode, 202, await native.body.text());
        const pil = await request(`${base}/disbursement`, { method: 'POST', headers: { 'content-type': 'application/json' }, body:
          JSON.stringify({ disbursementId: rnd.uuid(), note: 'logs', payeeList:
            [{ payeeIdType: 'MSISDN', payeeIdValue: '254710000002', amount: 1, currency: 'USD' }] }) });
        assert.equal(pil.statusCode, 200, await pil.body.text());
      } finally {
        await up.stop();
      }
    } finally {
      restore();
      rootLogger.level = level;
    }
    try {
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      assert.ok(lines.length >= 10, `${lines.length} lines`);
      for (const line of lines) {
        const keys = topLevelKeys(line);
        assert.equal(new Set(keys).size, keys.length, `a key twice in ${line}`);
      }
      const modules = lines.map((l) => JSON.parse(l) as { component?: string; module?: string }).filter((l) => l.module);
      assert.ok(modules.some((l) => l.component === 'orchestrator' && l.module === 'native-api'), 'native API lines');
      assert.ok(modules.some((l) => l.component === 'orchestrator' && l.module === 'intake-pil'), 'PIL intake lines');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('progress lines of long runs', () => {
  it('says how many are final, the rate and the ETA', () => {
    assert.equal(formatProgress('cycle 100,000', 45_000, 100_000, 30_000),
      'cycle 100,000: 45,000 of 100,000 payments final (45 %), 1,500/s, ETA 37 s, 30 s elapsed');
    assert.equal(formatProgress('load x', 100, 100, 4_000), 'load x: 100 of 100 payments final (100 %), 25/s, done, 4 s elapsed');
    assert.equal(formatProgress('load y', 0, 50, 1_000), 'load y: 0 of 50 payments final (0 %), 0/s, ETA ?, 1 s elapsed');
    assert.equal(formatProgress('flows', 600, undefined, 120_000, 'flows completed'),
      'flows: 600 flows completed, 5/s, 2 min 00 s elapsed');
  });

  it('redraws one line on a terminal, prints a plain line per interval otherwise', () => {
    let t = 0;
    const now = () => t;
    let tty = '';
    const onTty = new ProgressLine({ write: (x: string) => { tty += x; } }, { tty: true, now });
    let plain = '';
    const inLog = new ProgressLine({ write: (x: string) => { plain += x; } }, { tty: false, everyMs: 10_000, now });
    for (t = 0; t <= 20_000; t += 100) {
      onTty.update({ label: 'p', done: t / 100, total: 200 });
      inLog.update({ label: 'p', done: t / 100, total: 200 });
    }
    onTty.end();
    assert.equal(plain.split('\n').filter(Boolean).length, 3, plain);
    assert.ok(!plain.includes('\r'));
    const draws = tty.split('\r\x1b[K').filter(Boolean).length;
    assert.ok(draws >= 60 && draws <= 81, `redrawn in place, at most 4 times a second (${draws})`);
    assert.ok(!tty.includes('\n'));
    assert.ok(tty.endsWith('\r\x1b[K'), 'cleared at the end');
  });

  it('gpo scenario run shows payments in flight while a long step runs', () => {
    let out = '';
    const print = progressPrinter({ write: (x: string) => { out += x; return true; } } as unknown as NodeJS.WritableStream, false, 1);
    print({ type: 'scenario-start', file: 'a.yaml', name: 'a' });
    print({ type: 'payments', file: 'a.yaml', name: 'a', final: 2500, total: 10_000, elapsedMs: 5000 });
    assert.match(out, /^ {2}payments: 2,500 of 10,000 final \(25 %\), 500\/s, ETA 15 s, 5 s elapsed$/m);
  });
});
