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
import { runSeed } from './engine/limits';
import { registerConsole } from './console';
import { registerIntakes } from './intake';
import { NotificationJournal } from './notify/journal';
import { OrchestratorMetrics } from './metrics';
import { RailRegistry } from './rails';
import { NedbStore } from './store/nedb';

export type { OrchestratorOptions, OrchestratorConfig } from './config';

export interface RunningOrchestrator extends RunningServer {
  readonly config: OrchestratorConfig;
  readonly service: DisbursementService;
  /** The options it was started with, data directory resolved: start again with these to recover. */
  readonly options: OrchestratorOptions;
  readonly engine: Engine;
  /** Stops at once without finishing anything (in-process restart tests): the next start recovers. */
  crash(): Promise<void>;
}

export async function startOrchestrator(opts: OrchestratorOptions = {}): Promise<RunningOrchestrator> {
  const config = resolveConfig(opts);
  const logger = config.logger ?? componentLogger('orchestrator');
  const store = new NedbStore({ dataDir: config.dataDir });
  await store.open();
  const starts = await store.nextCounter('starts');
  const rnd = config.seed !== undefined ? new SeededRandom(runSeed(config.seed, starts)) : undefined;
  const metrics = new OrchestratorMetrics();
  const rails = new RailRegistry(config, metrics);
  const engine = new Engine({
    store, config, logger, metrics,
    railFor: (rail, mode) => rails.get(rail, mode),
    newId: rnd ? () => rnd.uuid() : newId,
    random: rnd ? () => rnd.next() : Math.random,
  });
  metrics.addStatusGauge(() => engine.liveStatusCounts());
  const service = createDisbursementService(engine);

  const server = Hapi.server({ port: config.port, host: config.host, routes: { payload: { maxBytes: 256 * 1024 * 1024 } } });
  server.route({ method: 'GET', path: '/health', handler: () => ({ status: 'OK', service: 'orchestrator', rail: config.rail, railMode: config.railMode }) });
  metrics.instrument(server);
  server.route({
    method: 'GET', path: '/metrics',
    handler: async (_req, h) => h.response(await metrics.text()).type(metrics.contentType),
  });
  const journal = new NotificationJournal();
  registerIntakes(server, { service, config, logger, journal });
  const consoleUi = await registerConsole(server, { config, journal, logger });

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
  logger.info({ url, dataDir: config.dataDir, rail: config.rail, railMode: config.railMode }, 'orchestrator listening');
  let stopped = false;
  const shutdown = async (abrupt: boolean): Promise<void> => {
    if (stopped) return;
    stopped = true;
    engine.stop();
    await store.close();
    await server.stop({ timeout: abrupt ? 0 : 2000 });
    await rails.close();
    await consoleUi.close();
  };
  return {
    name: 'orchestrator', url, port, config, service, engine,
    options: { ...opts, dataDir: config.dataDir },
    stop: () => shutdown(false),
    crash: () => shutdown(true),
  };
}
