/**
 * The orchestrator in a process of its own, for the benchmark of record (loadtests/bench.ts): its peak RSS is then
 * the orchestrator's alone.
 *
 *   node --import tsx loadtests/orchestrator-process.ts '{"sdkUrl":"http://127.0.0.1:N","dataDir":"/tmp/x",...}'
 *
 * Starts startOrchestrator with the JSON options given as the first argument, prints ONE line on stdout:
 * `GPO_ORCHESTRATOR {"url":"...","pid":N}`; stdin commands `stats` (one `GPO_ORCHESTRATOR_STATS {...}` line:
 * rssMb, peakRssMb from getrusage, cpuUserS, cpuSystemS) and `stop`; SIGTERM, SIGINT or stdin closing stop it too.
 */
import { serveParentCommands } from '../shared/child-process';

export const ORCH_LINE = 'GPO_ORCHESTRATOR ';
export const ORCH_STATS_LINE = 'GPO_ORCHESTRATOR_STATS ';

async function main(): Promise<void> {
  // loaded at run time, as loadtests/world.ts does, so this file compiles while the orchestrator changes
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('../orchestrator/index') as { startOrchestrator: (o: Record<string, unknown>) => Promise<{ url: string;
    stop(): Promise<void> }> };
  const opts = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
  const orch = await mod.startOrchestrator({ port: 0, host: '127.0.0.1', ...opts });
  process.stdout.write(`${ORCH_LINE}${JSON.stringify({ url: orch.url, pid: process.pid })}\n`);
  serveParentCommands(ORCH_STATS_LINE, () => orch.stop());
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`orchestrator process failed to start: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
