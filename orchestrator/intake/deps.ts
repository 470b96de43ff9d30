import type { Logger } from 'pino';
import type { DisbursementService } from '../app/service';
import type { OrchestratorConfig } from '../config';

/** What every northbound API plugin gets: the application service, the configuration and a logger. */
export interface IntakeDeps {
  service: DisbursementService;
  config: OrchestratorConfig;
  logger: Logger;
}
