import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../../shared/errors';
import type { RunningServer } from '../../shared/server';
import { readAlsConfigFile, startAls } from '../../simulators/als';
import { SIMULATORS, simulatorEnv, type SimulatorName } from '../../simulators/config';
import { readConfigFile, readPayeeConfigFile } from '../../simulators/payee-dfsp/config';
import { startPayeeDfsp } from '../../simulators/payee-dfsp';
import { startPayerDfsp } from '../../simulators/payer-dfsp';
import { startPil } from '../../simulators/pil';
import { startSwitch } from '../../simulators/switch';
import { waitForSignal } from './up';

export { SIMULATORS, type SimulatorName };

export interface SimArgs {
  name: SimulatorName;
  port?: number;
  host?: string;
  'fsp-id'?: string;
  'inbound-port'?: number;
  config?: string;
  seed?: number;
}

type Options = Record<string, unknown>;

/** Drops undefined values so they do not override config-file or default values. */
function defined(o: Options): Options {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The simulator's options from GPO_* variables and defaults (simulators/config.ts), or a refusal naming every problem. */
function fromEnv<N extends SimulatorName>(name: N, env: NodeJS.ProcessEnv, payeeFspId?: string): Options {
  const r = simulatorEnv(name, env, payeeFspId);
  if (r.ok) return r.value as Options;
  throw new UserError(`gpo sim ${name}: ${r.problems.length === 1 ? 'a GPO_* variable is' : `${r.problems.length} GPO_* variables are`} ` +
    `not usable\n${r.problems.join('\n')}`, 'correct or unset them; docs/simulators.md ("Environment") lists each with its default');
}

/**
 * Starts one simulator. Options come from the flags, then the config file (YAML/JSON), then the GPO_* variables
 * (simulators/config.ts: docker-compose.sim.yml sets peers' URLs, GPO_PAYEE_URLS, GPO_PAYER_FSP, GPO_CURRENCY,
 * GPO_HOST), then the defaults. A variable that is set but not usable refuses the start.
 */
export async function startSimulator(args: SimArgs, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const flags = defined({ port: args.port, host: args.host, seed: args.seed });
  switch (args.name) {
    case 'switch': {
      const file = args.config ? readConfigFile(args.config, ['port', 'host', 'hubName', 'faultRules', 'seed', 'expirySweepMs', 'alsUrl',
        'participants']) : {};
      return startSwitch({ ...fromEnv('switch', env), ...file, ...flags });
    }
    case 'als': {
      const file = args.config ? readAlsConfigFile(args.config) : {};
      return startAls({ ...fromEnv('als', env), ...file, ...flags });
    }
    case 'payee-dfsp': {
      const file = args.config ? readPayeeConfigFile(args.config) : {};
      const fspId = args['fsp-id'] ?? (file as { fspId?: string }).fspId ?? 'payeefsp1';
      // A payee alone sits where gpo up puts the first payee (GPO_BASE_PORT + 50), or at GPO_<FSPID>_PORT.
      return startPayeeDfsp({ ...fromEnv('payee-dfsp', env, fspId), ...file, ...flags, fspId });
    }
    case 'payer-dfsp': {
      const file = args.config ? readConfigFile(args.config, [
        'fspId', 'port', 'inboundPort', 'host', 'switchUrl', 'alsUrl', 'inboundPublicUrl', 'currency', 'treasuryBalance', 'netDebitCap',
        'onboard', 'autoAcceptParty', 'autoAcceptQuote', 'callbackTimeoutMs', 'faultRules', 'seed', 'extensions',
      ]) : {};
      return startPayerDfsp({
        ...fromEnv('payer-dfsp', env), ...file, ...flags, ...defined({ fspId: args['fsp-id'], inboundPort: args['inbound-port'] }),
      });
    }
    case 'pil': {
      const file = args.config ? readConfigFile(args.config, ['port', 'host', 'payerOutboundUrl', 'directory', 'mode', 'syncWindowMs',
        'concurrency', 'faultRules', 'seed']) : {};
      return startPil({ ...fromEnv('pil', env), ...file, ...flags });
    }
    default:
      throw new Error(`unknown simulator ${String(args.name)}; one of ${SIMULATORS.join(', ')}`);
  }
}

export const simCommand: CommandModule<object, SimArgs> = {
  command: 'sim <name>',
  describe: 'Run one simulator (switch, ALS, payee DFSP, payer DFSP or PIL) until Ctrl-C',
  builder: (y: Argv<object>) => y
    .positional('name', { choices: SIMULATORS, demandOption: true, describe: 'Which simulator' })
    .option('port',
      { type: 'number', describe:
        'Port (default $GPO_<NAME>_PORT, e.g. GPO_SWITCH_PORT, or its place after $GPO_BASE_PORT as in gpo up, or the default port map; ' +
          '0 = a free port)' })
    .option('host', { type: 'string', describe: 'Bind address (default $GPO_HOST or 127.0.0.1)' })
    .option('fsp-id', { type: 'string', describe: 'FSP id of a payee or payer DFSP (default payeefsp1 / govbank)' })
    .option('inbound-port',
      { type: 'number', describe: 'payer-dfsp: port of its FSPIOP inbound API (default $GPO_PAYER_INBOUND_PORT or 4021)' })
    .option('config', { type: 'string', describe: 'YAML or JSON file of options (unknown keys refused)' })
    .option('seed', { type: 'number', describe: 'Seed for fault rules and generated ids' })
    .example('$0 sim switch --port 4030', 'The switch on its default port')
    .example('GPO_SWITCH_URL=http://127.0.0.1:4030 $0 sim payee-dfsp --fsp-id payeefsp2 --port 4051',
      'A second payee DFSP calling back the switch')
    .example('$0 sim payer-dfsp --port 4020 --inbound-port 4021', 'The treasury bank with its outbound and inbound APIs')
    .epilogue('Under the flags and the config file, GPO_* variables set each simulator (docs/simulators.md, "Environment"): ' +
      'GPO_<NAME>_PORT, GPO_BASE_PORT, GPO_HOST; peers from GPO_SWITCH_URL, GPO_ALS_URL, GPO_PAYER_OUTBOUND_URL, GPO_PAYER_INBOUND_URL, ' +
      'GPO_PAYEE_URLS (fsp=url,...); GPO_PAYER_FSP, GPO_CURRENCY; the payer DFSP\'s GPO_PAYER_BACKEND_URL, ' +
      'GPO_PAYER_AUTO_ACCEPT_PARTY, GPO_PAYER_AUTO_ACCEPT_QUOTES, GPO_PAYER_SDK_PROFILE; the PIL\'s GPO_PIL_MODE. ' +
      'A variable set to something unusable refuses the start, naming it.') as unknown as Argv<SimArgs>,
  handler: async (args) => {
    const server = await startSimulator(args);
    const inbound = (server as { inboundUrl?: string }).inboundUrl;
    process.stdout.write(`${server.name} listening on ${server.url}${inbound ? `, FSPIOP inbound on ${inbound}` : ''} (Ctrl-C stops it)\n`);
    const sig = await waitForSignal();
    process.stdout.write(`${sig}: stopping\n`);
    await server.stop();
  },
};
