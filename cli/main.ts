import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands';
import { formatCliError, UsageError } from './errors';

/** The `gpo` parser: every sub-command, strict options, usage mistakes thrown as UsageError (never printed here). */
export function buildCli(argv: string[]) {
  let cli = yargs(argv)
    .scriptName('gpo')
    .usage('$0 <command> [options]\n\nGPO, the G2P Payments Orchestrator, and its simulated Mojaloop world.')
    .strict()
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .option('verbose', { type: 'boolean', global: true, describe: 'On an error, print its stack trace too' })
    .help()
    .alias('h', 'help')
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      // A handler's own error comes through here too: pass it on as it is; only yargs' messages are usage errors.
      if (err) throw err;
      const command = argv.find((a) => !a.startsWith('-'));
      throw new UsageError(msg, commands.some((c) => String(c.command).split(' ')[0] === command) ? command : undefined);
    })
    .wrap(Math.min(110, process.stdout.columns || 110));
  for (const c of commands) cli = cli.command(c as never);
  return cli;
}

/** Parses and runs one `gpo` command line; errors propagate (run() prints them). */
export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  if (argv.length === 0) {
    // `gpo` alone: the list of commands is what the user needs.
    await buildCli(['--help']).parseAsync();
    return;
  }
  await buildCli(argv).parseAsync();
}

/**
 * The entry point of the `gpo` command, whichever way it is started (bin/gpo, node_modules/.bin/gpo through npx
 * or npm scripts, `tsx cli/main.ts`): runs the command and prints a failure as one line and a hint, with the stack
 * only under --verbose; the exit code is 1 on failure.
 */
export async function run(argv: string[] = hideBin(process.argv)): Promise<void> {
  try {
    await main(argv);
  } catch (err) {
    process.stderr.write(formatCliError(err, argv.includes('--verbose')));
    process.exitCode = 1;
  }
}

if (require.main === module) void run();
