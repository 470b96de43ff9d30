import type { CommandModule } from 'yargs';

/** Placeholder: `gpo sim <name>` lands with its component. */
export const simCommand: CommandModule<object, object> = {
  command: 'sim <name>',
  describe: 'Run one simulator',
  handler: () => {
    throw new Error('gpo sim is not available yet');
  },
};
