'use strict';
// Mocha runs the TypeScript tests through tsx, test files spread over two worker processes (one per core); the
// reporter prints the closing "N passed, N failed" line CI reads, and writes JUnit XML when asked (see reporter.js).
const { readdirSync } = require('node:fs');
const path = require('node:path');

process.env.GPO_LOG_LEVEL = process.env.GPO_LOG_LEVEL || 'silent';

/** Every test file, the longest first so the two workers finish together (longest-first scheduling). */
function testFiles() {
  const longest = [
    'test/orchestrator/crash-transfers.test.ts', 'test/scenarios/suite.test.ts', 'test/orchestrator/crash-bulk-transactions.test.ts',
    'test/orchestrator/crash-bulk-quotes-transfers.test.ts', 'test/orchestrator/e2e-sdk.test.ts',
    'test/world/world-process.test.ts', 'test/payer-dfsp/network.test.ts', 'test/loadtests/scripts.test.ts',
    'test/world/readme-commands.test.ts', 'test/orchestrator/e2e-more.test.ts',
  ];
  const all = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts')) all.push(p);
    }
  };
  walk('test');
  all.sort();
  return [...longest.filter((f) => all.includes(f)), ...all.filter((f) => !longest.includes(f))];
}

module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  // GPO_TEST=test/switch/**/*.test.ts runs a part of the suite (mocha adds CLI files to the configured spec).
  spec: process.env.GPO_TEST ? process.env.GPO_TEST.split(',') : testFiles(),
  // GPO_TEST_JOBS=1 runs the files one after the other in this process (easier to debug).
  parallel: process.env.GPO_TEST_JOBS !== '1',
  jobs: Number(process.env.GPO_TEST_JOBS || 2),
  timeout: 60000,
  reporter: './test/support/reporter.js',
  exit: true,
};
