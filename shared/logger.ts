import pino, { Logger } from 'pino';

/**
 * Fields that hold secrets, wherever they appear in a log record (top level or one level down): they are written
 * as [redacted]. Code should not log them in the first place; this is the net under it.
 */
export const SECRET_LOG_PATHS = [
  'authorization', 'apiKey', 'secret', 'webhookSecret', 'password', 'token', 'privateKey', 'signingKey', 'keyHash',
  'headers.authorization', 'headers["x-api-key"]', 'req.headers.authorization', 'req.headers["x-api-key"]',
  '*.authorization', '*.apiKey', '*.secret', '*.webhookSecret', '*.password', '*.token', '*.privateKey', '*.signingKey', '*.keyHash',
] as const;

/** One structured logger for the whole product; children add component, batch and payment ids. */
export const rootLogger: Logger = pino({
  level: process.env.GPO_LOG_LEVEL ?? 'info',
  base: { app: 'gpo' },
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: { paths: [...SECRET_LOG_PATHS], censor: '[redacted]' },
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
