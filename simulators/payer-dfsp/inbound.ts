/**
 * The payer DFSP's FSPIOP inbound surface: the callbacks of the requests it sent (parties, quotes, transfers,
 * bulkQuotes, bulkTransfers and their /error variants). Headers and bodies are checked against the FSPIOP v1.1
 * spec; a callback that breaks it is answered 400, recorded as a violation and ends the waiting request with the
 * validation error instead of leaving it to time out (transfer answers excepted: what the hub committed is booked).
 */
import type { Request, ResponseToolkit, Server, ServerRoute } from '@hapi/hapi';
import { callbackKey, FspiopClient } from '../fspiop/client';
import type { FaultRules } from '../rules';
import { checkBody } from '../fspiop/validate';
import { checkHeaders, FspiopResource } from '../fspiop/headers';
import type { HeaderProblem } from '../fspiop/errors';
import type { Violation } from '../fspiop/validate';

export type { Violation };

const SUCCESS_SCHEMA: Record<string, string> = {
  parties: 'PartiesTypeIDPutResponse',
  quotes: 'QuotesIDPutResponse',
  transfers: 'TransfersIDPutResponse',
  bulkQuotes: 'BulkQuotesIDPutResponse',
  bulkTransfers: 'BulkTransfersIDPutResponse',
};

export const INBOUND_SCHEMAS = [...Object.values(SUCCESS_SCHEMA), 'ErrorInformationObject'];

/**
 * Fault rules with `match.method: "CALLBACK"` act on callbacks arriving here: `noCallback` loses the callback
 * (answered 200, never handed over), `delay` holds it back.
 */
export function registerInbound(server: Server, client: FspiopClient, violations: Violation[], faults?: FaultRules): void {
  const record = (req: Request, p: HeaderProblem): void => {
    violations.push({
      at: new Date().toISOString(), method: req.method.toUpperCase(), path: req.path,
      source: req.headers['fspiop-source'] as string | undefined,
      errorCode: p.body.errorInformation.errorCode, detail: p.body.errorInformation.errorDescription,
    });
    if (violations.length > 10_000) violations.shift();
  };

  const handler = (resource: FspiopResource, isError: boolean) => (req: Request, h: ResponseToolkit) => {
    const p = req.params;
    const ids = resource === 'parties'
      ? [String(p.Type), String(p.ID), ...(p.SubId ? [String(p.SubId)] : [])]
      : [String(p.ID)];
    const key = callbackKey(resource, ...ids);
    const problem = checkHeaders(req.headers, resource, { hasBody: true, isCallback: true })
      ?? checkBody(isError ? 'ErrorInformationObject' : SUCCESS_SCHEMA[resource], req.payload);
    if (problem) {
      record(req, problem);
      const moneyMoved = !isError && (resource === 'transfers' || resource === 'bulkTransfers')
        && typeof (req.payload as { transferState?: unknown; bulkTransferState?: unknown } | null)?.[resource === 'transfers'
          ? 'transferState' : 'bulkTransferState'] === 'string';
      // a transfer answer is booked even when it breaks the spec: the hub has already decided, and the treasury
      // must follow what it committed; any other request ends now with the reason rather than timing out
      client.deliver(key, !moneyMoved, moneyMoved ? req.payload : problem.body);
      return h.response(problem.body).code(problem.status);
    }
    if (faults?.size) {
      const actions = faults.evaluate({ resource, method: 'CALLBACK' });
      if (actions.some((a) => a.type === 'noCallback')) return h.response().code(200);
      const delay = actions.reduce((t, a) => t + (a.type === 'delay' ? a.ms : 0), 0);
      if (delay > 0) {
        const body = req.payload;
        setTimeout(() => client.deliver(key, isError, body), delay).unref?.();
        return h.response().code(200);
      }
    }
    client.deliver(key, isError, req.payload);
    return h.response().code(200);
  };

  const routes: ServerRoute[] = [];
  for (const resource of ['quotes', 'transfers', 'bulkQuotes', 'bulkTransfers'] as const) {
    routes.push({ method: 'PUT', path: `/${resource}/{ID}`, handler: handler(resource, false) });
    routes.push({ method: 'PUT', path: `/${resource}/{ID}/error`, handler: handler(resource, true) });
  }
  routes.push({ method: 'PUT', path: '/parties/{Type}/{ID}', handler: handler('parties', false) });
  routes.push({ method: 'PUT', path: '/parties/{Type}/{ID}/error', handler: handler('parties', true) });
  routes.push({ method: 'PUT', path: '/parties/{Type}/{ID}/{SubId}', handler: handler('parties', false) });
  routes.push({ method: 'PUT', path: '/parties/{Type}/{ID}/{SubId}/error', handler: handler('parties', true) });
  server.route(routes);
}
