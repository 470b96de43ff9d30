/**
 * The hub's participant registry, with central-ledger admin conventions: participants with currencies, callback
 * endpoints by type (URL templates with {{...}} placeholders), net debit caps and positions. Pure: no I/O.
 */
import { fromUnits } from '../../shared/money';
import { ErrorCode } from '../../shared/fspiop-errors';

export interface PositionAccount {
  currency: string;
  /** Committed net position (initial position + committed debits - committed credits), in units (shared/money). */
  value: bigint;
  /** Sum of in-flight reservations (prepared, not yet committed or aborted). */
  reserved: bigint;
  /** Net debit cap; undefined until initialPositionAndLimits. */
  netDebitCap?: bigint;
  changedDate: Date;
}

export interface Participant {
  name: string;
  id: number;
  created: Date;
  isActive: boolean;
  accounts: Map<string, PositionAccount>;
  endpoints: Map<string, string>;
}

export class RegistryError extends Error {
  constructor(readonly errorCode: string, message: string, readonly httpStatus = 400) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** Central-ledger FSP endpoint types (the ones FSPIOP routing uses, plus the ones provisioning scripts register). */
export const ENDPOINT_TYPES = new Set([
  'FSPIOP_CALLBACK_URL', 'ALARM_NOTIFICATION_URL', 'ALARM_NOTIFICATION_TOPIC', 'NET_DEBIT_CAP_THRESHOLD_BREACH_EMAIL',
  'NET_DEBIT_CAP_ADJUSTMENT_EMAIL', 'SETTLEMENT_TRANSFER_POSITION_CHANGE_EMAIL',
  'FSPIOP_CALLBACK_URL_PARTIES_GET', 'FSPIOP_CALLBACK_URL_PARTIES_PUT', 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT', 'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT', 'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT', 'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_SUB_ID_DELETE',
  'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_GET', 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT', 'FSPIOP_CALLBACK_URL_PARTIES_SUB_ID_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_QUOTES', 'FSPIOP_CALLBACK_URL_BULK_QUOTES',
  'FSPIOP_CALLBACK_URL_TRANSFER_POST', 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR',
  'FSPIOP_CALLBACK_URL_BULK_TRANSFER_POST', 'FSPIOP_CALLBACK_URL_BULK_TRANSFER_PUT', 'FSPIOP_CALLBACK_URL_BULK_TRANSFER_ERROR',
  'FSPIOP_CALLBACK_URL_TRX_REQ_SERVICE', 'FSPIOP_CALLBACK_URL_AUTHORIZATIONS',
  'TP_CB_URL_TRANSACTION_REQUEST_GET', 'TP_CB_URL_TRANSACTION_REQUEST_POST', 'TP_CB_URL_TRANSACTION_REQUEST_PUT',
  'TP_CB_URL_TRANSACTION_REQUEST_PUT_ERROR', 'TP_CB_URL_TRANSACTION_REQUEST_PATCH',
]);

/**
 * The standard endpoint set a provisioning script registers for a DFSP whose FSPIOP API is at `base`
 * (central-ledger types and URL templates).
 */
export function standardEndpointTemplates(base: string): Array<{ type: string; value: string }> {
  const b = base.replace(/\/+$/, '');
  return [
    ['FSPIOP_CALLBACK_URL_PARTIES_GET', `${b}/parties/{{partyIdType}}/{{partyIdentifier}}`],
    ['FSPIOP_CALLBACK_URL_PARTIES_PUT', `${b}/parties/{{partyIdType}}/{{partyIdentifier}}`],
    ['FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR', `${b}/parties/{{partyIdType}}/{{partyIdentifier}}/error`],
    ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT', `${b}/participants/{{partyIdType}}/{{partyIdentifier}}`],
    ['FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR', `${b}/participants/{{partyIdType}}/{{partyIdentifier}}/error`],
    ['FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT', `${b}/participants/{{requestId}}`],
    ['FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT_ERROR', `${b}/participants/{{requestId}}/error`],
    ['FSPIOP_CALLBACK_URL_QUOTES', b],
    ['FSPIOP_CALLBACK_URL_TRANSFER_POST', `${b}/transfers`],
    ['FSPIOP_CALLBACK_URL_TRANSFER_PUT', `${b}/transfers/{{transferId}}`],
    ['FSPIOP_CALLBACK_URL_TRANSFER_ERROR', `${b}/transfers/{{transferId}}/error`],
    ['FSPIOP_CALLBACK_URL_BULK_QUOTES', b],
    ['FSPIOP_CALLBACK_URL_BULK_TRANSFER_POST', `${b}/bulkTransfers`],
    ['FSPIOP_CALLBACK_URL_BULK_TRANSFER_PUT', `${b}/bulkTransfers/{{id}}`],
    ['FSPIOP_CALLBACK_URL_BULK_TRANSFER_ERROR', `${b}/bulkTransfers/{{id}}/error`],
  ].map(([type, value]) => ({ type, value }));
}

const NAME_RE = /^[A-Za-z0-9_.-]{1,32}$/;
const CURRENCY_RE = /^[A-Z]{3}$/;

/** Values substituted into endpoint templates. */
export interface TemplateVars {
  partyIdType?: string;
  partyIdentifier?: string;
  partySubIdOrType?: string;
  transferId?: string;
  id?: string;
  requestId?: string;
}

/** Where an FSPIOP message goes, in endpoint terms. */
export interface Route {
  type: string;
  /** Path appended when the endpoint is a plain base URL (quotes, bulk quotes). */
  path: string;
  vars: TemplateVars;
}

export class Participants {
  private readonly byName = new Map<string, Participant>();
  private nextId = 1;

  get(name: string): Participant | undefined {
    return this.byName.get(name);
  }

  list(): Participant[] {
    return [...this.byName.values()];
  }

  /** POST /participants {name, currency}: a new participant, or a new currency for an existing one. */
  add(name: unknown, currency: unknown, now = new Date()): { participant: Participant; created: boolean } {
    if (typeof name !== 'string' || !NAME_RE.test(name)) throw new RegistryError(ErrorCode.VALIDATION_ERROR,
      'name must be 1..32 letters, digits, ".", "_" or "-"');
    if (typeof currency !== 'string' || !CURRENCY_RE.test(currency)) throw new RegistryError(ErrorCode.VALIDATION_ERROR,
      'currency must be an ISO 4217 code');
    let p = this.byName.get(name);
    if (p && p.accounts.has(currency)) throw new RegistryError(ErrorCode.CLIENT_ERROR,
      `Participant currency has already been registered: ${name} ${currency}`);
    const created = !p;
    if (!p) {
      p = { name, id: this.nextId++, created: now, isActive: true, accounts: new Map(), endpoints: new Map() };
      this.byName.set(name, p);
    }
    p.accounts.set(currency, { currency, value: 0n, reserved: 0n, changedDate: now });
    return { participant: p, created };
  }

  require(name: string): Participant {
    const p = this.byName.get(name);
    if (!p) throw new RegistryError(ErrorCode.ID_NOT_FOUND, `Participant ${name} not found`, 404);
    return p;
  }

  setEndpoint(name: string, type: unknown, value: unknown): void {
    const p = this.require(name);
    if (typeof type !== 'string' || !ENDPOINT_TYPES.has(type)) throw new RegistryError(ErrorCode.VALIDATION_ERROR,
      `unknown endpoint type ${String(type)}`);
    if (typeof value !== 'string' || !value) throw new RegistryError(ErrorCode.VALIDATION_ERROR,
      'endpoint value must be a URL or template');
    if (type.startsWith('FSPIOP_') || type.startsWith('TP_')) {
      try {
        new URL(value.replace(/\{\{[^}]*\}\}/g, 'x'));
      } catch {
        throw new RegistryError(ErrorCode.VALIDATION_ERROR, `endpoint value is not a URL: ${value}`);
      }
    }
    p.endpoints.set(type, value);
  }

  endpoints(name: string): Array<{ type: string; value: string }> {
    return [...this.require(name).endpoints].map(([type, value]) => ({ type, value }));
  }

  /** POST /participants/{name}/initialPositionAndLimits. */
  initialPositionAndLimits(name: string, currency: unknown, limitValue: bigint, initialPosition: bigint, now = new Date()): void {
    const acc = this.account(name, currency);
    if (acc.netDebitCap !== undefined) throw new RegistryError(ErrorCode.CLIENT_ERROR,
      `Participant Limit already exists for ${name} ${String(currency)}`);
    acc.netDebitCap = limitValue;
    acc.value = initialPosition;
    acc.changedDate = now;
  }

  /** PUT /participants/{name}/limits: change the net debit cap. */
  setNetDebitCap(name: string, currency: unknown, limitValue: bigint, now = new Date()): void {
    const acc = this.account(name, currency);
    acc.netDebitCap = limitValue;
    acc.changedDate = now;
  }

  account(name: string, currency: unknown): PositionAccount {
    const p = this.require(name);
    const acc = typeof currency === 'string' ? p.accounts.get(currency) : undefined;
    if (!acc) throw new RegistryError(ErrorCode.CLIENT_ERROR, `Participant ${name} has no ${String(currency)} account`);
    return acc;
  }

  /** The account a transfer moves, created on the payee side when missing (a payee credited in a new currency). */
  accountFor(name: string, currency: string, now = new Date()): PositionAccount | undefined {
    const p = this.byName.get(name);
    if (!p) return undefined;
    let acc = p.accounts.get(currency);
    if (!acc) {
      acc = { currency, value: 0n, reserved: 0n, changedDate: now };
      p.accounts.set(currency, acc);
    }
    return acc;
  }

  /** GET /participants/{name}/positions in the central-ledger shape. */
  positions(name: string): Array<{ currency: string; value: string; reservedValue: string; changedDate: string }> {
    return [...this.require(name).accounts.values()].map((a) => ({
      currency: a.currency, value: fromUnits(a.value), reservedValue: fromUnits(a.reserved), changedDate: a.changedDate.toISOString(),
    }));
  }

  limits(name: string): Array<{ currency: string; limit: { type: string; value: string; alarmPercentage: number } }> {
    return [...this.require(name).accounts.values()].filter((a) => a.netDebitCap !== undefined).map((a) => ({
      currency: a.currency, limit: { type: 'NET_DEBIT_CAP', value: fromUnits(a.netDebitCap!), alarmPercentage: 10 },
    }));
  }

  /** Sum of committed positions per currency over all participants (zero when initial positions are zero). */
  positionSums(): Record<string, string> {
    const sums = new Map<string, bigint>();
    for (const p of this.byName.values()) for (const a of p.accounts.values()) sums.set(a.currency, (sums.get(a.currency) ?? 0n) + a.value);
    return Object.fromEntries([...sums].map(([c, v]) => [c, fromUnits(v)]));
  }

  /** The URL an FSPIOP message for `fsp` goes to, or undefined when the participant or endpoint is unknown. */
  resolve(fsp: string, route: Route): string | undefined {
    const p = this.byName.get(fsp);
    if (!p || !p.isActive) return undefined;
    let template = p.endpoints.get(route.type);
    let suffix = '';
    if (!template) {
      // an error endpoint left out: its success endpoint + "/error"
      const fallback = ERROR_FALLBACK[route.type];
      if (fallback && p.endpoints.has(fallback)) {
        template = p.endpoints.get(fallback)!;
        suffix = '/error';
      } else if (p.endpoints.has('FSPIOP_CALLBACK_URL')) {
        return p.endpoints.get('FSPIOP_CALLBACK_URL')!.replace(/\/+$/, '') + route.path;
      } else return undefined;
    }
    if (!template.includes('{{')) {
      // a plain base URL: quotes and bulk quotes (and any endpoint registered as a base)
      if (BASE_TYPES.has(route.type)) return template.replace(/\/+$/, '') + route.path;
      return template + suffix;
    }
    return substitute(template, route.vars) + suffix;
  }
}

const BASE_TYPES = new Set(['FSPIOP_CALLBACK_URL_QUOTES', 'FSPIOP_CALLBACK_URL_BULK_QUOTES']);

const ERROR_FALLBACK: Record<string, string> = {
  FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR: 'FSPIOP_CALLBACK_URL_PARTIES_PUT',
  FSPIOP_CALLBACK_URL_TRANSFER_ERROR: 'FSPIOP_CALLBACK_URL_TRANSFER_PUT',
  FSPIOP_CALLBACK_URL_BULK_TRANSFER_ERROR: 'FSPIOP_CALLBACK_URL_BULK_TRANSFER_PUT',
};

function substitute(template: string, vars: TemplateVars): string {
  const hasSub = template.includes('{{partySubIdOrType}}');
  return template.replace(/\{\{([A-Za-z]+)\}\}/g, (_m, name: string) => {
    const v = (vars as Record<string, string | undefined>)[name];
    const enc = v === undefined ? '' : encodeURIComponent(v);
    // a sub-id with a template that has no place for it goes right after the identifier
    if (name === 'partyIdentifier' && !hasSub && vars.partySubIdOrType) return `${enc}/${encodeURIComponent(vars.partySubIdOrType)}`;
    return enc;
  });
}

/** The endpoint type and template values for an FSPIOP message, from its method and path. */
export function routeFor(method: string, path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const resource = parts[0];
  const isError = parts[parts.length - 1] === 'error' && method === 'PUT';
  const M = method.toUpperCase();
  switch (resource) {
    case 'parties': {
      const rest = isError ? parts.slice(1, -1) : parts.slice(1);
      const vars = { partyIdType: rest[0], partyIdentifier: rest[1], partySubIdOrType: rest[2] };
      const type = M === 'GET' ? 'FSPIOP_CALLBACK_URL_PARTIES_GET' : isError ? 'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR'
        : 'FSPIOP_CALLBACK_URL_PARTIES_PUT';
      return { type, path, vars };
    }
    case 'quotes':
      return { type: 'FSPIOP_CALLBACK_URL_QUOTES', path, vars: { id: parts[1] } };
    case 'bulkQuotes':
      return { type: 'FSPIOP_CALLBACK_URL_BULK_QUOTES', path, vars: { id: parts[1] } };
    case 'transfers': {
      const vars = { transferId: parts[1], id: parts[1] };
      if (M === 'POST') return { type: 'FSPIOP_CALLBACK_URL_TRANSFER_POST', path, vars };
      return { type: isError ? 'FSPIOP_CALLBACK_URL_TRANSFER_ERROR' : 'FSPIOP_CALLBACK_URL_TRANSFER_PUT', path, vars };
    }
    case 'bulkTransfers': {
      const vars = { id: parts[1], transferId: parts[1] };
      if (M === 'POST') return { type: 'FSPIOP_CALLBACK_URL_BULK_TRANSFER_POST', path, vars };
      return { type: isError ? 'FSPIOP_CALLBACK_URL_BULK_TRANSFER_ERROR' : 'FSPIOP_CALLBACK_URL_BULK_TRANSFER_PUT', path, vars };
    }
    default:
      return undefined;
  }
}
