/**
 * Fault rules for the payee DFSP and ALS, as data: match a request (resource, method, party id, amount, FSP),
 * then act (error code, delay, no callback, callback twice, late callback, HTTP 500/503, dropped connection,
 * wrong fulfilment, failing a fraction of bulk items). Deterministic for a given seed.
 */
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
  /** Fire at most this many times. */
  times?: number;
}

export interface FaultContext {
  resource: string;
  method: string;
  partyId?: string;
  amount?: string;
  fsp?: string;
}

interface LiveRule {
  rule: FaultRule;
  re?: RegExp;
  min?: bigint;
  max?: bigint;
  fired: number;
}

const ACTIONS = new Set(['error', 'delay', 'noCallback', 'callbackTwice', 'lateCallback', 'httpStatus', 'dropConnection', 'wrongFulfilment', 'failBulkItems']);

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
  if (a.type === 'error' && !/^[0-9]{4}$/.test(a.errorCode)) throw new FaultRuleError('error action needs a 4-digit errorCode');
  if (a.type === 'delay' && !(Number.isFinite(a.ms) && a.ms >= 0)) throw new FaultRuleError('delay needs ms >= 0');
  if (a.type === 'lateCallback' && a.ms !== undefined && !(Number.isFinite(a.ms) && a.ms >= 0)) throw new FaultRuleError('lateCallback ms must be >= 0');
  if (a.type === 'httpStatus' && a.status !== 500 && a.status !== 503) throw new FaultRuleError('httpStatus must be 500 or 503');
  if (a.type === 'failBulkItems' && !(a.fraction >= 0 && a.fraction <= 1)) throw new FaultRuleError('fraction must be within 0..1');
  const live: LiveRule = { rule, fired: 0 };
  const m = rule.match ?? {};
  try {
    if (m.partyId) live.re = new RegExp(m.partyId);
    if (m.minAmount) live.min = toUnits(m.minAmount);
    if (m.maxAmount) live.max = toUnits(m.maxAmount);
  } catch (err) {
    throw new FaultRuleError(`bad match: ${(err as Error).message}`);
  }
  return live;
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

  /** Every action whose rule matches and fires, in rule order. */
  evaluate(ctx: FaultContext): FaultAction[] {
    if (this.rules.length === 0) return [];
    const out: FaultAction[] = [];
    for (const r of this.rules) {
      const m = r.rule.match ?? {};
      if (m.resource && m.resource !== ctx.resource) continue;
      if (m.method && m.method.toUpperCase() !== ctx.method.toUpperCase()) continue;
      if (m.fsp && m.fsp !== ctx.fsp) continue;
      if (r.re && (ctx.partyId === undefined || !r.re.test(ctx.partyId))) continue;
      if (r.min !== undefined || r.max !== undefined) {
        let units: bigint;
        try {
          units = toUnits(ctx.amount ?? '');
        } catch {
          continue;
        }
        if (r.min !== undefined && units < r.min) continue;
        if (r.max !== undefined && units > r.max) continue;
      }
      if (r.rule.times !== undefined && r.fired >= r.rule.times) continue;
      if (r.rule.probability !== undefined && this.random.next() >= r.rule.probability) continue;
      r.fired++;
      out.push(r.rule.action);
    }
    return out;
  }

  /** Deterministic choice of bulk items to fail: each index fails with the given probability. */
  pickItems(count: number, fraction: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) if (this.random.next() < fraction) out.push(i);
    return out;
  }
}
