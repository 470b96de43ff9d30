#!/usr/bin/env node
'use strict';
// A stand-in for the k6 binary in tests of the real-k6 engine path: `version`, and `run --out json=FILE -e K=V ...
// script` writing a few points in k6's JSON output format. It exits with FAKE_K6_EXIT from the -e variables.
const fs = require('node:fs');
const args = process.argv.slice(2);
if (args[0] === 'version') {
  console.log('k6 v0.0.0-fake (test stand-in)');
  process.exit(0);
}
const env = {};
let out;
for (let i = 1; i < args.length; i++) {
  if (args[i] === '-e') { const [k, ...v] = args[++i].split('='); env[k] = v.join('='); }
  else if (args[i] === '--out') out = args[++i].replace(/^json=/, '');
}
const script = args[args.length - 1];
const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const lines = [
  { type: 'Metric', metric: 'gpo_flow_duration', data: { type: 'trend', contains: 'time' } },
  { type: 'Metric', metric: 'gpo_flows_completed', data: { type: 'counter', contains: 'default' } },
  { type: 'Metric', metric: 'http_reqs', data: { type: 'counter', contains: 'default' } },
];
for (let i = 0; i < 10; i++) {
  const time = new Date(t0 + i * 100).toISOString();
  lines.push({ type: 'Point', metric: 'gpo_flow_duration', data: { time, value: 10 + i, tags: { status: '200' } } });
  lines.push({ type: 'Point', metric: 'http_reqs', data: { time, value: 1, tags: { status: '200' } } });
  lines.push({ type: 'Point', metric: 'gpo_flows_completed', data: { time, value: 1, tags: {} } });
}
fs.writeFileSync(out, lines.map((l) => JSON.stringify(l)).join('\n'));
fs.writeFileSync(`${out}.args`, JSON.stringify({ env, script }));
console.log('fake k6 ran', script);
process.exit(Number(env.FAKE_K6_EXIT || 0));
