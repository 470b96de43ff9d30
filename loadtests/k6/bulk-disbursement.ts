/**
 * bulk-disbursement: upstream batches of BATCH_SIZE payees, PAYMENTS in all, submitted to the orchestrator through
 * its native API (POST /v1/batches, polled with GET /v1/batches/{id}) or its PIL-compatible API (API=pil:
 * POST /disbursement, polled with GET /disbursement/{id}). Each iteration submits one batch and polls it until
 * every payment is final, so the figures are from submission to all-final, not just API acceptance.
 *
 *   k6 run -e PAYMENTS=100000 -e BATCH_SIZE=10000 -e VUS=4 loadtests/dist/bulk-disbursement.js
 */
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { envNum, envStr, jsonOf, JSON_HEADERS, payeeMsisdn, scenarioFromEnv, thresholdsFromEnv, TREND_STATS, uuid } from './lib/env';

const API = envStr('API', 'native');
const BASE = envStr('TARGET', envStr('ORCHESTRATOR_URL', 'http://127.0.0.1:4000')).replace(/\/+$/, '');
const PAYMENTS = envNum('PAYMENTS', 1000);
const BATCH_SIZE = envNum('BATCH_SIZE', API === 'pil' ? Math.min(PAYMENTS, 1000) : Math.min(PAYMENTS, 10_000));
const BATCHES = Math.max(1, Math.ceil(PAYMENTS / BATCH_SIZE));
const CURRENCY = envStr('CURRENCY', 'USD');
const AMOUNT = envStr('AMOUNT', '10');
const PAYEE_FSPS = envNum('PAYEE_FSPS', 2);
const POLL_MS = envNum('POLL_MS', 200);
const BATCH_TIMEOUT_S = envNum('BATCH_TIMEOUT_S', 600);

const submitted = new Counter('gpo_payments_submitted');
const finals = new Counter('gpo_payments_final');
const completed = new Counter('gpo_payments_completed');
const failed = new Counter('gpo_payments_failed');
const paymentOk = new Rate('gpo_payment_completed');
const batchOk = new Rate('gpo_batch_all_final');
const submitLatency = new Trend('gpo_submit_duration', true);
const firstFinal = new Trend('gpo_batch_time_to_first_final', true);
const allFinal = new Trend('gpo_batch_time_to_all_final', true);
const batchRate = new Trend('gpo_batch_payments_per_second');
const errors = new Counter('gpo_errors');

export const options = {
  scenarios: {
    batches: scenarioFromEnv({ executor: 'shared-iterations', vus: Math.min(BATCHES, 4), iterations: BATCHES, maxDuration: '30m' }),
  },
  thresholds: thresholdsFromEnv({
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<1000'],
    gpo_batch_all_final: ['rate>0.99'],
    gpo_payment_completed: ['rate>0.99'],
  }),
  summaryTrendStats: TREND_STATS,
};

export function setup(): { runId: string; offset: number } {
  // A fresh slice of the payee number space per run, so batches of one run never repeat a payee.
  return { runId: uuid(), offset: Math.floor(Math.random() * 5_000_000) };
}

interface Progress {
  total: number;
  final: number;
  completed: number;
  failed: number;
  done: boolean;
}

const FINAL_BATCH = ['COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED', 'CANCELLED'];

function nativeProgress(view: unknown): Progress | undefined {
  const v = view as { status?: string; totalCount?: number; byStatus?: Record<string, { count?: number }> } | undefined;
  if (!v || !v.byStatus) return undefined;
  const n = (s: string): number => Number(v.byStatus?.[s]?.count ?? 0);
  const completedCount = n('COMPLETED');
  const failedCount = n('FAILED') + n('CANCELLED');
  const total = Number(v.totalCount ?? 0);
  const final = completedCount + failedCount;
  return { total, final, completed: completedCount, failed: failedCount, done: FINAL_BATCH.includes(String(v.status))
    || (total > 0 && final >= total) };
}

function pilProgress(view: unknown): Progress | undefined {
  const v = view as { payeeResults?: Array<{ status?: string }> } | undefined;
  if (!v || !Array.isArray(v.payeeResults)) return undefined;
  let completedCount = 0;
  let failedCount = 0;
  for (const r of v.payeeResults) {
    if (r.status === 'COMPLETED') completedCount++;
    else if (r.status !== 'RECEIVED' && r.status !== 'PENDING') failedCount++;
  }
  const total = v.payeeResults.length;
  return { total, final: completedCount + failedCount, completed: completedCount, failed: failedCount, done: completedCount
    + failedCount >= total };
}

function batchBody(index: number, size: number, data: { runId: string; offset: number }): { key: string; body: string } {
  const key = `${data.runId}-${index}`;
  const payees: Array<{ reference: string; msisdn: string }> = [];
  for (let i = 0; i < size; i++) {
    const p = payeeMsisdn(index * BATCH_SIZE + i, PAYEE_FSPS, data.offset);
    payees.push({ reference: `${key}-${i}`, msisdn: p.msisdn });
  }
  if (API === 'pil') {
    const amount = Number(AMOUNT); // OpenG2P's Interop Layer manager sends the amount as a JSON number
    return {
      key,
      body: JSON.stringify({
        disbursementId: uuid(), note: `Load test ${key}`,
        payeeList: payees.map((p) => ({ payeeIdType: 'MSISDN', payeeIdValue: p.msisdn, amount, currency: CURRENCY })),
      }),
    };
  }
  return {
    key,
    body: JSON.stringify({
      reference: key, currency: CURRENCY, note: `Load test ${key}`,
      payments: payees.map((p) => ({ reference: p.reference, payeeIdType: 'MSISDN', payeeIdValue: p.msisdn, amount: AMOUNT, currency:
        CURRENCY })),
    }),
  };
}

/** Errors by code for the failed payments: the native API lists them (first 1000), other APIs count them as one code. */
async function countFailureCodes(statusUrl: string, failedCount: number): Promise<void> {
  if (API === 'pil') {
    errors.add(failedCount, { code: 'payment failed' });
    return;
  }
  const res = await http.asyncRequest('GET', `${statusUrl}/payments?status=FAILED&offset=0&limit=1000`, null,
    { headers: { accept: 'application/json' }, tags: { name: 'GET /v1/batches/{id}/payments' }, timeout: '60s' });
  const page = jsonOf(res.body) as { items?: Array<{ errorCode?: string }> } | Array<{ errorCode?: string }> | undefined;
  const items = Array.isArray(page) ? page : page?.items ?? [];
  const byCode: Record<string, number> = {};
  for (const it of items) byCode[it.errorCode ?? 'unknown'] = (byCode[it.errorCode ?? 'unknown'] ?? 0) + 1;
  let counted = 0;
  for (const code of Object.keys(byCode)) {
    errors.add(byCode[code], { code });
    counted += byCode[code];
  }
  if (failedCount > counted) errors.add(failedCount - counted, { code: 'payment failed' });
}

export default async function (data: { runId: string; offset: number }): Promise<void> {
  const index = exec.scenario.iterationInTest;
  const size = Math.max(1, Math.min(BATCH_SIZE, PAYMENTS - index * BATCH_SIZE > 0 ? PAYMENTS - index * BATCH_SIZE : BATCH_SIZE));
  const { key, body } = batchBody(index, size, data);
  const started = Date.now();
  const res = await http.asyncRequest('POST', API === 'pil' ? `${BASE}/disbursement` : `${BASE}/v1/batches`, body, {
    headers: { ...JSON_HEADERS, 'idempotency-key': key }, tags: { name: API === 'pil' ? 'POST /disbursement' : 'POST /v1/batches' },
    timeout: '120s',
  });
  submitLatency.add(res.timings.duration);
  const accepted = check(res, { 'batch accepted (2xx)': (r) => r.status >= 200 && r.status < 300 });
  if (!accepted) {
    // the native API names its refusals (errorCode), the PIL API answers FSPIOP-style errorInformation
    const refusal = jsonOf(res.body) as { errorCode?: string; errorInformation?: { errorCode?: string } } | undefined;
    errors.add(1, { code: res.status === 0 ? 'network' : refusal?.errorCode ?? refusal?.errorInformation?.errorCode
      ?? `HTTP ${res.status}` });
    batchOk.add(false);
    return;
  }
  submitted.add(size);
  const answer = jsonOf(res.body) as { id?: string; batchId?: string; disbursementId?: string } | undefined;
  const id = API === 'pil' ? (answer?.disbursementId ?? (jsonOf(body) as { disbursementId: string }).disbursementId)
    : (answer?.id ?? answer?.batchId);
  if (!id) {
    errors.add(1, { code: 'no batch id' });
    batchOk.add(false);
    return;
  }
  const statusUrl = API === 'pil' ? `${BASE}/disbursement/${id}` : `${BASE}/v1/batches/${id}`;
  let progress = API === 'pil' ? pilProgress(answer) : nativeProgress(answer);
  let firstFinalSeen = false;
  // Payments are counted final as the polls see them, so throughput over time follows the batch's progress.
  let seenFinal = 0;
  let seenCompleted = 0;
  const deadline = started + BATCH_TIMEOUT_S * 1000;
  for (;;) {
    if (progress && progress.final > 0 && !firstFinalSeen) {
      firstFinalSeen = true;
      firstFinal.add(Date.now() - started);
    }
    if (progress && progress.final > seenFinal) {
      finals.add(progress.final - seenFinal);
      seenFinal = progress.final;
    }
    if (progress && progress.completed > seenCompleted) {
      completed.add(progress.completed - seenCompleted);
      seenCompleted = progress.completed;
    }
    if (progress?.done) break;
    if (Date.now() > deadline) break;
    await sleep(POLL_MS / 1000);
    const poll = await http.asyncRequest('GET', statusUrl, null, { headers: { accept: 'application/json' }, tags:
      { name: API === 'pil' ? 'GET /disbursement/{id}' : 'GET /v1/batches/{id}' }, timeout: '60s' });
    if (poll.status !== 200) {
      errors.add(1, { code: poll.status === 0 ? 'network' : `HTTP ${poll.status}` });
      continue;
    }
    progress = API === 'pil' ? pilProgress(jsonOf(poll.body)) : nativeProgress(jsonOf(poll.body));
  }
  const elapsed = Date.now() - started;
  const done = !!progress?.done;
  batchOk.add(done);
  if (!done) {
    errors.add(1, { code: 'batch timeout' });
    return;
  }
  const p = progress as Progress;
  allFinal.add(elapsed);
  batchRate.add(p.final / Math.max(elapsed / 1000, 0.001));
  if (p.failed > 0) {
    failed.add(p.failed);
    await countFailureCodes(statusUrl, p.failed);
  }
  for (let i = 0; i < p.completed; i++) paymentOk.add(true);
  for (let i = 0; i < p.failed; i++) paymentOk.add(false);
}
