/**
 * Helpers every GPO k6 script shares: configuration from __ENV (k6 `-e KEY=VALUE`, or the `gpo load` flags),
 * scenarios and thresholds built from it, test data ids. Runs unchanged in real k6 and in GPO's Node runner.
 */
import type { Options, Scenario } from 'k6/options';

export function envStr(name: string, fallback: string): string {
  const v = __ENV[name];
  return v === undefined || v === '' ? fallback : v;
}

export function envNum(name: string, fallback: number): number {
  const v = __ENV[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${v}"`);
  return n;
}

export function envBool(name: string, fallback: boolean): boolean {
  const v = __ENV[name];
  if (v === undefined || v === '') return fallback;
  return v === '1' || v.toLowerCase() === 'true' || v.toLowerCase() === 'yes';
}

export type Thresholds = NonNullable<Options['thresholds']>;

/** Script defaults, overridden metric by metric by THRESHOLDS (JSON: {"metric": ["p(95)<100"]}) from a profile. */
export function thresholdsFromEnv(defaults: Thresholds): Thresholds {
  const raw = __ENV.THRESHOLDS;
  if (!raw) return defaults;
  const parsed = JSON.parse(raw) as Thresholds;
  const out: Thresholds = {};
  for (const k of Object.keys(defaults)) out[k] = defaults[k];
  for (const k of Object.keys(parsed)) out[k] = parsed[k];
  return out;
}

export interface ScenarioDefaults {
  executor: 'constant-vus' | 'constant-arrival-rate' | 'shared-iterations' | 'per-vu-iterations';
  vus?: number;
  duration?: string;
  rate?: number;
  iterations?: number;
  maxVUs?: number;
  maxDuration?: string;
}

/**
 * One scenario from the script's defaults and EXECUTOR, VUS, DURATION, RATE, ITERATIONS, MAX_VUS, MAX_DURATION.
 * RATE alone switches to constant-arrival-rate (RATE iterations per second).
 */
export function scenarioFromEnv(d: ScenarioDefaults): Scenario {
  const rateGiven = __ENV.RATE !== undefined && __ENV.RATE !== '';
  const executor = envStr('EXECUTOR', rateGiven ? 'constant-arrival-rate' : d.executor);
  const vus = envNum('VUS', d.vus ?? 1);
  const duration = envStr('DURATION', d.duration ?? '30s');
  const maxDuration = envStr('MAX_DURATION', d.maxDuration ?? '10m');
  switch (executor) {
    case 'constant-vus':
      return { executor, vus, duration };
    case 'constant-arrival-rate': {
      const rate = envNum('RATE', d.rate ?? 10);
      return {
        executor, rate, timeUnit: '1s', duration,
        preAllocatedVUs: envNum('VUS', d.vus ?? Math.max(1, Math.ceil(rate / 10))),
        maxVUs: envNum('MAX_VUS', d.maxVUs ?? Math.max(10, rate)),
      };
    }
    case 'per-vu-iterations':
      return { executor, vus, iterations: envNum('ITERATIONS', d.iterations ?? 1), maxDuration };
    case 'shared-iterations':
      return { executor, vus, iterations: envNum('ITERATIONS', d.iterations ?? 1), maxDuration };
    default:
      throw new Error(`EXECUTOR ${executor} is not one of constant-vus, constant-arrival-rate, shared-iterations, per-vu-iterations`);
  }
}

/** Percentiles every GPO summary shows. */
export const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'];

/** Random v4 UUID (test data, not security): works where crypto.randomUUID is missing. */
export function uuid(): string {
  const h = '0123456789abcdef';
  let s = '';
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) s += '-';
    else if (i === 14) s += '4';
    else if (i === 19) s += h[8 + Math.floor(Math.random() * 4)];
    else s += h[Math.floor(Math.random() * 16)];
  }
  return s;
}

/** Payee number i of the default world: MSISDN 2547n + 7 digits, n alternating between the payee FSPs. */
export function payeeMsisdn(i: number, payeeFspCount: number, offset: number): { fsp: number; msisdn: string } {
  const fsp = (i % payeeFspCount) + 1;
  const local = (offset + Math.floor(i / payeeFspCount)) % 10_000_000;
  return { fsp, msisdn: `2547${fsp}${String(local).padStart(7, '0')}` };
}

export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

/** Error code of an SDK outbound API answer (lastError.mojaloopError / errorInformation), else the HTTP status. */
export function sdkErrorCode(status: number, body: unknown): string {
  const b = body as { lastError?: { mojaloopError?: { errorInformation?: { errorCode?: string } }; httpStatusCode?: number };
    errorInformation?: { errorCode?: string }; statusCode?: string } | null;
  const code = b?.lastError?.mojaloopError?.errorInformation?.errorCode ?? b?.errorInformation?.errorCode ?? b?.statusCode;
  if (code) return String(code);
  return status === 0 ? 'network' : `HTTP ${status}`;
}

/** Parses a response body as JSON, or undefined (k6's res.json() throws on bad JSON). */
export function jsonOf(body: unknown): unknown {
  if (typeof body !== 'string' || body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
