import type { CommandModule } from 'yargs';

/** Every `gpo` sub-command, one module each. Add new commands here. */
export const commands: CommandModule<any, any>[] = [];
