import type { CommandModule } from 'yargs';
import { rootLogger } from '../../shared/logger';
import { DEMO_STEP_TITLES, demoScenario } from '../../scenarios/demo';
import { formatRunFailure, reconciliationTable } from '../../scenarios/report';
import { runScenarioDefinition } from '../../scenarios/runner';

interface DemoArgs {
  registrants: number;
  manager: 'interop-layer' | 'g2p-connect' | 'native';
  rail?: 'mojaloop-sdk' | 'pil';
  seed: number;
  'log-level': string;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Run demo #1: an OpenG2P payment cycle paid over the simulated Mojaloop network, then reconciled',
  builder: (y) => y
    .option('registrants', { type: 'number', default: 1000, describe: 'Registrants to enrol' })
    .option('manager', { choices: ['interop-layer', 'g2p-connect', 'native'] as const, default: 'interop-layer' as const, describe:
      'OpenG2P payment manager' })
    .option('rail', { choices: ['mojaloop-sdk', 'pil'] as const, describe: 'Orchestrator rail (default: the orchestrator\'s own default)' })
    .option('seed', { type: 'number', default: 1, describe: 'Seed for registrants and ids' })
    .option('log-level', { type: 'string', default: process.env.GPO_LOG_LEVEL ?? 'warn', describe:
      'Log level of the servers it starts (info shows every batch)' })
    .example('$0 demo', '1,000 registrants through the interop-layer manager')
    .example('$0 demo --registrants 10000 --manager g2p-connect', 'A bigger cycle over G2P Connect'),
  handler: async (args) => {
    rootLogger.level = String(args['log-level']);
    const s = demoScenario({ registrants: args.registrants, paymentManager: args.manager, rail: args.rail, seed: args.seed });
    const out = process.stdout;
    out.write(`${s.name}\n\n`);
    let n = 0;
    const result = await runScenarioDefinition(s, 'demo', {
      onProgress: (e) => {
        if (e.type !== 'step') return;
        n++;
        out.write(`${String(n).padStart(2)}. ${DEMO_STEP_TITLES[e.step.name] ?? e.step.name}${e.step.detail ? `: ${e.step.detail}`
          : ''} (${e.step.ms} ms)${e.step.ok ? '' : ' FAILED'}\n`);
      },
    });
    if (result.unavailable) throw new Error(`the demo cannot run yet: ${result.unavailable}`);
    const run = result.runs[0];
    if (run.table) {
      out.write(`\nReconciliation: OpenG2P's view beside the payee ledgers'\n${reconciliationTable(run.table, 'USD')}\n`);
    }
    const a = run.actual;
    if (a) {
      out.write(`\nOpenG2P: ${a.paid.count} paid (${a.paid.amount} USD), ${a.failed.count} failed, ${a.pending.count} pending\n`);
      out.write(`Treasury debited ${a.ledgers.treasuryDebited
        ?? '(not readable)'} = credited ${a.ledgers.credited.amount} + fees ${a.ledgers.fees}\n`);
      if (run.cycleMs !== undefined) out.write(`All ${a.paid.count
        + a.failed.count} payments final ${(run.cycleMs / 1000).toFixed(2)} s after the first batch was sent\n`);
    }
    if (!result.ok) {
      out.write(`\n${formatRunFailure(run)}\n`);
      process.exitCode = 1;
    }
  },
};
