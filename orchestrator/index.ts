/**
 * startOrchestrator: the orchestrator's one HTTP server (northbound APIs, /health, /metrics, the console at /ui) over the engine, the
 * store in its data directory and the configured rails. Unfinished batches in the store are resumed at start.
 */
import Hapi from '@hapi/hapi';
import { newId, SeededRandom } from '../shared/ids';
import { componentLogger } from '../shared/logger';
import type { RunningServer } from '../shared/server';
import { createDisbursementService } from './app/disbursement-service';
import type { DisbursementService } from './app/service';
import { resolveConfig, type OrchestratorConfig, type OrchestratorOptions } from './config';
import { Engine } from './engine/engine';
import { runSeed } from './engine/run-seed';
import { registerConsole } from './console';
import { registerIntakes } from './intake';
import { NotificationJournal } from './notify/journal';
import { storeOutbox } from './notify/outbox';
import { CrashPoints } from './engine/crash';
import { OrchestratorMetrics } from './metrics';
import { RailRegistry } from './rails';
import { SDK_BACKEND_PATH } from './rails/sdk-bulk-transactions';
import { RailReachability } from './rails/reachability';
import { installSecurity } from './security';
import { G2pSignatureVerifier, loadSigningKey } from './security/g2p-signatures';
import { NedbStore } from './store/nedb';

export type { OrchestratorOptions, OrchestratorConfig } from './config';
export { openG2pSecurity as scenarioSecurity } from './security/dev';

export interface RunningOrchestrator extends RunningServer {
  readonly config: OrchestratorConfig;
  readonly service: DisbursementService;
  /** The options it was started with, data directory resolved: start again with these to recover. */
  readonly options: OrchestratorOptions;
  readonly engine: Engine;
  /** Stops at once without finishing anything (in-process restart tests): the next start recovers. */
  crash(): Promise<void>;
  /**
   * The API key generated for this run when authentication is on and no credential is configured: shown by the
   * command that started the orchestrator, never logged.
   */
  readonly developmentKey?: string;
  /** Where GPO publishes the public key its G2P Connect callbacks are signed with. */
  readonly jwksUrl: string;
  /** The payer DFSP SDK's backend endpoint for bulk transactions (the SDK's BACKEND_ENDPOINT). */
  readonly sdkBackendUrl: string;
}

/** GPO's public keys (JWKS) for verifying its G2P Connect callbacks. */
export const JWKS_PATH = '/.well-known/jwks.json';

export async function startOrchestrator(opts: OrchestratorOptions = {}): Promise<RunningOrchestrator> {
  const config = resolveConfig(opts);
  const logger = config.logger ?? componentLogger('orchestrator');
  const store = new NedbStore({ dataDir: config.dataDir });
  await store.open();
  if (store.tookOverFrom) logger.warn({ dataDir: config.dataDir, staleLock: store.tookOverFrom },
    'took over the data directory lock of a process that no longer runs');
  const starts = await store.nextCounter('starts');
  const rnd = config.seed !== undefined ? new SeededRandom(runSeed(config.seed, starts)) : undefined;
  const metrics = new OrchestratorMetrics();
  const rails = new RailRegistry(config, metrics, logger, { get: (k) => store.getMeta(`rail:${k}`), set: (k, v) =>
    store.setMeta(`rail:${k}`, v) });
  const crash = new CrashPoints(config.crashAt);
  const engine = new Engine({
    store, config, logger, metrics, crash,
    railFor: (rail, mode) => rails.get(rail, mode),
    newId: rnd ? () => rnd.uuid() : newId,
    random: rnd ? () => rnd.next() : Math.random,
  });
  metrics.addStatusGauge(() => engine.liveStatusCounts());
  metrics.addInDoubtGauge(() => engine.inDoubtCount());
  const service = createDisbursementService(engine);

  const sec = config.security;
  const signingKey = sec.g2pSignatures.signCallbacks ? await loadSigningKey(sec.g2pSignatures, config.dataDir) : undefined;
  const server = Hapi.server({ port: config.port, host: config.host, routes: { payload: { maxBytes: 64 * 1024 } } });
  const security = installSecurity(server, { security: sec, logger, dataDir: config.dataDir });
  const liveness = () => ({ status: 'OK', service: 'orchestrator', rail: config.rail, railMode: config.railMode });
  server.route({ method: 'GET', path: '/health', options: { auth: false }, handler: liveness });
  server.route({ method: 'GET', path: '/health/live', options: { auth: false }, handler: liveness });
  metrics.instrument(server);
  // Ready = the store open and the rail's peer answering (503 NOT_READY otherwise); warnings name rail configurations
  // that put exactly-once payment at risk (DEGRADED).
  const reach = new RailReachability(config.rail === 'pil' ? config.pilUrl : config.sdkUrl);
  metrics.addRailReachableGauge(config.rail, () => reach.check());
  server.route({
    method: 'GET', path: '/health/ready', options: { auth: false },
    handler: async (_req, h) => {
      const r = await reach.check();
      const storeOpen = store.isOpen();
      const warnings = rails.warnings();
      const status = !storeOpen || !r.reachable ? 'NOT_READY' : warnings.length ? 'DEGRADED' : 'READY';
      const body = {
        status, service: 'orchestrator', rail: config.rail, railMode: config.railMode, warnings,
        checks: { store: storeOpen ? 'open' : 'closed', rail: r },
      };
      return h.response(body).code(status === 'NOT_READY' ? 503 : 200);
    },
  });
  server.route({
    method: 'GET', path: '/metrics', options: { auth: false },
    handler: async (_req, h) => h.response(await metrics.text()).type(metrics.contentType),
  });
  server.route({ method: 'GET', path: JWKS_PATH, options: { auth: false }, handler: () =>
    ({ keys: signingKey ? [signingKey.publicJwk] : [] }) });
  // The payer DFSP SDK's backend API for bulk transactions (its BACKEND_ENDPOINT): acceptance prompts and reports. The SDK
  // authenticates nothing, so this path must be reachable by the SDK only (docs/deployment.md).
  server.route({
    method: 'PUT', path: `${SDK_BACKEND_PATH}/bulkTransactions/{bulkTransactionId}`,
    options: {
      auth: false,
      // Errors in the SDK's own format ({statusCode, message}), as it reads them from its back office.
      payload: { maxBytes: 64 * 1024 * 1024, failAction: (_req, h, err) => h.response({ statusCode: '3101', message:
        `malformed body: ${String((err as Error | undefined)?.message ?? 'unreadable').slice(0, 200)}` })
        .code((err as { output?: { statusCode?: number } } | undefined)?.output?.statusCode === 413 ? 413 : 400).takeover() },
    },
    handler: (req, h) => {
      const body = req.payload as Record<string, unknown> | null;
      const id = String(req.params.bulkTransactionId);
      if (!body || typeof body !== 'object' || typeof body.currentState !== 'string'
        || (body.individualTransferResults !== undefined && !Array.isArray(body.individualTransferResults))) {
        return h.response({ statusCode: '3100', message: 'expected a bulkTransactionResponse: currentState and individualTransferResults' })
          .code(400);
      }
      if (typeof body.bulkTransactionId === 'string' && body.bulkTransactionId !== id) {
        return h.response({ statusCode: '3100', message: `bulkTransactionId ${body.bulkTransactionId.slice(0, 64)} differs from the path` })
          .code(400);
      }
      rails.sdkBackendRequest(id, body);
      return h.response().code(200);
    },
  });
  const journal = new NotificationJournal();
  const outbox = storeOutbox(store, { onDelivered: (channel, seconds) => metrics.notificationDelivered(channel, seconds) });
  metrics.addOutboxGauges(() => outbox.counts());
  registerIntakes(server, {
    service, config, logger, journal, crash, outbox,
    security: {
      authOn: sec.auth.mode === 'on',
      limits: sec.limits,
      g2pVerifier: new G2pSignatureVerifier(sec.g2pSignatures),
      ...(signingKey ? { signingKey } : {}),
    },
  });
  const consoleUi = await registerConsole(server, { config, journal, logger, outbox });
  security.finish();

  // The default rail is built now, so what it remembers of its peer (an SDK accepting quotes by itself) is said at start.
  if (config.rail === 'mojaloop-sdk') rails.get(config.rail, config.railMode);
  if (config.rail === 'mojaloop-sdk' && config.railMode === 'transfers') {
    logger.warn({ railMode: 'transfers', transferHoldMs: config.transferHoldMs },
      'transfers mode pays exactly once only if the payer DFSP SDK waits for quote acceptance (AUTO_ACCEPT_QUOTES=false); an SDK found ' +
        'accepting by itself is reported in /health/ready');
  }
  await engine.start();
  try {
    await server.start();
  } catch (err) {
    engine.stop();
    await store.close();
    await rails.close();
    await consoleUi.close();
    throw err;
  }
  const port = server.info.port as number;
  const url = `http://${config.host}:${port}`;
  logger.info({ url, dataDir: config.dataDir, rail: config.rail, railMode: config.railMode, auth: sec.auth.mode, g2pSignatures:
    sec.g2pSignatures.mode }, 'orchestrator listening');
  let stopped = false;
  const shutdown = async (abrupt: boolean): Promise<void> => {
    if (stopped) return;
    stopped = true;
    engine.stop();
    await store.close();
    await server.stop({ timeout: abrupt ? 0 : 2000 });
    await rails.close();
    await consoleUi.close();
    await security.audit.flush();
  };
  return {
    name: 'orchestrator', url, port, config, service, engine,
    jwksUrl: `${url}${JWKS_PATH}`,
    sdkBackendUrl: `${url}${SDK_BACKEND_PATH}`,
    ...(security.developmentKey ? { developmentKey: security.developmentKey } : {}),
    options: { ...opts, dataDir: config.dataDir },
    stop: () => shutdown(false),
    crash: () => shutdown(true),
  };
}
