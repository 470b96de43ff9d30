import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_PORTS } from '../../shared/server';
import { UserError } from '../../shared/errors';
import { worldEnv, type WorldEnv } from '../../simulators/config';
import { defaultWorldConfig, startWorld, World, WorldConfig } from '../../simulators/world';
import { readUpConfigFile, resolveUpLayout, UpConfigFile, UpLayout } from '../up-config';

export interface UpOptions {
  /** 'default' = the default port map; 'random' = free ports (tests); or every server's port and bind address. */
  ports?: 'default' | 'random' | UpLayout;
  host?: string;
  seed?: number;
  /** Start the orchestrator when orchestrator/index.ts exists (default true). */
  orchestrator?: boolean;
  dataDir?: string;
  /** Northbound authentication (default: the orchestrator's own default, off; the `up` command turns it on). */
  auth?: 'on' | 'off';
  /** Accept the PIL-compatible API without credentials from these addresses (OpenG2P's interop-layer module sends none). */
  unauthenticatedPil?: string[];
  /** The payer DFSP's and the PIL's settings from GPO_* variables (worldEnv). */
  world?: WorldEnv;
}

/** What GPO_* variables say about the world `gpo up` starts, or a refusal naming every variable that is not usable. */
export function upWorldEnv(env: NodeJS.ProcessEnv): WorldEnv {
  const r = worldEnv(env);
  if (r.ok) return r.value;
  throw new UserError(`gpo up: ${r.problems.length === 1 ? 'a GPO_* variable is' : `${r.problems.length} GPO_* variables are`} not ` +
    `usable\n${r.problems.join('\n')}`, 'correct or unset them; docs/simulators.md ("Environment") lists each with its default');
}

interface RunningOrchestrator {
  url: string;
  developmentKey?: string;
  /** The SDK backend endpoint GPO serves (bulk transaction prompts and reports). */
  sdkBackendUrl: string;
  stop(): Promise<void>;
}

export interface Up {
  world: World;
  orchestrator?: RunningOrchestrator;
  /** Why the orchestrator did not start, when it did not. */
  note?: string;
  /** The port map, one server a line. */
  table: string;
  stop(): Promise<void>;
}

/** The orchestrator module, loaded when `gpo up` starts it (require: tsx/cjs under bin/gpo hooks require only). */
async function loadOrchestrator(): Promise<{ startOrchestrator?: (o: Record<string, unknown>) => Promise<RunningOrchestrator> } | string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, '..', '..', 'orchestrator', 'index')) as { startOrchestrator?: (o: Record<string,
    unknown>) => Promise<RunningOrchestrator> };
}

/** Orchestrator auth options for the CLI flags --auth and --unauthenticated-pil. */
export function authOptions(mode: 'on' | 'off', unauthenticatedPil?: string[]): Record<string, unknown> {
  return {
    mode,
    ...(unauthenticatedPil ? { unauthenticated: { pil: { client: 'openg2p-interop-layer', allowFrom:
      unauthenticatedPil.filter(Boolean) } } } : {}),
  };
}

/** What a person starting the orchestrator must know about its authentication: the key to use, or that it is off. */
export function authNotice(url: string, mode: 'on' | 'off', developmentKey?: string): string {
  if (mode === 'off') {
    return [
      '!!! AUTHENTICATION IS OFF (--auth off): anyone who can reach this port can submit, read, cancel and resume any batch.',
      '!!! Use it for local experiments only.',
    ].join('\n');
  }
  if (!developmentKey) return 'authentication: on, with the configured API keys and JWT key sources';
  return [
    `development API key (generated for this run, all scopes, every program): ${developmentKey}`,
    `  use it as: curl -H "Authorization: Bearer ${developmentKey}" ${url}/v1/batches?idempotencyKey=...`,
    '  configure real clients with auth.apiKeys (gpo api-key prints a key and its hash) or auth.jwt; see docs/security.md',
  ].join('\n');
}

/** The port map: one server a line, the address it listens on and the URL to call it by. */
export function portTable(rows: Array<[string, string, string]>): string {
  const w = Math.max(...rows.map(([n]) => n.length), 'server'.length);
  const a = Math.max(...rows.map(([, l]) => l.length), 'listens on'.length);
  return [`${'server'.padEnd(w)}  ${'listens on'.padEnd(a)}  url`, `${'-'.repeat(w)}  ${'-'.repeat(a)}  ${'-'.repeat(24)}`,
    ...rows.map(([n, l, u]) => `${n.padEnd(w)}  ${l.padEnd(a)}  ${u}`)].join('\n');
}

/** The world's port and bind-address settings for a layout. */
function worldPlacement(cfg: WorldConfig, layout: UpLayout): Pick<WorldConfig, 'ports' | 'hosts' | 'payeeFsps'> {
  return {
    ports: {
      pil: layout.pil.port, payerOutbound: layout.payer.port, payerInbound: layout['payer-inbound'].port, switch: layout.switch.port, als:
        layout.als.port,
      mapper: layout.mapper.port, sponsorBank: layout['sponsor-bank'].port,
    },
    hosts: Object.fromEntries(Object.entries(layout).map(([n, a]) => [n, a.host])),
    payeeFsps: cfg.payeeFsps.map((f) => ({ ...f, port: layout[f.fspId]?.port ?? 0 })),
  };
}

/** The world's admin surfaces, for the orchestrator's console (configuration: the orchestrator never imports simulators). */
export function worldLinks(world: World): Array<{ name: string; role: string; url: string }> {
  return [
    { name: world.switch.name, role: 'switch', url: world.urls.switch },
    { name: 'als', role: 'als', url: world.urls.als },
    { name: world.config.payerFspId, role: 'payer', url: world.urls.payerOutbound },
    ...Object.entries(world.payees).map(([id, p]) => ({ name: id, role: 'payee', url: p.url })),
    ...(world.pil ? [{ name: 'pil', role: 'pil', url: world.pil.url }] : []),
  ];
}

/** Starts the default world and, when it exists, the orchestrator pointed at it. */
export async function startUp(opts: UpOptions = {}): Promise<Up> {
  const base = defaultWorldConfig();
  const layout = typeof opts.ports === 'object' ? opts.ports : undefined;
  const cfg: WorldConfig = { ...base, ...(opts.world ?? {}), ports: layout ? base.ports : opts.ports ?? 'default', host: opts.host, seed:
    opts.seed ?? 1,
    ...(layout ? worldPlacement(base, layout) : {}) };
  const orchestratorPort = layout ? layout.orchestrator.port : opts.ports === 'random' ? 0 : DEFAULT_PORTS.orchestrator;
  const orchestratorHost = layout ? layout.orchestrator.host : cfg.host;
  const world = await startWorld(cfg);
  let orchestrator: RunningOrchestrator | undefined;
  let note: string | undefined;
  try {
    if (opts.orchestrator !== false) {
      const mod = await loadOrchestrator();
      if (typeof mod === 'string') note = mod;
      else if (typeof mod.startOrchestrator !== 'function') note = 'orchestrator/index.ts does not export startOrchestrator yet; the ' +
        'simulated network runs without it';
      else {
        orchestrator = await mod.startOrchestrator({
          port: orchestratorPort, host: orchestratorHost, payerFspId: cfg.payerFspId, currency: cfg.currency,
          sdkUrl: world.urls.payerOutbound, payerOutboundUrl: world.urls.payerOutbound, pilUrl: world.urls.pil, seed: cfg.seed,
          world: worldLinks(world),
          ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
          ...(opts.auth ? { auth: authOptions(opts.auth, opts.unauthenticatedPil) } : {}),
        });
        // The payer DFSP's SDK prompts its back office, GPO, in bulk transactions (unless GPO_PAYER_BACKEND_URL says otherwise).
        if (!cfg.payerOptions?.backendUrl) world.payer.setBackendUrl(orchestrator.sdkBackendUrl);
      }
    }
  } catch (err) {
    await world.stop();
    throw err;
  }
  const rows: Array<[string, string, string]> = [];
  const row = (name: string, server: string, url: string) => {
    const port = new URL(url).port;
    rows.push([name, `${layout?.[server]?.host ?? cfg.hosts?.[server] ?? cfg.host ?? '127.0.0.1'}:${port}`, url]);
  };
  if (orchestrator) {
    row('orchestrator', 'orchestrator', orchestrator.url);
    row('operator console', 'orchestrator', `${orchestrator.url}/ui/`);
  }
  if (world.pil) row('pil', 'pil', world.pil.url);
  row(`payer DFSP ${cfg.payerFspId} (outbound)`, 'payer', world.urls.payerOutbound);
  row(`payer DFSP ${cfg.payerFspId} (inbound)`, 'payer', world.urls.payerInbound);
  row('switch', 'switch', world.urls.switch);
  row('als', 'als', world.urls.als);
  for (const [id, p] of Object.entries(world.payees)) row(`payee DFSP ${id}`, id, p.url);
  if (world.mapper) row('mapper (G2P Connect)', 'mapper', world.mapper.url);
  if (world.sponsorBank) row('sponsor bank', 'sponsor-bank', world.sponsorBank.url);
  return {
    world, orchestrator, note, table: portTable(rows),
    stop: async () => {
      if (orchestrator) await orchestrator.stop().catch(() => undefined);
      await world.stop();
    },
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

interface UpArgs {
  seed?: number;
  orchestrator?: boolean;
  'data-dir'?: string;
  auth: 'on' | 'off';
  'unauthenticated-pil'?: string;
  'base-port'?: number;
  port: string[];
  host: string[];
  config?: string;
}

export const upCommand: CommandModule<object, UpArgs> = {
  command: 'up',
  describe: 'Start the simulated Mojaloop network and the orchestrator in one process (default ports 4000-4051), until Ctrl-C',
  builder: (y: Argv<object>) => y
    .option('base-port',
      { type: 'number', describe:
        'Move the whole port map: the orchestrator here, every other server at its usual offset (switch +30, payees +50...); 0 = free ' +
          'ports ($GPO_BASE_PORT, default 4000)' })
    .option('port', { type: 'string', array: true, default: [] as string[], describe:
      'One server\'s port, NAME=PORT (repeatable); names: orchestrator, pil, payer, payer-inbound, switch, als, payeefsp1, payeefsp2 ' +
        '($GPO_<NAME>_PORT; the orchestrator\'s also $GPO_PORT)' })
    .option('host', { type: 'string', array: true, default: [] as string[], describe:
      'Bind address of every server, or of one: NAME=ADDRESS (repeatable; $GPO_HOST, $GPO_<NAME>_HOST; default 127.0.0.1)' })
    .option('config',
      { type: 'string', describe:
        'YAML or JSON file: basePort, host, ports {name: port}, hosts {name: address}, seed, dataDir, orchestrator; flags win over it, ' +
          'it wins over GPO_* variables' })
    .option('seed', { type: 'number', describe: 'Seed for the simulators (default 1)' })
    .option('orchestrator', { type: 'boolean', describe: 'Start the orchestrator too (--no-orchestrator: the network only)' })
    .option('data-dir', { type: 'string', describe: 'Orchestrator data directory (default $GPO_DATA_DIR or .gpo)' })
    .option('auth', { choices: ['on', 'off'] as const, default: 'on' as const, describe:
      'Northbound authentication; on generates and prints a development API key' })
    .option('unauthenticated-pil',
      { type: 'string', describe:
        'Accept the PIL-compatible API without credentials from these addresses (comma-separated IPs/CIDRs): OpenG2P\'s interop-layer ' +
          'module sends none' })
    .example('$0 up --auth off', 'No authentication at all (said loudly at start)')
    .example('$0 up',
      'Orchestrator :4000, PIL :4010, payer DFSP :4020/:4021, switch :4030, ALS :4040, payee DFSPs :4050/:4051, mapper :4060, sponsor ' +
        'bank :4070')
    .example('$0 up --base-port 5300', 'The same map moved to 5300-5351')
    .example('$0 up --port orchestrator=8080 --host 0.0.0.0', 'The orchestrator on 8080, every server on every interface')
    .example('$0 up --no-orchestrator', 'The simulated network only') as unknown as Argv<UpArgs>,
  handler: async (args) => {
    const file: UpConfigFile = args.config ? readUpConfigFile(args.config) : {};
    const payeeIds = defaultWorldConfig().payeeFsps.map((f) => f.fspId);
    const layout = resolveUpLayout({ 'base-port': args['base-port'], port: args.port, host: args.host, config: args.config }, process.env,
      payeeIds, args.config ? file : undefined);
    const up = await startUp({ ports: layout, seed: args.seed ?? file.seed, orchestrator: args.orchestrator ?? file.orchestrator, dataDir:
      args['data-dir'] ?? file.dataDir, auth: args.auth, world: upWorldEnv(process.env),
      ...(args['unauthenticated-pil'] !== undefined ? { unauthenticatedPil: args['unauthenticated-pil'].split(',').map((x) => x.trim()) }
        : {}),
    });
    process.stdout.write(`${up.table}\n`);
    if (up.orchestrator) process.stdout.write(`${authNotice(up.orchestrator.url, args.auth, up.orchestrator.developmentKey)}\n`);
    if (up.note) process.stdout.write(`note: ${up.note}\n`);
    process.stdout.write('default world: payer govbank, payees payeefsp1 and payeefsp2 (parties MSISDN 2547{1,2}0000001..5), USD. Ctrl-C ' +
      'stops everything.\n');
    const sig = await waitForSignal();
    process.stdout.write(`${sig}: stopping\n`);
    await up.stop();
  },
};
