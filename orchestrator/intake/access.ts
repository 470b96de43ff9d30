/**
 * How the northbound APIs use the security layer: route options (which API, which scope, body limits), the JSON
 * body read at the edge, and batch ownership (a batch records its program; a client sees only its programs').
 */
import type { Request, ResponseObject, ResponseToolkit, RouteOptions } from '@hapi/hapi';
import type { BatchView, SubmitBatchCommand } from '../domain/types';
import { DEFAULT_LIMITS, type ApiName, type LimitsConfig, type Scope } from '../security/config';
import { ALL_PROGRAMS, AuthFailure, maySee, ownerMeta, programFor, SCOPES_ALL, type Principal } from '../security/credentials';
import { EdgeError, edgeResponse, readJsonBody, type RouteSecurity } from '../security/edge';
import type { IntakeDeps } from './deps';

const NOBODY: Principal = { client: 'anonymous', scopes: SCOPES_ALL, programs: [ALL_PROGRAMS], via: 'auth-off' };

export function limitsOf(deps: IntakeDeps): LimitsConfig {
  return deps.security?.limits ?? DEFAULT_LIMITS;
}

/** The caller: the authenticated principal, or everyone-may-do-anything when the server has no authentication. */
export function callerOf(request: Request): Principal {
  const c = request.auth?.credentials as { principal?: Principal } | null | undefined;
  return c?.principal ?? NOBODY;
}

/** Route options for an API route: its API and scope for the edge, the body read raw (parsed by readBody). */
export function apiRoute(deps: IntakeDeps, api: ApiName, scope: Scope,
  extra: { audit?: string; body?: boolean; maxBytes?: number } = {}): RouteOptions {
  const gpo: RouteSecurity = { api, scope, ...(extra.audit ? { audit: extra.audit } : {}) };
  return {
    plugins: { gpo },
    ...(deps.security ? {} : { auth: false }),
    ...(extra.body ? { payload: { parse: false, output: 'data', maxBytes: extra.maxBytes ?? limitsOf(deps).maxBodyBytes[api], timeout:
      false } } : {}),
  } as RouteOptions;
}

export type BodyResult = { ok: true; body: unknown; raw: Buffer } | { ok: false; response: ResponseObject };

/** The request's JSON body, or the refusal in the API's format (media type, depth, prototype keys, syntax). */
export function readBody(request: Request, h: ResponseToolkit, deps: IntakeDeps, api: ApiName): BodyResult {
  try {
    const body = readJsonBody(request, limitsOf(deps).maxJsonDepth);
    return { ok: true, body, raw: request.payload as Buffer };
  } catch (err) {
    if (err instanceof EdgeError) return { ok: false, response: edgeResponse(h, api, err) };
    throw err;
  }
}

/** Records the caller as the batch's owner (when callers are authenticated); throws AuthFailure for a program the caller may not use. */
export function stampOwner(deps: IntakeDeps, request: Request, cmd: SubmitBatchCommand): void {
  if (!deps.security?.authOn) return;
  const p = callerOf(request);
  const asked = request.headers['x-program-id'];
  const program = programFor(p, typeof asked === 'string' ? asked : undefined);
  cmd.meta = { ...(cmd.meta ?? {}), ...ownerMeta(p, program) };
}

/** May the caller see this batch? (Always, without authentication.) */
export function visibleTo(request: Request, batch: BatchView | undefined): batch is BatchView {
  return batch !== undefined && maySee(callerOf(request), batch.meta);
}

export function authFailureResponse(h: ResponseToolkit, api: ApiName, err: AuthFailure): ResponseObject {
  return edgeResponse(h, api, new EdgeError(err.status, err.code, err.message));
}
