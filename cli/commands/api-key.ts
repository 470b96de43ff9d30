import type { Argv, CommandModule } from 'yargs';
import { stringify } from 'yaml';
import { hashApiKey, newApiKey } from '../../orchestrator/security/credentials';
import { SCOPES } from '../../orchestrator/security/config';

interface ApiKeyArgs {
  client: string;
  program?: string[];
  scope?: string[];
}

/** A new API key for a client: the key (give it to the client) and the auth.apiKeys entry (give it to GPO). */
export function apiKeyEntry(args: ApiKeyArgs): { key: string; entry: Record<string, unknown> } {
  const key = newApiKey();
  return {
    key,
    entry: {
      client: args.client, keyHash: hashApiKey(key),
      ...(args.scope?.length ? { scopes: args.scope } : {}),
      ...(args.program?.length ? { programs: args.program } : {}),
    },
  };
}

export const apiKeyCommand: CommandModule<object, ApiKeyArgs> = {
  command: 'api-key',
  describe: 'Generate an API key for a client and print the auth.apiKeys entry (only its hash) for the orchestrator configuration',
  builder: (y: Argv<object>) => y
    .option('client', { type: 'string', demandOption: true, describe: 'Client name (shown in the audit log)' })
    .option('program',
      { type: 'array', string: true, describe:
        'Programs (tenants) the client may use; default: a program named after the client; * = all' })
    .option('scope', { type: 'array', string: true, choices: [...SCOPES], describe: 'Scopes; default: all' })
    .example('$0 api-key --client openg2p --program cash-transfer',
      'A key for OpenG2P limited to one program') as unknown as Argv<ApiKeyArgs>,
  handler: (args) => {
    const { key, entry } = apiKeyEntry(args);
    process.stdout.write(`API key for ${args.client} (give it to the client; it is shown only now):\n  ${key}\n\nAdd to the orchestrator ` +
      `configuration:\nauth:\n  apiKeys:\n${stringify([entry]).split('\n').filter(Boolean).map((l) => `    ${l}`).join('\n')}\n`);
  },
};
