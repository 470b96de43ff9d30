/**
 * G2P Connect Disburse API v1.0.0 on the orchestrator.
 *   POST /disburse                 -> ACK | ERR; results later as POST {sender_uri}/on-disburse
 *   POST /disburse/sync/disburse   -> the on-disburse envelope itself, once final or after the sync window
 *   POST /disburse/txn/status      -> ACK | ERR; result as POST {sender_uri}/disburse/txn/on-status
 *   POST /disburse/sync/txn/status -> the on-status envelope itself
 * Idempotent on header.message_id: the same message again returns the original ACK and pays nothing again; the
 * same message_id with other content is refused with rjct.message_id.duplicate. A message with any invalid header
 * field or disbursement is refused whole (ERR, HTTP 400, every problem listed with its reject code): nothing is stored.
 */
import type { Request, ResponseObject, ResponseToolkit, Server } from '@hapi/hapi';
import Joi from 'joi';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { backoffDelay } from '../../shared/backoff';
import { delay } from '../../shared/concurrency';
import { maskId } from '../../shared/logger';
import { AuthFailure } from '../security/credentials';
import { EdgeError, edgeResponse } from '../security/edge';
import { signG2pMessage } from '../security/g2p-signatures';
import { apiRoute, limitsOf, readBody, stampOwner, visibleTo } from './access';
import { SeededRandom, newId } from '../../shared/ids';
import { formatFixed, toUnits } from '../../shared/money';
import { BatchStatus, PaymentStatus, type BatchView, type OrchestratorEvent, type PaymentInput, type PaymentView,
  type SubmitBatchCommand } from '../domain/types';
import { CURRENCY_RE, edgeAmount, fieldPath, JOI_OPTIONS, maskJoiMessage, requestHash } from './common';
import type { IntakeDeps } from './deps';

export const G2P_VERSION = '1.0.0';
/** Most disbursements one message may carry (rjct.total_count.limit_exceeded above). */
export const G2P_MAX_DISBURSEMENTS = 100_000;
/** Past this many problems the error says rjct.errors.too_many and lists only the first ones. */
export const G2P_MAX_ERRORS = 100;

export type G2pStatus = 'rcvd' | 'pdng' | 'succ' | 'rjct';

// ---------------------------------------------------------------------------------------------------------------
// Financial addresses

/** G2P Connect financial address type -> FSPIOP party id type. */
const FA_TYPES: Record<string, string> = {
  mobile: 'MSISDN', msisdn: 'MSISDN', phone: 'MSISDN',
  account: 'ACCOUNT_ID', acc: 'ACCOUNT_ID', bank: 'ACCOUNT_ID',
  email: 'EMAIL',
  id: 'PERSONAL_ID', personal_id: 'PERSONAL_ID', nid: 'PERSONAL_ID',
  business: 'BUSINESS', device: 'DEVICE', iban: 'IBAN', alias: 'ALIAS', vpa: 'ALIAS',
};

export interface FinancialAddress {
  /** FSPIOP party id type. */
  idType: string;
  idValue: string;
  /** The provider after `@`: the payee FSP, which spares a party lookup. */
  provider?: string;
}

const FA_RE = /^([A-Za-z][A-Za-z0-9_]*):(\S{1,300})$/;
const FA_ID_RE = /^[^@\s]{1,128}$/;
const EMAIL_RE = /^[^@\s]{1,64}@[^@\s]{1,255}$/;
const PROVIDER_RE = /^[A-Za-z0-9._-]{1,32}$/;

/**
 * `type:id@provider` (provider optional) -> party id type, value and FSP; undefined when it does not parse.
 * An email carries its own `@`: `email:a@b.org` has no provider, `email:a@b.org@bank` has one.
 */
export function parseFinancialAddress(fa: string): FinancialAddress | undefined {
  const m = FA_RE.exec(fa);
  if (!m) return undefined;
  const idType = FA_TYPES[m[1].toLowerCase()];
  if (!idType) return undefined;
  const rest = m[2];
  const at = rest.lastIndexOf('@');
  const hasProvider = at >= 0 && (idType !== 'EMAIL' || rest.indexOf('@') !== at);
  const idValue = hasProvider ? rest.slice(0, at) : rest;
  const provider = hasProvider ? rest.slice(at + 1) : undefined;
  if (!(idType === 'EMAIL' ? EMAIL_RE : FA_ID_RE).test(idValue)) return undefined;
  if (provider !== undefined && !PROVIDER_RE.test(provider)) return undefined;
  return { idType, idValue, provider };
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

export interface G2pProblem {
  /** A G2P Connect reject code (rjct.*) or error code (ERR_*). */
  code: string;
  field: string;
  message: string;
  reference_id?: string;
}

export class G2pRejection {
  constructor(readonly status: number, readonly code: string, readonly message: string, readonly details: G2pProblem[] = []) {}
}

const OTHER_ACTIONS = new Set(['search', 'on-search', 'on-disburse', 'txn-status', 'status', 'subscribe', 'unsubscribe', 'notify',
  'on-notify']);

const headerSchema = Joi.object({
  version: Joi.string().valid(G2P_VERSION).required(),
  message_id: Joi.string().min(1).max(128).required(),
  message_ts: Joi.string().isoDate().required(),
  action: Joi.string().required(),
  sender_id: Joi.string().min(1).max(256).required(),
  sender_uri: Joi.string().allow('').uri({ scheme: ['http', 'https'] }).max(2048),
  receiver_id: Joi.string().allow('').max(256),
  total_count: Joi.number().integer().min(0).required(),
  is_msg_encrypted: Joi.boolean(),
  meta: Joi.any(),
}).required();

const disbursementSchema = Joi.object({
  reference_id: Joi.string().min(1).max(128).required(),
  payer_fa: Joi.string().min(3).max(256).required(),
  payee_fa: Joi.string().min(3).max(256).required(),
  amount: Joi.string().pattern(/^\d{1,13}(\.\d{1,2})?$/).required(),
  scheduled_timestamp: Joi.string().isoDate(),
  payer_name: Joi.string().allow('').max(256),
  payee_name: Joi.string().allow('').max(256),
  note: Joi.string().allow('').max(1024),
  purpose: Joi.string().allow('').max(256),
  instruction: Joi.string().allow('').max(999),
  currency_code: Joi.string().pattern(CURRENCY_RE),
  locale: Joi.string().allow('').max(16),
});

const disburseSchema = Joi.object({
  signature: Joi.any(),
  header: headerSchema,
  message: Joi.object({
    transaction_id: Joi.string().min(1).max(128).required(),
    disbursements: Joi.array().min(1).max(G2P_MAX_DISBURSEMENTS).required().items(disbursementSchema),
  }).required(),
}).required();

const txnStatusSchema = Joi.object({
  signature: Joi.any(),
  header: headerSchema,
  message: Joi.object({
    transaction_id: Joi.string().min(1).max(128).required(),
    txnstatus_request: Joi.object({
      reference_id: Joi.string().min(1).max(128).required(),
      txn_type: Joi.string().valid('disburse').required(),
      attribute_type: Joi.string().valid('transaction_id', 'reference_id_list', 'correlation_id').required(),
      attribute_value:
        Joi.alternatives(Joi.string().min(1).max(128),
          Joi.array().min(1).max(G2P_MAX_DISBURSEMENTS).items(Joi.string().min(1).max(128))).required(),
      locale: Joi.string().allow(''),
    }).required(),
  }).required(),
}).required();

const HEADER_CODES: Record<string, string> = {
  version: 'rjct.version.invalid',
  message_ts: 'rjct.message_ts.invalid',
  action: 'rjct.action.invalid',
  total_count: 'rjct.total_count.invalid',
  message_id: 'ERR_INVALID_MESSAGE_ID',
  sender_id: 'ERR_INVALID_SENDER',
  sender_uri: 'ERR_INVALID_SENDER_URI',
  receiver_id: 'ERR_INVALID_RECEIVER',
};

const ITEM_CODES: Record<string, string> = {
  reference_id: 'rjct.reference_id.invalid',
  payer_fa: 'rjct.payer_fa.invalid',
  payee_fa: 'rjct.payee_fa.invalid',
  amount: 'rjct.amount.invalid',
  scheduled_timestamp: 'rjct.schedule_ts.invalid',
  currency_code: 'rjct.currency_code.invalid',
};

function problemsOf(err: Joi.ValidationError, body: unknown): G2pProblem[] {
  const items = ((body as { message?: { disbursements?: unknown } })?.message?.disbursements);
  return err.details.map((d) => {
    const [top, key, index, itemKey] = d.path;
    const field = fieldPath(d.path);
    const message = maskJoiMessage(d).replace(/"/g, "'");
    let code = 'ERR_INVALID_REQUEST';
    if (top === 'header') {
      if (key === undefined) code = 'ERR_MANDATORY_HEADER_MISSING';
      else if ((key === 'message_id' || key === 'sender_id') && d.type === 'any.required') code = 'ERR_MANDATORY_HEADER_MISSING';
      else code = HEADER_CODES[String(key)] ?? 'ERR_INVALID_REQUEST';
    } else if (top === 'message') {
      if (key === 'disbursements' && typeof index === 'number' && typeof itemKey === 'string') code = ITEM_CODES[itemKey]
        ?? 'ERR_INVALID_MESSAGE';
      else if (key === 'disbursements' && d.type === 'array.max') code = 'rjct.total_count.limit_exceeded';
      else code = 'ERR_INVALID_MESSAGE';
    }
    const ref = typeof index === 'number' && Array.isArray(items) ? (items[index] as { reference_id?: unknown })?.reference_id : undefined;
    return { code, field, message, ...(typeof ref === 'string' ? { reference_id: ref } : {}) };
  });
}

function rejection(problems: G2pProblem[], status = 400): G2pRejection {
  const header = problems.find((p) => p.field.startsWith('header') || !p.reference_id && p.code.startsWith('rjct.total_count'));
  const code = header?.code ?? (problems.length > G2P_MAX_ERRORS ? 'rjct.errors.too_many' : problems[0].code);
  const shown = problems.slice(0, G2P_MAX_ERRORS);
  const summary = shown.slice(0, 3).map((p) => `${p.field}: ${p.message} (${p.code})`).join('; ');
  return new G2pRejection(status, code, `${problems.length} problem(s) in the request: ${summary}${problems.length > 3 ? '; ...' : ''}`,
    shown);
}

/** Header checks Joi cannot express: action per endpoint, encryption, declared count. */
function headerProblems(header: Record<string, unknown>, action: string, count: number | undefined, needsSenderUri: boolean): G2pProblem[] {
  const out: G2pProblem[] = [];
  if (header.action !== action) {
    const a = String(header.action);
    out.push({ code: OTHER_ACTIONS.has(a) || a === 'disburse' ? 'rjct.action.not_supported' : 'rjct.action.invalid', field: 'header.action',
      message: `'action' must be '${action}' on this endpoint` });
  }
  if (header.is_msg_encrypted === true) out.push({ code: 'ERR_INVALID_ENCRYPTION', field: 'header.is_msg_encrypted', message:
    'encrypted messages are not supported; send is_msg_encrypted false' });
  if (needsSenderUri && !header.sender_uri) out.push({ code: 'ERR_INVALID_SENDER_URI', field: 'header.sender_uri', message:
    "'sender_uri' is required: results are sent to {sender_uri}/on-disburse" });
  if (count !== undefined && header.total_count !== count) {
    const limit = typeof header.total_count === 'number' && header.total_count > G2P_MAX_DISBURSEMENTS;
    out.push({ code: limit ? 'rjct.total_count.limit_exceeded' : 'rjct.total_count.invalid', field: 'header.total_count', message: limit
      ? `at most ${G2P_MAX_DISBURSEMENTS} disbursements per message`
        : `'total_count' is ${String(header.total_count)} but the message has ${count} disbursements` });
  }
  return out;
}

interface DisburseItem {
  reference_id: string; payer_fa: string; payee_fa: string; amount: string; currency_code?: string;
  payee_name?: string; payer_name?: string; note?: string; purpose?: string; scheduled_timestamp?: string;
}
interface G2pHeader { version: string; message_id: string; message_ts: string; action: string; sender_id: string; sender_uri?: string;
  receiver_id?: string; total_count: number }
interface DisburseEnvelope { header: G2pHeader; message: { transaction_id: string; disbursements: DisburseItem[] } }

export type ParsedDisburse = { ok: true; command: SubmitBatchCommand; header: G2pHeader } | { ok: false; rejection: G2pRejection };

/** Validates a disburse envelope and builds the submit command (pure). `sync`: no sender_uri, no callback. */
export function parseDisburse(body: unknown, opts: { currency: string; sync: boolean; maxItems?: number }): ParsedDisburse {
  const env = body as DisburseEnvelope;
  const items = Array.isArray(env?.message?.disbursements) ? env.message.disbursements : undefined;
  if (items && opts.maxItems !== undefined && items.length > opts.maxItems) {
    return { ok: false, rejection: rejection([{ code: 'rjct.total_count.limit_exceeded', field: 'message.disbursements', message:
      `at most ${opts.maxItems} disbursements per message` }]) };
  }
  const { error } = disburseSchema.validate(body, JOI_OPTIONS);
  const problems: G2pProblem[] = error ? problemsOf(error, body) : [];
  const header = (env && typeof env === 'object' && env.header && typeof env.header === 'object' ? env.header : undefined) as Record<string,
    unknown> | undefined;
  if (header) {
    for (const p of headerProblems(header, 'disburse', items?.length, !opts.sync)) {
      if (!problems.some((q) => q.field === p.field)) problems.push(p);
    }
  }
  if (problems.some((p) => !p.field.startsWith('message.disbursements[')) || !items) return { ok: false, rejection: rejection(problems) };

  // Item checks beyond the schema run on every item, so one answer lists every problem.
  const flagged = new Set(problems.map((p) => p.field));
  const seen = new Set<string>();
  const first = items[0] as DisburseItem | undefined;
  const currency = (typeof first?.currency_code === 'string' ? first.currency_code : undefined) ?? opts.currency;
  const payments: PaymentInput[] = [];
  items.forEach((d, i) => {
    if (!d || typeof d !== 'object') return;
    const at = (f: string) => `message.disbursements[${i}].${f}`;
    const ok = (f: string) => !flagged.has(at(f)) && typeof (d as unknown as Record<string, unknown>)[f] === 'string';
    const ref = typeof d.reference_id === 'string' ? { reference_id: d.reference_id } : {};
    if (!ok('reference_id') || !ok('payee_fa') || !ok('payer_fa') || !ok('amount')
      || (d.currency_code !== undefined && !ok('currency_code'))) {
      // Report what can still be judged; the schema already reported the rest.
      if (ok('reference_id')) seen.add(d.reference_id);
      if (ok('payee_fa') && !parseFinancialAddress(d.payee_fa)) problems.push({ ...ref, code: 'rjct.payee_fa.invalid', field:
        at('payee_fa'), message: `'${maskId(d.payee_fa)}' is not a financial address type:id@provider with a known type` });
      return;
    }
    if (seen.has(d.reference_id)) problems.push({ ...ref, code: 'rjct.reference_id.duplicate', field: at('reference_id'), message:
      `reference_id ${d.reference_id} appears more than once in the message` });
    seen.add(d.reference_id);
    const payee = parseFinancialAddress(d.payee_fa);
    if (!payee) problems.push({ ...ref, code: 'rjct.payee_fa.invalid', field: at('payee_fa'), message:
      `'${maskId(d.payee_fa)}' is not a financial address type:id@provider with a known type (${Object.keys(FA_TYPES).join(', ')})` });
    if (!parseFinancialAddress(d.payer_fa)) problems.push({ ...ref, code: 'rjct.payer_fa.invalid', field: at('payer_fa'), message:
      `'${d.payer_fa}' is not a financial address type:id@provider` });
    const itemCurrency = d.currency_code ?? opts.currency;
    if (itemCurrency !== currency) problems.push({ ...ref, code: 'rjct.currency_code.invalid', field: at('currency_code'), message:
      `must be ${currency}, the message's currency: one disbursement message, one currency` });
    const amount = edgeAmount(d.amount, itemCurrency);
    if (!amount.ok) problems.push({ ...ref, code: 'rjct.amount.invalid', field: at('amount'), message: `'amount' ${amount.reason}` });
    if (!payee || !amount.ok) return;
    const meta: Record<string, string> = { payer_fa: d.payer_fa, payee_fa: d.payee_fa };
    if (d.payee_name) meta.payee_name = d.payee_name;
    payments.push({
      reference: d.reference_id, payeeIdType: payee.idType, payeeIdValue: payee.idValue, payeeFsp: payee.provider,
      amount: amount.amount, currency: itemCurrency, note: d.note || undefined, meta,
    });
  });
  if (problems.length) return { ok: false, rejection: rejection(problems) };

  const h = env.header;
  const canonical = {
    sender_id: h.sender_id,
    transaction_id: env.message.transaction_id,
    disbursements: payments.map((p) => [p.reference, p.meta?.payer_fa, p.meta?.payee_fa, p.amount, p.currency]),
  };
  const command: SubmitBatchCommand = {
    source: 'g2p-connect',
    sourceKey: h.message_id,
    requestHash: requestHash(canonical),
    currency,
    declaredCount: h.total_count,
    meta: { transaction_id: env.message.transaction_id, message_id: h.message_id, sender_id: h.sender_id,
      ...(h.receiver_id ? { receiver_id: h.receiver_id } : {}) },
    payments,
  };
  if (!opts.sync && h.sender_uri) command.callback = { kind: 'g2p-connect', senderUri: h.sender_uri, senderId: h.sender_id, receiverId:
    h.receiver_id || undefined };
  return { ok: true, command, header: h };
}

// ---------------------------------------------------------------------------------------------------------------
// Answers and callbacks (pure builders)

export function g2pStatus(status: PaymentStatus): G2pStatus {
  switch (status) {
    case PaymentStatus.RECEIVED: return 'rcvd';
    case PaymentStatus.COMPLETED: return 'succ';
    case PaymentStatus.FAILED:
    case PaymentStatus.CANCELLED: return 'rjct';
    default: return 'pdng';
  }
}

export interface DisbursementStatusItem {
  reference_id: string;
  timestamp: string;
  status: G2pStatus;
  status_reason_code?: string;
  status_reason_message?: string;
  amount: string;
  payer_fa?: string;
  payee_fa?: string;
  payee_name?: string;
  currency_code: string;
}

/**
 * One payment as a disbursements_status item. A failed payment's status_reason_code is the rail's error code
 * (FSPIOP, e.g. 3204 party not found): the spec's reason codes only cover request validation, which never gets
 * this far.
 */
export function disbursementStatusItem(p: PaymentView): DisbursementStatusItem {
  const status = g2pStatus(p.status);
  const item: DisbursementStatusItem = {
    reference_id: p.reference,
    timestamp: p.completedAt ?? p.updatedAt,
    status,
    amount: formatFixed(toUnits(p.amount), p.currency),
    payer_fa: p.meta?.payer_fa,
    payee_fa: p.meta?.payee_fa,
    currency_code: p.currency,
  };
  if (p.meta?.payee_name) item.payee_name = p.meta.payee_name;
  if (p.status === PaymentStatus.FAILED) {
    item.status_reason_code = p.errorCode ?? 'rjct.payment.failed';
    item.status_reason_message = p.errorDescription ?? 'payment failed';
  } else if (p.status === PaymentStatus.CANCELLED) {
    item.status_reason_code = 'rjct.payment.cancelled';
    item.status_reason_message = 'cancelled before it was sent';
  }
  return item;
}

const FINAL_BATCH: ReadonlySet<BatchStatus> = new Set([BatchStatus.COMPLETED, BatchStatus.PARTIALLY_COMPLETED, BatchStatus.FAILED,
  BatchStatus.CANCELLED]);

export function completedCount(batch: BatchView): number {
  return batch.byStatus.COMPLETED.count + batch.byStatus.FAILED.count + batch.byStatus.CANCELLED.count;
}

/** Header status of a batch: succ once final with at least one payment made, rjct if final with none, else pdng. */
export function batchHeaderStatus(batch: BatchView): { status: G2pStatus; reason?: string } {
  if (!FINAL_BATCH.has(batch.status)) return { status: batch.status === BatchStatus.RECEIVED ? 'rcvd' : 'pdng' };
  if (batch.byStatus.COMPLETED.count > 0) {
    return { status: 'succ', reason: batch.status === BatchStatus.PARTIALLY_COMPLETED
      ? `${batch.byStatus.COMPLETED.count} of ${batch.totalCount} paid` : undefined };
  }
  return { status: 'rjct', reason: batch.status === BatchStatus.CANCELLED ? 'batch cancelled' : 'no payment succeeded' };
}

export function callbackHeader(batch: BatchView, action: string, ours: string, theirs: string | undefined) {
  const s = batchHeaderStatus(batch);
  return {
    version: G2P_VERSION,
    message_id: newId(),
    message_ts: new Date().toISOString(),
    action,
    status: s.status,
    ...(s.reason ? { status_reason_message: s.reason } : {}),
    total_count: batch.totalCount,
    completed_count: completedCount(batch),
    sender_id: ours,
    ...(theirs ? { receiver_id: theirs } : {}),
    is_msg_encrypted: false,
  };
}

function ack(correlationId: string, timestamp = new Date().toISOString()) {
  return { message: { ack_status: 'ACK', timestamp, correlation_id: correlationId } };
}

function err(r: G2pRejection, correlationId?: string) {
  return {
    message: {
      ack_status: 'ERR',
      timestamp: new Date().toISOString(),
      ...(correlationId ? { correlation_id: correlationId } : {}),
      error: { code: r.code, message: r.message, ...(r.details.length ? { details: r.details } : {}) },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// on-disburse notifier: progress (throttled) and final callbacks with retry and backoff

interface Tracked {
  /** Status last reported per position (only what changed goes into a progress callback). */
  sent: Map<number, G2pStatus>;
  lastSentAt: number;
  timer?: NodeJS.Timeout;
  chain: Promise<void>;
  final: boolean;
}

/** Sends on-disburse callbacks for batches that asked for them; one queue per batch keeps callbacks in order. */
export class OnDisburseNotifier {
  private readonly tracked = new Map<string, Tracked>();
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  private readonly random: SeededRandom;
  private stopped = false;
  private unsubscribe?: () => void;
  private unrequeue?: () => void;
  /** Callbacks delivered and given up, for diagnosis and tests. */
  readonly stats = { delivered: 0, failedAttempts: 0, abandoned: 0 };

  constructor(private readonly deps: IntakeDeps, private readonly log: Logger) {
    this.random = new SeededRandom(deps.config.seed ?? 1);
  }

  start(): void {
    this.unsubscribe = this.deps.service.subscribe((e) => this.onEvent(e));
    // A dead letter an operator replays is owed again: sent now, under its entry's id as message_id.
    this.unrequeue = this.deps.outbox?.onRequeued((p) => {
      if (p.entry.channel !== 'g2p-connect' || this.stopped || this.tracked.get(p.batchId)?.final) return;
      void this.deps.service.getBatch(p.batchId)
        .then((batch) => batch && this.onEvent({ type: 'batch-final', batch }))
        .catch((error: unknown) => this.log.error({ batchId: p.batchId, err: error }, 'replayed on-disburse final could not be read'));
    });
    void this.resumePending().catch((error: unknown) => this.log.error({ err: error }, 'pending on-disburse finals could not be read'));
  }

  /** Final callbacks stored with their batch's final status but never acknowledged (GPO stopped or died): sent now. */
  private async resumePending(): Promise<void> {
    const outbox = this.deps.outbox;
    if (!outbox) return;
    for (const p of await outbox.pending('g2p-connect')) {
      if (this.stopped) return;
      const batch = await this.deps.service.getBatch(p.batchId);
      if (batch) this.onEvent({ type: 'batch-final', batch });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unrequeue?.();
    for (const t of this.tracked.values()) if (t.timer) clearTimeout(t.timer);
    await this.agent.close().catch(() => undefined);
  }

  private onEvent(e: OrchestratorEvent): void {
    const b = e.batch;
    if (this.stopped || b.source !== 'g2p-connect' || b.callback?.kind !== 'g2p-connect') return;
    let t = this.tracked.get(b.id);
    if (!t) {
      t = { sent: new Map(), lastSentAt: 0, chain: Promise.resolve(), final: false };
      this.tracked.set(b.id, t);
    }
    if (t.final) return;
    if (e.type === 'batch-final' || FINAL_BATCH.has(b.status)) {
      t.final = true;
      if (t.timer) clearTimeout(t.timer);
      t.timer = undefined;
      this.enqueue(b.id, t, true);
      return;
    }
    if (t.timer) return; // a progress callback is already scheduled; it will read the newest state
    const wait = Math.max(0, t.lastSentAt + this.deps.config.notify.progressEveryMs - Date.now());
    t.timer = setTimeout(() => {
      t!.timer = undefined;
      if (!t!.final) this.enqueue(b.id, t!, false);
    }, wait);
  }

  private enqueue(batchId: string, t: Tracked, final: boolean): void {
    t.chain = t.chain.then(() => this.send(batchId, t, final)).catch((error) => {
      this.log.error({ batchId, err: error }, 'on-disburse callback could not be built');
    });
    if (final) void t.chain.then(() => this.tracked.delete(batchId));
  }

  private async send(batchId: string, t: Tracked, final: boolean): Promise<void> {
    if (this.stopped) return;
    const batch = await this.deps.service.getBatch(batchId);
    if (!batch || batch.callback?.kind !== 'g2p-connect') return;
    if (!final && FINAL_BATCH.has(batch.status)) return; // the final callback, already on its way, says it all
    const outbox = this.deps.outbox;
    // The final callback is durable: stored with the final status, sent under the entry's id as message_id.
    const owed = final && outbox ? await outbox.pendingFor(batchId, 'g2p-connect') : undefined;
    if (final && outbox && !owed) return; // delivered (or given up) already
    const items: DisbursementStatusItem[] = [];
    for await (const p of this.deps.service.iteratePayments(batchId)) {
      const s = g2pStatus(p.status);
      if (final || t.sent.get(p.position) !== s) {
        items.push(disbursementStatusItem(p));
        t.sent.set(p.position, s);
      }
    }
    if (!final && items.length === 0) return;
    t.lastSentAt = Date.now();
    const cb = batch.callback;
    const header = callbackHeader(batch, 'on-disburse', cb.receiverId ?? 'gpo', cb.senderId);
    if (owed) header.message_id = owed.id;
    const body = {
      header,
      message: { transaction_id: batch.meta?.transaction_id ?? batch.sourceKey, correlation_id: batch.id, disbursements_status: items },
    };
    const onRetry = final ? () => this.deps.crash?.pass('deliver') : undefined;
    const outcome = await this.post(`${cb.senderUri.replace(/\/$/, '')}/on-disburse`, body, { batchId, final, items: items.length },
      onRetry);
    if (owed && outbox && outcome) {
      await outbox.settle(batchId, owed.id, { state: outcome.delivered ? 'delivered' : 'dead', attempts: outcome.attempts,
        ...(outcome.delivered ? {} : { lastError: outcome.lastError }) })
        .catch((error: unknown) => this.log.warn({ batchId, err: error },
          'on-disburse outcome not recorded; sent again at the next start'));
    }
  }

  /**
   * POST with retry and exponential backoff with jitter (config.notify); gives up after maxAttempts. Undefined when
   * stopped before an outcome; `onRetry` runs after each failed attempt that will be tried again.
   */
  async post(url: string, body: { header: unknown; message: unknown }, ctx: Record<string, unknown>,
    onRetry?: () => void): Promise<{ delivered: boolean; attempts: number; lastError: string } | undefined> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.deps.config.notify;
    const key = this.deps.security?.signingKey;
    const signed = key ? await signG2pMessage(key, body) : undefined;
    const text = signed?.body ?? JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(signed?.headers ?? {}) };
    const entry = { channel: 'g2p-connect' as const, batchId: String(ctx.batchId ?? ''), event: ctx.final ? 'on-disburse final'
      : 'on-disburse progress', url };
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts && !this.stopped; attempt++) {
      try {
        const res = await request(url, {
          method: 'POST', body: text, dispatcher: this.agent,
          headers, headersTimeout: 30_000, bodyTimeout: 30_000,
        });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          this.stats.delivered++;
          this.deps.journal?.record({ ...entry, outcome: 'delivered', attempts: attempt });
          this.log.info({ ...ctx, url, attempt }, 'G2P Connect callback delivered');
          return { delivered: true, attempts: attempt, lastError: '' };
        }
        lastError = `HTTP ${res.statusCode}`;
        this.log.warn({ ...ctx, url, attempt, status: res.statusCode }, 'G2P Connect callback refused');
      } catch (error) {
        lastError = (error as Error).message;
        this.log.warn({ ...ctx, url, attempt, err: (error as Error).message }, 'G2P Connect callback failed');
      }
      this.stats.failedAttempts++;
      if (attempt < maxAttempts) {
        onRetry?.();
        await delay(backoffDelay(attempt, { baseDelayMs, maxDelayMs }, this.random.next()));
      }
    }
    if (this.stopped) return undefined;
    this.stats.abandoned++;
    this.deps.journal?.record({ ...entry, outcome: 'dead', attempts: maxAttempts, lastError: lastError.slice(0, 300) });
    this.log.error({ ...ctx, url, attempts: maxAttempts }, 'G2P Connect callback abandoned');
    return { delivered: false, attempts: maxAttempts, lastError };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Transaction status lookups

interface TxnStatusEnvelope {
  header: G2pHeader;
  message: { transaction_id: string; txnstatus_request: { reference_id: string; txn_type: string; attribute_type: 'transaction_id'
    | 'reference_id_list' | 'correlation_id'; attribute_value: string | string[] } };
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

export function registerG2pConnectApi(server: Server, deps: IntakeDeps): void {
  const log = deps.logger.child({ module: 'intake-g2p-connect' });
  const notifier = new OnDisburseNotifier(deps, log);
  notifier.start();
  server.events.on('stop', () => {
    void notifier.stop();
  });

  const submitRoute = apiRoute(deps, 'g2p-connect', 'batches:submit', { body: true });
  const readRoute = apiRoute(deps, 'g2p-connect', 'batches:read', { body: true });

  /** The body, read at the edge and its signature checked; or the refusal (ERR for unreadable, NACK for signatures). */
  async function signedBody(req: Request, h: ResponseToolkit): Promise<{ ok: true; body: unknown }
    | { ok: false; response: ResponseObject }> {
    const read = readBody(req, h, deps, 'g2p-connect');
    if (!read.ok) return read;
    const verifier = deps.security?.g2pVerifier;
    if (verifier) {
      const sig = req.headers.signature;
      try {
        await verifier.verify(read.raw, read.body, typeof sig === 'string' ? sig : undefined);
      } catch (e) {
        if (!(e instanceof EdgeError)) throw e;
        log.info({ code: e.code, path: req.path }, 'G2P Connect message refused: signature');
        return { ok: false, response: edgeResponse(h, 'g2p-connect', e) };
      }
    }
    return { ok: true, body: read.body };
  }

  async function accept(req: Request, body: unknown, sync: boolean): Promise<{ rejected: G2pRejection }
    | { batch: BatchView; header: G2pHeader }> {
    const parsed = parseDisburse(body, { currency: deps.config.currency, sync, maxItems: limitsOf(deps).maxPaymentsPerBatch });
    if (!parsed.ok) {
      log.info({ code: parsed.rejection.code, problems: parsed.rejection.details.length }, 'G2P Connect disburse refused');
      return { rejected: parsed.rejection };
    }
    const cmd = parsed.command;
    try {
      stampOwner(deps, req, cmd);
    } catch (e) {
      if (e instanceof AuthFailure) return { rejected: new G2pRejection(403, 'err.request.forbidden', e.message) };
      throw e;
    }
    const submitted = await deps.service.submitBatch(cmd);
    if (submitted.outcome === 'conflict' || !visibleTo(req, submitted.batch)) {
      log.warn({ messageId: cmd.sourceKey, batchId: submitted.batch.id }, 'G2P Connect message_id reused with another message');
      return { rejected: new G2pRejection(409, 'rjct.message_id.duplicate',
        `message_id ${cmd.sourceKey} was already used for a different message; nothing was paid for this one`) };
    }
    log.info({ messageId: cmd.sourceKey, batchId: submitted.batch.id, outcome: submitted.outcome, items: cmd.payments.length, firstPayee:
      maskId(cmd.payments[0]?.payeeIdValue) }, 'G2P Connect disburse accepted');
    return { batch: submitted.batch, header: parsed.header };
  }

  async function statusMessage(batch: BatchView, references?: string[]) {
    const items: DisbursementStatusItem[] = [];
    if (references) {
      for (const p of await deps.service.findPaymentsByReference(batch.id, references)) items.push(disbursementStatusItem(p));
    } else {
      for await (const p of deps.service.iteratePayments(batch.id)) items.push(disbursementStatusItem(p));
    }
    return { transaction_id: batch.meta?.transaction_id ?? batch.sourceKey, disbursements_status: items };
  }

  server.route({
    method: 'POST',
    path: '/disburse',
    options: submitRoute,
    handler: async (req, h) => {
      const b = await signedBody(req, h);
      if (!b.ok) return b.response;
      const r = await accept(req, b.body, false);
      if ('rejected' in r) return h.response(err(r.rejected)).code(r.rejected.status);
      return h.response(ack(r.batch.id, r.batch.createdAt)).code(200);
    },
  });

  server.route({
    method: 'POST',
    path: '/disburse/sync/disburse',
    options: submitRoute,
    handler: async (req, h) => {
      const b = await signedBody(req, h);
      if (!b.ok) return b.response;
      const r = await accept(req, b.body, true);
      if ('rejected' in r) return h.response(err(r.rejected)).code(r.rejected.status);
      const batch = (await deps.service.waitForBatch(r.batch.id, deps.config.pilSyncWindowMs)) ?? r.batch;
      return h.response({
        header: callbackHeader(batch, 'on-disburse', r.header.receiver_id || 'gpo', r.header.sender_id),
        message: { ...(await statusMessage(batch)), correlation_id: batch.id },
      }).code(200);
    },
  });

  /** Finds the batch a txn status request asks about; undefined when unknown. */
  async function findForStatus(req: Request, env: TxnStatusEnvelope): Promise<{ batch?: BatchView; references?: string[] }> {
    const found = await findForStatusOfSender(env);
    return visibleTo(req, found.batch) ? found : {};
  }

  async function findForStatusOfSender(env: TxnStatusEnvelope): Promise<{ batch?: BatchView; references?: string[] }> {
    const q = env.message.txnstatus_request;
    const senderId = env.header.sender_id;
    // The store's transaction_id index: answers after restarts too (the newest message of that transaction).
    const byTransaction = async (transactionId: string) => {
      const batch = await deps.service.findBatchByTransaction(senderId, transactionId);
      return batch?.source === 'g2p-connect' && batch.meta?.sender_id === senderId ? batch : undefined;
    };
    if (q.attribute_type === 'correlation_id') {
      const batch = await deps.service.getBatch(String(q.attribute_value));
      return { batch: batch?.source === 'g2p-connect' && batch.meta?.sender_id === senderId ? batch : undefined };
    }
    if (q.attribute_type === 'transaction_id') return { batch: await byTransaction(String(q.attribute_value)) };
    // reference_id_list: references of the transaction named by the request's own transaction_id.
    const refs = Array.isArray(q.attribute_value) ? q.attribute_value : [q.attribute_value];
    return { batch: await byTransaction(env.message.transaction_id), references: refs };
  }

  function parseTxnStatus(body: unknown, sync: boolean): { ok: true; env: TxnStatusEnvelope } | { ok: false; rejection: G2pRejection } {
    const { error } = txnStatusSchema.validate(body, JOI_OPTIONS);
    const problems = error ? problemsOf(error, body) : [];
    const header = (body as { header?: Record<string, unknown> })?.header;
    if (header && typeof header === 'object') {
      if (header.is_msg_encrypted === true) problems.push({ code: 'ERR_INVALID_ENCRYPTION', field: 'header.is_msg_encrypted', message:
        'encrypted messages are not supported' });
      if (!sync && !header.sender_uri) problems.push({ code: 'ERR_INVALID_SENDER_URI', field: 'header.sender_uri', message:
        "'sender_uri' is required: the result goes to {sender_uri}/disburse/txn/on-status" });
    }
    return problems.length ? { ok: false, rejection: rejection(problems) } : { ok: true, env: body as TxnStatusEnvelope };
  }

  async function statusAnswer(env: TxnStatusEnvelope, batch: BatchView, references?: string[]) {
    return {
      header: callbackHeader(batch, 'on-status', env.header.receiver_id || 'gpo', env.header.sender_id),
      message: {
        transaction_id: env.message.transaction_id,
        correlation_id: batch.id,
        txnstatus_response: { txn_type: 'on-disburse', txn_status: await statusMessage(batch, references) },
      },
    };
  }

  const notFound = (env: TxnStatusEnvelope) => new G2pRejection(404, 'rjct.reference_id.invalid',
    `no disbursement found for ${env.message.txnstatus_request.attribute_type} ` +
      `${JSON.stringify(env.message.txnstatus_request.attribute_value)}`);

  server.route({
    method: 'POST',
    path: '/disburse/txn/status',
    options: readRoute,
    handler: async (req, h) => {
      const b = await signedBody(req, h);
      if (!b.ok) return b.response;
      const parsed = parseTxnStatus(b.body, false);
      if (!parsed.ok) return h.response(err(parsed.rejection)).code(parsed.rejection.status);
      const env = parsed.env;
      const found = await findForStatus(req, env);
      if (!found.batch) return h.response(err(notFound(env))).code(404);
      const batch = found.batch;
      const url = `${env.header.sender_uri!.replace(/\/$/, '')}/disburse/txn/on-status`;
      setImmediate(() => {
        void statusAnswer(env, batch, found.references)
          .then((body) => notifier.post(url, body, { batchId: batch.id, kind: 'on-status' }))
          .catch((error) => log.error({ batchId: batch.id, err: error }, 'on-status callback could not be built'));
      });
      return h.response(ack(batch.id)).code(200);
    },
  });

  server.route({
    method: 'POST',
    path: '/disburse/sync/txn/status',
    options: readRoute,
    handler: async (req, h) => {
      const b = await signedBody(req, h);
      if (!b.ok) return b.response;
      const parsed = parseTxnStatus(b.body, true);
      if (!parsed.ok) return h.response(err(parsed.rejection)).code(parsed.rejection.status);
      const found = await findForStatus(req, parsed.env);
      if (!found.batch) return h.response(err(notFound(parsed.env))).code(404);
      return h.response(await statusAnswer(parsed.env, found.batch, found.references)).code(200);
    },
  });
}
