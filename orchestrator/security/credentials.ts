/**
 * Who is calling: API keys (stored as sha256 hashes, compared in constant time), bearer JWTs (verified with jose:
 * HS256, RS256, EdDSA; keys from a secret, a JWKS file or a JWKS URL, re-read so keys rotate without a restart),
 * and per-API unauthenticated access restricted by address. The result is a Principal: a client, its scopes and
 * the programs (tenants) whose batches it may submit and see.
 */
import { createHash, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JSONWebKeySet } from 'jose';
import { SCOPES, type ApiKeyClient, type ApiName, type AuthConfig, type JwtSettings, type Scope,
  type UnauthenticatedAccess } from './config';

export interface Principal {
  client: string;
  scopes: ReadonlySet<Scope>;
  /** Programs the client may use; `*` = every program. */
  programs: readonly string[];
  via: 'api-key' | 'jwt' | 'unauthenticated' | 'auth-off';
}

export const ALL_PROGRAMS = '*';
/** The program of batches submitted without one (and of every batch stored while authentication was off). */
export const DEFAULT_PROGRAM = 'default';

export class AuthFailure extends Error {
  constructor(readonly status: 401 | 403, readonly code: string, message: string) {
    super(message);
    this.name = 'AuthFailure';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// API keys

/** A new random API key: `gpo_` + 32 random bytes, base64url. */
export function newApiKey(): string {
  return `gpo_${randomBytes(32).toString('base64url')}`;
}

/** What the configuration stores for a key: `sha256:<hex>`. Keys are long random strings, so a plain hash suffices. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

class ApiKeys {
  private readonly entries: Array<{ hash: Buffer; client: ApiKeyClient }>;
  constructor(clients: ApiKeyClient[]) {
    this.entries = clients.map((c) => ({ hash: Buffer.from(c.keyHash.slice('sha256:'.length), 'hex'), client: c }));
  }
  get size(): number {
    return this.entries.length;
  }
  /** Every configured hash is compared (no early exit), each in constant time. */
  find(key: string): ApiKeyClient | undefined {
    const h = createHash('sha256').update(key, 'utf8').digest();
    let found: ApiKeyClient | undefined;
    for (const e of this.entries) if (timingSafeEqual(h, e.hash) && !found) found = e.client;
    return found;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JWTs

type KeyResolver = Parameters<typeof jwtVerify>[1];

/** A JWKS file, re-read when its modification time changes (checked at most once per cooldown, or after refreshMs). */
class FileJwks {
  private jwks?: ReturnType<typeof createLocalJWKSet>;
  private mtimeMs = -1;
  private checkedAt = 0;
  constructor(private readonly file: string, private readonly refreshMs: number, private readonly cooldownMs: number) {
    this.reload(true);
  }
  private reload(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.checkedAt < this.cooldownMs) return;
    this.checkedAt = now;
    const m = statSync(this.file).mtimeMs;
    if (!force && m === this.mtimeMs) return;
    const doc = JSON.parse(readFileSync(this.file, 'utf8')) as JSONWebKeySet;
    this.jwks = createLocalJWKSet(doc);
    this.mtimeMs = m;
  }
  resolver(): KeyResolver {
    return async (header, token) => {
      if (Date.now() - this.checkedAt > this.refreshMs) this.reload(false);
      try {
        return await this.jwks!(header, token);
      } catch (err) {
        if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
        this.reload(false);
        return this.jwks!(header, token);
      }
    };
  }
}

function claimList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

class JwtVerifier {
  private readonly resolvers: KeyResolver[] = [];
  constructor(private readonly s: JwtSettings) {
    const refreshMs = s.refreshMs ?? 300_000;
    const cooldownMs = s.cooldownMs ?? 30_000;
    if (s.secret) this.resolvers.push(createSecretKey(Buffer.from(s.secret, 'utf8')) as unknown as KeyResolver);
    if (s.jwksFile) this.resolvers.push(new FileJwks(s.jwksFile, refreshMs, cooldownMs).resolver());
    if (s.jwksUrl) this.resolvers.push(createRemoteJWKSet(new URL(s.jwksUrl),
      { cacheMaxAge: refreshMs, cooldownDuration: cooldownMs, timeoutDuration: 5000 }) as unknown as KeyResolver);
  }

  async verify(token: string): Promise<Principal> {
    const algorithms = this.s.algorithms ?? ['HS256', 'RS256', 'EdDSA'];
    let last: unknown;
    for (const resolver of this.resolvers) {
      try {
        const { payload } = await jwtVerify(token, resolver as never, {
          algorithms, issuer: this.s.issuer, audience: this.s.audience, clockTolerance: this.s.clockToleranceSec ?? 30, requiredClaims:
            ['exp'],
        });
        return this.principal(payload);
      } catch (err) {
        last = err;
        // A claim problem is final; a key that does not match may match the next source.
        if (err instanceof joseErrors.JWTExpired || err instanceof joseErrors.JWTClaimValidationFailed) break;
      }
    }
    throw tokenFailure(last);
  }

  private principal(p: JWTPayload): Principal {
    const client = [p[this.s.clientClaim ?? 'client_id'], p.azp, p.sub].find((v): v is string => typeof v === 'string' && v.length > 0);
    if (!client) throw new AuthFailure(401, 'INVALID_TOKEN', 'the token names no client (client_id, azp or sub)');
    const scopeNames = [...claimList(p[this.s.scopeClaim ?? 'scope']), ...claimList(p.scp)];
    const scopes = new Set(scopeNames.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)));
    const programs = claimList(p[this.s.programClaim ?? 'program']);
    return { client, scopes, programs: programs.length ? programs : [client], via: 'jwt' };
  }
}

function tokenFailure(err: unknown): AuthFailure {
  if (err instanceof AuthFailure) return err;
  if (err instanceof joseErrors.JWTExpired) return new AuthFailure(401, 'TOKEN_EXPIRED', 'the token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) return new AuthFailure(401, 'INVALID_TOKEN',
    `the token's ${err.claim} claim is not accepted`);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey) return new AuthFailure(401,
    'INVALID_TOKEN', 'the token signature does not verify with any known key');
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new AuthFailure(401, 'INVALID_TOKEN',
    'the token is signed with an algorithm that is not accepted');
  return new AuthFailure(401, 'INVALID_TOKEN', 'the token cannot be verified');
}

// ---------------------------------------------------------------------------------------------------------------
// Unauthenticated access by address

function blockList(entries: string[] | undefined): BlockList | undefined {
  if (!entries?.length) return undefined;
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return list;
}

function allows(list: BlockList | undefined, remote: string): boolean {
  if (!list) return true;
  const v4 = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
  return isIP(v4) === 4 ? list.check(v4, 'ipv4') : list.check(remote, 'ipv6');
}

// ---------------------------------------------------------------------------------------------------------------

export interface PresentedCredentials {
  authorization?: string;
  apiKey?: string;
  remoteAddress: string;
  api: ApiName;
}

export const SCOPES_ALL: ReadonlySet<Scope> = new Set(SCOPES);

export class Authenticator {
  private readonly keys: ApiKeys;
  private readonly jwt?: JwtVerifier;
  private readonly open: Partial<Record<ApiName, { access: UnauthenticatedAccess; from?: BlockList }>> = {};

  constructor(private readonly config: AuthConfig) {
    this.keys = new ApiKeys(config.apiKeys);
    if (config.jwt) this.jwt = new JwtVerifier(config.jwt);
    for (const [api, access] of Object.entries(config.unauthenticated) as Array<[ApiName, UnauthenticatedAccess]>) {
      this.open[api] = { access, from: blockList(access.allowFrom) };
    }
  }

  /** True when no credential of any kind is configured (then a development key is generated). */
  get unconfigured(): boolean {
    return this.keys.size === 0 && !this.jwt;
  }

  async authenticate(c: PresentedCredentials): Promise<Principal> {
    if (this.config.mode === 'off') return { client: 'anonymous', scopes: SCOPES_ALL, programs: [ALL_PROGRAMS], via: 'auth-off' };
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.authorization ?? '')?.[1];
    if (c.authorization !== undefined && bearer === undefined) throw new AuthFailure(401, 'UNAUTHENTICATED',
      'the Authorization header must be "Bearer <token or API key>"');
    const presented = bearer ?? c.apiKey;
    if (presented === undefined) {
      const open = this.open[c.api];
      if (open && allows(open.from, c.remoteAddress)) {
        const a = open.access;
        return { client: a.client, scopes: new Set(a.scopes ?? SCOPES), programs: a.programs ?? [a.client], via: 'unauthenticated' };
      }
      throw new AuthFailure(401, 'UNAUTHENTICATED', 'credentials are required: send Authorization: Bearer <token or API key>');
    }
    if (presented.split('.').length === 3) {
      if (!this.jwt) throw new AuthFailure(401, 'INVALID_TOKEN', 'bearer tokens (JWT) are not accepted here: no key source is configured');
      return this.jwt.verify(presented);
    }
    const k = this.keys.find(presented);
    if (!k) throw new AuthFailure(401, 'INVALID_API_KEY', 'the API key is not known');
    return { client: k.client, scopes: new Set(k.scopes ?? SCOPES), programs: k.programs ?? [k.client], via: 'api-key' };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Programs

export function seesAllPrograms(p: Principal): boolean {
  return p.programs.includes(ALL_PROGRAMS);
}

/** The program a batch belongs to (batches stored without one belong to the default program). */
export function batchProgram(meta: Record<string, string> | undefined): string {
  return meta?.gpo_program ?? DEFAULT_PROGRAM;
}

/** May this principal see (read, cancel, resume) a batch with this meta? */
export function maySee(p: Principal, meta: Record<string, string> | undefined): boolean {
  return seesAllPrograms(p) || p.programs.includes(batchProgram(meta));
}

/**
 * The program a new batch is submitted under: the one asked for (X-Program-ID) when the client may use it, else
 * the client's first program (or the default program for a client that may use all).
 */
export function programFor(p: Principal, asked: string | undefined): string {
  if (asked !== undefined && asked !== '') {
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(asked)) throw new AuthFailure(403, 'PROGRAM_INVALID',
      'X-Program-ID must be 1-64 letters, digits or ._:-');
    if (!seesAllPrograms(p) && !p.programs.includes(asked)) throw new AuthFailure(403, 'PROGRAM_FORBIDDEN',
      `client ${p.client} may not submit batches for program ${asked}`);
    return asked;
  }
  const first = p.programs.find((x) => x !== ALL_PROGRAMS);
  return seesAllPrograms(p) ? DEFAULT_PROGRAM : first ?? DEFAULT_PROGRAM;
}

/** Owner fields recorded in a batch's meta. */
export function ownerMeta(p: Principal, program: string): Record<string, string> {
  return { gpo_program: program, gpo_client: p.client };
}
