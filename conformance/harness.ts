/**
 * The conformance harness: GPO's simulated world (switch, ALS, a payee DFSP simulator) in this process, the Mojaloop
 * Testing Toolkit in a child process playing the outside DFSPs, and the vendored collections of
 * mojaloop/testing-toolkit-test-cases run one by one with the Toolkit's own runner.
 *
 * Who plays whom: the Toolkit answers for every FSP that sends in the collections (testingtoolkitdfsp, ttkpayeefsp,
 * payerfsp, testfsp1..4, noresponsepayeefsp), with the callback rules the Mojaloop hub tests ship
 * (rules/hub/rules_callback). GPO's payee DFSP simulator plays `payeefsp`, the payee the DFSP collections and many hub
 * collections pay. The hub's admin API (central-ledger's) and the ALS are GPO's switch and ALS.
 *
 * Onboarding: the provisioning collections run first and onboard as they would on a Mojaloop hub; afterwards the
 * harness fills in, through the same admin API, whatever they could not (so later collections test routing, not the
 * provisioning gaps, which stay visible in the provisioning collections' own results).
 */
import { ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { onboardParticipant } from '../simulators/switch/onboard';
import type { PartyConfig } from '../simulators/payee-dfsp/domain/directory';
import { startWorld, World } from '../simulators/world';
import type { ChildPlan } from './ttk-child';
import { reportFileName } from './names';
import { CollectionEntry, collectionsDir, readManifest } from './manifest';
import { CollectionResult, summarise, TtkReport } from './results';

export const CONFORMANCE_DIR = __dirname;
export const TTK_DIR = path.join(CONFORMANCE_DIR, 'ttk', 'node_modules', 'ml-testing-toolkit');

/** The longest a collection may run without the Toolkit reporting (the slowest takes about 3 minutes on a busy machine). */
const STALL_MS = 15 * 60_000;

/** FSPs the Toolkit plays: every one whose callbacks a collection asserts on. */
export const TTK_FSPS = ['testingtoolkitdfsp', 'ttkpayeefsp', 'payerfsp', 'testfsp1', 'testfsp2', 'testfsp3', 'testfsp4',
  'noresponsepayeefsp'];
/** The hub's participant name: the environment's HUB_NAME (Mojaloop's default, central-ledger's HUB_PARTICIPANT). */
export const HUB_NAME = 'Hub';
/** The FSP GPO's payee DFSP simulator plays. */
export const GPO_PAYEE_FSP = 'payeefsp';

export interface HarnessOptions {
  /** Only collections whose id contains one of these strings (default: all of the manifest). */
  only?: string[];
  /** Only these collections, by exact id (wins over `only`). */
  ids?: string[];
  /** Where the Toolkit's per-collection reports and its log go (default: a temporary directory). */
  workDir?: string;
  /** Toolkit inbound port (default: a free port; one shard only). */
  ttkPort?: number;
  /** Independent worlds to spread the collections over (default 1); see planShards. */
  shards?: number;
  /** Remove the work dir afterwards when the harness created it (no `workDir` given); the test does, the CLI keeps it. */
  cleanUp?: boolean;
  /** Per-collection progress. */
  onCollection?: (r: CollectionResult) => void;
  logger?: Logger;
}

export interface HarnessRun {
  results: CollectionResult[];
  /** Collections in the manifest that were not run (filtered out). */
  skipped: string[];
  /** The Toolkit's log, one per shard. */
  ttkLogs: string[];
  durationMs: number;
}

export function ttkInstalled(): boolean {
  return fs.existsSync(path.join(TTK_DIR, 'package.json'));
}

export function ttkVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(TTK_DIR, 'package.json'), 'utf8')) as { version: string }).version;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The parties the collections' environment (environments/hub.json) expects at `payeefsp`. */
function payeefspParties(env: Record<string, unknown>): PartyConfig[] {
  const s = (k: string) => String(env[k] ?? '');
  const parties: PartyConfig[] = [
    { idType: 'MSISDN', idValue: s('toIdValue') },
    { idType: 'MSISDN', idValue: s('toIdValueDelete') },
    { idType: 'MSISDN', idValue: s('SIMPAYEE_MSISDN') },
    { idType: 'MSISDN', idValue: s('payeefspMSISDN') },
    { idType: 'MSISDN', idValue: s('batchToIdValue1') },
    { idType: 'MSISDN', idValue: s('batchToIdValue2') },
    { idType: 'MSISDN', idValue: s('toIdValue'), subIdOrType: s('toSubIdValue') },
    {
      idType: 'MSISDN', idValue: s('toAccentIdValue'), firstName: s('toAccentIdFirstName'), middleName: s('toAccentIdMiddleName'),
      lastName: s('toAccentIdLastName'), dateOfBirth: s('toAccentIdDOB'),
    },
    {
      idType: 'MSISDN', idValue: s('toBurmeseIdValue'), firstName: s('toBurmeseIdFirstName'), middleName: s('toBurmeseIdMiddleName'),
      lastName: s('toBurmeseIdLastName'), dateOfBirth: s('toBurmeseIdDOB'),
    },
  ];
  return parties.filter((p) => p.idValue);
}

/** Parties of the FSPs the Toolkit plays, as the provisioning collections register them in the ALS. */
function ttkParties(env: Record<string, unknown>): Array<{ idType: string; idValue: string; fspId: string; subId?: string }> {
  const s = (k: string) => String(env[k] ?? '');
  return [
    { idType: 'MSISDN', idValue: s('fromIdValue'), fspId: 'testingtoolkitdfsp' },
    { idType: 'MSISDN', idValue: s('SIMPAYER_MSISDN'), fspId: 'payerfsp' },
    { idType: 'MSISDN', idValue: s('payerfspMSISDN'), fspId: 'payerfsp' },
    { idType: 'MSISDN', idValue: s('SIM1_MSISDN'), fspId: 'testfsp1' },
    { idType: 'MSISDN', idValue: s('SIM2_MSISDN'), fspId: 'testfsp2' },
    { idType: 'MSISDN', idValue: s('SIM3_MSISDN'), fspId: 'testfsp3' },
    { idType: 'MSISDN', idValue: s('SIM4_MSISDN'), fspId: 'testfsp4' },
    { idType: 'MSISDN', idValue: s('ttkpayeefspIdentifier1'), fspId: 'ttkpayeefsp' },
    { idType: 'MSISDN', idValue: s('ttkpayeefspIdentifier2'), fspId: 'ttkpayeefsp' },
  ].filter((p) => p.idValue);
}

/**
 * The collections' environment: the vendored environments/hub.json, plus the inputs it lacks as Mojaloop's deployments
 * give them to the Toolkit (conformance/environment.json: the *Old and *NotSupported header values), with the addresses of
 * this run (GPO's switch and ALS for every hub service, the Toolkit's inbound server for the FSPs it plays, GPO's
 * payee for payeefsp). No test data changes.
 */
export function conformanceEnvironment(urls: { switch: string; als: string; ttk: string; payee: string }): Record<string, unknown> {
  const hub = JSON.parse(fs.readFileSync(path.join(collectionsDir(), 'environments', 'hub.json'), 'utf8')) as { inputValues: Record<string,
    unknown> };
  const overlay = JSON.parse(fs.readFileSync(path.join(CONFORMANCE_DIR, 'environment.json'), 'utf8')) as { inputValues: Record<string,
    unknown> };
  const env: Record<string, unknown> = { ...overlay.inputValues, ...hub.inputValues };
  const hubServices = ['HOST_CENTRAL_LEDGER', 'HOST_ML_API_ADAPTER', 'HOST_QUOTING_SERVICE', 'HOST_QUOTING_SERVICE_HANDLER',
    'HOST_BULK_ADAPTER'];
  for (const k of hubServices) env[k] = urls.switch;
  for (const k of ['HOST_ACCOUNT_LOOKUP_SERVICE', 'HOST_ACCOUNT_LOOKUP_ADMIN', 'HOST_ACCOUNT_LOOKUP_SERVICE_ADMIN']) env[k] = urls.als;
  env.CALLBACK_ENDPOINT_BASE_URL = urls.ttk;
  for (const k of ['PAYERFSP_CALLBACK_URL', 'TESTFSP1_CALLBACK_URL', 'TESTFSP2_CALLBACK_URL', 'TESTFSP3_CALLBACK_URL',
    'TESTFSP4_CALLBACK_URL']) env[k] = urls.ttk;
  env.PAYEEFSP_CALLBACK_URL = urls.payee;
  return env;
}

/** The Toolkit's working directory: its own spec_files, GPO's user config, the hub tests' rules. */
function prepareTtkWorkDir(dir: string, switchUrl: string, ttkPort: number): void {
  fs.cpSync(path.join(TTK_DIR, 'spec_files'), path.join(dir, 'spec_files'), { recursive: true });
  const sysFile = path.join(dir, 'spec_files', 'system_config.json');
  const sys = JSON.parse(fs.readFileSync(sysFile, 'utf8')) as Record<string, unknown>;
  sys.API_PORT = ttkPort;
  sys.SERVER_LOGS = { ENABLED: false };
  fs.writeFileSync(sysFile, JSON.stringify(sys, null, 2));
  const userFile = path.join(dir, 'spec_files', 'user_config.json');
  const user = JSON.parse(fs.readFileSync(userFile, 'utf8')) as Record<string, unknown>;
  Object.assign(user, {
    CALLBACK_ENDPOINT: switchUrl,
    FSPID: 'testingtoolkitdfsp',
    HUB_ONLY_MODE: false,
    CLIENT_TLS_CREDS: [],
  });
  fs.writeFileSync(userFile, JSON.stringify(user, null, 2));
  const rulesSrc = path.join(collectionsDir(), 'rules', 'hub');
  for (const kind of ['rules_callback', 'rules_response', 'rules_validation']) {
    fs.copyFileSync(path.join(rulesSrc, kind, 'default.json'), path.join(dir, 'spec_files', kind, 'default.json'));
  }
}

/** Fills in what the provisioning collections could not onboard: participants, endpoints, limits, parties. */
async function completeOnboarding(world: World, ttkUrl: string, env: Record<string, unknown>): Promise<void> {
  const currency = String(env.currency ?? 'USD');
  for (const fsp of TTK_FSPS) {
    if (!world.switch.participants.get(fsp)) await onboardParticipant(world.switch.url, fsp, ttkUrl,
      { currency, netDebitCap: '1000000000' });
  }
  if (!world.switch.participants.get(GPO_PAYEE_FSP)) {
    await onboardParticipant(world.switch.url, GPO_PAYEE_FSP, world.payees[GPO_PAYEE_FSP]!.url, { currency, netDebitCap: '1000000000' });
  }
  for (const p of ttkParties(env)) {
    if (!world.als.oracle.has(p.idType, p.idValue, p.subId)) world.als.oracle.set(p.idType, p.idValue, p.fspId, p.subId);
  }
}

interface ChildMessage { type: string; url?: string; id?: string; out?: string; ms?: number; message?: string }

/**
 * Splits the run over `shards` independent worlds (each its own switch, ALS, payee and Toolkit process), so the
 * Toolkit's callback waits overlap: round-robin in manifest order, deterministic for a given number of shards.
 * Each shard runs its provisioning collections first, then the onboarding fill-in, then the rest.
 */
export function planShards(selected: CollectionEntry[], shards: number): CollectionEntry[][] {
  const n = Math.max(1, Math.floor(shards));
  const plan: CollectionEntry[][] = Array.from({ length: n }, () => []);
  selected.forEach((c, i) => plan[i % n]!.push(c));
  return plan.filter((p) => p.length);
}

/** One shard: its own world and Toolkit process; provisioning collections first, then the onboarding fill-in. */
async function runShard(batch: CollectionEntry[], shardDir: string, opts: HarnessOptions): Promise<{ results: CollectionResult[];
  ttkLog: string }> {
  fs.mkdirSync(shardDir, { recursive: true });
  const ttkPort = opts.ttkPort ?? (await freePort());
  const ttkUrl = `http://127.0.0.1:${ttkPort}`;
  const baseEnv = conformanceEnvironment({ switch: '', als: '', ttk: '', payee: '' });
  const world = await startWorld({
    ports: 'random', seed: 15, pil: false, logger: opts.logger, hubName: String(baseEnv.HUB_NAME ?? HUB_NAME),
    payeeFsps: [{ fspId: GPO_PAYEE_FSP, parties: payeefspParties(baseEnv) }],
  });
  let child: ChildProcess | undefined;
  const ttkLog = path.join(shardDir, 'ttk.log');
  const logFd = fs.openSync(ttkLog, 'a');
  try {
    const env = conformanceEnvironment({ switch: world.switch.url, als: world.als.url, ttk: ttkUrl, payee:
      world.payees[GPO_PAYEE_FSP]!.url });
    prepareTtkWorkDir(shardDir, world.switch.url, ttkPort);
    const results: CollectionResult[] = [];
    let planNo = 0;
    const runBatch = async (part: CollectionEntry[]): Promise<void> => {
      if (!part.length) return;
      const planFile = path.join(shardDir, `plan-${planNo++}.json`);
      const plan: ChildPlan = {
        ttkDir: TTK_DIR, workDir: shardDir, inputValues: env, outDir: shardDir,
        collections: part.map((c) => ({ id: c.id, file: path.join(collectionsDir(), c.path) })),
      };
      fs.writeFileSync(planFile, JSON.stringify(plan));
      await new Promise<void>((resolve, reject) => {
        child = fork(path.join(CONFORMANCE_DIR, 'ttk-child.ts'), [planFile], {
          cwd: shardDir,
          execArgv: ['--require', require.resolve('tsx/cjs')],
          stdio: ['ignore', logFd, logFd, 'ipc'],
          env: { ...process.env, LOG_LEVEL: process.env.GPO_TTK_LOG_LEVEL ?? 'warn' },
        });
        // A collection that stalls (no report for STALL_MS) ends the shard with an error rather than hanging the run.
        let stall: NodeJS.Timeout | undefined;
        const armStall = () => {
          if (stall) clearTimeout(stall);
          stall = setTimeout(() => {
            child?.kill();
            reject(new Error(`the Toolkit reported nothing for ${STALL_MS / 1000} s; see ${ttkLog}`));
          }, STALL_MS);
          stall.unref();
        };
        armStall();
        child.on('message', (m: ChildMessage) => {
          armStall();
          if (m.type === 'collection' && m.id && m.out) {
            const entry = part.find((c) => c.id === m.id)!;
            const report = JSON.parse(fs.readFileSync(m.out, 'utf8')) as TtkReport;
            const r = summarise(entry, report, m.ms ?? 0);
            results.push(r);
            opts.onCollection?.(r);
          } else if (m.type === 'error') {
            reject(new Error(`the Toolkit failed: ${m.message}`));
          }
        });
        child.on('exit', (code) => {
          if (stall) clearTimeout(stall);
          if (code === 0) resolve();
          else reject(new Error(`the Toolkit exited with ${code}; see ${ttkLog}`));
        });
        child.on('error', reject);
      });
      child = undefined;
    };
    await runBatch(batch.filter((c) => c.group === 'provisioning'));
    await completeOnboarding(world, ttkUrl, env);
    await runBatch(batch.filter((c) => c.group !== 'provisioning'));
    return { results, ttkLog };
  } finally {
    if (child && (child as ChildProcess).exitCode === null) (child as ChildProcess).kill();
    fs.closeSync(logFd);
    await world.stop();
  }
}

/**
 * Re-reads the Toolkit's reports of an earlier run (its work dir, with or without shard-N subdirectories) instead of
 * running again: for regenerating the report after the classification rules change.
 */
export function loadRun(workDir: string): HarnessRun {
  const dirs = fs.existsSync(path.join(workDir, 'shard-0'))
    ? fs.readdirSync(workDir).filter((d) => /^shard-\d+$/.test(d)).map((d) => path.join(workDir, d))
    : [workDir];
  const results: CollectionResult[] = [];
  const skipped: string[] = [];
  for (const c of readManifest()) {
    const file = dirs.map((d) => path.join(d, reportFileName(c.id))).find((f) => fs.existsSync(f));
    if (!file) {
      skipped.push(c.id);
      continue;
    }
    results.push(summarise(c, JSON.parse(fs.readFileSync(file, 'utf8')) as TtkReport, 0));
  }
  return { results, skipped, ttkLogs: dirs.map((d) => path.join(d, 'ttk.log')), durationMs: 0 };
}

/** Runs the manifest's collections (or those `only` selects) and returns every collection's assertion results. */
export async function runConformance(opts: HarnessOptions = {}): Promise<HarnessRun> {
  if (!ttkInstalled()) throw new Error(`the Testing Toolkit is not installed: run "npm ci --prefix ${path.relative(process.cwd(),
    path.dirname(path.dirname(TTK_DIR)))}"`);
  const started = Date.now();
  const manifest = readManifest();
  const only = opts.only?.filter(Boolean) ?? [];
  const selected: CollectionEntry[] = opts.ids
    ? manifest.filter((c) => opts.ids!.includes(c.id))
    : only.length ? manifest.filter((c) => only.some((o) => c.id.includes(o))) : manifest;
  const workDir = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gpo-ttk-'));
  const plan = planShards(selected, opts.shards ?? 1);
  if (opts.ttkPort && plan.length > 1) throw new Error('a fixed Toolkit port allows one shard only');
  let shards: Array<{ results: CollectionResult[]; ttkLog: string }>;
  try {
    shards = await Promise.all(plan.map((batch, i) => runShard(batch, path.join(workDir, `shard-${i}`), opts)));
  } finally {
    if (opts.cleanUp && !opts.workDir) fs.rmSync(workDir, { recursive: true, force: true });
  }
  const order = new Map(manifest.map((c, i) => [c.id, i]));
  const results = shards.flatMap((s) => s.results).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const ran = new Set(selected.map((c) => c.id));
  return {
    results, skipped: manifest.filter((c) => !ran.has(c.id)).map((c) => c.id),
    ttkLogs: shards.map((s) => s.ttkLog), durationMs: Date.now() - started,
  };
}
