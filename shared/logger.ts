import pino, { Logger } from 'pino';

/** One structured logger for the whole product; children add component, batch and payment ids. */
export const rootLogger: Logger = pino({
  level: process.env.GPO_LOG_LEVEL ?? 'info',
  base: { app: 'gpo' },
  timestamp: pino.stdTimeFunctions.isoTime,
});

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
