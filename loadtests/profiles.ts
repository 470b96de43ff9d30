/**
 * Load profiles (loadtests/profiles/<name>.json): which k6 script, its default environment and thresholds, which
 * counter is the throughput and which trend the latency. Command-line flags become script environment variables,
 * so real k6 and the Node runner get exactly the same configuration.
 */
import path from 'node:path';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { UserError } from '../shared/errors';
import type { ThresholdsConfig } from './runner/thresholds';

export const PROFILES_DIR = path.join(__dirname, 'profiles');

export interface Profile {
  name: string;
  script: string;
  description: string;
  /** Which default URL the script's TARGET is: the orchestrator or the payer DFSP's SDK outbound API. */
  target: 'orchestrator' | 'payerOutbound';
  /** What --payments sets: PAYMENTS for batch scripts, ITERATIONS for one-payment-per-iteration scripts. */
  payments: 'PAYMENTS' | 'ITERATIONS';
  env: Record<string, string>;
  thresholds: ThresholdsConfig;
  throughput: { metric: string; label: string };
  latency: string;
}

export function listProfiles(): string[] {
  return readdirSync(PROFILES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
}

export function loadProfile(nameOrPath: string): Profile {
  const file = nameOrPath.endsWith('.json') ? path.resolve(nameOrPath) : path.join(PROFILES_DIR, `${nameOrPath}.json`);
  if (!existsSync(file)) throw new UserError(`no load profile "${nameOrPath}"`,
    `the profiles are ${listProfiles().join(', ')}, or give a profile .json file`);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<Profile>;
  for (const k of ['script', 'target', 'payments', 'throughput', 'latency'] as const) {
    if (raw[k] === undefined) throw new Error(`profile ${file}: "${k}" is missing`);
  }
  return { name: path.basename(file, '.json'), description: '', env: {}, thresholds: {}, ...raw } as Profile;
}

export interface LoadFlags {
  vus?: number;
  duration?: string;
  rate?: number;
  payments?: number;
  env?: Record<string, string>;
  /** metric -> expressions, replacing the profile's expressions for that metric */
  thresholds?: ThresholdsConfig;
}

/** The script environment for a profile and flags (flags win over the profile, --env over everything). */
export function scriptEnv(profile: Profile, flags: LoadFlags, targetUrl: string, extra: Record<string, string> = {}): Record<string,
  string> {
  const env: Record<string, string> = { ...profile.env, ...extra, TARGET: targetUrl };
  if (flags.vus !== undefined) env.VUS = String(flags.vus);
  if (flags.duration !== undefined) env.DURATION = flags.duration;
  if (flags.rate !== undefined) env.RATE = String(flags.rate);
  if (flags.payments !== undefined) {
    if (profile.payments === 'PAYMENTS') {
      env.PAYMENTS = String(flags.payments);
      // one batch per BATCH_SIZE payments; a smaller run is one batch of every payment
      if (env.BATCH_SIZE && Number(env.BATCH_SIZE) > flags.payments) env.BATCH_SIZE = String(flags.payments);
    } else if (flags.rate !== undefined) {
      // --payments at --rate: an arrival-rate run long enough for that many payments
      env.DURATION = `${Math.max(1, Math.ceil(flags.payments / flags.rate))}s`;
    } else {
      // --payments alone: exactly that many iterations, as fast as the VUs go
      env.EXECUTOR = 'shared-iterations';
      env.ITERATIONS = String(flags.payments);
      delete env.RATE;
    }
  }
  const thresholds = { ...profile.thresholds, ...(flags.thresholds ?? {}) };
  env.THRESHOLDS = JSON.stringify(thresholds);
  Object.assign(env, flags.env ?? {});
  return env;
}
