import type { Argv, CommandModule } from 'yargs';
import { ProgressLine } from '../../shared/progress';

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
  describe: 'Run the end-to-end benchmark of record (bulk cycles through the native API; world and orchestrator each in a child ' +
    'process); --write puts the figures in docs/benchmarks.md',
  builder: (y: Argv) => y
    .option('sizes', { type: 'string', default: '10000,100000', describe:
      'cycle sizes in payments, comma separated (the figures of record add 1000000)' })
    .option('batch-size', { type: 'number', default: 100_000, describe: 'payments per POST /v1/batches' })
    .option('rail-mode',
      { type: 'string', describe: 'mojaloop-sdk rail mode: bulkTransactions, bulkQuotesTransfers (default: the orchestrator\'s)' })
    .option('baseline-bulks', { type: 'number', default: 20, describe: 'bulks of 1000 for the simulators-only baseline' })
    .option('in-process', { type: 'boolean', default: false, describe:
      'world, orchestrator and client in this one process (default: world and orchestrator each in a child process)' })
    .option('profile-dir', { type: 'string', describe: 'write CPU profiles (--cpu-prof) of the world and orchestrator processes here' })
    .option('world-processes',
      { type: 'number', describe:
        'the simulated world in 2 processes (default: switch + ALS, and the DFSPs), 1, or 3 (switch + ALS, payees, payer + PIL)' })
    .option('known-fsp', { type: 'boolean', default: false, describe:
      'every payment names its payee FSP, so the rail needs no party lookups' })
    .option('write',
      { type: 'boolean', default: false, describe: 'write docs/benchmarks.md with this run\'s figures (default: print only)' })
    .example('$0 bench', 'the 10,000 and 100,000 cycles, plus the simulators-only baseline; prints, writes nothing')
    .example('npm run bench -- --sizes 10000,100000,1000000 --write',
      'the figures of record, written to docs/benchmarks.md') as unknown as Argv<BenchArgs>,
  handler: async (args) => {
    const { runBench, formatBench, parseBenchArgs, BENCHMARKS_DOC } =
      // loaded on demand: the benchmark pulls in the whole world, which no other command needs
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../loadtests/bench') as typeof import('../../loadtests/bench');
    const opts = parseBenchArgs(['--sizes', args.sizes, '--batch-size', String(args['batch-size']), '--baseline-bulks',
      String(args['baseline-bulks']), ...(args['rail-mode'] ? ['--rail-mode', args['rail-mode']] : []), ...(args.write ? ['--write'] : []),
        ...(args['in-process'] ? ['--in-process'] : []), ...(args['known-fsp'] ? ['--known-fsp'] : []),
          ...(args['profile-dir'] ? ['--profile-dir', args['profile-dir']] : []),
            ...(args['world-processes'] ? ['--world-processes', String(args['world-processes'])] : [])]);
    // A live line on a terminal (a plain one every 10 s otherwise) while a cycle runs; the log lines stay apart.
    const progress = new ProgressLine(process.stderr);
    const log = (l: string) => { progress.end(); process.stderr.write(`${l}\n`); };
    const r = await runBench({ ...opts, log, onProgress: (p) => progress.update({ label: `cycle ${p.size.toLocaleString('en-US')}`, done:
      p.final, total: p.size, elapsedMs: p.elapsedMs, force: p.final >= p.size }) });
    progress.end();
    process.stdout.write(`${formatBench(r)}\n`);
    process.stdout.write(opts.write ? `written: ${BENCHMARKS_DOC}\n` : 'not written (--write puts these figures in docs/benchmarks.md)\n');
    process.exitCode = r.cycles.some((c) => c.error) ? 1 : 0;
  },
};
