import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { parse as parseYaml } from 'yaml';
import { CONFIG_FILE_KEYS, configProblems, parseFeeLimits, resolveConfig, type OrchestratorOptions } from '../../orchestrator/config';
import { startOrchestrator } from '../../orchestrator/index';
import type { MojaloopSdkMode, RailName } from '../../orchestrator/domain/types';
import { authNotice, authOptions, waitForSignal } from './up';

interface OrchestratorArgs {
  port?: number;
  host?: string;
  'data-dir'?: string;
  rail?: string;
  'rail-mode'?: string;
  'sdk-url'?: string;
  'pil-url'?: string;
  'chunk-size'?: number;
  'rail-concurrency'?: number;
  'per-fsp-concurrency'?: number;
  'fee-limits'?: string;
  'on-insufficient-liquidity'?: string;
  'duplicate-payees'?: string;
  auth?: 'on' | 'off';
  'unauthenticated-pil'?: string;
  'g2p-signatures'?: string;
  'rate-limit'?: number;
  config?: string;
}

/** A YAML or JSON file of orchestrator options; unknown keys are refused. */
export function readOrchestratorConfigFile(file: string): OrchestratorOptions {
  const text = readFileSync(file, 'utf8');
  const data = (file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown> | null;
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error(`${file}: expected a mapping of options`);
  const unknown = Object.keys(data).filter((k) => !(CONFIG_FILE_KEYS as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`${file}: unknown option(s) ${unknown.join(', ')}; allowed: ${CONFIG_FILE_KEYS.join(', ')}`);
  return data as OrchestratorOptions;
}

/** Flags over the config file over GPO_* variables over defaults. */
export function orchestratorOptions(args: OrchestratorArgs, env: NodeJS.ProcessEnv = process.env): OrchestratorOptions {
  const file = args.config ? readOrchestratorConfigFile(args.config) : {};
  const flags: OrchestratorOptions = {
    port: args.port, host: args.host, dataDir: args['data-dir'], rail: args.rail as RailName | undefined,
    railMode: args['rail-mode'] as MojaloopSdkMode | undefined, sdkUrl: args['sdk-url'], pilUrl: args['pil-url'],
    chunkSize: args['chunk-size'], railConcurrency: args['rail-concurrency'], perFspConcurrency: args['per-fsp-concurrency'],
    feeLimits: args['fee-limits'] ? parseFeeLimits(args['fee-limits']) : undefined,
    onInsufficientLiquidity: args['on-insufficient-liquidity'] as 'fail' | 'pause' | undefined,
    duplicatePayees: args['duplicate-payees'] as 'reject' | 'allow' | undefined,
  };
  const opts = { ...file, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) } as OrchestratorOptions;
  // Authentication is on for a deployed orchestrator unless the file, the flag or GPO_AUTH says otherwise.
  const fileAuth = typeof file.auth === 'object' ? file.auth : file.auth ? { mode: file.auth } : {};
  const mode = args.auth ?? (typeof file.auth === 'string' ? file.auth : file.auth?.mode) ?? (env.GPO_AUTH === 'off' ? 'off' : 'on');
  opts.auth = { ...fileAuth, ...authOptions(mode, args['unauthenticated-pil']?.split(',').map((x) => x.trim())) };
  if (args['g2p-signatures']) opts.g2pSignatures = { ...(file.g2pSignatures ?? {}), mode: args['g2p-signatures'] as 'required' | 'optional'
    | 'off' };
  if (args['rate-limit'] !== undefined) opts.limits = { ...(file.limits ?? {}), requestsPerSecond: args['rate-limit'] };
  const problems = configProblems(resolveConfig(opts, env));
  if (problems.length) throw new Error(`invalid orchestrator configuration: ${problems.join('; ')}`);
  return opts;
}

export const orchestratorCommand: CommandModule<object, OrchestratorArgs> = {
  command: 'orchestrator',
  describe: 'Run the orchestrator alone against configured rails (payer DFSP SDK outbound API or a PIL)',
  builder: (y: Argv<object>) => y
    .option('port', { type: 'number', describe: 'Listen port (default $GPO_PORT or 4000)' })
    .option('host', { type: 'string', describe: 'Bind address (default $GPO_HOST or 127.0.0.1)' })
    .option('data-dir', { type: 'string', describe: 'Store directory (default $GPO_DATA_DIR or .gpo)' })
    .option('rail', { type: 'string', choices: ['mojaloop-sdk', 'pil'], describe: 'Default rail (default $GPO_RAIL or mojaloop-sdk)' })
    .option('rail-mode', { type: 'string', choices: ['bulkTransactions', 'bulkQuotesTransfers', 'transfers'], describe:
      'mojaloop-sdk mode (default $GPO_RAIL_MODE or bulkTransactions)' })
    .option('sdk-url',
      { type: 'string', describe: 'Payer DFSP SDK outbound API (default $GPO_PAYER_OUTBOUND_URL or http://127.0.0.1:4020)' })
    .option('pil-url', { type: 'string', describe: 'PIL base URL for the pil rail (default $GPO_PIL_URL or http://127.0.0.1:4010)' })
    .option('chunk-size', { type: 'number', describe: 'Payments per chunk, at most 1000 ($GPO_CHUNK_SIZE)' })
    .option('rail-concurrency', { type: 'number', describe: 'Rail calls in flight ($GPO_RAIL_CONCURRENCY, default 8)' })
    .option('per-fsp-concurrency', { type: 'number', describe: 'Rail calls in flight per payee FSP ($GPO_PER_FSP_CONCURRENCY, default 4)' })
    .option('fee-limits', { type: 'string', describe: 'Largest fee per transfer, e.g. USD=1,KES=50 ($GPO_FEE_LIMITS)' })
    .option('on-insufficient-liquidity', { type: 'string', choices: ['fail', 'pause'], describe:
      'On 4001: fail the payments or pause the batch ($GPO_ON_INSUFFICIENT_LIQUIDITY)' })
    .option('duplicate-payees', { type: 'string', choices: ['reject', 'allow'], describe:
      'A payee twice in one batch ($GPO_DUPLICATE_PAYEES)' })
    .option('auth',
      { choices: ['on', 'off'] as const, describe:
        'Northbound authentication (default on, or $GPO_AUTH); on without configured keys generates and prints a development key' })
    .option('unauthenticated-pil',
      { type: 'string', describe:
        'Accept the PIL-compatible API without credentials from these addresses (comma-separated IPs/CIDRs): OpenG2P\'s interop-layer ' +
          'module sends none' })
    .option('g2p-signatures', { choices: ['required', 'optional', 'off'], describe:
      'G2P Connect request signatures (default optional, or $GPO_G2P_SIGNATURES)' })
    .option('rate-limit',
      { type: 'number', describe:
        'Requests per second per client (0 = unlimited; default 100 with authentication on, or $GPO_RATE_LIMIT)' })
    .option('config', { type: 'string', describe: 'YAML or JSON file of options (unknown keys refused); flags win over it' })
    .example('$0 orchestrator --sdk-url http://127.0.0.1:4020 --rail-mode bulkQuotesTransfers --data-dir /var/lib/gpo',
      'Pay through an older SDK scheme adapter without bulkTransactions')
    .example('$0 orchestrator --rail pil --pil-url http://127.0.0.1:4010', 'Forward batches to a PIL')
    .example('GPO_PORT=4100 $0 orchestrator --config gpo.yaml', 'Options from a file and the environment')
    .example('$0 orchestrator --unauthenticated-pil 10.0.0.7',
      'OpenG2P\'s interop-layer module (no credentials) at 10.0.0.7; every other caller needs a key') as unknown as Argv<OrchestratorArgs>,
  handler: async (args) => {
    const orch = await startOrchestrator(orchestratorOptions(args));
    process.stdout.write(`${authNotice(orch.url, orch.config.security.auth.mode, orch.developmentKey)}\n`);
    process.stdout.write(`orchestrator ${orch.url}  rail ${orch.config.rail}${orch.config.rail === 'mojaloop-sdk'
      ? ` (${orch.config.railMode}) via ${orch.config.sdkUrl}`
        : ` via ${orch.config.pilUrl}`}  data ${orch.config.dataDir} (Ctrl-C stops it)\n`);
    const sig = await waitForSignal();
    process.stdout.write(`${sig}: stopping\n`);
    await orch.stop();
  },
};
