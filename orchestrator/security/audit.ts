/**
 * The audit log: every operator action (cancel, resume, ...) with who asked, what, when, from where and how it
 * ended, refused attempts included. One JSON line per action in <dataDir>/audit.log, and the same record on the
 * logger (component audit). No beneficiary data and no credentials are ever written here.
 */
import { appendFile, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export interface AuditRecord {
  at: string;
  action: string;
  batchId?: string;
  /** The client that asked (`unauthenticated` when it could not be told). */
  client: string;
  via?: string;
  remoteAddress: string;
  forwardedFor?: string;
  method: string;
  path: string;
  status: number;
  outcome: 'done' | 'refused' | 'failed';
}

export class AuditLog {
  readonly file: string;
  private chain: Promise<void> = Promise.resolve();

  constructor(dataDir: string, private readonly log: Logger) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, 'audit.log');
  }

  record(r: AuditRecord): void {
    this.log.info({ audit: r }, `audit: ${r.action} by ${r.client} ${r.outcome}`);
    const line = JSON.stringify(r) + '\n';
    this.chain = this.chain.then(() => new Promise<void>((resolve) => appendFile(this.file, line, (err) => {
      if (err) this.log.error({ err: err.message }, 'audit log write failed');
      resolve();
    })));
  }

  /** Resolves once every record so far is written. */
  flush(): Promise<void> {
    return this.chain;
  }
}
