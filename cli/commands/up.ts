import type { CommandModule } from 'yargs';

/** Placeholder: `gpo up` lands with its component. */
export const upCommand: CommandModule<object, object> = {
  command: 'up',
  describe: 'Start the simulated Mojaloop network and the orchestrator in one process',
  handler: () => {
    throw new Error('gpo up is not available yet');
  },
};
