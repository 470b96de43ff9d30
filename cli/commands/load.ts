import type { Argv, CommandModule } from 'yargs';

interface LoadArgs {
  profile: string;
  vus?: number;
  duration?: string;
  rate?: number;
  payments?: number;
  target?: string;
  engine: 'auto' | 'k6' | 'node';
  out?: string;
  'start-world': boolean;
  env: string[];
  threshold: string[];
  'rail-mode'?: string;
}

function pairs(list: string[], what: string): Array<[string, string]> {
  return list.map((s) => {
    const i = s.indexOf('=');
    if (i <= 0) throw new Error(`--${what} "${s}" is not NAME=VALUE`);
    return [s.slice(0, i), s.slice(i + 1)];
  });
}

/** `gpo load <profile>`: runs a k6 load profile with real k6 when it is on the PATH, else the k6-compatible Node runner. */
export const loadCommand: CommandModule<object, LoadArgs> = {
  command: 'load <profile>',
  describe: 'Run a load-test profile (k6 scripts; real k6 when installed, else the k6-compatible Node runner)',
  builder: (y: Argv) => y
    .positional('profile', { type: 'string', demandOption: true, describe:
      'bulk-disbursement, bulk-disbursement-pil, fspiop-e2e, fspiop-bulk, or a profile .json file' })
    .option('vus', { type: 'number', describe: 'virtual users (VUS)' })
    .option('duration', { type: 'string', describe: 'test duration for time-based executors, e.g. 30s, 2m (DURATION)' })
    .option('rate', { type: 'number', describe: 'iterations per second: switches to the constant-arrival-rate executor (RATE)' })
    .option('payments', { type: 'number', describe: 'payments in all (bulk profiles: PAYMENTS; fspiop-e2e: that many iterations)' })
    .option('target',
      { type: 'string', describe:
        'base URL to load (default: gpo up\'s orchestrator :4000, or the payer DFSP outbound API :4020 for fspiop-*)' })
    .option('engine', { choices: ['auto', 'k6', 'node'] as const, default: 'auto' as const, describe:
      'auto: k6 when on the PATH, else the Node runner' })
    .option('out', { type: 'string', describe: 'directory for the JSON and HTML reports (default loadtests/results)' })
    .option('start-world', { type: 'boolean', default: false, describe:
      'start the simulated world and an orchestrator in this process first' })
    .option('rail-mode',
      { type: 'string', describe:
        'with --start-world: the orchestrator\'s mojaloop-sdk rail mode (bulkTransactions, bulkQuotesTransfers, transfers)' })
    .option('env', { type: 'string', array: true, default: [] as string[], describe:
      'script variable NAME=VALUE (repeatable), e.g. --env BATCH_SIZE=5000' })
    .option('threshold', { type: 'string', array: true, default: [] as string[], describe:
      'replace a metric\'s thresholds: METRIC=EXPR (repeatable), e.g. --threshold "http_req_duration=p(95)<500"' })
    .example('$0 load bulk-disbursement --payments 100000', 'against gpo up: 100,000 payments in batches of 10,000 through the native API')
    .example('$0 load bulk-disbursement --payments 100000 --start-world', 'the same with the world started in this process')
    .example('$0 load fspiop-e2e --rate 1500 --duration 60s', 'lookup + quote + transfer flows at 1500/s through the payer DFSP')
    .example('$0 load fspiop-bulk --payments 20000 --engine node', '20 bulks of 1000 with the Node runner') as unknown as Argv<LoadArgs>,
  handler: async (args) => {
    // loaded on use, so other gpo commands do not pay for esbuild and undici agents
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runLoad } = require('../../loadtests/load') as typeof import('../../loadtests/load');
    const thresholds: Record<string, string[]> = {};
    for (const [metric, expr] of pairs(args.threshold, 'threshold')) (thresholds[metric] ??= []).push(expr);
    const outcome = await runLoad({
      profile: args.profile, vus: args.vus, duration: args.duration, rate: args.rate, payments: args.payments,
      target: args.target, engine: args.engine, outDir: args.out, startWorld: args['start-world'],
      orchestrator: args['rail-mode'] ? { railMode: args['rail-mode'] } : undefined,
      env: Object.fromEntries(pairs(args.env, 'env')), thresholds, progress: process.stderr,
    });
    process.stdout.write(`${outcome.summary}\n`);
    process.exitCode = outcome.exitCode;
  },
};
