import type { Argv, CommandModule } from 'yargs';
import type { RunningServer } from '../../shared/server';
import { readAlsConfigFile, startAls } from '../../simulators/als';
import { readConfigFile, readPayeeConfigFile } from '../../simulators/payee-dfsp/config';
import { startPayeeDfsp } from '../../simulators/payee-dfsp';
import { startPayerDfsp } from '../../simulators/payer-dfsp';
import { startPil } from '../../simulators/pil';
import { startSwitch, switchEnvParticipants } from '../../simulators/switch';
import { envPort } from '../up-config';
import { waitForSignal } from './up';

/** The simulators `gpo sim` runs. */
export const SIMULATORS = ['switch', 'als', 'payee-dfsp', 'payer-dfsp', 'pil'] as const;
export type SimulatorName = (typeof SIMULATORS)[number];

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

/**
 * Starts one simulator. Options come from the flags, then the config file (YAML/JSON), then the GPO_* variables
 * docker-compose.sim.yml sets (GPO_SWITCH_URL, GPO_ALS_URL, GPO_PAYER_OUTBOUND_URL, GPO_PAYEE_URLS, GPO_PAYER_FSP,
 * GPO_CURRENCY, GPO_HOST), then the defaults.
 */
export async function startSimulator(args: SimArgs, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const flags = defined({ port: args.port, host: args.host ?? env.GPO_HOST, seed: args.seed });
  /** Ports from GPO_<NAME>_PORT or GPO_BASE_PORT, under the config file and the flags. */
  const fromEnv = (server: string, offsetName?: string) => defined({ port: envPort(server, env, offsetName) });
  switch (args.name) {
    case 'switch': {
      const file = args.config ? readConfigFile(args.config, ['port', 'host', 'hubName', 'faultRules', 'seed', 'expirySweepMs', 'alsUrl',
        'participants']) : {};
      return startSwitch({ participants: switchEnvParticipants(env), ...fromEnv('switch'), ...file, ...flags });
    }
    case 'als': {
      const file = args.config ? readAlsConfigFile(args.config) : {};
      return startAls({ ...fromEnv('als'), ...file, ...flags });
    }
    case 'payee-dfsp': {
      const file = args.config ? readPayeeConfigFile(args.config) : {};
      const fspId = args['fsp-id'] ?? (file as { fspId?: string }).fspId ?? 'payeefsp1';
      // A payee alone sits where gpo up puts the first payee (GPO_BASE_PORT + 50), or at GPO_<FSPID>_PORT.
      return startPayeeDfsp({ ...fromEnv(fspId, 'payeefsp1'), ...file, ...flags, ...defined({ fspId: args['fsp-id'] }) });
    }
    case 'payer-dfsp': {
      const file = args.config ? readConfigFile(args.config, [
        'fspId', 'port', 'inboundPort', 'host', 'switchUrl', 'alsUrl', 'inboundPublicUrl', 'currency', 'treasuryBalance', 'netDebitCap',
        'onboard', 'autoAcceptParty', 'autoAcceptQuote', 'callbackTimeoutMs', 'faultRules', 'seed',
      ]) : {};
      return startPayerDfsp({
        ...defined({
          fspId: env.GPO_PAYER_FSP, switchUrl: env.GPO_SWITCH_URL, alsUrl: env.GPO_ALS_URL, inboundPublicUrl: env.GPO_PAYER_INBOUND_URL,
          currency: env.GPO_CURRENCY,
        }),
        ...fromEnv('payer'), ...defined({ inboundPort: envPort('payer-inbound', env) }),
        ...file, ...flags, ...defined({ fspId: args['fsp-id'], inboundPort: args['inbound-port'] }),
      });
    }
    case 'pil': {
      const file = args.config ? readConfigFile(args.config, ['port', 'host', 'payerOutboundUrl', 'directory', 'mode', 'syncWindowMs',
        'concurrency', 'faultRules', 'seed']) : {};
      return startPil({ ...defined({ payerOutboundUrl: env.GPO_PAYER_OUTBOUND_URL }), ...fromEnv('pil'), ...file, ...flags });
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
    .epilogue('Peers come from GPO_SWITCH_URL, GPO_ALS_URL, GPO_PAYER_OUTBOUND_URL, GPO_PAYER_INBOUND_URL, GPO_PAYEE_URLS (fsp=url,...), ' +
      'GPO_PAYER_FSP, GPO_CURRENCY.') as unknown as Argv<SimArgs>,
  handler: async (args) => {
    const server = await startSimulator(args);
    const inbound = (server as { inboundUrl?: string }).inboundUrl;
    process.stdout.write(`${server.name} listening on ${server.url}${inbound ? `, FSPIOP inbound on ${inbound}` : ''} (Ctrl-C stops it)\n`);
    const sig = await waitForSignal();
    process.stdout.write(`${sig}: stopping\n`);
    await server.stop();
  },
};
