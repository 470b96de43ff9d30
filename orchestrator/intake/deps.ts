import type { Logger } from 'pino';
import type { DisbursementService } from '../app/service';
import type { OrchestratorConfig } from '../config';
import type { NotificationJournal } from '../notify/journal';

/** What every northbound API plugin gets: the application service, the configuration and a logger. */
export interface IntakeDeps {
  service: DisbursementService;
  config: OrchestratorConfig;
  logger: Logger;
  /** Where notifiers record deliveries and dead letters (the console shows them). */
  journal?: NotificationJournal;
}
