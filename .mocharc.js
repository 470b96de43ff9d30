'use strict';
// Mocha runs the TypeScript tests through tsx; the reporter prints the closing "N passed, N failed" line CI reads.
process.env.GPO_LOG_LEVEL = process.env.GPO_LOG_LEVEL || 'silent';
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  spec: ['test/**/*.test.ts'],
  timeout: 60000,
  reporter: './test/support/reporter.js',
  exit: true,
};
