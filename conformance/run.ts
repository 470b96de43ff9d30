/**
 * Runs the Mojaloop Testing Toolkit's collections against GPO's simulated world and prints, per collection, the
 * assertions passed / failed, and each failure's request, expectation and actual answer.
 *
 *   npm ci --prefix conformance/ttk                      # the Toolkit, once (not one of GPO's dependencies)
 *   npx tsx conformance/run.ts                           # every collection of conformance/collections.json
 *   npx tsx conformance/run.ts --only dfsp/golden_path/p2p_happy_path --verbose
 *   npx tsx conformance/run.ts --report docs/conformance/ttk-report.md --results conformance/results.json
 *   npx tsx conformance/run.ts --ci --update-baseline    # what npm test runs; record what passes (conformance/baseline.json)
 *   npx tsx conformance/run.ts --reuse /tmp/ttk --report docs/conformance/ttk-report.md   # re-read an earlier --work-dir
 */
import './quiet';
import fs from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { baselineOf, BASELINE_FILE, compareToBaseline, readBaseline } from './baseline';
import { HUB_NAME, loadRun, runConformance, ttkVersion } from './harness';
import { ciCollections } from './manifest';
import { renderReport } from './report';
import type { CollectionResult } from './results';

function printCollection(r: CollectionResult, verbose: boolean): void {
  console.log(`${r.passed}/${r.total} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped`
    : ''}  ${r.id}  (${(r.durationMs / 1000).toFixed(1)} s)${r.error ? `  ERROR ${r.error}` : ''}`);
  if (!verbose) return;
  for (const f of r.failures) {
    console.log(`  FAILED ${f.testCase} › ${f.request} › ${f.description}`);
    console.log(`    request:  ${f.sent.method?.toUpperCase()} ${f.sent.path} ${JSON.stringify(f.sent.headers ?? {})}`);
    console.log(`    expected: ${f.expected.join(' ; ')}`);
    console.log(`    actual:   ${f.actual}`);
    if (f.response) console.log(`    response: ${f.response.status} ${JSON.stringify(f.response.body ?? '').slice(0, 300)}`);
    if (f.callback) console.log(`    callback: ${f.callback.url} ${JSON.stringify(f.callback.body ?? '').slice(0, 300)}`);
  }
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('conformance/run.ts')
    .usage('$0 [--only id...] [--verbose] [--report file.md] [--results file.json] [--update-baseline]')
    .option('only', { type: 'string', array: true, describe: 'run only collections whose id contains this' })
    .option('ci', { type: 'boolean', default: false, describe: 'run what npm test runs (collections.json entries not marked "ci": false)' })
    .option('verbose', { type: 'boolean', default: false, describe: 'print every failure' })
    .option('report', { type: 'string', describe: 'write the markdown inventory here' })
    .option('results', { type: 'string', describe: 'write every assertion result as JSON here' })
    .option('update-baseline', { type: 'boolean', default: false, describe: `record the passing assertions in ${path.relative(process.cwd(),
      BASELINE_FILE)}` })
    .option('work-dir', { type: 'string', describe: "keep the Toolkit's reports and log here" })
    .option('reuse', { type: 'string', describe: "re-read the Toolkit reports of an earlier run's --work-dir instead of running" })
    .option('shards', { type: 'number', default: 1, describe: 'independent worlds to spread the collections over' })
    .example('$0 --only dfsp/golden_path/p2p_happy_path --verbose', 'one collection, with its failures')
    .strict()
    .help()
    .parse();
  const run = argv.reuse
    ? loadRun(argv.reuse)
    : await runConformance({ only: argv.only, ...(argv.ci ? { ids: ciCollections() } : {}), workDir: argv['work-dir'], shards: argv.shards,
      onCollection: (r) => printCollection(r, argv.verbose) });
  if (argv.reuse) run.results.forEach((r) => printCollection(r, argv.verbose));
  const passed = run.results.reduce((n, r) => n + r.passed, 0);
  const total = run.results.reduce((n, r) => n + r.total, 0);
  console.log(`Testing Toolkit ${ttkVersion()}: ${passed}/${total} assertions passed in ${run.results.length} collections ` +
    `(${(run.durationMs / 1000).toFixed(0)} s); Toolkit logs ${run.ttkLogs.join(' ')}`);
  if (argv.results) fs.writeFileSync(argv.results, JSON.stringify(run.results, null, 1) + '\n');
  if (argv.report) {
    // The command as one would rerun it: without the scratch directories, and a re-read stands for the full run it read.
    const args = process.argv.slice(2).filter((a, i, all) => !['--reuse', '--work-dir', '--results'].includes(a)
      && !['--reuse', '--work-dir', '--results'].includes(all[i - 1] ?? ''));
    const command = `npx tsx conformance/run.ts ${args.join(' ')}`.trim();
    fs.writeFileSync(argv.report, renderReport(run.results, { ttkVersion: ttkVersion(), command, hubName: HUB_NAME }));
  }
  if (argv['update-baseline']) {
    fs.writeFileSync(BASELINE_FILE, JSON.stringify(baselineOf(run.results, readBaseline(), !argv.only?.length && !argv.ci), null, 1)
      + '\n');
    console.log(`baseline written: ${BASELINE_FILE}`);
  } else {
    const regressions = compareToBaseline(run.results, readBaseline());
    for (const r of regressions) console.log(`REGRESSION ${r}`);
    if (regressions.length) process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
