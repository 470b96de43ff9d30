/**
 * G2P Connect message signing, shared by the orchestrator (verifies requests, signs callbacks) and the OpenG2P
 * simulator (signs requests, verifies callbacks). A message is signed two ways:
 * - the `signature` field: a compact JWS with a detached payload (`<protected>..<signature>`) over the compact
 *   JSON of `{"header":...,"message":...}`;
 * - the `Signature` HTTP header: the same form over the whole body as sent, as OpenG2P's G2P Bridge checks it.
 * Bodies are written as compact JSON with non-ASCII escaped, so a verifier that re-serialises the parsed body
 * (as the Bridge's does) gets the very bytes that were signed.
 */
import { compactVerify, exportJWK, FlattenedSign, generateKeyPair, type importJWK } from 'jose';

export const SIGNATURE_ALGORITHMS = ['EdDSA', 'RS256', 'PS256', 'ES256'];

/** Compact JSON with every non-ASCII character escaped as \uXXXX: the form a Python verifier re-serialises to. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface JwsSigningKey {
  kid: string;
  alg: string;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
}

export async function detachedJws(key: JwsSigningKey, payload: Buffer): Promise<string> {
  const jws = await new FlattenedSign(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JOSE' }).sign(key.privateKey);
  return `${jws.protected}..${jws.signature}`;
}

export interface SignedMessage {
  /** The exact text to send. */
  body: string;
  headers: { signature: string };
}

/** Signs an envelope ({header, message}): the field over {header}+{message}, then the header over the body text. */
export async function signG2pMessage(key: JwsSigningKey, envelope: { header: unknown; message: unknown }): Promise<SignedMessage> {
  const inner = asciiJson({ header: envelope.header, message: envelope.message });
  const signature = await detachedJws(key, Buffer.from(inner, 'utf8'));
  const body = asciiJson({ signature, header: envelope.header, message: envelope.message });
  return { body, headers: { signature: await detachedJws(key, Buffer.from(body, 'utf8')) } };
}

/** The payload bytes a `signature` field covers. */
export function signedFieldPayload(body: { header?: unknown; message?: unknown }): Buffer {
  return Buffer.from(asciiJson({ header: body.header, message: body.message }), 'utf8');
}

/**
 * True when the detached JWS verifies over one of the payloads with one of the keys (a jose key resolver such as
 * createLocalJWKSet or createRemoteJWKSet). False for a malformed JWS or no match.
 */
export async function verifyDetachedJws(jws: string, payloads: Buffer[], keys: Parameters<typeof compactVerify>[1]): Promise<boolean> {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[1] !== '' || !parts[0] || !parts[2]) return false;
  for (const p of payloads) {
    try {
      await compactVerify(`${parts[0]}.${p.toString('base64url')}.${parts[2]}`, keys as never, { algorithms: SIGNATURE_ALGORITHMS });
      return true;
    } catch {
      // the next form of the payload may be the one that was signed
    }
  }
  return false;
}

/** A new Ed25519 signing key and its public JWK (for a sender's key registration). */
export async function generateSigningKey(kid: string): Promise<{ key: JwsSigningKey; publicJwk: Record<string, unknown> }> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { key: { kid, alg: 'EdDSA', privateKey: pair.privateKey }, publicJwk };
}
