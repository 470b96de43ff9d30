/**
 * A server run as a child process by a parent that measures it (the benchmark of record): the parent reads one
 * stats line on request (`stats` on stdin) and stops it (`stop`, stdin closing, SIGTERM or SIGINT).
 */
import { createInterface } from 'node:readline';

export interface ProcessStats {
  rssMb: number;
  /** Peak resident set size (getrusage), MB. */
  peakRssMb: number;
  cpuUserS: number;
  cpuSystemS: number;
}

export function processStats(): ProcessStats {
  const ru = process.resourceUsage();
  return {
    rssMb: Math.round(process.memoryUsage.rss() / 1024 / 1024),
    peakRssMb: Math.round(ru.maxRSS / 1024),
    cpuUserS: Math.round(ru.userCPUTime / 10_000) / 100,
    cpuSystemS: Math.round(ru.systemCPUTime / 10_000) / 100,
  };
}

/** Answer the parent's commands: `stats` prints `<statsLine>{...}`; a stop prints the final stats, then exits. */
export function serveParentCommands(statsLine: string, stopServer: () => Promise<void>): void {
  const printStats = (then?: () => void) => process.stdout.write(`${statsLine}${JSON.stringify(processStats())}\n`, then);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await stopServer();
    } finally {
      printStats(() => process.exit(0));
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'stats') printStats();
    else if (cmd === 'stop') void stop();
  });
  rl.on('close', () => void stop());
}
