/**
 * The test reporter: mocha's spec output, the closing "N passed, N failed" line CI reads, and JUnit XML when asked
 * for, run on a small spec of its own in a child mocha.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseXml } from '../scenarios/support/xml';

const ROOT = path.join(__dirname, '..', '..');

describe('the test reporter', function () {
  this.timeout(60_000);

  it('ends with "N passed, N failed" and writes JUnit XML with --reporter-option junit=FILE', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-reporter-'));
    try {
      const spec = path.join(dir, 'sample.test.js');
      writeFileSync(spec,
        "describe('sample', () => { it('passes', () => {}); it('fails', () => { throw new Error('no'); }); it.skip('waits', () => {}); " +
          "});\n");
      const junit = path.join(dir, 'out', 'junit.xml');
      const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
      const r = await promisify(execFile)(process.execPath, [mocha, '--no-config', '--reporter',
        path.join(ROOT, 'test', 'support', 'reporter.js'), '--reporter-option', `junit=${junit}`, spec], { cwd: ROOT })
        .then(() => { throw new Error('a failing spec must fail mocha'); }, (e: { code: number; stdout: string }) => e);
      assert.equal(r.code, 1);
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines[lines.length - 1], '1 passed, 1 failed');
      assert.equal(lines[lines.length - 2], '(1 skipped)');
      const suite = parseXml(readFileSync(junit, 'utf8'));
      assert.equal(suite.name, 'testsuite');
      assert.equal(suite.attrs.tests, '3');
      // mocha's XUnit counts a thrown error under errors, an assertion under failures: one of them here.
      assert.equal(Number(suite.attrs.failures) + Number(suite.attrs.errors), 1);
      const cases = suite.children.filter((c) => c.name === 'testcase');
      assert.deepEqual(cases.map((c) => c.attrs.name), ['passes', 'fails', 'waits']);
      assert.ok(cases[1].children.some((c) => c.name === 'failure'), 'the failing case carries its failure');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
