/**
 * Fault-injection rules shared by every simulator (switch, ALS, payee and payer DFSPs, PIL): rules as data,
 * changed at run time through `PUT /admin/rules {rules}` on each simulator's admin surface.
 *
 * A rule matches a request (resource, method, party id, amount, FSP), then acts (error code, delay, no callback,
 * callback twice, late callback, HTTP 500/503, dropped connection, wrong fulfilment, failing a share of bulk
 * items). Deterministic for a given seed.
 *
 * Bulk requests (bulkQuotes, bulkTransfers) carry many parties and amounts, so a rule with an item-level matcher
 * (partyId, minAmount, maxAmount) is evaluated once per item (`evaluateItems`), never on the bulk as a whole
 * (`evaluate` with no party id or amount skips it).
 */
import type { ServerRoute } from '@hapi/hapi';
import { createHash } from 'node:crypto';
import { SeededRandom } from '../../shared/ids';
import { toUnits } from '../../shared/money';

export type FaultAction =
  | { type: 'error'; errorCode: string; errorDescription?: string }
  | { type: 'delay'; ms: number }
  | { type: 'noCallback' }
  | { type: 'callbackTwice' }
  /** Call back `ms` after the request's own expiration (or after `ms` when it has none). */
  | { type: 'lateCallback'; ms?: number }
  | { type: 'httpStatus'; status: 500 | 503 }
  | { type: 'dropConnection' }
  | { type: 'wrongFulfilment' }
  | { type: 'failBulkItems'; fraction: number; errorCode?: string };

export interface FaultMatch {
  resource?: string;
  method?: string;
  /** Regular expression on the party identifier (payee of a quote/transfer, or the looked-up party). */
  partyId?: string;
  /** Inclusive amount bounds, decimal strings. */
  minAmount?: string;
  maxAmount?: string;
  /** Requesting FSP (FSPIOP-Source). */
  fsp?: string;
}

export interface FaultRule {
  id?: string;
  match?: FaultMatch;
  action: FaultAction;
  /** Chance the rule fires when it matches, 0..1 (default 1). */
  probability?: number;
  /** Fire at most this many times (per item for item-level rules on bulks). */
  times?: number;
  /** false: kept in the list but never fires (switched off from the operator console); default true. */
  enabled?: boolean;
  /** What the rule is for, as a person reads it. */
  description?: string;
}

export interface FaultContext {
  resource: string;
  method: string;
  partyId?: string;
  amount?: string;
  fsp?: string;
}

/** One item of a bulk request, for item-level rules. */
export interface FaultItem {
  partyId?: string;
  amount?: string;
}

interface LiveRule {
  rule: FaultRule;
  re?: RegExp;
  min?: bigint;
  max?: bigint;
  /** Has a partyId / minAmount / maxAmount matcher: evaluated per item on bulks. */
  itemLevel: boolean;
  fired: number;
}

const ACTIONS = new Set(['error', 'delay', 'noCallback', 'callbackTwice', 'lateCallback', 'httpStatus', 'dropConnection', 'wrongFulfilment',
  'failBulkItems']);

/** An FSPIOP error code, or a G2P Connect status reason / error code (the mapper simulator answers with those). */
const ERROR_CODE_RE = /^([0-9]{4}|(rjct|succ|err)\.[a-z_]+\.[a-z_]+)$/;

export class FaultRuleError extends Error {}

/** How long to hold a callback back: delays add up; a late callback waits until past the request's expiry. */
export function callbackDelay(actions: readonly FaultAction[], expiresAt?: number, now = Date.now()): number {
  let delay = 0;
  for (const a of actions) {
    if (a.type === 'delay') delay += a.ms;
    if (a.type === 'lateCallback') delay += (expiresAt !== undefined ? Math.max(0, expiresAt - now) : 0) + (a.ms ?? 100);
  }
  return delay;
}

function compile(rule: FaultRule): LiveRule {
  if (!rule || typeof rule !== 'object' || !rule.action || !ACTIONS.has(rule.action.type)) {
    throw new FaultRuleError(`unknown fault action ${JSON.stringify(rule?.action)}`);
  }
  const a = rule.action;
  if (a.type === 'error'
    && !ERROR_CODE_RE.test(a.errorCode)) throw new FaultRuleError('error action needs a 4-digit FSPIOP errorCode or a G2P Connect reason ' +
      'code (rjct.*, succ.*, err.*)');
  if (a.type === 'delay' && !(Number.isFinite(a.ms) && a.ms >= 0)) throw new FaultRuleError('delay needs ms >= 0');
  if (a.type === 'lateCallback' && a.ms !== undefined && !(Number.isFinite(a.ms)
    && a.ms >= 0)) throw new FaultRuleError('lateCallback ms must be >= 0');
  if (a.type === 'httpStatus' && a.status !== 500 && a.status !== 503) throw new FaultRuleError('httpStatus must be 500 or 503');
  if (a.type === 'failBulkItems' && !(a.fraction >= 0 && a.fraction <= 1)) throw new FaultRuleError('fraction must be within 0..1');
  if (rule.enabled !== undefined && typeof rule.enabled !== 'boolean') throw new FaultRuleError('enabled must be true or false');
  if (rule.id !== undefined
    && (typeof rule.id !== 'string'
      || !/^[A-Za-z0-9._:-]{1,64}$/.test(rule.id))) throw new FaultRuleError('id must be 1-64 letters, digits or ._:-');
  const m = rule.match ?? {};
  const live: LiveRule = { rule, fired: 0, itemLevel: Boolean(m.partyId || m.minAmount || m.maxAmount) };
  try {
    if (m.partyId) live.re = new RegExp(m.partyId);
    if (m.minAmount) live.min = toUnits(m.minAmount);
    if (m.maxAmount) live.max = toUnits(m.maxAmount);
  } catch (err) {
    throw new FaultRuleError(`bad match: ${(err as Error).message}`);
  }
  return live;
}

/** A 32-bit seed from the rule set's seed and a key (e.g. a bulk id): the same bulk gets the same choice. */
function keyedSeed(seed: number, key: string): number {
  return createHash('sha256').update(`${seed}:${key}`).digest().readUInt32LE(0);
}

export class FaultRules {
  private rules: LiveRule[] = [];
  private random: SeededRandom;

  constructor(rules: FaultRule[] = [], private seed = 1) {
    this.random = new SeededRandom(seed);
    this.replace(rules);
  }

  replace(rules: FaultRule[]): void {
    const compiled = rules.map(compile);
    this.rules = compiled;
    this.random = new SeededRandom(this.seed);
  }

  add(rule: FaultRule): void {
    this.rules.push(compile(rule));
  }

  list(): Array<FaultRule & { fired: number }> {
    return this.rules.map((r) => ({ ...r.rule, fired: r.fired }));
  }

  get size(): number {
    return this.rules.length;
  }

  /** Switches a rule (by id) on or off without touching the others or its count; false when there is no such rule. */
  setEnabled(id: string, enabled: boolean): boolean {
    const r = this.rules.find((x) => x.rule.id === id);
    if (!r) return false;
    r.rule = { ...r.rule, enabled };
    return true;
  }

  private matches(r: LiveRule, ctx: FaultContext): boolean {
    if (r.rule.enabled === false) return false;
    const m = r.rule.match ?? {};
    if (m.resource && m.resource !== ctx.resource) return false;
    if (m.method && m.method.toUpperCase() !== ctx.method.toUpperCase()) return false;
    if (m.fsp && m.fsp !== ctx.fsp) return false;
    if (r.re && (ctx.partyId === undefined || !r.re.test(ctx.partyId))) return false;
    if (r.min !== undefined || r.max !== undefined) {
      let units: bigint;
      try {
        units = toUnits(ctx.amount ?? '');
      } catch {
        return false;
      }
      if (r.min !== undefined && units < r.min) return false;
      if (r.max !== undefined && units > r.max) return false;
    }
    return true;
  }

  /** Counts a firing when `times` and `probability` allow it. */
  private fires(r: LiveRule): boolean {
    if (r.rule.times !== undefined && r.fired >= r.rule.times) return false;
    if (r.rule.probability !== undefined && this.random.next() >= r.rule.probability) return false;
    r.fired++;
    return true;
  }

  /** Every action whose rule matches and fires, in rule order. */
  evaluate(ctx: FaultContext): FaultAction[] {
    if (this.rules.length === 0) return [];
    const out: FaultAction[] = [];
    for (const r of this.rules) {
      if (this.matches(r, ctx) && this.fires(r)) out.push(r.rule.action);
    }
    return out;
  }

  /** True when some rule for this resource and method has an item-level matcher (worth reading each item). */
  hasItemRules(resource: string, method: string): boolean {
    return this.rules.some((r) => {
      if (r.rule.enabled === false) return false;
      const m = r.rule.match ?? {};
      return r.itemLevel && (!m.resource || m.resource === resource) && (!m.method || m.method.toUpperCase() === method.toUpperCase());
    });
  }

  /**
   * Item-level rules (partyId / minAmount / maxAmount) evaluated for each item of a bulk, in item order:
   * one list of actions per item. Rules without item-level matchers are not looked at (see `evaluate`).
   */
  evaluateItems(ctx: Omit<FaultContext, 'partyId' | 'amount'>, items: readonly FaultItem[]): FaultAction[][] {
    const live = this.rules.filter((r) => r.itemLevel);
    if (live.length === 0) return items.map(() => []);
    return items.map((item) => {
      const out: FaultAction[] = [];
      const c: FaultContext = { ...ctx, partyId: item.partyId, amount: item.amount };
      for (const r of live) if (this.matches(r, c) && this.fires(r)) out.push(r.rule.action);
      return out;
    });
  }

  /**
   * Which bulk items to fail: exactly round(fraction × count) distinct indices (ascending), picked by a seeded
   * shuffle. With a key (the bulk id) the choice depends only on the seed and the key, not on arrival order.
   */
  pickItems(count: number, fraction: number, key?: string): number[] {
    const k = Math.min(count, Math.max(0, Math.round(fraction * count)));
    if (k === 0) return [];
    const random = key === undefined ? this.random : new SeededRandom(keyedSeed(this.seed, key));
    const idx = Array.from({ length: count }, (_, i) => i);
    // partial Fisher-Yates: the first k places get a uniform random choice of k indices
    for (let i = 0; i < k; i++) {
      const j = i + random.int(count - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return idx.slice(0, k).sort((a, b) => a - b);
  }
}

/**
 * The admin surface every simulator shares for its fault rules: `GET /admin/rules` lists them,
 * `PUT /admin/rules {rules:[...]}` replaces them all (400 with a code when a rule is invalid, nothing changed),
 * `PATCH /admin/rules/{id} {enabled}` switches one on or off and keeps its count.
 */
export function ruleAdminRoutes(faults: FaultRules): ServerRoute[] {
  return [
    { method: 'GET', path: '/admin/rules', handler: () => ({ rules: faults.list() }) },
    {
      method: 'PUT',
      path: '/admin/rules',
      handler: (req, h) => {
        const rules = (req.payload as { rules?: FaultRule[] } | null)?.rules;
        if (!Array.isArray(rules)) return h.response({ error: { code: 'INVALID_RULES', message: 'expected {rules:[...]}' } }).code(400);
        try {
          faults.replace(rules);
        } catch (err) {
          if (err instanceof FaultRuleError) return h.response({ error: { code: 'INVALID_RULE', message: err.message } }).code(400);
          throw err;
        }
        return { rules: faults.list() };
      },
    },
    {
      method: 'PATCH',
      path: '/admin/rules/{id}',
      handler: (req, h) => {
        const enabled = (req.payload as { enabled?: unknown } | null)?.enabled;
        if (typeof enabled !== 'boolean') return h.response({ error: { code: 'INVALID_RULE', message:
          'expected {enabled: true|false}' } }).code(400);
        if (!faults.setEnabled(String(req.params.id), enabled)) return h.response({ error:
          { code: 'RULE_NOT_FOUND', message: `no rule with id ${String(req.params.id).slice(0, 64)}` } }).code(404);
        return { rules: faults.list() };
      },
    },
  ];
}
