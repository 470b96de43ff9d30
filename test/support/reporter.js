'use strict';
// Spec output, followed by one plain closing line: "N passed, N failed" (CI reads it). With a JUnit file asked for
// (--reporter-option junit=FILE, $GPO_JUNIT, or under CI test-results/mocha-junit.xml), mocha's own XUnit reporter
// writes it alongside.
const Mocha = require('mocha');

function junitFile(options) {
  const o = (options && (options.reporterOption || options.reporterOptions)) || {};
  if (o.junit) return o.junit;
  if (process.env.GPO_JUNIT) return process.env.GPO_JUNIT;
  return process.env.CI ? 'test-results/mocha-junit.xml' : undefined;
}

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats || { passes: 0, failures: 0, pending: 0 };
      process.stdout.write(`\n${s.pending ? `(${s.pending} skipped)\n` : ''}${s.passes} passed, ${s.failures} failed\n`);
    });
    const output = junitFile(options);
    // Created after the summary listener, so it writes its file once the summary is printed; it prints nothing.
    if (output) this.junit = new Mocha.reporters.XUnit(runner, { reporterOptions: { output, suiteName: 'gpo npm test' } });
  }

  /** Mocha waits on the main reporter only: finish the JUnit file before the process exits. */
  done(failures, fn) {
    if (this.junit) this.junit.done(failures, fn);
    else fn(failures);
  }
}

module.exports = SummaryReporter;
