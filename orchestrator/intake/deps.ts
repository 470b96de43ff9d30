import type { Logger } from 'pino';
import type { DisbursementService } from '../app/service';
import type { OrchestratorConfig } from '../config';
import type { LimitsConfig } from '../security/config';
import type { G2pSignatureVerifier, SigningKey } from '../security/g2p-signatures';

/** What the northbound APIs need from the security layer (absent: no authentication, default limits, no signatures). */
export interface IntakeSecurity {
  /** Callers are authenticated: new batches record their owner, and each client sees only its programs' batches. */
  authOn: boolean;
  limits: LimitsConfig;
  g2pVerifier?: G2pSignatureVerifier;
  /** GPO's key for signing G2P Connect callbacks. */
  signingKey?: SigningKey;
}
import type { NotificationJournal } from '../notify/journal';
import type { NotificationOutbox } from '../notify/outbox';

/** What every northbound API plugin gets: the application service, the configuration and a logger. */
export interface IntakeDeps {
  service: DisbursementService;
  config: OrchestratorConfig;
  logger: Logger;
  security?: IntakeSecurity;
  /** Where notifiers record deliveries and dead letters (the console shows them). */
  journal?: NotificationJournal;
  /** Durable upstream notifications: progress, finals, on-status answers (without one, memory only: a crash can lose them). */
  outbox?: NotificationOutbox;
  /** Crash points for recovery tests (a no-op unless GPO_CRASH_AT is set). */
  crash?: { pass(phase: 'deliver'): void };
}
