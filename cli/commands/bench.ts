import type { Argv, CommandModule } from 'yargs';

interface BenchArgs {
  sizes: string;
  'batch-size': number;
  'rail-mode'?: string;
  'baseline-bulks': number;
  write: boolean;
  'in-process'?: boolean;
  'profile-dir'?: string;
  'known-fsp'?: boolean;
  'world-processes'?: number;
}

/** `gpo bench` (also `npm run bench`): the end-to-end benchmark of record, written to docs/benchmarks.md. */
export const benchCommand: CommandModule<object, BenchArgs> = {
  command: 'bench',
  describe: 'Run the end-to-end benchmark of record (bulk cycles through the native API; world and orchestrator each in a child process) and write docs/benchmarks.md',
  builder: (y: Argv) => y
    .option('sizes', { type: 'string', default: '10000,100000,1000000', describe: 'cycle sizes in payments, comma separated' })
    .option('batch-size', { type: 'number', default: 100_000, describe: 'payments per POST /v1/batches' })
    .option('rail-mode', { type: 'string', describe: 'mojaloop-sdk rail mode: bulkTransactions, bulkQuotesTransfers (default: the orchestrator\'s)' })
    .option('baseline-bulks', { type: 'number', default: 20, describe: 'bulks of 1000 for the simulators-only baseline' })
    .option('in-process', { type: 'boolean', default: false, describe: 'world, orchestrator and client in this one process (default: world and orchestrator each in a child process)' })
    .option('profile-dir', { type: 'string', describe: 'write CPU profiles (--cpu-prof) of the world and orchestrator processes here' })
    .option('world-processes', { type: 'number', describe: 'the simulated world in 2 processes (default: switch + ALS, and the DFSPs), 1, or 3 (switch + ALS, payees, payer + PIL)' })
    .option('known-fsp', { type: 'boolean', default: false, describe: 'every payment names its payee FSP, so the rail needs no party lookups' })
    .option('write', { type: 'boolean', default: true, describe: 'write docs/benchmarks.md (--no-write to only print)' })
    .example('$0 bench --sizes 10000,100000', 'the 10,000 and 100,000 cycles, plus the simulators-only baseline')
    .example('npm run bench -- --sizes 10000', 'the same through npm') as unknown as Argv<BenchArgs>,
  handler: async (args) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runBench, formatBench, parseBenchArgs, BENCHMARKS_DOC } = require('../../loadtests/bench') as typeof import('../../loadtests/bench');
    const opts = parseBenchArgs(['--sizes', args.sizes, '--batch-size', String(args['batch-size']), '--baseline-bulks', String(args['baseline-bulks']), ...(args['rail-mode'] ? ['--rail-mode', args['rail-mode']] : []), ...(args.write ? [] : ['--no-write']), ...(args['in-process'] ? ['--in-process'] : []), ...(args['known-fsp'] ? ['--known-fsp'] : []), ...(args['profile-dir'] ? ['--profile-dir', args['profile-dir']] : []), ...(args['world-processes'] ? ['--world-processes', String(args['world-processes'])] : [])]);
    const r = await runBench({ ...opts, log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${formatBench(r)}\n`);
    if (opts.write !== false) process.stdout.write(`written: ${BENCHMARKS_DOC}\n`);
    process.exitCode = r.cycles.some((c) => c.error) ? 1 : 0;
  },
};
