/**
 * fspiop-bulk: FSPIOP bulk payments of ITEMS (default 1000, the FSPIOP maximum) through the simulated switch.
 * Like fspiop-e2e it plays the payer DFSP's back office on the payer DFSP simulator's SDK outbound API (k6 cannot
 * receive the FSPIOP callbacks):
 *   MODE=bulkQuotesTransfers (default): POST /bulkQuotes (switch -> payee bulkQuotes), then POST /bulkTransfers with
 *     the quotes' ILP packets and conditions (switch -> payee bulkTransfers); every item goes to one payee FSP.
 *   MODE=bulkTransactions: POST /bulkTransactions with auto-accept and synchronous answer; the payer does the
 *     lookups, splits per payee FSP into bulks of at most 1000, quotes and transfers. The SDK scheme adapter itself
 *     answers 202 and stalls with autoAcceptQuote on: this mode needs the payer DFSP simulator's extensions
 *     synchronousBulkTransactions, getBulkTransaction and bulkAutoAcceptQuote (gpo load --start-world enables them;
 *     a payer started with gpo sim payer-dfsp takes them from its --config file, key "extensions").
 *
 *   k6 run -e BULKS=20 -e VUS=2 -e PAYER_URL=http://127.0.0.1:4020 loadtests/dist/fspiop-bulk.js
 */
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { envNum, envStr, jsonOf, JSON_HEADERS, payeeMsisdn, scenarioFromEnv, sdkErrorCode, thresholdsFromEnv, TREND_STATS,
  uuid } from './lib/env';

const BASE = envStr('TARGET', envStr('PAYER_URL', 'http://127.0.0.1:4020')).replace(/\/+$/, '');
const MODE = envStr('MODE', 'bulkQuotesTransfers');
const ITEMS = envNum('ITEMS', 1000);
// PAYMENTS (gpo load --payments) gives the number of bulks: PAYMENTS / ITEMS, rounded up.
const BULKS = envNum('BULKS', __ENV.PAYMENTS ? Math.ceil(envNum('PAYMENTS', 0) / ITEMS) : 10);
const CURRENCY = envStr('CURRENCY', 'USD');
const AMOUNT = envStr('AMOUNT', '3');
const PAYEE_FSPS = envNum('PAYEE_FSPS', 2);
const FROM_ID_TYPE = envStr('FROM_ID_TYPE', 'BUSINESS');
const FROM_ID = envStr('FROM_ID', 'treasury');
const POLL_MS = envNum('POLL_MS', 200);
const BULK_TIMEOUT_S = envNum('BULK_TIMEOUT_S', 300);

const bulkDuration = new Trend('gpo_bulk_duration', true);
const quoteDuration = new Trend('gpo_bulk_quote_duration', true);
const transferDuration = new Trend('gpo_bulk_transfer_duration', true);
const itemsPerSecond = new Trend('gpo_bulk_items_per_second');
const itemsDone = new Counter('gpo_bulk_items_completed');
const itemOk = new Rate('gpo_bulk_item_completed');
const errors = new Counter('gpo_errors');

export const options = {
  scenarios: {
    bulks: scenarioFromEnv({ executor: 'shared-iterations', vus: 2, iterations: BULKS, maxDuration: '30m' }),
  },
  thresholds: thresholdsFromEnv({
    http_req_failed: ['rate<0.01'],
    gpo_bulk_item_completed: ['rate>0.99'],
    gpo_bulk_duration: ['p(95)<10000'],
  }),
  summaryTrendStats: TREND_STATS,
};

export function setup(): { offset: number } {
  return { offset: Math.floor(Math.random() * 5_000_000) };
}

function itemResults(ok: number, total: number, failures: Record<string, number>): void {
  itemsDone.add(ok);
  for (let i = 0; i < ok; i++) itemOk.add(true);
  for (let i = ok; i < total; i++) itemOk.add(false);
  for (const code of Object.keys(failures)) errors.add(failures[code], { code });
}

function codeOf(item: { lastError?: unknown; errorInformation?: unknown }): string {
  return sdkErrorCode(200, item).replace(/^HTTP 200$/, 'item failed');
}

async function quotesThenTransfers(offset: number): Promise<void> {
  const bulk = exec.scenario.iterationInTest; // unique across VUs in k6 and in the Node runner
  const fsp = (bulk % PAYEE_FSPS) + 1;
  const from = { idType: FROM_ID_TYPE, idValue: FROM_ID };
  const quotes: Array<{ quoteId: string; to: { idType: string; idValue: string; fspId: string }; amountType: string; currency: string;
    amount: string; transactionType: string }> = [];
  for (let i = 0; i < ITEMS; i++) {
    // every item of one bulk goes to the same payee FSP, as a payer splits bulks per payee FSP
    const p = payeeMsisdn((bulk * ITEMS + i) * PAYEE_FSPS + fsp - 1, PAYEE_FSPS, offset);
    quotes.push({ quoteId: uuid(), to: { idType: 'MSISDN', idValue: p.msisdn, fspId: `payeefsp${fsp}` }, amountType: 'SEND', currency:
      CURRENCY, amount: AMOUNT, transactionType: 'TRANSFER' });
  }
  const started = Date.now();
  const q = await http.asyncRequest('POST', `${BASE}/bulkQuotes`, JSON.stringify({ homeTransactionId: uuid(), bulkQuoteId: uuid(), from,
    individualQuotes: quotes }), {
    headers: JSON_HEADERS, tags: { name: 'POST /bulkQuotes' }, timeout: '120s',
  });
  quoteDuration.add(q.timings.duration);
  const qb = jsonOf(q.body) as { bulkQuoteId?: string; currentState?: string;
    individualQuoteResults?: Array<{ quoteId: string; transferAmount?: { amount: string; currency: string }; ilpPacket?: string;
      condition?: string; lastError?: unknown }> } | undefined;
  if (!check(q, { 'bulk quote COMPLETED': () => q.status === 200 && qb?.currentState === 'COMPLETED'
    && Array.isArray(qb.individualQuoteResults) })) {
    itemResults(0, ITEMS, { [sdkErrorCode(q.status, qb)]: ITEMS });
    return;
  }
  const byQuote: Record<string, (typeof quotes)[number]> = {};
  for (const it of quotes) byQuote[it.quoteId] = it;
  const failures: Record<string, number> = {};
  const transfers = [];
  for (const r of qb?.individualQuoteResults ?? []) {
    const asked = byQuote[r.quoteId];
    if (!asked || r.lastError || !r.ilpPacket || !r.condition) {
      const c = codeOf(r);
      failures[c] = (failures[c] ?? 0) + 1;
      continue;
    }
    transfers.push({ transferId: uuid(), to: asked.to, amountType: 'SEND', currency: CURRENCY, amount: r.transferAmount?.amount ?? AMOUNT,
      ilpPacket: r.ilpPacket, condition: r.condition });
  }
  const t = await http.asyncRequest('POST', `${BASE}/bulkTransfers`, JSON.stringify({ homeTransactionId: uuid(), bulkTransferId: uuid(),
    bulkQuoteId: qb?.bulkQuoteId, from, individualTransfers: transfers }), {
    headers: JSON_HEADERS, tags: { name: 'POST /bulkTransfers' }, timeout: '120s',
  });
  transferDuration.add(t.timings.duration);
  const tb = jsonOf(t.body) as { currentState?: string; individualTransferResults?: Array<{ transferId: string; fulfilment?: string;
    lastError?: unknown }> } | undefined;
  if (!check(t, { 'bulk transfer COMPLETED': () => t.status === 200 && tb?.currentState === 'COMPLETED' })) {
    const c = sdkErrorCode(t.status, tb);
    failures[c] = (failures[c] ?? 0) + transfers.length;
    itemResults(0, ITEMS, failures);
    return;
  }
  let ok = 0;
  for (const r of tb?.individualTransferResults ?? []) {
    if (r.fulfilment && !r.lastError) ok++;
    else {
      const c = codeOf(r);
      failures[c] = (failures[c] ?? 0) + 1;
    }
  }
  const elapsed = Date.now() - started;
  bulkDuration.add(elapsed);
  itemsPerSecond.add(ok / Math.max(elapsed / 1000, 0.001));
  itemResults(ok, ITEMS, failures);
}

const FINAL_BULK = ['COMPLETED', 'ERROR_OCCURRED'];

async function bulkTransaction(offset: number): Promise<void> {
  const bulk = exec.scenario.iterationInTest; // unique across VUs in k6 and in the Node runner
  const individualTransfers = [];
  for (let i = 0; i < ITEMS; i++) {
    const p = payeeMsisdn(bulk * ITEMS + i, PAYEE_FSPS, offset);
    individualTransfers.push({ homeTransactionId: uuid(), to: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: p.msisdn } },
      amountType: 'SEND', currency: CURRENCY, amount: AMOUNT });
  }
  const id = uuid();
  const started = Date.now();
  const res = await http.asyncRequest('POST', `${BASE}/bulkTransactions`, JSON.stringify({
    // bulkTransactions addresses parties in the FSPIOP Party shape (partyIdInfo), unlike /transfers and /bulkQuotes
    bulkTransactionId: id, bulkHomeTransactionID: uuid(), from: { partyIdInfo: { partyIdType: FROM_ID_TYPE, partyIdentifier: FROM_ID } },
    individualTransfers,
    options: {
      autoAcceptParty: { enabled: true },
      autoAcceptQuote: { enabled: true, perTransferFeeLimits: [{ currency: CURRENCY, amount: '1000' }] },
      bulkExpiration: new Date(Date.now() + BULK_TIMEOUT_S * 1000).toISOString(),
      synchronous: true,
    },
  }), { headers: JSON_HEADERS, tags: { name: 'POST /bulkTransactions' }, timeout: `${BULK_TIMEOUT_S}s` });
  let body = jsonOf(res.body) as { currentState?: string; individualTransferResults?: Array<{ fulfil?: unknown; fulfilment?: string;
    transferState?: string; currentState?: string; lastError?: unknown }> } | undefined;
  if (res.status < 200 || res.status >= 300) {
    itemResults(0, ITEMS, { [sdkErrorCode(res.status, body)]: ITEMS });
    return;
  }
  // Without a synchronous answer, poll the payer's GET /bulkTransactions/{id} until it is final.
  const deadline = started + BULK_TIMEOUT_S * 1000;
  while (!FINAL_BULK.includes(String(body?.currentState)) && Date.now() < deadline) {
    await sleep(POLL_MS / 1000);
    const poll = await http.asyncRequest('GET', `${BASE}/bulkTransactions/${id}`, null,
      { headers: { accept: 'application/json' }, tags: { name: 'GET /bulkTransactions/{id}' }, timeout: '60s' });
    if (poll.status === 200) body = jsonOf(poll.body) as typeof body;
  }
  const failures: Record<string, number> = {};
  let ok = 0;
  for (const r of body?.individualTransferResults ?? []) {
    const done = !r.lastError && (r.fulfilment || r.fulfil || r.transferState === 'COMMITTED' || r.currentState === 'COMPLETED');
    if (done) ok++;
    else {
      const c = codeOf(r);
      failures[c] = (failures[c] ?? 0) + 1;
    }
  }
  const missing = ITEMS - ok - Object.values(failures).reduce((a, b) => a + b, 0);
  if (missing > 0) failures[FINAL_BULK.includes(String(body?.currentState)) ? 'no item result' : 'bulk timeout'] = missing;
  check(body, { 'bulk transaction COMPLETED': (b) => b?.currentState === 'COMPLETED' });
  const elapsed = Date.now() - started;
  bulkDuration.add(elapsed);
  itemsPerSecond.add(ok / Math.max(elapsed / 1000, 0.001));
  itemResults(ok, ITEMS, failures);
}

export default async function (data: { offset: number }): Promise<void> {
  if (MODE === 'bulkTransactions') await bulkTransaction(data.offset);
  else await quotesThenTransfers(data.offset);
}
