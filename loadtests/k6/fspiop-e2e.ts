/**
 * fspiop-e2e: one payment per iteration, party lookup + quote + transfer through the simulated switch, the same
 * flow Mojaloop's own k6 harness (fspiopE2E) measures.
 *
 * k6 cannot receive FSPIOP callbacks, so like Mojaloop's harness (which drives its SDK scheme adapters) this script
 * plays the payer DFSP's back office: it calls the payer DFSP simulator's SDK outbound API, POST /transfers with
 * auto-accept, which does the lookup (GET /parties via the ALS), the quote (POST /quotes via the switch) and the
 * transfer (POST /transfers via the switch), waits for every callback and answers synchronously. When the payer
 * stops for acceptance (WAITING_FOR_PARTY_ACCEPTANCE / WAITING_FOR_QUOTE_ACCEPTANCE) the script accepts with
 * PUT /transfers/{id}. A flow counts as done when currentState is COMPLETED.
 *
 *   k6 run -e RATE=1500 -e DURATION=60s -e PAYER_URL=http://127.0.0.1:4020 loadtests/dist/fspiop-e2e.js
 */
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { envNum, envStr, jsonOf, JSON_HEADERS, payeeMsisdn, scenarioFromEnv, sdkErrorCode, thresholdsFromEnv, TREND_STATS,
  uuid } from './lib/env';

const BASE = envStr('TARGET', envStr('PAYER_URL', 'http://127.0.0.1:4020')).replace(/\/+$/, '');
const CURRENCY = envStr('CURRENCY', 'USD');
const AMOUNT = envStr('AMOUNT', '12.5');
const PAYEE_FSPS = envNum('PAYEE_FSPS', 2);
const FROM_ID_TYPE = envStr('FROM_ID_TYPE', 'BUSINESS');
const FROM_ID = envStr('FROM_ID', 'treasury');

const flowDuration = new Trend('gpo_flow_duration', true);
const flowOk = new Rate('gpo_flow_completed');
const flows = new Counter('gpo_flows_completed');
const errors = new Counter('gpo_errors');

export const options = {
  scenarios: {
    flows: scenarioFromEnv({ executor: 'constant-arrival-rate', rate: 100, duration: '30s', vus: 50, maxVUs: 1000 }),
  },
  thresholds: thresholdsFromEnv({
    http_req_failed: ['rate<0.01'],
    gpo_flow_completed: ['rate>0.99'],
    gpo_flow_duration: ['p(95)<1000'],
  }),
  summaryTrendStats: TREND_STATS,
};

export function setup(): { offset: number } {
  return { offset: Math.floor(Math.random() * 5_000_000) };
}

export default async function (data: { offset: number }): Promise<void> {
  // a different payee per iteration, unique across VUs in k6 and in the Node runner
  const p = payeeMsisdn(exec.scenario.iterationInTest, PAYEE_FSPS, data.offset);
  const started = Date.now();
  let res = await http.asyncRequest('POST', `${BASE}/transfers`, JSON.stringify({
    homeTransactionId: uuid(),
    from: { idType: FROM_ID_TYPE, idValue: FROM_ID },
    to: { idType: 'MSISDN', idValue: p.msisdn },
    amountType: 'SEND', currency: CURRENCY, amount: AMOUNT, transactionType: 'TRANSFER', note: 'fspiop-e2e load test',
  }), { headers: JSON_HEADERS, tags: { name: 'POST /transfers' }, timeout: '60s' });
  let body = jsonOf(res.body) as { transferId?: string; currentState?: string } | undefined;
  // Two-step acceptance when the payer DFSP is configured without auto-accept.
  for (let step = 0; step < 2 && res.status === 200 && body?.transferId; step++) {
    const accept = body.currentState === 'WAITING_FOR_PARTY_ACCEPTANCE' ? { acceptParty: true }
      : body.currentState === 'WAITING_FOR_QUOTE_ACCEPTANCE' ? { acceptQuote: true } : undefined;
    if (!accept) break;
    res = await http.asyncRequest('PUT', `${BASE}/transfers/${body.transferId}`, JSON.stringify(accept),
      { headers: JSON_HEADERS, tags: { name: 'PUT /transfers/{id}' }, timeout: '60s' });
    body = jsonOf(res.body) as typeof body;
  }
  const ok = check(res, { 'transfer COMPLETED': () => res.status === 200 && body?.currentState === 'COMPLETED' });
  flowOk.add(ok);
  if (ok) {
    flows.add(1);
    flowDuration.add(Date.now() - started);
  } else {
    errors.add(1, { code: sdkErrorCode(res.status, body) });
  }
}
