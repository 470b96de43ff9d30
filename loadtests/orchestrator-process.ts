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
import { createInterface } from 'node:readline';

export const ORCH_LINE = 'GPO_ORCHESTRATOR ';
export const ORCH_STATS_LINE = 'GPO_ORCHESTRATOR_STATS ';

function stats(): Record<string, number> {
  const ru = process.resourceUsage();
  return {
    rssMb: Math.round(process.memoryUsage.rss() / 1024 / 1024),
    peakRssMb: Math.round(ru.maxRSS / 1024),
    cpuUserS: Math.round(ru.userCPUTime / 10_000) / 100,
    cpuSystemS: Math.round(ru.systemCPUTime / 10_000) / 100,
  };
}

async function main(): Promise<void> {
  // loaded at run time, as loadtests/world.ts does, so this file compiles while the orchestrator changes
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('../orchestrator/index') as { startOrchestrator: (o: Record<string, unknown>) => Promise<{ url: string; stop(): Promise<void> }> };
  const opts = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
  const orch = await mod.startOrchestrator({ port: 0, host: '127.0.0.1', ...opts });
  process.stdout.write(`${ORCH_LINE}${JSON.stringify({ url: orch.url, pid: process.pid })}\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await orch.stop();
    } finally {
      process.stdout.write(`${ORCH_STATS_LINE}${JSON.stringify(stats())}\n`, () => process.exit(0));
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'stats') process.stdout.write(`${ORCH_STATS_LINE}${JSON.stringify(stats())}\n`);
    else if (cmd === 'stop') void stop();
  });
  rl.on('close', () => void stop());
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`orchestrator process failed to start: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
