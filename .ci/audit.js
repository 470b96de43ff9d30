#!/usr/bin/env node
'use strict';
/**
 * `npm audit --omit=dev` for CI: fails on any high or critical advisory in the production dependencies; when the
 * registry's audit endpoint cannot be reached (no network, a proxy that refuses it) it says so and passes, since
 * nothing could be checked. Usage: node .ci/audit.js
 */
const { spawnSync } = require('node:child_process');

/** What an `npm audit --json` run means: 'clean', 'findings' (with counts) or 'unreachable'. */
function classify(stdout, stderr, status) {
  let report;
  try { report = JSON.parse(stdout || '{}'); } catch { report = undefined; }
  const counts = report && report.metadata && report.metadata.vulnerabilities;
  if (counts) {
    const high = (counts.high || 0) + (counts.critical || 0);
    return high > 0 ? { result: 'findings', counts } : { result: 'clean', counts };
  }
  const text = `${stdout || ''}\n${stderr || ''}`;
  if (/audit endpoint returned an error|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|network|Method Not Allowed|statusCode|\b40[3-5]\b|\b5\d\d\b/i.test(text)) {
    return { result: 'unreachable', detail: (report && report.message) || text.trim().split('\n').pop() || `exit ${status}` };
  }
  return { result: 'error', detail: text.trim().slice(0, 500) || `exit ${status}` };
}

module.exports = { classify };

if (require.main === module) {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120000 });
  const c = classify(run.stdout, run.stderr, run.status);
  if (c.result === 'clean') {
    console.log(`npm audit --omit=dev: no high or critical advisories (${JSON.stringify(c.counts)})`);
  } else if (c.result === 'findings') {
    console.error(`npm audit --omit=dev: high or critical advisories found: ${JSON.stringify(c.counts)}`);
    spawnSync('npm', ['audit', '--omit=dev'], { stdio: 'inherit' });
    process.exit(1);
  } else if (c.result === 'unreachable') {
    console.log(`npm audit --omit=dev: the registry's audit endpoint cannot be reached from here (${c.detail}); nothing was checked`);
  } else {
    console.error(`npm audit --omit=dev failed: ${c.detail}`);
    process.exit(1);
  }
}
