/**
 * G2P Connect message signatures.
 *
 * Incoming /disburse and txn/status requests may carry
 * - a `Signature` HTTP header: a compact JWS with a detached payload (`<protected>..<signature>`), as OpenG2P's
 *   G2P Bridge checks it: the signed payload is base64url of the body. GPO accepts the body exactly as received,
 *   or the body re-serialised compactly with non-ASCII escaped (what the Bridge's verifier recomputes);
 * - the spec's `signature` field, signing {header}+{message}: either a detached compact JWS over the compact JSON
 *   of `{"header":...,"message":...}`, or the spec's string form `keyId="{sender_id}|{key_id}|ed25519",
 *   algorithm="ed25519",created="..",expires="..",headers="(created) (expires) digest",signature="<base64>"`,
 *   where the signing string is `(created): C\n(expires): E\ndigest: BLAKE-512=<base64 BLAKE2b-512 of that JSON>`.
 * Keys are looked up by the message's header.sender_id (a sender cannot sign as another) in a JWKS given inline,
 * in a file or at a URL. Modes: required, optional (checked when present), off.
 *
 * Outgoing on-disburse and on-status callbacks are signed with GPO's key both ways (field and header), and GPO's
 * public key is published at GET /.well-known/jwks.json. signG2pMessage is a plain function: whatever delivers
 * callbacks (today's notifier, a durable outbox later) calls it on the envelope it is about to send.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, createRemoteJWKSet, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet,
  type JWK } from 'jose';
import { asciiJson, SIGNATURE_ALGORITHMS, signedFieldPayload, verifyDetachedJws, type JwsSigningKey } from '../../shared/g2p-jws';
import type { G2pSignatureConfig, KeySource } from './config';
import { EdgeError } from './edge';

export { asciiJson, signG2pMessage, SIGNATURE_ALGORITHMS, type SignedMessage } from '../../shared/g2p-jws';

// ---------------------------------------------------------------------------------------------------------------
// GPO's key

export interface SigningKey extends JwsSigningKey {
  publicJwk: JWK;
}

/** GPO's signing key: configured, or generated once (Ed25519) and kept in <dataDir>/keys so restarts keep it. */
export async function loadSigningKey(cfg: Pick<G2pSignatureConfig, 'signingKey' | 'signingKeyFile'>, dataDir: string): Promise<SigningKey> {
  let jwk: JWK | undefined = cfg.signingKey as JWK | undefined;
  if (!jwk && cfg.signingKeyFile) jwk = JSON.parse(readFileSync(cfg.signingKeyFile, 'utf8')) as JWK;
  if (!jwk) {
    const file = path.join(dataDir, 'keys', 'g2p-signing-key.json');
    if (existsSync(file)) jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    else {
      const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      jwk = { ...(await exportJWK(pair.privateKey)), alg: 'EdDSA' };
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
      chmodSync(file, 0o600);
    }
  }
  if (!jwk.d) throw new Error('g2pSignatures.signingKey must be a private JWK (with d)');
  const alg = jwk.alg ?? (jwk.kty === 'OKP' ? 'EdDSA' : jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' ? 'ES256' : '');
  if (!SIGNATURE_ALGORITHMS.includes(alg)) throw new Error(`g2pSignatures.signingKey: algorithm ${alg
    || 'unknown'} is not supported (${SIGNATURE_ALGORITHMS.join(', ')})`);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(pub));
  const publicJwk: JWK = { ...pub, kid, alg, use: 'sig' };
  return { kid, alg, privateKey: await importJWK({ ...jwk, alg }, alg), publicJwk };
}

// ---------------------------------------------------------------------------------------------------------------
// Senders' keys

type Jwks = ReturnType<typeof createLocalJWKSet>;

function jwksOf(src: KeySource): Jwks {
  if (src.jwksUrl) return createRemoteJWKSet(new URL(src.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5000 }) as unknown as Jwks;
  if (src.jwksFile) return createLocalJWKSet(JSON.parse(readFileSync(src.jwksFile, 'utf8')) as JSONWebKeySet);
  if (src.jwks) return createLocalJWKSet(src.jwks as JSONWebKeySet);
  throw new Error('a sender key source needs jwks, jwksFile or jwksUrl');
}

/** Every JWK of a local source (for the spec's string form, which names its key by id). */
function localKeys(src: KeySource): JWK[] {
  if (src.jwks) return src.jwks.keys as JWK[];
  if (src.jwksFile) return (JSON.parse(readFileSync(src.jwksFile, 'utf8')) as JSONWebKeySet).keys;
  return [];
}

const missing = () =>
  new EdgeError(401, 'err.signature.missing', 'the message must be signed: send a Signature header (detached JWS) or a signature field');
const invalid = (why: string) => new EdgeError(401, 'err.signature.invalid', `the message signature is not valid: ${why}`);

export class G2pSignatureVerifier {
  private readonly jwks = new Map<string, Jwks>();

  constructor(private readonly cfg: Pick<G2pSignatureConfig, 'mode' | 'senders'>) {
    for (const [sender, src] of Object.entries(cfg.senders)) this.jwks.set(sender, jwksOf(src));
  }

  get mode(): G2pSignatureConfig['mode'] {
    return this.cfg.mode;
  }

  /**
   * Checks a parsed request's signatures; resolves with whether it was signed, throws EdgeError 401
   * (err.signature.missing / err.signature.invalid) when it must be refused.
   */
  async verify(raw: Buffer, body: unknown, headerSignature: string | undefined): Promise<boolean> {
    if (this.cfg.mode === 'off') return false;
    const env = (body && typeof body === 'object' ? body : {}) as { signature?: unknown; header?: { sender_id?: unknown };
      message?: unknown };
    const field = typeof env.signature === 'string' && env.signature.trim() !== '' ? env.signature.trim() : undefined;
    // Without a sender_id nothing can be attributed, and validation refuses the message anyway (sender_id is required).
    if (typeof env.header?.sender_id !== 'string') return false;
    if (headerSignature === undefined && field === undefined) {
      if (this.cfg.mode === 'required') throw missing();
      return false;
    }
    const sender = typeof env.header?.sender_id === 'string' ? env.header.sender_id : undefined;
    const jwks = sender !== undefined ? this.jwks.get(sender) : undefined;
    if (!jwks || sender === undefined) throw invalid(`no signing key is known for sender_id ${JSON.stringify(sender ?? null)}`);
    if (headerSignature !== undefined) {
      await this.verifyDetached(headerSignature, [raw, Buffer.from(asciiJson(body), 'utf8')], jwks, 'Signature header');
    }
    if (field !== undefined) {
      const inner = signedFieldPayload(env);
      if (/keyId\s*=/.test(field)) this.verifySpecString(field, inner, sender);
      else await this.verifyDetached(field, [inner], jwks, 'signature field');
    }
    return true;
  }

  private async verifyDetached(jws: string, payloads: Buffer[], jwks: Jwks, where: string): Promise<void> {
    if (!/^[\w-]+\.\.[\w-]+$/.test(jws)) throw invalid(`the ${where} is not a detached JWS (<protected>..<signature>)`);
    if (!(await verifyDetachedJws(jws, payloads, jwks as never))) throw invalid(`the ${where} does not verify with the sender's keys`);
  }

  /** The spec's `keyId="sender|kid|ed25519",...,signature="..."` string over (created), (expires) and the digest. */
  private verifySpecString(text: string, inner: Buffer, sender: string): void {
    const params = new Map<string, string>();
    for (const m of text.replace(/^Signature:?\s*/i, '').matchAll(/([A-Za-z]+)\s*=\s*"([^"]*)"/g)) params.set(m[1].toLowerCase(), m[2]);
    const [keySender, kid, alg] = (params.get('keyid') ?? params.get('kidid') ?? '').split('|');
    if (keySender !== sender) throw invalid('keyId names another sender than header.sender_id');
    if ((alg ?? params.get('algorithm')
      ?? '').toLowerCase() !== 'ed25519') throw invalid('only ed25519 is supported in the signature field string form');
    const created = Number(params.get('created'));
    const expires = Number(params.get('expires'));
    const now = Date.now() / 1000;
    if (!Number.isFinite(created) || !Number.isFinite(expires) || created > now + 300
      || expires < now) throw invalid('created/expires are missing or the signature has expired');
    const src = this.cfg.senders[sender];
    const jwk = localKeys(src).find((k) => k.kid === kid && k.kty === 'OKP' && k.crv === 'Ed25519');
    if (!jwk) throw invalid(`no Ed25519 key ${kid} is configured for sender ${sender}`);
    const digest = createHash('blake2b512').update(inner).digest('base64');
    const signingString = `(created): ${params.get('created')}\n(expires): ${params.get('expires')}\ndigest: BLAKE-512=${digest}`;
    const ok = cryptoVerify(null, Buffer.from(signingString, 'utf8'), createPublicKey({ key: jwk as never, format: 'jwk' }),
      Buffer.from(params.get('signature') ?? '', 'base64'));
    if (!ok) throw invalid('the signature field does not verify with the sender key');
  }
}
