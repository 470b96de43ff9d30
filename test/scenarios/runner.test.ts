import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runScenario, runScenarios } from '../../scenarios/runner';
import { parseScenario, ScenarioError } from '../../scenarios/parse';
import { formatResult, junitXml, progressPrinter } from '../../scenarios/report';
import { expandScenarioPaths } from '../../scenarios/files';
import { fakeEnvironment } from './support/fake-environment';
import { parseXml } from './support/xml';

const fixture = (f: string) => path.join(__dirname, 'fixtures', f);
const scratch = mkdtempSync(path.join(tmpdir(), 'gpo-runner-'));
let written = 0;

/** Runs scenario text against the fake environment (written to a scratch file, as the runner reads files). */
async function runText(text: string) {
  const file = path.join(scratch, `s${++written}.yaml`);
  writeFileSync(file, text);
  return runScenario(file, { environment: fakeEnvironment() });
}

describe('scenario runner', () => {
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('reports every schema problem with file, line and column', () => {
    assert.throws(() => parseScenario(readFileSync(fixture('invalid.yaml'), 'utf8'), 'invalid.yaml'), (err: unknown) => {
      assert.ok(err instanceof ScenarioError);
      const msg = err.message;
      assert.match(msg, /^invalid\.yaml:3:19: program\.paymentManager: must be one of "interop-layer", "g2p-connect", "native"$/m);
      assert.match(msg, /^invalid\.yaml:4:19: program\.amount\.base: .*quoted strings/m);
      assert.match(msg, /^invalid\.yaml:9:5: steps\.1: unknown step "sendPaymnts"/m);
      return true;
    });
  });

  it('checks meaning after shape: unknown FSPs, steps out of order, YAML syntax', () => {
    const base = 'name: x\nprogram: { paymentManager: native, amount: { base: "1" } }\nexpect: {}\n';
    assert.throws(() => parseScenario(base + 'registrants: { generate: { count: 1, fsps: { payeefsp9: 1 } } }\nsteps: [cycle]\n', 's.yaml'),
      /s\.yaml:4:\d+: registrants\.generate\.fsps: "payeefsp9" is not a payee FSP/);
    assert.throws(() =>
      parseScenario(base + 'registrants: { generate: { count: 1, fsps: { payeefsp1: 1 } } }\nsteps: [enrol, sendPayments]\n', 's.yaml'),
        /s\.yaml:5:\d+: sendPayments before preparePayments/);
    assert.throws(() =>
      parseScenario(base + 'registrants: { generate: { count: 1, fsps: { payeefsp1: 1 } } }\nsteps: [approveCycle, createCycle]\n',
        's.yaml'), /step "createCycle" comes after "approveCycle"/);
    assert.throws(() => parseScenario('name: [unclosed\n', 'bad.yaml'), /bad\.yaml:\d+:\d+: YAML: /);
  });

  it('passes a scenario whose expectations hold, checking OpenG2P against the ledgers', async () => {
    const r = await runScenario(fixture('runner-pass.yaml'), { environment: fakeEnvironment() });
    assert.equal(r.ok, true, formatResult(r));
    const run = r.runs[0];
    assert.equal(run.actual?.paid.count, 90);
    assert.equal(run.actual?.ledgers.credited.count, 90);
    assert.deepEqual(run.steps.map((s) => s.name), ['start world', 'cycle', 'sendPayments', 'reconcile']);
  });

  it('fails a wrong expectation with a diff that names the payments', async () => {
    const r = await runScenario(fixture('runner-wrong.yaml'), { environment: fakeEnvironment() });
    assert.equal(r.ok, false);
    const text = formatResult(r);
    assert.match(text, /- paid\.count: expected 30\n\s+\+ paid\.count: actual {3}27/);
    // Three unknown registrants: each named with its registry id, masked identifier, status and reference.
    const named = text.match(/REG-\d{6} MSISDN 25\*+\d{4} @payeefsp1 20 USD: reconciled\/failed \(REJECTED 3204\) ref [0-9a-f-]{36}/g)
      ?? [];
    assert.equal(new Set(named).size, 3, text);
    assert.match(text, /last messages of the payments concerned/);
  });

  it('checks refused, in-doubt and counted outcomes; a timing-dependent expectation still fails when nothing happens', async () => {
    const r = await runScenario(fixture('outcomes.yaml'), { environment: fakeEnvironment() });
    assert.equal(r.ok, true, formatResult(r));
    assert.deepEqual(r.runs[0].actual?.refused, { count: 10, amount: '50' });
    assert.deepEqual(r.runs[0].actual?.inDoubt, { count: 3, amount: '15' });
    const text = readFileSync(fixture('outcomes.yaml'), 'utf8');
    const failing =
      await runText(`${text.slice(0,
        text.indexOf('expect:'))}expect:\n  cancelled: { minCount: 1 }\n  notifications: { minReceived: 1 }\n  inDoubt: { count: 2 }\n  ` +
          `paid: { maxCount: 5 }\n`);
    assert.equal(failing.ok, false);
    assert.deepEqual(failing.runs[0].mismatches.map((m) => m.path).sort(),
      ['cancelled.minCount', 'inDoubt.count', 'notifications.minReceived', 'paid.maxCount']);
  });

  it('holds every scenario against the payee ledgers unless it turns a check off', async () => {
    // The payee credits payeefsp1's first payments but answers REJECTED: OpenG2P's view and the ledgers differ.
    const base = 'name: ledgers by default\nseed: 2\nprogram: { paymentManager: interop-layer, amount: { base: "5" } }\n'
      + 'registrants: { generate: { count: 10, fsps: { payeefsp1: 1 } } }\n'
      + 'network: { faults: [{ target: payeefsp1, rules: [{ match: { partyId: "^25471100000[12]$" }, action: { type: creditButReject } ' +
        '}] }] }\n'
      + 'steps: [cycle, sendPayments]\n';
    const unchecked = await runText(`${base}expect: { failed: { count: 2 } }\n`);
    assert.equal(unchecked.ok, false);
    assert.deepEqual(unchecked.runs[0].mismatches.map((m) => m.path).sort(),
      ['ledgers.eachTransferCreditedOnce', 'ledgers.matchesOpenG2p']);
    const off =
      await runText(`${base}expect: { failed: { count: 2 }, ledgers: { matchesOpenG2p: false, eachTransferCreditedOnce: false } }\n`);
    assert.equal(off.ok, true, formatResult(off));
  });

  it('prints an invalid file\'s problems with file:line:column on the terminal, not only in the JUnit file', async () => {
    let out = '';
    const sink = { write: (s: string) => { out += s; return true; } } as unknown as NodeJS.WritableStream;
    const results = await runScenarios([fixture('invalid.yaml')], { environment: fakeEnvironment(), onProgress:
      progressPrinter(sink, false, 1) });
    assert.equal(results[0].ok, false);
    assert.match(out, /^FAIL .*invalid\.yaml/m);
    assert.match(out, /invalid\.yaml:3:19: program\.paymentManager: must be one of/);
    assert.match(out, /invalid\.yaml:9:5: steps\.1: unknown step "sendPaymnts"/);
  });

  it('writes valid JUnit XML with the right counts', async () => {
    const results = await runScenarios([fixture('runner-pass.yaml'), fixture('runner-wrong.yaml'), fixture('invalid.yaml')],
      { environment: fakeEnvironment(), keepGoing: true });
    const root = parseXml(junitXml(results));
    assert.equal(root.name, 'testsuites');
    const suite = root.children[0];
    assert.equal(suite.attrs.tests, '3');
    assert.equal(suite.attrs.failures, '2');
    assert.equal(suite.children.length, 3);
    assert.equal(suite.children.filter((c) => c.children.some((x) => x.name === 'failure')).length, 2);
    const wrong = suite.children.find((c) => c.attrs.name === 'runner check, a wrong expectation');
    assert.match(wrong!.children.find((x) => x.name === 'failure')!.text, /REG-\d{6}/);
  });

  it('stops at the first failure unless told to keep going', async () => {
    const results = await runScenarios([fixture('runner-wrong.yaml'), fixture('runner-pass.yaml')], { environment: fakeEnvironment() });
    assert.equal(results.length, 1);
  });

  it('expands globs and directories into scenario files', () => {
    const { files, unmatched } = expandScenarioPaths([path.relative(process.cwd(), fixture('runner-*.yaml')), 'no/such/*.yaml']);
    assert.deepEqual(files.map((f) => path.basename(f)), ['runner-pass.yaml', 'runner-wrong.yaml']);
    assert.deepEqual(unmatched, ['no/such/*.yaml']);
  });
});
