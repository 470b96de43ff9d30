/**
 * How `gpo` reports a failure: `gpo: <what went wrong>` and `hint: <what to do>`, one line each; the stack trace
 * only with --verbose. Usage mistakes (an unknown option, a missing argument) point at the command's --help
 * instead of printing it.
 */
import { UserError } from '../shared/errors';

/** A mistake in the command line itself, as yargs reports it. */
export class UsageError extends UserError {
  constructor(message: string, command?: string) {
    super(message, `gpo ${command ? `${command} ` : ''}--help lists the commands and options, with examples`);
    this.name = 'UsageError';
  }
}

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  port?: number;
  address?: string;
  path?: string;
}

/** A hint for the errors Node raises that a user can fix (a taken port, a directory they may not write). */
function systemHint(err: SystemError): string | undefined {
  switch (err.code) {
    case 'EADDRINUSE':
      return `another program listens on ${err.address ?? ''}${err.port !== undefined ? `:${err.port}`
        : ''}; choose other ports (gpo up --base-port 5000, or --port NAME=PORT; gpo <command> --help)`;
    case 'EADDRNOTAVAIL':
      return `${err.address ?? 'that address'} is not an address of this machine; bind to 127.0.0.1 or 0.0.0.0 (--host)`;
    case 'EACCES':
    case 'EPERM':
      return err.syscall === 'listen' || err.syscall === 'bind'
        ? 'ports below 1024 need privileges; choose a port above 1024'
        : `no permission for ${err.path ?? 'a file it needs'}; point the data directory somewhere writable (--data-dir or GPO_DATA_DIR)`;
    case 'ENOENT':
      return err.path ? `${err.path} does not exist` : undefined;
    case 'ECONNREFUSED':
      return 'nothing answers there; start it first (gpo up), or give the right URL';
    default:
      return undefined;
  }
}

/** The lines printed for an error: message, hint, and with `verbose` the stack. */
export function formatCliError(err: unknown, verbose: boolean): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const first = e.message.split('\n')[0] || e.name;
  const rest = e.message.split('\n').slice(1);
  const lines = [`gpo: ${first}`];
  // Errors that list several problems (a scenario file's, a configuration's) keep every line.
  for (const l of rest) if (l.trim()) lines.push(`  ${l}`);
  const hint = e instanceof UserError ? e.hint : systemHint(e as SystemError)
    ?? (verbose ? undefined : 'run it again with --verbose for the stack trace');
  if (hint) lines.push(`hint: ${hint}`);
  if (verbose) lines.push(e.stack ?? String(e));
  return `${lines.join('\n')}\n`;
}
