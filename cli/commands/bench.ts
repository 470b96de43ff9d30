import type { CommandModule } from 'yargs';

/** Placeholder: `gpo bench` lands with its component. */
export const benchCommand: CommandModule<object, object> = {
  command: 'bench',
  describe: 'Run the end-to-end benchmark of record',
  handler: () => {
    throw new Error('gpo bench is not available yet');
  },
};
