/**
 * installSecurity: authentication, scopes, rate limits, connection limits and the audit log on the orchestrator's
 * server, as one hapi auth scheme plus extensions. Routes declare what they need in `options.plugins.gpo`
 * ({api, scope, audit}); a route without a scope needs no credentials (health, metrics, documents, keys).
 *
 * Order for every request: route lookup, then authentication (before the body is read: an unknown caller cannot
 * make the server read 400 MB), scope check, rate limit per client, then the body, then the handler.
 */
import Boom from '@hapi/boom';
import type { Request, Server } from '@hapi/hapi';
import type { Logger } from 'pino';
import { AuditLog } from './audit';
import { API_NAMES, SCOPES, type SecurityConfig } from './config';
import { ALL_PROGRAMS, AuthFailure, Authenticator, hashApiKey, newApiKey, type Principal } from './credentials';
import { apiOf, installEdgeFormats, installMethodNotAllowed, routeSecurity } from './edge';
import { RateLimiter } from './rate-limit';

export * from './config';
export * from './credentials';
export * from './edge';
export { AuditLog } from './audit';
export { RateLimiter } from './rate-limit';

export interface SecurityHandle {
  readonly authenticator: Authenticator;
  readonly audit: AuditLog;
  /** Generated when authentication is on and no credential is configured: printed by the command, never logged. */
  readonly developmentKey?: string;
  /** Call once every route is registered (adds the 405 catch-alls). */
  finish(): void;
}

interface Credentials {
  principal: Principal;
  scope: string[];
  user: string;
}

/** The caller of an authenticated route. */
export function principalOf(request: Request): Principal {
  const c = request.auth?.credentials as unknown as Credentials | null | undefined;
  if (!c?.principal) throw new Error('principalOf: the route has no authentication');
  return c.principal;
}

function boom(status: number, code: string, message: string, headers: Record<string, string> = {}): Boom.Boom {
  const b = new Boom.Boom(message, { statusCode: status, data: { gpoCode: code } });
  Object.assign(b.output.headers, headers);
  return b;
}

function header(request: Request, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : typeof v === "string" ? v : undefined;
}

export function installSecurity(server: Server, opts: { security: SecurityConfig; logger: Logger; dataDir: string }): SecurityHandle {
  const log = opts.logger.child({ module: 'security' });
  const { auth, limits } = opts.security;
  let developmentKey: string | undefined;
  let authConfig = auth;
  if (auth.mode === 'on' && auth.apiKeys.length === 0 && !auth.jwt) {
    developmentKey = newApiKey();
    authConfig = { ...auth, apiKeys: [{ client: 'development', keyHash: hashApiKey(developmentKey), scopes: [...SCOPES], programs:
      [ALL_PROGRAMS] }] };
    log.warn('no API keys or JWT keys are configured: a development API key was generated for this run (the command that started the ' +
      'orchestrator prints it; it is never logged)');
  }
  const authenticator = new Authenticator(authConfig);
  if (auth.mode === 'off') {
    log.warn('AUTHENTICATION IS OFF: anyone who can reach this port can submit, read, cancel and resume any batch. Use only for local ' +
      'experiments.');
  }
  for (const api of API_NAMES) {
    const u = auth.unauthenticated[api];
    if (auth.mode === 'on' && u) {
      log.warn({ api, client: u.client, allowFrom: u.allowFrom ?? 'anyone' },
        `UNAUTHENTICATED ACCESS is allowed on the ${api} API (taken as client ${u.client}${u.allowFrom?.length
          ? `, from ${u.allowFrom.join(', ')} only` : ', from ANY address'})`);
    }
  }
  const limiter = new RateLimiter(limits.requestsPerSecond, limits.burst);
  const audit = new AuditLog(opts.dataDir, opts.logger.child({ module: 'audit' }));

  server.auth.scheme('gpo', () => ({
    authenticate: async (request, h) => {
      const sec = routeSecurity(request);
      const api = apiOf(request);
      let principal: Principal;
      try {
        principal = await authenticator.authenticate({
          authorization: header(request, 'authorization'),
          apiKey: header(request, 'x-api-key'),
          remoteAddress: request.info.remoteAddress,
          api,
        });
      } catch (err) {
        if (!(err instanceof AuthFailure)) throw err;
        log.info({ api, path: request.path, code: err.code, remoteAddress: request.info.remoteAddress },
          'request refused: not authenticated');
        return h.unauthenticated(boom(err.status, err.code, err.message, { 'www-authenticate': 'Bearer' }));
      }
      if (sec?.scope && !principal.scopes.has(sec.scope)) {
        log.info({ api, path: request.path, client: principal.client, scope: sec.scope }, 'request refused: missing scope');
        throw boom(403, 'INSUFFICIENT_SCOPE', `client ${principal.client} lacks the scope ${sec.scope}`);
      }
      const key = principal.via === 'auth-off' ? `ip:${request.info.remoteAddress}` : `client:${principal.client}`;
      const wait = limiter.take(key);
      if (wait !== undefined) throw boom(429, 'RATE_LIMITED',
        `more than ${limits.requestsPerSecond} requests per second; retry in ${wait} s`, { 'retry-after': String(wait) });
      const credentials: Credentials = { principal, scope: [...principal.scopes], user: principal.client };
      return h.authenticated({ credentials: credentials as never });
    },
  }));
  server.auth.strategy('gpo', 'gpo');
  server.auth.default('gpo');

  server.ext('onPreResponse', (request, h) => {
    const sec = routeSecurity(request);
    if (sec?.audit) {
      const res = request.response as unknown as { isBoom?: boolean; statusCode?: number; output?: { statusCode: number } };
      const status = res?.isBoom ? res.output?.statusCode ?? 500 : res?.statusCode ?? 200;
      const c = request.auth?.credentials as unknown as Credentials | null | undefined;
      audit.record({
        at: new Date().toISOString(),
        action: sec.audit,
        ...(typeof request.params?.id === 'string' ? { batchId: request.params.id.slice(0, 128) } : {}),
        client: c?.principal.client ?? 'unauthenticated',
        ...(c ? { via: c.principal.via } : {}),
        remoteAddress: request.info.remoteAddress,
        ...(header(request, 'x-forwarded-for') ? { forwardedFor: String(header(request, 'x-forwarded-for')).slice(0, 200) } : {}),
        method: request.method.toUpperCase(),
        path: request.path.slice(0, 300),
        status,
        outcome: status < 400 ? 'done' : status >= 500 ? 'failed' : 'refused',
      });
    }
    return h.continue;
  });
  installEdgeFormats(server, log);

  if (limits.maxConnections > 0) server.listener.maxConnections = limits.maxConnections;
  // A client that trickles its headers in cannot hold a connection for long.
  server.listener.headersTimeout = 30_000;

  return {
    authenticator,
    audit,
    developmentKey,
    finish: () => installMethodNotAllowed(server),
  };
}
