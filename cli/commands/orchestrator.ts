import type { CommandModule } from 'yargs';

/** Placeholder: `gpo orchestrator` lands with its component. */
export const orchestratorCommand: CommandModule<object, object> = {
  command: 'orchestrator',
  describe: 'Run the orchestrator alone against configured rails',
  handler: () => {
    throw new Error('gpo orchestrator is not available yet');
  },
};
