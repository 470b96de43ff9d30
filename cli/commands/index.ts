import type { CommandModule } from 'yargs';
import { upCommand } from './up';
import { simCommand } from './sim';
import { orchestratorCommand } from './orchestrator';
import { demoCommand } from './demo';
import { scenarioCommand } from './scenario';
import { loadCommand } from './load';
import { benchCommand } from './bench';
import { apiKeyCommand } from './api-key';

/** Every `gpo` sub-command, one module each. */
export const commands: CommandModule<any, any>[] = [upCommand, simCommand, orchestratorCommand, demoCommand, scenarioCommand, loadCommand,
  benchCommand, apiKeyCommand];
