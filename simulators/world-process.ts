/**
 * The simulated world in a process of its own (the benchmark of record runs it beside the orchestrator's process so
 * the two use both cores and each one's memory is measured alone).
 *
 *   node --import tsx simulators/world-process.ts ['{"ports":"random","seed":2026}']
 *
 * Starts startWorld with the JSON config given as the first argument (a partial WorldConfig; default: free ports),
 * then prints ONE line on stdout: `GPO_WORLD {"urls":{...},"pid":N}` (logs may share stdout: read the line with the
 * prefix). Commands on stdin, one per line, each answered with one line:
 *   stats -> `GPO_WORLD_STATS {"rssMb":N,"peakRssMb":N,"cpuUserS":N,"cpuSystemS":N}`
 *   stop  -> stops the world, prints the final stats line and exits 0.
 * SIGTERM / SIGINT, or stdin closing, stop it the same way. Peak RSS is the process's own maximum resident set size
 * (getrusage), so it counts the world alone.
 */
import { createInterface } from 'node:readline';
import { startWorld, World, WorldConfig } from './world';

export const WORLD_LINE = 'GPO_WORLD ';
export const WORLD_STATS_LINE = 'GPO_WORLD_STATS ';

export interface WorldProcessStats {
  rssMb: number;
  peakRssMb: number;
  cpuUserS: number;
  cpuSystemS: number;
}

export function processStats(): WorldProcessStats {
  const ru = process.resourceUsage();
  return {
    rssMb: Math.round(process.memoryUsage.rss() / 1024 / 1024),
    peakRssMb: Math.round(ru.maxRSS / 1024),
    cpuUserS: Math.round(ru.userCPUTime / 10_000) / 100,
    cpuSystemS: Math.round(ru.systemCPUTime / 10_000) / 100,
  };
}

async function main(): Promise<void> {
  let cfg: Partial<WorldConfig> = { ports: 'random' };
  if (process.argv[2]) cfg = { ...cfg, ...(JSON.parse(process.argv[2]) as Partial<WorldConfig>) };
  const world: World = await startWorld(cfg);
  process.stdout.write(`${WORLD_LINE}${JSON.stringify({ urls: world.urls, pid: process.pid })}\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await world.stop();
    } finally {
      process.stdout.write(`${WORLD_STATS_LINE}${JSON.stringify(processStats())}\n`, () => process.exit(0));
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'stats') process.stdout.write(`${WORLD_STATS_LINE}${JSON.stringify(processStats())}\n`);
    else if (cmd === 'stop') void stop();
  });
  rl.on('close', () => void stop());
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`world process failed to start: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
