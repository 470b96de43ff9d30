/**
 * Security settings of the orchestrator: who may call the northbound APIs (API keys, JWTs), what each client may
 * do (scopes, programs), the limits every API enforces, and G2P Connect message signatures. Every field has a
 * default; `resolveSecurity` fills them in from options and GPO_* variables.
 */

/** The three northbound APIs (operator routes belong to the native one). */
export type ApiName = 'native' | 'pil' | 'g2p-connect';
export const API_NAMES: readonly ApiName[] = ['native', 'pil', 'g2p-connect'];

export const SCOPES = ['batches:submit', 'batches:read', 'batches:operate'] as const;
export type Scope = (typeof SCOPES)[number];

/** A client holding a static API key. Only the key's hash is configured: `sha256:<hex>` (see `gpo api-key`). */
export interface ApiKeyClient {
  client: string;
  keyHash: string;
  /** Default: every scope. */
  scopes?: Scope[];
  /** Programs (tenants) whose batches the client submits and sees; `*` = all. Default: a program named after the client. */
  programs?: string[];
}

export interface JwtSettings {
  /** HS256 shared secret (at least 32 characters). */
  secret?: string;
  /** A JWKS document on disk (RS256, EdDSA or oct keys); re-read when it changes. */
  jwksFile?: string;
  /** A JWKS endpoint; fetched again when a token names an unknown key or the cache is older than refreshMs. */
  jwksUrl?: string;
  issuer?: string | string[];
  audience?: string | string[];
  /** Default HS256, RS256, EdDSA. */
  algorithms?: string[];
  clockToleranceSec?: number;
  /** How long keys are cached before the file or URL is read again (ms, default 300000). */
  refreshMs?: number;
  /** Shortest time between two key re-reads forced by an unknown key id (ms, default 30000). */
  cooldownMs?: number;
  /** Claim holding the scopes (space-separated string or array); default `scope`, `scp` also read. */
  scopeClaim?: string;
  /** Claim holding the program(s) (string or array); default `program`. */
  programClaim?: string;
  /** Claim naming the client; default `client_id`, then `azp`, then `sub`. */
  clientClaim?: string;
}

/**
 * Requests without credentials on one API, taken as this client. For callers that cannot send any (OpenG2P's
 * interop-layer payment manager sends none): restrict them to the caller's addresses with allowFrom.
 */
export interface UnauthenticatedAccess {
  client: string;
  scopes?: Scope[];
  programs?: string[];
  /** Addresses or CIDR blocks (IPv4 or IPv6) allowed without credentials; empty or absent = anyone who can reach the port. */
  allowFrom?: string[];
}

export interface AuthConfig {
  mode: 'on' | 'off';
  apiKeys: ApiKeyClient[];
  jwt?: JwtSettings;
  unauthenticated: Partial<Record<ApiName, UnauthenticatedAccess>>;
}

export interface LimitsConfig {
  /** Largest request body per API, bytes (native after gzip decompression too). */
  maxBodyBytes: Record<ApiName, number>;
  /** Deepest JSON nesting accepted (objects and arrays). */
  maxJsonDepth: number;
  /** Most payments one batch (= one request, in every API) may carry. */
  maxPaymentsPerBatch: number;
  /** Sustained requests per second per client (0 = unlimited), and the burst above it. */
  requestsPerSecond: number;
  burst: number;
  /** Open connections at once (0 = unlimited). */
  maxConnections: number;
  /** A CSV upload stops being read after this many errors. */
  maxCsvErrors: number;
}

export type SignatureMode = 'required' | 'optional' | 'off';

/** A JWKS given inline, in a file, or at a URL. */
export interface KeySource {
  jwks?: { keys: Array<Record<string, unknown>> };
  jwksFile?: string;
  jwksUrl?: string;
}

export interface G2pSignatureConfig {
  /** Incoming /disburse and txn/status: signature required, checked when present, or ignored. */
  mode: SignatureMode;
  /** Public keys per sender_id. */
  senders: Record<string, KeySource>;
  /** GPO's own signing key (a private JWK, EdDSA or RS256), inline or in a file; generated and kept in the data directory when absent. */
  signingKey?: Record<string, unknown>;
  signingKeyFile?: string;
  /** Sign on-disburse and on-status callbacks (default true). */
  signCallbacks: boolean;
}

export interface SecurityOptions {
  auth?: Partial<AuthConfig> | 'on' | 'off';
  limits?: Partial<Omit<LimitsConfig, 'maxBodyBytes'>> & { maxBodyBytes?: Partial<Record<ApiName, number>> };
  g2pSignatures?: Partial<G2pSignatureConfig>;
}

export interface SecurityConfig {
  auth: AuthConfig;
  limits: LimitsConfig;
  g2pSignatures: G2pSignatureConfig;
}

export const DEFAULT_LIMITS: LimitsConfig = {
  maxBodyBytes: { native: 400 * 1024 * 1024, pil: 5 * 1024 * 1024, 'g2p-connect': 64 * 1024 * 1024 },
  maxJsonDepth: 32,
  maxPaymentsPerBatch: 1_000_000,
  requestsPerSecond: 0,
  burst: 0,
  maxConnections: 0,
  maxCsvErrors: 1000,
};

/** Rate per client when authentication is on and nothing else is configured. */
export const DEFAULT_AUTH_RATE = { requestsPerSecond: 100, burst: 200 };

function envNumber(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Options over GPO_* variables over defaults. Authentication is off unless asked for (the commands people run,
 * `gpo up`, `gpo orchestrator` and the image, turn it on); when off the orchestrator says so loudly at start.
 */
export function resolveSecurity(opts: SecurityOptions, env: NodeJS.ProcessEnv = process.env): SecurityConfig {
  const authOpt = typeof opts.auth === 'string' ? { mode: opts.auth } : opts.auth ?? {};
  const mode = authOpt.mode ?? (env.GPO_AUTH === 'on' || env.GPO_AUTH === 'off' ? env.GPO_AUTH : 'off');
  const jwt = authOpt.jwt ?? (env.GPO_JWKS_URL || env.GPO_JWKS_FILE || env.GPO_JWT_SECRET ? {
    jwksUrl: env.GPO_JWKS_URL || undefined, jwksFile: env.GPO_JWKS_FILE || undefined, secret: env.GPO_JWT_SECRET || undefined,
    issuer: env.GPO_JWT_ISSUER || undefined, audience: env.GPO_JWT_AUDIENCE || undefined,
  } : undefined);
  const auth: AuthConfig = {
    mode,
    apiKeys: authOpt.apiKeys ?? [],
    ...(jwt ? { jwt } : {}),
    unauthenticated: authOpt.unauthenticated ?? {},
  };
  const l = opts.limits ?? {};
  const rateDefault = mode === 'on' ? DEFAULT_AUTH_RATE : { requestsPerSecond: 0, burst: 0 };
  const requestsPerSecond = l.requestsPerSecond ?? envNumber(env.GPO_RATE_LIMIT) ?? rateDefault.requestsPerSecond;
  const limits: LimitsConfig = {
    maxBodyBytes: { ...DEFAULT_LIMITS.maxBodyBytes, ...(l.maxBodyBytes ?? {}) },
    maxJsonDepth: l.maxJsonDepth ?? DEFAULT_LIMITS.maxJsonDepth,
    maxPaymentsPerBatch: l.maxPaymentsPerBatch ?? envNumber(env.GPO_MAX_PAYMENTS_PER_BATCH) ?? DEFAULT_LIMITS.maxPaymentsPerBatch,
    requestsPerSecond,
    burst: l.burst ?? (l.requestsPerSecond !== undefined ? Math.max(1, l.requestsPerSecond * 2) : rateDefault.burst),
    maxConnections: l.maxConnections ?? envNumber(env.GPO_MAX_CONNECTIONS) ?? DEFAULT_LIMITS.maxConnections,
    maxCsvErrors: l.maxCsvErrors ?? DEFAULT_LIMITS.maxCsvErrors,
  };
  const s = opts.g2pSignatures ?? {};
  const sigMode = s.mode ?? (['required', 'optional', 'off'].includes(env.GPO_G2P_SIGNATURES ?? '')
    ? env.GPO_G2P_SIGNATURES as SignatureMode : 'optional');
  const g2pSignatures: G2pSignatureConfig = {
    mode: sigMode,
    senders: s.senders ?? {},
    ...(s.signingKey ? { signingKey: s.signingKey } : {}),
    ...(s.signingKeyFile ?? env.GPO_SIGNING_KEY_FILE ? { signingKeyFile: s.signingKeyFile ?? env.GPO_SIGNING_KEY_FILE } : {}),
    signCallbacks: s.signCallbacks ?? true,
  };
  return { auth, limits, g2pSignatures };
}

/** Problems with resolved security settings (empty when usable). */
export function securityProblems(c: SecurityConfig): string[] {
  const p: string[] = [];
  if (c.auth.mode !== 'on' && c.auth.mode !== 'off') p.push(`auth.mode must be on or off, not ${String(c.auth.mode)}`);
  for (const k of c.auth.apiKeys) {
    if (!k || typeof k.client !== 'string' || !k.client) p.push('every auth.apiKeys entry needs a client name');
    else if (typeof k.keyHash !== 'string'
      || !/^sha256:[0-9a-f]{64}$/.test(k.keyHash)) p.push(`auth.apiKeys ${k.client}: keyHash must be sha256:<64 hex digits> (gpo api-key ` +
        `prints one)`);
    for (const s of k?.scopes ?? []) if (!(SCOPES as readonly string[]).includes(s)) p.push(`auth.apiKeys ${k.client}: unknown scope ${s}`);
  }
  const j = c.auth.jwt;
  if (j) {
    if (!j.secret && !j.jwksFile && !j.jwksUrl) p.push('auth.jwt needs a secret, a jwksFile or a jwksUrl');
    if (j.secret !== undefined && j.secret.length < 32) p.push('auth.jwt.secret must be at least 32 characters');
  }
  for (const [api, u] of Object.entries(c.auth.unauthenticated)) {
    if (!(API_NAMES as readonly string[]).includes(api)) p.push(`auth.unauthenticated: unknown API ${api} (native, pil or g2p-connect)`);
    if (!u || typeof u.client !== 'string' || !u.client) p.push(`auth.unauthenticated.${api} needs a client name`);
  }
  if (!['required', 'optional', 'off'].includes(c.g2pSignatures.mode)) p.push('g2pSignatures.mode must be required, optional or off');
  for (const [k, v] of [['limits.maxJsonDepth', c.limits.maxJsonDepth], ['limits.maxPaymentsPerBatch', c.limits.maxPaymentsPerBatch],
    ['limits.maxCsvErrors', c.limits.maxCsvErrors]] as const) {
    if (!Number.isInteger(v) || v < 1) p.push(`${k} must be a positive integer`);
  }
  for (const [k, v] of [['limits.requestsPerSecond', c.limits.requestsPerSecond], ['limits.burst', c.limits.burst],
    ['limits.maxConnections', c.limits.maxConnections]] as const) {
    if (!Number.isFinite(v) || v < 0) p.push(`${k} must be 0 or more`);
  }
  for (const [api, v] of Object.entries(c.limits.maxBodyBytes)) if (!Number.isInteger(v)
    || v < 1024) p.push(`limits.maxBodyBytes.${api} must be an integer of at least 1024`);
  return p;
}
