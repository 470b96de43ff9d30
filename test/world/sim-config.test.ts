/**
 * The simulators' settings from GPO_* variables (simulators/config.ts): the defaults of each simulator, variables
 * applied with a config file and flags over them (`gpo sim`), every problem named in an operator's words and a
 * refused start, every variable documented in docs/simulators.md, and no simulator reading its environment itself.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startSimulator } from '../../cli/commands/sim';
import { formatCliError } from '../../cli/errors';
import { UserError } from '../../shared/errors';
import type { RunningPayerDfsp } from '../../simulators/payer-dfsp';
import type { RunningSwitch } from '../../simulators/switch';
import { ENV, SIMULATORS, simulatorEnv, WORLD_ENV, worldEnv, type SimulatorName } from '../../simulators/config';
import { defaultOracleRules } from '../../simulators/payee-dfsp/config';

const ROOT = path.join(__dirname, '..', '..');

function options(name: SimulatorName, env: NodeJS.ProcessEnv, fspId?: string): Record<string, unknown> {
  const r = simulatorEnv(name, env, fspId);
  assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
  return r.value as Record<string, unknown>;
}

function problems(name: SimulatorName, env: NodeJS.ProcessEnv): string[] {
  const r = simulatorEnv(name, env);
  assert.ok(!r.ok, `${name}: expected problems`);
  return r.problems;
}

describe('simulator settings from GPO_* variables (simulators/config.ts)', () => {
  it('has a default for every setting of every simulator', () => {
    assert.deepEqual(options('switch', {}), { port: 4030, host: '127.0.0.1', participants: [] });
    assert.deepEqual(options('als', {}), { port: 4040, host: '127.0.0.1', endpoints: {}, oracleRules:
      defaultOracleRules(['payeefsp1', 'payeefsp2']) });
    assert.deepEqual(options('payee-dfsp', {}), { port: 4050, host: '127.0.0.1', currencies: ['USD'], hubUrl: 'http://127.0.0.1:4030',
      alsUrl: 'http://127.0.0.1:4040' });
    assert.deepEqual(options('payer-dfsp', {}), {
      port: 4020, inboundPort: 4021, host: '127.0.0.1', fspId: 'govbank', currency: 'USD', switchUrl: 'http://127.0.0.1:4030',
      alsUrl: 'http://127.0.0.1:4040', autoAcceptParty: true, autoAcceptQuote: true, profile: { name: 'current' },
    });
    assert.deepEqual(options('pil', {}), { port: 4010, host: '127.0.0.1', payerOutboundUrl: 'http://127.0.0.1:4020', mode: 'concurrent' });
  });

  it('applies the variables (empty ones leave the default)', () => {
    const env = {
      GPO_HOST: '0.0.0.0', GPO_CURRENCY: 'KES', GPO_SWITCH_URL: 'http://switch:4030', GPO_ALS_URL: 'http://als:4040',
      GPO_PAYEE_URLS: 'payeefsp1=http://payeefsp1:4050, payeefsp3=http://payeefsp3:4052', GPO_PAYER_FSP: 'treasurybank',
      GPO_PAYER_INBOUND_URL: 'http://payer:4021', GPO_PAYER_BACKEND_URL: 'http://backoffice:3000', GPO_PAYER_AUTO_ACCEPT_PARTY: 'false',
      GPO_PAYER_AUTO_ACCEPT_QUOTES: 'FALSE', GPO_PAYER_SDK_PROFILE: '18.0.2', GPO_PAYER_OUTBOUND_URL: 'http://payer:4020',
      GPO_PIL_MODE: 'sequential', GPO_BASE_PORT: '5300', GPO_PAYER_INBOUND_PORT: '6021', GPO_ALS_PORT: '',
    };
    assert.deepEqual(options('switch', env), { port: 5330, host: '0.0.0.0', participants: [
      { name: 'payeefsp1', baseUrl: 'http://payeefsp1:4050', currency: 'KES' },
      { name: 'payeefsp3', baseUrl: 'http://payeefsp3:4052', currency: 'KES' }] });
    assert.deepEqual(options('als', env), { port: 5340, host: '0.0.0.0', hubAdminUrl: 'http://switch:4030', endpoints: {
      payeefsp1: 'http://payeefsp1:4050', payeefsp3: 'http://payeefsp3:4052', treasurybank: 'http://payer:4021' },
    oracleRules: defaultOracleRules(['payeefsp1', 'payeefsp3']) });
    assert.deepEqual(options('payee-dfsp', { ...env, GPO_PAYEEFSP2_PORT: '7051' }, 'payeefsp2'), { port: 7051, host: '0.0.0.0',
      currencies: ['KES'], hubUrl: 'http://switch:4030', alsUrl: 'http://als:4040' });
    assert.equal(options('payee-dfsp', env, 'payeefsp2').port, 5350, 'alone, a payee DFSP sits where the first one goes');
    assert.deepEqual(options('payer-dfsp', env), {
      port: 5320, inboundPort: 6021, host: '0.0.0.0', fspId: 'treasurybank', currency: 'KES', switchUrl: 'http://switch:4030',
      alsUrl: 'http://als:4040', inboundPublicUrl: 'http://payer:4021', backendUrl: 'http://backoffice:3000', autoAcceptParty: false,
      autoAcceptQuote: false, profile: { name: '18.0.2', bulkDefects: true },
    });
    assert.deepEqual(options('pil', env), { port: 5310, host: '0.0.0.0', payerOutboundUrl: 'http://payer:4020', mode: 'sequential' });
    assert.equal(options('pil', { GPO_BASE_PORT: '0' }).port, 0, 'base port 0: a free port');
  });

  it('names every problem, each with its variable, in the words an operator reads', () => {
    assert.deepEqual(problems('payer-dfsp', {
      GPO_PAYER_PORT: '70000', GPO_HOST: 'not a host', GPO_PAYER_FSP: 'bank/one', GPO_CURRENCY: 'usd', GPO_SWITCH_URL: 'switch:4030',
      GPO_ALS_URL: 'ftp://als', GPO_PAYER_INBOUND_URL: 'payer', GPO_PAYER_BACKEND_URL: 'x', GPO_PAYER_AUTO_ACCEPT_PARTY: 'yes',
      GPO_PAYER_AUTO_ACCEPT_QUOTES: 'maybe', GPO_PAYER_SDK_PROFILE: '17.0.0', GPO_PAYER_INBOUND_PORT: 'eighty',
    }), [
      'GPO_PAYER_PORT must be a port (0-65535), not 70000',
      'GPO_PAYER_INBOUND_PORT must be a port (0-65535), not eighty',
      'GPO_HOST must be a host name or an IP address, not not a host',
      'GPO_PAYER_FSP must be an FSP id (1 to 32 letters, digits or ._-), not bank/one',
      'GPO_CURRENCY must be a currency code of three capital letters, not usd',
      'GPO_SWITCH_URL must be an http(s) URL',
      'GPO_ALS_URL must be an http(s) URL',
      'GPO_PAYER_INBOUND_URL must be an http(s) URL',
      'GPO_PAYER_BACKEND_URL must be an http(s) URL',
      'GPO_PAYER_AUTO_ACCEPT_PARTY must be true or false, not yes',
      'GPO_PAYER_AUTO_ACCEPT_QUOTES must be true or false, not maybe',
      'GPO_PAYER_SDK_PROFILE must be current or 18.0.2, not 17.0.0',
    ]);
    assert.deepEqual(problems('switch', { GPO_PAYEE_URLS: 'payeefsp1=http://a:4050,payeefsp2', GPO_BASE_PORT: '65510' }), [
      'GPO_BASE_PORT 65510 puts switch past port 65535',
      'GPO_PAYEE_URLS must be fsp=url pairs separated by commas, not payeefsp2',
    ]);
    assert.deepEqual(problems('als', { GPO_PAYEE_URLS: 'payeefsp1=ftp://a', GPO_SWITCH_URL: 'nowhere' }), [
      'GPO_SWITCH_URL must be an http(s) URL',
      'GPO_PAYEE_URLS must give each FSP an http(s) URL, not payeefsp1=ftp://a',
    ]);
    assert.deepEqual(problems('payee-dfsp', { GPO_PAYEEFSP1_PORT: '-1', GPO_CURRENCY: 'DOLLARS', GPO_ALS_URL: 'als' }), [
      'GPO_PAYEEFSP1_PORT must be a port (0-65535), not -1',
      'GPO_CURRENCY must be a currency code of three capital letters, not DOLLARS',
      'GPO_ALS_URL must be an http(s) URL',
    ]);
    assert.deepEqual(problems('pil', { GPO_PIL_MODE: 'fast', GPO_PAYER_OUTBOUND_URL: 'payer' }), [
      'GPO_PAYER_OUTBOUND_URL must be an http(s) URL',
      'GPO_PIL_MODE must be sequential or concurrent, not fast',
    ]);
  });

  it('gives a whole world only the payer DFSP\'s and the PIL\'s variables that are set', () => {
    assert.deepEqual(worldEnv({ GPO_SWITCH_URL: 'not used', GPO_CURRENCY: 'not used' }), { ok: true, value: {} });
    assert.deepEqual(worldEnv({ GPO_PAYER_AUTO_ACCEPT_QUOTES: 'false', GPO_PAYER_SDK_PROFILE: '18.0.2', GPO_PIL_MODE: 'sequential',
      GPO_PAYER_BACKEND_URL: 'http://backoffice:3000' }), { ok: true, value: { payerOptions: { autoAcceptQuote: false, profile:
      { name: '18.0.2', bulkDefects: true }, backendUrl: 'http://backoffice:3000' }, pilMode: 'sequential' } });
    assert.deepEqual(worldEnv({ GPO_PAYER_AUTO_ACCEPT_PARTY: 'maybe', GPO_PIL_MODE: 'fast' }), { ok: false, problems: [
      'GPO_PAYER_AUTO_ACCEPT_PARTY must be true or false, not maybe', 'GPO_PIL_MODE must be sequential or concurrent, not fast'] });
  });
});

describe('gpo sim: flags over the config file over GPO_* variables', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(tmpdir(), 'gpo-sim-config-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the payer DFSP with the variables, the file over them and the flags over both', async () => {
    const sw = (await startSimulator({ name: 'switch', port: 0, host: '127.0.0.1' }, {})) as RunningSwitch;
    const env = { GPO_SWITCH_URL: sw.url, GPO_ALS_URL: 'http://127.0.0.1:9', GPO_PAYER_FSP: 'envbank', GPO_CURRENCY: 'KES',
      GPO_PAYER_PORT: '1', GPO_PAYER_INBOUND_PORT: '1' };
    const file = path.join(dir, 'payer.yaml');
    writeFileSync(file, 'fspId: filebank\ncurrency: TZS\nport: 0\ninboundPort: 0\n');
    const started: RunningPayerDfsp[] = [];
    try {
      const flagged = (await startSimulator({ name: 'payer-dfsp', config: file, 'fsp-id': 'flagbank', host: '127.0.0.1' }, env)) as
        RunningPayerDfsp;
      started.push(flagged);
      const filed = (await startSimulator({ name: 'payer-dfsp', config: file, host: '127.0.0.1' }, env)) as RunningPayerDfsp;
      started.push(filed);
      const fromEnv = (await startSimulator({ name: 'payer-dfsp', port: 0, 'inbound-port': 0, host: '127.0.0.1' }, env)) as
        RunningPayerDfsp;
      started.push(fromEnv);
      assert.deepEqual([flagged.fspId, filed.fspId, fromEnv.fspId], ['flagbank', 'filebank', 'envbank']);
      // each onboarded on the switch GPO_SWITCH_URL names, in its currency
      assert.equal(sw.participants.positions('flagbank')[0].currency, 'TZS');
      assert.equal(sw.participants.positions('filebank')[0].currency, 'TZS');
      assert.equal(sw.participants.positions('envbank')[0].currency, 'KES');
    } finally {
      for (const s of started) await s.stop();
      await sw.stop();
    }
  });

  it('refuses to start on an unusable variable, naming each problem', async () => {
    const refusal = await startSimulator({ name: 'pil', port: 0, host: '127.0.0.1' }, { GPO_PIL_MODE: 'fast', GPO_PAYER_OUTBOUND_URL: 'x' })
      .then(() => undefined, (err: unknown) => err);
    assert.ok(refusal instanceof UserError, String(refusal));
    assert.equal(formatCliError(refusal, false), [
      'gpo: gpo sim pil: 2 GPO_* variables are not usable',
      '  GPO_PAYER_OUTBOUND_URL must be an http(s) URL',
      '  GPO_PIL_MODE must be sequential or concurrent, not fast',
      'hint: correct or unset them; docs/simulators.md ("Environment") lists each with its default',
      '',
    ].join('\n'));
  });

  it('exits 1 from the command line, the problem on stderr', async () => {
    const { GPO_LOG_LEVEL: _quiet, ...base } = process.env;
    const run = promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'gpo'), 'sim', 'payer-dfsp', '--port', '0',
      '--inbound-port', '0'], { cwd: ROOT, env: { ...base, GPO_PAYER_AUTO_ACCEPT_QUOTES: 'maybe' }, timeout: 60_000 });
    const failed = await run.then(() => undefined, (err: { code: number; stderr: string }) => err);
    assert.ok(failed, 'gpo sim started anyway');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^gpo: gpo sim payer-dfsp: a GPO_\* variable is not usable\n {2}GPO_PAYER_AUTO_ACCEPT_QUOTES must be true or false, not maybe\nhint: /);
  });
});

describe('the simulators\' environment, in one place', () => {
  it('documents every variable of every simulator in docs/simulators.md, one table row each', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'simulators.md'), 'utf8');
    const rows = doc.split('\n').filter((l) => l.startsWith('| `GPO_'));
    const variables = new Set([...SIMULATORS.flatMap((n) => ENV[n].map(([, v]) => v)), ...WORLD_ENV]);
    assert.ok(variables.size >= 20, `${variables.size} variables`);
    for (const v of variables) {
      const row = rows.find((r) => r.split('|')[1].includes(`\`${v}\``));
      assert.ok(row, `${v}: a row in docs/simulators.md`);
      assert.equal(row.split('|').length, 6, `${v}: variable, simulators, default, meaning`);
    }
  });

  it('no file under simulators/ but a benchmark reads process.env', () => {
    const readers: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ts$/.test(e.name) && !/^bench\.ts$|\.bench\.ts$/.test(e.name)
          && /process\s*(\.\s*env\b|\[\s*['"`]env['"`]\s*\])/.test(readFileSync(p, 'utf8'))) readers.push(path.relative(ROOT, p));
      }
    };
    walk(path.join(ROOT, 'simulators'));
    assert.deepEqual(readers, []);
  });
});
