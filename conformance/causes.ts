/**
 * Why an assertion fails: rules that tag each failure of a Toolkit run with one cause, so the inventory
 * (docs/conformance/inventory.md) can say, per cause, whose behaviour it is and where the fix goes:
 *   a  GPO's bug against the spec (FSPIOP, or central-ledger's / the ALS's admin API for hub onboarding);
 *   b  Mojaloop's hub (or SDK) behaviour where the spec leaves room; GPO follows it by default in phase 1;
 *   c  cannot apply: a service GPO does not simulate, or an expectation about a peer GPO does not play;
 *   follows  a consequence of an earlier failure in the same test case (passes once that one is fixed).
 * Rules are tried in order; request-level rules (the request's own answer) win over assertion-level ones.
 */
import type { CollectionResult, FailureDetail } from './results';

export type CauseClass = 'a' | 'b' | 'c' | 'follows' | 'unclassified';

export interface Cause {
  id: string;
  cls: CauseClass;
  title: string;
}

interface Rule extends Cause {
  /** Matches on the failure (its request, answer, callback, expectation and the Toolkit's message). */
  test(f: FailureDetail, ctx: RuleContext): boolean;
}

export interface RuleContext {
  collection: string;
  /** The hub's participant name in the run (the environment's HUB_NAME). */
  hubName?: string;
  /** Base URLs of GPO's servers in the run, when known (a request elsewhere went to a service GPO lacks). */
  gpoHosts?: string[];
}

const errorOf = (body: unknown): { code?: string; description?: string } => {
  const info = (body as { errorInformation?: { errorCode?: string; errorDescription?: string } } | undefined)?.errorInformation;
  return { code: info?.errorCode, description: info?.errorDescription };
};
const exec = (f: FailureDetail) => f.expected.join('\n');
const isLoopback = (url: string | undefined) => !url || /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url);
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function bodyIds(body: unknown): string[] {
  if (!body || typeof body !== 'object') return [];
  const b = body as Record<string, unknown>;
  return ['quoteId', 'transactionId', 'transferId', 'bulkQuoteId', 'bulkTransferId', 'requestId', 'transactionRequestId']
    .map((k) => b[k]).filter((v): v is string => typeof v === 'string');
}

const versionIn = (v: unknown): string | undefined => (typeof v === 'string' ? /version=(\d+(?:\.\d+)?)/.exec(v)?.[1] : undefined);
const headerOf = (h: Record<string, unknown> | undefined, name: string): unknown =>
  Object.entries(h ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];

/**
 * For an assertion on the callback's Content-Type: 'accept' when it expects the version the request's Accept asked
 * for and got another, 'configured' when it expects a version the Accept did not ask for, undefined otherwise.
 */
function callbackVersionMismatch(f: FailureDetail): 'accept' | 'configured' | undefined {
  const m = /callback\.headers\['content-type'\]\)\.to\.equal\('[^']*version=(\d+\.\d+)'\)/.exec(exec(f));
  const got = versionIn(headerOf(f.callback?.headers, 'content-type'));
  if (!m || !got || got === m[1]) return undefined;
  const asked = versionIn(headerOf(f.sent.headers, 'accept'));
  if (!asked) return 'configured';
  const [am, an] = asked.split('.');
  const [em, en] = m[1]!.split('.');
  return am === em && (an === undefined || an === en) ? 'accept' : 'configured';
}

const RULES: Rule[] = [
  // --- request-level: the request itself went somewhere GPO does not serve, or GPO refused it ---------------------
  {
    id: 'simulator-backend', cls: 'c', title:
      "A Mojaloop simulator's back-end or test API (mojaloop-simulator, SDK test API): not part of a hub; GPO's payee has its own admin API",
    test: (f) => !isLoopback(f.sent.url),
  },
  {
    id: 'ulid-ids', cls: 'b', title:
      'ULID ids in a 1.x message refused (3100): Mojaloop validates every version against its 2.0 document, whose CorrelationId allows ' +
        'ULIDs',
    test: (f) => f.response?.status === 400 && errorOf(f.response.body).code === '3100'
      && /must match pattern/.test(errorOf(f.response.body).description ?? '')
      && (bodyIds(f.sent.body).some((id) => ULID.test(id)) || ULID.test(String(f.sent.path ?? '').split('/').pop() ?? '')),
  },
  {
    id: 'admin-settlement-models', cls: 'c', title: 'central-ledger settlement models (settlement services are not simulated)',
    test: (f) => f.response?.status === 404 && /^\/settlementModels/.test(f.sent.path ?? ''),
  },
  {
    id: 'admin-hub-accounts', cls: 'a', title:
      "central-ledger's hub accounts (`POST /participants/{hub}/accounts` HUB_RECONCILIATION, HUB_MULTILATERAL_SETTLEMENT) missing",
    test: (f) => f.response?.status === 404 && /^\/participants\/hub\/accounts/i.test(f.sent.path ?? ''),
  },
  {
    id: 'admin-accounts-funds', cls: 'a', title:
      "central-ledger's accounts and funds in/out (`GET /participants/{name}/accounts`, `POST /participants/{name}/accounts/{id}` " +
        "recordFundsIn / recordFundsOutPrepareReserve / commit / abort) missing",
    test: (f) => f.response?.status === 404 && /^\/participants\/[^/]+\/accounts/.test(f.sent.path ?? ''),
  },
  {
    id: 'admin-participant-activation', cls: 'a', title:
      "central-ledger's participant activation (`PUT /participants/{name}` {isActive}) missing",
    test: (f) => f.response?.status === 404 && (f.sent.method ?? '').toLowerCase() === 'put'
      && /^\/participants\/[^/]+$/.test(f.sent.path ?? ''),
  },
  {
    id: 'als-admin-oracles', cls: 'a', title:
      "The ALS admin API's oracles (`GET/POST /oracles`) missing (GPO's ALS has /admin/oracle instead)",
    test: (f) => f.response?.status === 404 && /^\/oracles/.test(f.sent.path ?? ''),
  },
  {
    id: 'als-put-participants', cls: 'a', title:
      'The ALS refuses `PUT /participants/{Type}/{ID}[/{SubId}][/error]` and `PUT /participants/{ID}[/error]` (404): the participants ' +
        'resource\'s callbacks, which the spec defines and Mojaloop\'s ALS accepts',
    test: (f) => (f.sent.method ?? '').toLowerCase() === 'put' && /^\/participants\//.test(f.sent.path ?? '') && f.response?.status === 404,
  },
  {
    id: 'admin-other-404', cls: 'a', title: 'Another central-ledger admin endpoint missing (404 3002)',
    test: (f) => f.response?.status === 404 && errorOf(f.response.body).code === '3002',
  },
  {
    id: 'admin-hub-participant', cls: 'a', title:
      "The hub itself as a participant of central-ledger's admin API (`POST /participants/{hub}/endpoints`, hub accounts) unknown (3200)",
    test: (f, ctx) => f.response?.status === 404 && errorOf(f.response.body).code === '3200'
      && new RegExp(`^/participants/${ctx.hubName ?? 'Hub'}/`, 'i').test(f.sent.path ?? ''),
  },
  {
    id: 'admin-fx-endpoint-types', cls: 'a', title:
      "central-ledger's FX endpoint types (`FSPIOP_CALLBACK_URL_FX_QUOTES`, `..._FX_TRANSFER_POST/PUT/ERROR`) refused as unknown (3100)",
    test: (f) => f.response?.status === 400 && /unknown endpoint type FSPIOP_CALLBACK_URL_FX/.test(errorOf(f.response.body).description
      ?? ''),
  },
  {
    id: 'admin-duplicate-limits', cls: 'b', title:
      'A second `initialPositionAndLimits`: central-ledger answers 500 (an internal-error FSPIOP error), GPO 400 3000',
    test: (f) => /initialPositionAndLimits$/.test(f.sent.path ?? '') && f.response?.status === 400
      && /expect\(response\.status\)\.to\.equal\(500\)/.test(exec(f)),
  },
  {
    id: 'positions-as-numbers', cls: 'a', title:
      "`GET /participants/{name}/positions` gives `value` / `reservedValue` as strings; central-ledger gives numbers",
    test: (f) => /\/positions$/.test(f.sent.path ?? '') && /^expected '-?[\d.]+' to (deeply )?equal [+-]?[\d.]+/.test(f.actual),
  },
  {
    id: 'parties-get-content-type', cls: 'a', title:
      '`GET /parties` without Content-Type accepted (the spec and Mojaloop require it on every request: 400 3102)',
    test: (f) => (f.sent.method ?? '').toLowerCase() === 'get' && /^\/parties\//.test(f.sent.path ?? '')
      && !Object.keys(f.sent.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')
      && f.response?.status === 202,
  },
  {
    id: 'error-description-wording', cls: 'b', title:
      'Error description wording: the collections expect the lower-case header name in `errorDescription`, as Mojaloop words it (the ' +
        'spec fixes only the code)',
    test: (f) => /errorDescription\)\.to\.(include|contain|equal)/.test(exec(f)) && (f.response?.status ?? 0) >= 400,
  },
  {
    id: 'als-unknown-party-code', cls: 'b', title:
      'Unknown party: Mojaloop\'s ALS answers 3200 (ID not found) when its oracle has no FSP for the id; GPO answers 3204 (party not found)',
    test: (f) => /errorCode\).to.equal\('3200'\)/.test(exec(f)) && f.actual.includes("'3204'"),
  },
  {
    id: 'marked-bug', cls: 'c', title:
      'The collection marks the case "(BUG)" and expects 400 3102 where the spec and Mojaloop\'s own header validation answer otherwise: ' +
        'a malformed Content-Type is 3101, an unsupported Accept version 406 3001, and a body sent without Content-Type reaches the ' +
          'server as `application/json` (the Toolkit\'s HTTP client adds it)',
    test: (f) => /\(BUG\)/.test(f.request) && (f.response?.status ?? 0) >= 400,
  },
  {
    id: 'on-us-transfer', cls: 'c', title:
      'A transfer from an FSP to itself: refused (3100) by GPO as by Mojaloop unless on-us transfers are enabled (central-ledger ' +
        '`ENABLE_ON_US_TRANSFERS`, validator.js); the environment says ON_US_TRANSFERS_ENABLED false',
    test: (f) => /payer and payee FSP are the same/.test(errorOf(f.callback?.body).description ?? ''),
  },
  {
    id: 'forward-adds-destination', cls: 'b', title:
      'A request without FSPIOP-Destination that the switch (by its body) or the ALS (by its oracle) routes is forwarded without that ' +
        'header; Mojaloop\'s hub sets FSPIOP-Destination to the FSP it routed to (central-services-shared `transformHeaders`), and the ' +
          'payee (here the Toolkit) answers from it',
    test: (f) => (((f.sent.method ?? '').toLowerCase() === 'post' && /^\/(quotes|transfers|bulkQuotes|bulkTransfers)$/.test(f.sent.path
      ?? ''))
        || ((f.sent.method ?? '').toLowerCase() === 'get' && /^\/parties\//.test(f.sent.path ?? '')))
      && !Object.keys(f.sent.headers ?? {}).some((h) => h.toLowerCase() === 'fspiop-destination') && f.response?.status === 202
        && !f.callback,
  },
  {
    id: 'callback-version-accept', cls: 'a', title:
      'The callback comes in the request\'s Content-Type version, not the version its Accept asks for (spec 3.3.4.2)',
    test: (f) => callbackVersionMismatch(f) === 'accept',
  },
  {
    id: 'callback-version-configured', cls: 'b', title:
      'The collection expects the callback in a version other than the one Accept asks for: Mojaloop\'s DFSP simulators (SDK) answer in ' +
        'their configured version; GPO answers in the version asked',
    test: (f) => callbackVersionMismatch(f) === 'configured',
  },
  {
    id: 'get-quote-no-destination', cls: 'a', title:
      '`GET /quotes/{ID}` without FSPIOP-Destination gets 3201, though the header is optional and the switch routed the original quote ' +
        'itself',
    test: (f) => (f.sent.method ?? '').toLowerCase() === 'get' && /^\/quotes\//.test(f.sent.path ?? '')
      && !Object.keys(f.sent.headers ?? {}).some((h) => h.toLowerCase() === 'fspiop-destination')
      && errorOf(f.callback?.body).code === '3201' && !/to\.equal\((200|'OK')\)/.test(exec(f)),
  },
  {
    id: 'get-sync-200', cls: 'c', title:
      'Expects `200 OK` to an asynchronous FSPIOP GET: the spec and Mojaloop\'s ml-api-adapter answer 202 (written for a peer that ' +
        'answers synchronously)',
    test: (f) => (f.sent.method ?? '').toLowerCase() === 'get' && f.response?.status === 202 && /to\.equal\((200|'OK')\)/.test(exec(f)),
  },
  {
    id: 'hub-uri-method-headers', cls: 'b', title:
      'The hub adds `FSPIOP-URI` and `FSPIOP-HTTP-Method` to the callbacks it sends and forwards (ml-api-adapter ' +
        '`createCallbackHeaders`); GPO passes headers through',
    test: (f) => /fspiop-uri|fspiop-http-method/i.test(exec(f)) && /expected undefined/.test(f.actual),
  },
  {
    id: 'jws-signatures', cls: 'b', title:
      'JWS: the collections expect signed callbacks (`FSPIOP-Signature`, ENABLE_JWS_SIGNING); optional in the spec, on in Mojaloop\'s ' +
        'SDK deployments; GPO\'s simulators do not sign',
    test: (f) => /fspiop-signature|validateJWS|Protected Headers|JWS/i.test(exec(f) + f.description),
  },
  {
    id: 'fulfil-timestamp-check', cls: 'b', title:
      "A fulfil whose completedTimestamp is in the future or too old is accepted; central-ledger refuses it with 3100 (bulk: " +
        "`src/handlers/bulk/shared/validator.js` `validateCompletedTimestamp`, MAX_FULFIL_TIMEOUT_DURATION_SECONDS 300)",
    test: (f, ctx) => /invalid[-_]timestamp/.test(ctx.collection) && /errorInformation|REJECTED|3100|ABORTED/.test(exec(f)),
  },
  // --- assertion-level: what the assertion needs that GPO's world cannot give --------------------------------------
  {
    id: 'sdk-test-websocket', cls: 'c', title:
      "The Mojaloop SDK simulator's test websocket (`*_SDK_TESTAPI_WS_URL`, ENABLE_WS_ASSERTIONS): what the payee received, read from " +
        "the SDK's test API",
    test: (f) => /ENABLE_WS_ASSERTIONS|websocket\.|environment\.payee(Request|Response)|environment\.payer(Request|Response)/.test(exec(f)),
  },
]

const UNCLASSIFIED: Cause = { id: 'unclassified', cls: 'unclassified', title: 'Not yet classified' };

export function allCauses(): Cause[] {
  return [...RULES.map(({ id, cls, title }) => ({ id, cls, title })), UNCLASSIFIED];
}

/** The cause of one failure. */
export function causeOf(f: FailureDetail, ctx: RuleContext): Cause {
  const r = RULES.find((rule) => rule.test(f, ctx));
  return r ? { id: r.id, cls: r.cls, title: r.title } : UNCLASSIFIED;
}

export interface ClassifiedFailure extends FailureDetail {
  collection: string;
  cause: Cause;
}

/** Causes that stop a flow: a later step of the same test case that fails unclassified follows from them. */
const FLOW_BREAKERS = new Set(['ulid-ids', 'admin-hub-accounts', 'admin-accounts-funds', 'admin-participant-activation',
  'admin-hub-participant', 'admin-other-404', 'als-admin-oracles']);

/**
 * Every failure of a run with its cause. An unclassified failure of a request that comes after a request of the
 * same test case that failed for a flow-breaking cause `follows` that cause (it is expected to pass once that is
 * fixed; the next run says whether it does).
 */
export function classify(results: CollectionResult[], ctx: Omit<RuleContext, 'collection'> = {}): ClassifiedFailure[] {
  const out: ClassifiedFailure[] = [];
  for (const r of results) {
    let testCase = '';
    let breaker: Cause | undefined;
    let breakerRequest = '';
    for (const f of r.failures) {
      if (f.testCase !== testCase) {
        testCase = f.testCase;
        breaker = undefined;
      }
      let cause = causeOf(f, { ...ctx, collection: r.id });
      if (cause.id === 'unclassified' && breaker && f.request !== breakerRequest) {
        cause = { id: `follows:${breaker.id}`, cls: 'follows', title: `Follows from an earlier step of the test case (${breaker.id})` };
      } else if (!breaker && FLOW_BREAKERS.has(cause.id)) {
        breaker = cause;
        breakerRequest = f.request;
      }
      out.push({ ...f, collection: r.id, cause });
    }
  }
  return out;
}
