import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../shared/errors';
import { logToFile, rootLogger } from '../../shared/logger';
import { expandScenarioPaths } from '../../scenarios/files';
import { junitXml, progressPrinter, resultsJson } from '../../scenarios/report';
import { runScenarios } from '../../scenarios/runner';

interface RunArgs {
  files: string[];
  junit?: string;
  json?: string;
  seed?: number;
  'keep-going': boolean;
  parallel: number;
  'log-level': string;
  'log-file'?: string;
}

const run: CommandModule<object, RunArgs> = {
  command: 'run <files..>',
  describe: 'Run scenario files, each in a fresh in-process world on random ports',
  builder: (y) => y
    .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Scenario files, directories or globs' })
    .option('junit', { type: 'string', describe: 'Write JUnit XML here' })
    .option('json', { type: 'string', describe: 'Write the full results as JSON here' })
    .option('seed', { type: 'number', describe: 'Seed for every scenario (overrides the files\' own)' })
    .option('keep-going', { type: 'boolean', default: false, describe: 'Run every scenario even after a failure' })
    .option('parallel', { type: 'number', default: 1, describe: 'Scenarios run at once (each has its own world)' })
    .option('log-level', { type: 'string', default: process.env.GPO_LOG_LEVEL ?? 'warn', describe:
      'Log level of the servers it starts (info shows every batch)' })
    .option('log-file',
      { type: 'string', describe:
        'Where the servers\' log lines go (default: a file in the temporary directory, named at the end), kept apart from the progress ' +
          'and results' })
    .example('$0 scenario run scenarios/*.yaml --junit out.xml --keep-going', 'Run the suite, write JUnit XML'),
  handler: async (args) => {
    rootLogger.level = String(args['log-level']);
    const { files, unmatched } = expandScenarioPaths(args.files);
    if (unmatched.length) throw new UserError(`no scenario file matches ${unmatched.join(', ')}`,
      "give .yaml files, a directory, or a glob in quotes ('scenarios/*.yaml'); the suite is in scenarios/");
    const isTty = Boolean(process.stdout.isTTY);
    const logFile = args['log-file'] ?? path.join(tmpdir(), `gpo-scenarios-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    const restoreLog = logToFile(logFile);
    let results;
    try {
      results = await runScenarios(files, { seed: args.seed, keepGoing: args['keep-going'], parallel: args.parallel, onProgress:
        progressPrinter(process.stdout, isTty, files.length) });
    } finally {
      restoreLog();
    }
    if (args.junit) writeFileSync(args.junit, junitXml(results));
    if (args.json) writeFileSync(args.json, resultsJson(results));
    const passed = results.filter((r) => r.ok).length;
    const skipped = results.filter((r) => r.unavailable).length;
    const notRun = files.length - results.length;
    if (existsSync(logFile) && statSync(logFile).size > 0) process.stdout.write(`server logs (level ${args['log-level']}): ${logFile}\n`);
    else if (!args['log-file']) rmSync(logFile, { force: true });
    process.stdout.write(`\n${passed} passed, ${results.length - passed - skipped} failed, ${skipped} not run (world incomplete)${notRun
      ? `, ${notRun} not started (stopped at the first failure; --keep-going runs all)` : ''}\n`);
    process.exitCode = passed === files.length ? 0 : 1;
  },
};

export const scenarioCommand: CommandModule<object, object> = {
  command: 'scenario <command>',
  describe: 'Payment-cycle scenarios (scenarios/*.yaml)',
  builder: (y) => y.command(run as CommandModule<object, RunArgs>).demandCommand(1),
  handler: () => undefined,
};
