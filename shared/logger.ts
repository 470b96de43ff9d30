import pino, { DestinationStream, Logger } from 'pino';

/** Where log lines go: standard output, unless a command sends them to a file for a while (logToFile). */
let destination: DestinationStream & { flushSync?: () => void; end?: () => void } = pino.destination({ dest: 1, sync: true });
const switchable: DestinationStream = { write: (line: string) => destination.write(line) };

/** One structured logger for the whole product; children add component, batch and payment ids. */
export const rootLogger: Logger = pino({
  level: process.env.GPO_LOG_LEVEL ?? 'info',
  base: { app: 'gpo' },
  timestamp: pino.stdTimeFunctions.isoTime,
}, switchable);

/**
 * Sends every log line to `file` (appended) until the returned function is called, which flushes the file and
 * goes back to standard output. Long runs use it so the servers' logs do not mix with their progress and summary.
 */
export function logToFile(file: string): () => void {
  const previous = destination;
  const fileDest = pino.destination({ dest: file, sync: true, append: true, mkdir: true });
  destination = fileDest;
  return () => {
    if (destination !== fileDest) return;
    destination = previous;
    fileDest.flushSync();
    fileDest.end();
  };
}

export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}

/**
 * Masks a beneficiary identifier for logs: keeps a short prefix and suffix so support staff can correlate,
 * hides the rest. "254700000001" -> "25******0001".
 */
export function maskId(value: string | undefined | null): string {
  if (!value) return '';
  const s = String(value);
  if (s.length <= 4) return '*'.repeat(s.length);
  const keepEnd = Math.min(4, Math.floor(s.length / 3));
  const keepStart = Math.min(2, s.length - keepEnd - 1);
  return s.slice(0, keepStart) + '*'.repeat(s.length - keepStart - keepEnd) + s.slice(s.length - keepEnd);
}
