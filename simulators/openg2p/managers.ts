/**
 * OpenG2P's payment managers, each sending exactly what the real module sends:
 * - interop-layer (g2p_payment_interop_layer): one POST /disbursement per batch, amount as a JSON number, 20 s
 *   timeout, no retry of a failed POST, results read by position;
 * - g2p-connect: POST /disburse envelope with sender_uri, results through on-disburse callbacks, by reference_id;
 * - native: POST /v1/batches (JSON, or CSV in the bulk-file columns), results read from /v1/batches/{id}/payments.
 */
import { request } from 'undici';
import { signG2pMessage, type JwsSigningKey } from '../../shared/g2p-jws';
import { formatFixed, toUnits } from '../../shared/money';
import { SeededRandom } from '../../shared/ids';
import type { Payment, PaymentBatch, PaymentManagerKind } from './program';
import type { CallbackReceiver, OnDisburseItem } from './callbacks';

export const INTEROP_LAYER_TIMEOUT_MS = 20_000;

export interface HttpExchange {
  at: string;
  method: string;
  url: string;
  status?: number;
  error?: string;
  ms: number;
}

/** The OpenG2P side's own bounded log of what it asked the orchestrator. */
export class ExchangeLog {
  readonly items: HttpExchange[] = [];
  constructor(private readonly max = 2000) {}
  add(x: HttpExchange): void {
    this.items.push(x);
    if (this.items.length > this.max) this.items.splice(0, this.items.length - this.max);
  }
}

export interface ManagerContext {
  orchestratorUrl: string;
  programName: string;
  cycleId: string;
  /** Payer of record for G2P Connect payer_fa. */
  payerFa?: string;
  callbacks?: CallbackReceiver;
  log: ExchangeLog;
  rnd: SeededRandom;
  /** native only: send batches as CSV instead of JSON. */
  nativeFormat?: 'json' | 'csv';
  /** Sent as Authorization: Bearer on every request (GPO's API key or a JWT); none by default, as the real module. */
  apiKey?: string;
  /** g2p-connect: signs every message (Signature header and signature field) with this key. */
  signingKey?: JwsSigningKey;
}

interface HttpResult {
  status: number;
  body: unknown;
  text: string;
}

async function http(ctx: ManagerContext, method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {},
  timeoutMs = 20_000): Promise<HttpResult> {
  const url = ctx.orchestratorUrl.replace(/\/$/, '') + path;
  const started = Date.now();
  const auth: Record<string, string> = ctx.apiKey ? { authorization: `Bearer ${ctx.apiKey}` } : {};
  try {
    const res = await request(url, {
      method,
      body,
      headers: body === undefined ? { ...auth, ...headers } : { 'content-type': 'application/json', ...auth, ...headers },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    let parsed: unknown = undefined;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
    ctx.log.add({ at: new Date(started).toISOString(), method, url, status: res.statusCode, ms: Date.now() - started });
    return { status: res.statusCode, body: parsed, text };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    ctx.log.add({ at: new Date(started).toISOString(), method, url, error, ms: Date.now() - started });
    throw err;
  }
}

/** Python's json.dumps of a float: 100 -> 100.0, 12.5 -> 12.5. Written as text so no float ever holds the amount. */
export function pythonFloatLiteral(amount: string): string {
  return amount.includes('.') ? amount.replace(/0+$/, '').replace(/\.$/, '.0') : `${amount}.0`;
}

export function interopLayerBody(batch: PaymentBatch, ctx: Pick<ManagerContext, 'programName' | 'cycleId'>): string {
  const payees = batch.payments.map((p) =>
    `{"payeeIdType":${JSON.stringify(p.registrant.idType)},"payeeIdValue":${JSON.stringify(p.registrant.idValue)},"amount":${pythonFloatLiteral(p.amount)},"currency":${JSON.stringify(p.currency)}}`);
  return `{"note":${JSON.stringify(`Program: ${ctx.programName}. Cycle ID - ${ctx.cycleId}`)},"disbursementId":${JSON.stringify(batch.id)},"payeeList":[${payees.join(',')}]}`;
}

const FA_TYPE: Record<string, string> = { MSISDN: 'mobile', ACCOUNT_ID: 'account', EMAIL: 'email', PERSONAL_ID: 'id' };

/** G2P Connect financial address `type:id@provider` for a registrant. */
export function financialAddress(p: Payment): string {
  const type = FA_TYPE[p.registrant.idType] ?? p.registrant.idType.toLowerCase();
  return `${type}:${p.registrant.idValue}${p.registrant.fsp ? `@${p.registrant.fsp}` : ''}`;
}

export function g2pConnectEnvelope(batch: PaymentBatch, ctx: ManagerContext, messageId: string): Record<string, unknown> {
  return {
    header: {
      version: '1.0.0',
      message_id: messageId,
      message_ts: new Date().toISOString(),
      action: 'disburse',
      sender_id: 'openg2p',
      sender_uri: ctx.callbacks?.url ?? '',
      receiver_id: 'gpo',
      total_count: batch.payments.length,
      is_msg_encrypted: false,
    },
    message: {
      transaction_id: batch.id,
      disbursements: batch.payments.map((p) => ({
        reference_id: p.reference,
        payer_fa: ctx.payerFa ?? 'account:treasury@govbank',
        payee_fa: financialAddress(p),
        amount: formatFixed(toUnits(p.amount), p.currency),
        currency_code: p.currency,
        payee_name: p.registrant.name,
        note: `Program: ${ctx.programName}. Cycle ID - ${ctx.cycleId}`,
      })),
    },
  };
}

export const NATIVE_CSV_HEADER =
  'id,request_id,payment_mode,payer_identifier_type,payer_identifier,payee_identifier_type,payee_identifier,amount,currency,note';

export function nativeCsv(batch: PaymentBatch, note: string): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = batch.payments.map((p) => [p.reference, batch.id, 'mojaloop', 'ACCOUNT_ID', 'treasury', p.registrant.idType,
    p.registrant.idValue, p.amount, p.currency, note].map(q).join(','));
  return [NATIVE_CSV_HEADER, ...rows].join('\n') + '\n';
}

function applyFinal(p: Payment, outcome: 'paid' | 'failed' | undefined,
  fields: { managerStatus: string; errorCode?: string; amountCredited?: string; timestamp?: string; transferId?: string }): void {
  if (p.state === 'reconciled') return; // OpenG2P keeps the first final answer; later ones change nothing
  Object.assign(p, fields);
  if (outcome) {
    p.state = 'reconciled';
    p.status = outcome;
  } else {
    p.state = 'sent';
  }
}

const PIL_PAID = new Set(['COMPLETED']);
const PIL_FAILED = new Set(['REJECTED', 'ABORTED', 'ERROR_OCCURRED']);

interface PilResult {
  status?: string;
  amountCredited?: string | number;
  timestamp?: string;
  errorCode?: string;
  errors?: Array<{ errorCode?: string; code?: string }>;
  lastError?: { errorCode?: string };
}

function applyPilResults(batch: PaymentBatch, body: unknown): void {
  const results = (body as { payeeResults?: PilResult[] } | undefined)?.payeeResults;
  if (!Array.isArray(results)) return;
  batch.payments.forEach((p, i) => {
    const r = results[i];
    if (!r) return;
    const status = String(r.status ?? '');
    const errorCode = r.errorCode ?? r.lastError?.errorCode ?? r.errors?.[0]?.errorCode ?? r.errors?.[0]?.code;
    applyFinal(p, PIL_PAID.has(status) ? 'paid' : PIL_FAILED.has(status) ? 'failed' : undefined, {
      managerStatus: status,
      errorCode,
      amountCredited: r.amountCredited === undefined ? undefined : String(r.amountCredited),
      timestamp: r.timestamp,
    });
  });
}

export function applyOnDisburse(batch: PaymentBatch, items: OnDisburseItem[]): void {
  const byRef = new Map(batch.payments.map((p) => [p.reference, p]));
  for (const it of items) {
    const p = byRef.get(it.reference_id);
    if (!p) continue;
    const outcome = it.status === 'succ' ? 'paid' : it.status === 'rjct' ? 'failed' : undefined;
    applyFinal(p, outcome, { managerStatus: it.status, errorCode: it.status_reason_code, amountCredited: outcome === 'paid' ? it.amount
      : undefined, timestamp: it.timestamp });
  }
}

interface NativePayment {
  reference?: string;
  position?: number;
  status?: string;
  errorCode?: string;
  amountCredited?: string;
  completedAt?: string;
  transferId?: string;
}

function applyNative(batch: PaymentBatch, items: NativePayment[]): void {
  const byRef = new Map(batch.payments.map((p) => [p.reference, p]));
  for (const it of items) {
    const p = (it.reference && byRef.get(it.reference)) || (typeof it.position === 'number' ? batch.payments[it.position] : undefined);
    if (!p) continue;
    const outcome = it.status === 'COMPLETED' ? 'paid' : it.status === 'FAILED' || it.status === 'CANCELLED' ? 'failed' : undefined;
    applyFinal(p, outcome, { managerStatus: it.status ?? '', errorCode: it.errorCode, amountCredited: it.amountCredited, timestamp:
      it.completedAt, transferId: it.transferId });
  }
}

export interface SendOutcome {
  accepted: boolean;
  status?: number;
  error?: string;
}

export interface PaymentManager {
  readonly kind: PaymentManagerKind;
  send(batch: PaymentBatch): Promise<SendOutcome>;
  /** Ask the orchestrator (or read the callbacks received) for the batch's results; apply them. */
  refresh(batch: PaymentBatch): Promise<void>;
  cancel(batch: PaymentBatch): Promise<SendOutcome>;
}

function markSent(batch: PaymentBatch): void {
  batch.state = 'sent';
  for (const p of batch.payments) if (p.state === 'issued') p.state = 'sent';
}

function sendFailed(batch: PaymentBatch, why: string, status?: number): SendOutcome {
  // A batch the manager could not hand over stays issued: OpenG2P shows it as not sent and never retries by itself.
  if (batch.state !== 'sent') batch.state = 'send_failed';
  batch.sendError = why;
  return { accepted: false, status, error: why };
}

export class InteropLayerManager implements PaymentManager {
  readonly kind = 'interop-layer' as const;
  constructor(private readonly ctx: ManagerContext) {}
  async send(batch: PaymentBatch): Promise<SendOutcome> {
    let res: HttpResult;
    try {
      res = await http(this.ctx, 'POST', '/disbursement', interopLayerBody(batch, this.ctx), {}, INTEROP_LAYER_TIMEOUT_MS);
    } catch (err) {
      return sendFailed(batch, err instanceof Error ? err.message : String(err));
    }
    if (res.status < 200 || res.status >= 300) return sendFailed(batch, `HTTP ${res.status}: ${res.text.slice(0, 300)}`, res.status);
    markSent(batch);
    applyPilResults(batch, res.body);
    return { accepted: true, status: res.status };
  }
  async refresh(batch: PaymentBatch): Promise<void> {
    if (batch.state !== 'sent') return;
    const res = await http(this.ctx, 'GET', `/disbursement/${encodeURIComponent(batch.id)}`);
    if (res.status === 200) applyPilResults(batch, res.body);
  }
  async cancel(): Promise<SendOutcome> {
    return { accepted: false, error: 'the interop layer API has no cancel' };
  }
}

export class G2pConnectManager implements PaymentManager {
  readonly kind = 'g2p-connect' as const;
  constructor(private readonly ctx: ManagerContext) {}
  async send(batch: PaymentBatch): Promise<SendOutcome> {
    if (!this.ctx.callbacks) throw new Error('the G2P Connect manager needs a callback receiver');
    this.ctx.callbacks.expect(batch.id, (items) => applyOnDisburse(batch, items));
    const messageId = batch.remoteId ?? this.ctx.rnd.uuid();
    batch.remoteId = messageId;
    let res: HttpResult;
    try {
      const envelope = g2pConnectEnvelope(batch, this.ctx, messageId) as { header: unknown; message: unknown };
      const signed = this.ctx.signingKey ? await signG2pMessage(this.ctx.signingKey, envelope) : undefined;
      res = await http(this.ctx, 'POST', '/disburse', signed?.body ?? JSON.stringify(envelope), signed?.headers ?? {});
    } catch (err) {
      return sendFailed(batch, err instanceof Error ? err.message : String(err));
    }
    const ack = (res.body as { message?: { ack_status?: string; error?: { code?: string; message?: string } } } | undefined)?.message;
    if (res.status < 200 || res.status >= 300 || ack?.ack_status !== 'ACK') {
      return sendFailed(batch, `HTTP ${res.status} ${ack?.ack_status ?? ''} ${ack?.error?.code ?? ''} ${ack?.error?.message
        ?? res.text.slice(0, 200)}`.trim(), res.status);
    }
    markSent(batch);
    return { accepted: true, status: res.status };
  }
  async refresh(batch: PaymentBatch): Promise<void> {
    // Results arrive as on-disburse callbacks, applied as they come.
    void batch;
  }
  async cancel(): Promise<SendOutcome> {
    return { accepted: false, error: 'G2P Connect disburse has no cancel' };
  }
}

export class NativeManager implements PaymentManager {
  readonly kind = 'native' as const;
  constructor(private readonly ctx: ManagerContext) {}
  async send(batch: PaymentBatch): Promise<SendOutcome> {
    const note = `Program: ${this.ctx.programName}. Cycle ID - ${this.ctx.cycleId}`;
    const csv = this.ctx.nativeFormat === 'csv';
    const body = csv
      ? nativeCsv(batch, note)
      : JSON.stringify({
        reference: batch.id,
        currency: batch.payments[0]?.currency,
        note,
        payments: batch.payments.map((p) => ({ reference: p.reference, payeeIdType: p.registrant.idType, payeeIdValue: p.registrant.idValue,
          amount: p.amount, currency: p.currency })),
      });
    let res: HttpResult;
    try {
      res = await http(this.ctx, 'POST', '/v1/batches', body, { 'idempotency-key': batch.id,
        ...(csv ? { 'content-type': 'text/csv' } : {}) });
    } catch (err) {
      return sendFailed(batch, err instanceof Error ? err.message : String(err));
    }
    if (res.status < 200 || res.status >= 300) return sendFailed(batch, `HTTP ${res.status}: ${res.text.slice(0, 300)}`, res.status);
    const b = res.body as { id?: string; batchId?: string; batch_id?: string } | undefined;
    batch.remoteId = b?.id ?? b?.batchId ?? b?.batch_id ?? batch.remoteId;
    markSent(batch);
    return { accepted: true, status: res.status };
  }
  async refresh(batch: PaymentBatch): Promise<void> {
    if (batch.state !== 'sent' || !batch.remoteId) return;
    for (let offset = 0; ; offset += 1000) {
      const res = await http(this.ctx, 'GET', `/v1/batches/${encodeURIComponent(batch.remoteId)}/payments?offset=${offset}&limit=1000`);
      if (res.status !== 200) return;
      const page = res.body as { items?: NativePayment[]; total?: number } | NativePayment[] | undefined;
      const items = Array.isArray(page) ? page : page?.items ?? [];
      applyNative(batch, items);
      if (items.length < 1000) return;
    }
  }
  async cancel(batch: PaymentBatch): Promise<SendOutcome> {
    if (!batch.remoteId) return { accepted: false, error: 'batch not sent' };
    const res = await http(this.ctx, 'POST', `/v1/batches/${encodeURIComponent(batch.remoteId)}/cancel`, '{}');
    return { accepted: res.status >= 200 && res.status < 300, status: res.status, error: res.status >= 300 ? res.text.slice(0, 300)
      : undefined };
  }
}

export function createPaymentManager(kind: PaymentManagerKind, ctx: ManagerContext): PaymentManager {
  if (kind === 'interop-layer') return new InteropLayerManager(ctx);
  if (kind === 'g2p-connect') return new G2pConnectManager(ctx);
  return new NativeManager(ctx);
}
