import type { CommandModule } from 'yargs';
import { scenarioCommand } from './scenario';
import { demoCommand } from './demo';

/** Every `gpo` sub-command, one module each. Add new commands here. */
export const commands: CommandModule<any, any>[] = [scenarioCommand, demoCommand];
