'use strict';
// Mocha runs the TypeScript tests through tsx; the reporter prints the closing "N passed, N failed" line CI reads.
process.env.GPO_LOG_LEVEL = process.env.GPO_LOG_LEVEL || 'silent';
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  // GPO_TEST=test/switch/**/*.test.ts runs a part of the suite (mocha adds CLI files to the configured spec).
  spec: process.env.GPO_TEST ? process.env.GPO_TEST.split(',') : ['test/**/*.test.ts'],
  timeout: 60000,
  reporter: './test/support/reporter.js',
  exit: true,
};
