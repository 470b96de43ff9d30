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
// yargs types each command by its own arguments; a list of them can only be typed loosely
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [upCommand, simCommand, orchestratorCommand, demoCommand, scenarioCommand, loadCommand,
  benchCommand, apiKeyCommand];
