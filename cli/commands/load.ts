import type { CommandModule } from 'yargs';

/** Placeholder: `gpo load <profile>` lands with its component. */
export const loadCommand: CommandModule<object, object> = {
  command: 'load <profile>',
  describe: 'Run a load-test profile',
  handler: () => {
    throw new Error('gpo load is not available yet');
  },
};
