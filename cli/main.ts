import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands';

/** Entry point of the `gpo` command. Each sub-command lives in its own module under cli/commands/. */
export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  let cli = yargs(argv)
    .scriptName('gpo')
    .usage('$0 <command> [options]\n\nGPO, the G2P Payments Orchestrator, and its simulated Mojaloop world.')
    .strict()
    .demandCommand(1, 'Name a command; see the list above.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 110));
  for (const c of commands) cli = cli.command(c as never);
  await cli.parseAsync();
}

if (require.main === module || process.argv[1]?.endsWith('/bin/gpo')) {
  main().catch((err) => {
    process.stderr.write(`gpo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
