/**
 * G2P Connect Disburse API v1.0.0 messages: financial addresses, the header and disbursement schemas, the reject
 * codes of each problem, and a disburse request read into GPO's submit command (or refused whole).
 */
import Joi from 'joi';
import { maskId } from '../../../shared/logger';
import { type PaymentInput, type SubmitBatchCommand } from '../../domain/types';
import { CURRENCY_RE, edgeAmount, fieldPath, JOI_OPTIONS, maskJoiMessage, requestHash } from '../common';

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

export const txnStatusSchema = Joi.object({
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

export function problemsOf(err: Joi.ValidationError, body: unknown): G2pProblem[] {
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

export function rejection(problems: G2pProblem[], status = 400): G2pRejection {
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
export interface G2pHeader { version: string; message_id: string; message_ts: string; action: string; sender_id: string;
  sender_uri?: string;
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

