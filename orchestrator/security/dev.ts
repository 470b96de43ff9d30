/**
 * A secured set-up for a local run with the OpenG2P simulator (scenarios, the demo): OpenG2P gets an API key with
 * every scope, and an Ed25519 key that the orchestrator requires on its G2P Connect messages.
 */
import { generateSigningKey, type JwsSigningKey } from '../../shared/g2p-jws';
import type { SecurityOptions } from './config';
import { hashApiKey, newApiKey } from './credentials';

export interface OpenG2pSecurity {
  /** Orchestrator options: authentication on, OpenG2P's key registered, G2P Connect signatures required. */
  options: SecurityOptions;
  /** What the OpenG2P side holds. */
  openG2p: { apiKey: string; signingKey: JwsSigningKey };
}

export async function openG2pSecurity(senderId = 'openg2p'): Promise<OpenG2pSecurity> {
  const apiKey = newApiKey();
  const { key, publicJwk } = await generateSigningKey(`${senderId}-1`);
  return {
    options: {
      auth: { mode: 'on', apiKeys: [{ client: senderId, keyHash: hashApiKey(apiKey), programs: ['*'] }] },
      g2pSignatures: { mode: 'required', senders: { [senderId]: { jwks: { keys: [publicJwk] } } } },
    },
    openG2p: { apiKey, signingKey: key },
  };
}
