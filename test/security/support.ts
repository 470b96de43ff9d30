/** Test support for the security suite: keys, tokens, a JWKS server whose keys can be changed, HTTP helpers. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { request } from 'undici';

export const ISSUER = 'https://idp.test';
export const AUDIENCE = 'gpo';
export const HS_SECRET = 'a-shared-secret-of-at-least-32-characters';

export interface TestKey {
  kid: string;
  alg: 'RS256' | 'EdDSA';
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
}

export async function testKey(kid: string, alg: 'RS256' | 'EdDSA'): Promise<TestKey> {
  const pair = alg === 'EdDSA' ? await generateKeyPair('EdDSA', { crv: 'Ed25519' }) : await generateKeyPair('RS256');
  return { kid, alg, privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } };
}

export interface TokenClaims {
  client?: string;
  scope?: string;
  program?: string | string[];
  aud?: string;
  iss?: string;
  expiresIn?: string | number;
}

export async function token(key: TestKey | 'HS256', c: TokenClaims = {}): Promise<string> {
  const jwt = new SignJWT({ client_id: c.client ?? 'idp-client', scope: c.scope ?? 'batches:submit batches:read batches:operate',
    ...(c.program ? { program: c.program } : {}) })
    .setIssuer(c.iss ?? ISSUER).setAudience(c.aud ?? AUDIENCE).setIssuedAt().setExpirationTime(c.expiresIn ?? '5m');
  if (key === 'HS256') return jwt.setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(HS_SECRET));
  return jwt.setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

/** A JWKS endpoint on loopback whose key list a test changes. */
export async function startJwksServer(keys: JWK[]): Promise<{ url: string; keys: JWK[]; fetches: number; stop(): Promise<void> }> {
  const state = { keys, fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  return {
    url,
    get keys() { return state.keys; },
    set keys(k: JWK[]) { state.keys = k; },
    get fetches() { return state.fetches; },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

export async function call(url: string, method: string, path: string, opts: { body?: unknown; auth?: string; headers?: Record<string,
  string> } = {}): Promise<Answer> {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await request(url + path, {
    method: method as 'GET',
    body,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.auth ? { authorization: `Bearer ${opts.auth}` } : {}), ...(opts.headers ?? {}) },
  });
  const text = await res.body.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

/** The error's code in whichever API format it came: native errorCode, PIL errorInformation, G2P Connect error.code. */
export function errorFormat(api: 'native' | 'pil' | 'g2p-connect', a: Answer): string {
  if (api === 'native') {
    if (typeof a.body?.errorCode !== 'string' || typeof a.body?.message !== 'string') throw new Error(`not a native error: ${a.text.slice(0,
      300)}`);
    return a.body.errorCode;
  }
  if (api === 'pil') {
    const e = a.body?.errorInformation;
    if (typeof e?.errorCode !== 'string' || !/^\d{4}$/.test(e.errorCode)
      || typeof e.errorDescription !== 'string') throw new Error(`not a PIL error: ${a.text.slice(0, 300)}`);
    return e.errorCode;
  }
  const m = a.body?.message;
  if (!['NACK', 'ERR'].includes(m?.ack_status) || typeof m?.error?.code !== 'string'
    || typeof m?.timestamp !== 'string') throw new Error(`not a G2P Connect error: ${a.text.slice(0, 300)}`);
  return `${m.ack_status} ${m.error.code}`;
}

/** One small valid request per API (payees the default world knows). */
export function validRequest(api: 'native' | 'pil' | 'g2p-connect', key: string, n = 2): { method: string; path: string; body: unknown;
  headers?: Record<string, string> } {
  const msisdn = (i: number) => `2547${(i % 2) + 1}${String(2000 + i).padStart(7, '0')}`;
  if (api === 'native') {
    return { method: 'POST', path: '/v1/batches', headers: { 'idempotency-key': key }, body:
      { currency: 'USD', payments: Array.from({ length: n }, (_, i) =>
        ({ reference: `r${i}`, payeeIdType: 'MSISDN', payeeIdValue: msisdn(i), amount: '5', currency: 'USD' })) } };
  }
  if (api === 'pil') {
    return { method: 'POST', path: '/disbursement', body: { disbursementId: key, note: 'test', payeeList:
      Array.from({ length: n }, (_, i) => ({ payeeIdType: 'MSISDN', payeeIdValue: msisdn(i), amount: 5.0, currency: 'USD' })) } };
  }
  return {
    method: 'POST', path: '/disburse/sync/disburse',
    body: {
      header: { version: '1.0.0', message_id: key, message_ts: new Date().toISOString(), action: 'disburse', sender_id: 'openg2p',
        total_count: n },
      message: { transaction_id: `tx-${key}`, disbursements: Array.from({ length: n }, (_, i) =>
        ({ reference_id: `r${i}`, payer_fa: 'account:treasury@govbank', payee_fa: `mobile:${msisdn(i)}@payeefsp${(i % 2) + 1}`, amount:
          '5.00', currency_code: 'USD' })) },
    },
  };
}
