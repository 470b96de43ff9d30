/**
 * Payee DFSP configuration and the default parties of the default world.
 *
 * Payee FSP number n (payeefsp1 = 1, payeefsp2 = 2, ...) answers for:
 * - five named MSISDN parties `2547n0000001` .. `2547n0000005` (see DEFAULT_NAMES),
 * - every MSISDN from `2547n0000000` to `2547n9999999` (generated names, account `MSISDN:<number>`),
 * - every ACCOUNT_ID matching `PFn-<digits>` (e.g. `PF1-1001`).
 * `defaultOracleRules()` gives the ALS the matching identifier → FSP rules.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { IlpVersion } from '../fspiop/ilp';
import type { PartyConfig, PartyGeneratorRule } from './domain/directory';
import type { FeeRule } from './domain/fees';
import type { AnsweringMode } from './domain/payee';

export interface PayeeDfspConfig {
  fspId: string;
  currencies: string[];
  parties: PartyConfig[];
  partyRules: PartyGeneratorRule[];
  fees: FeeRule[];
  ilpSecret: string;
  ilpVersion: IlpVersion;
  quoteTtlMs: number;
  answeringMode: AnsweringMode;
}

const DEFAULT_NAMES: Array<[string, string]> = [
  ['Amina', 'Achieng'],
  ['Baraka', 'Banda'],
  ['Chanda', 'Chege'],
  ['Dalia', 'Diallo'],
  ['Emeka', 'Eze'],
];

/** The FSP's number in the default world: payeefsp1 -> 1; other names -> 1. */
export function payeeIndex(fspId: string): number {
  const m = /(\d)$/.exec(fspId);
  return m ? Number(m[1]) : 1;
}

export function defaultParties(fspId: string): PartyConfig[] {
  const n = payeeIndex(fspId);
  return DEFAULT_NAMES.map(([firstName, lastName], i) => ({
    idType: 'MSISDN',
    idValue: `2547${n}000000${i + 1}`,
    firstName,
    lastName,
    account: `${fspId}-wallet-${i + 1}`,
  }));
}

export function defaultPartyRules(fspId: string): PartyGeneratorRule[] {
  const n = payeeIndex(fspId);
  return [
    { idType: 'MSISDN', range: { from: `2547${n}0000000`, to: `2547${n}9999999` } },
    { idType: 'ACCOUNT_ID', pattern: `PF${n}-[0-9]{1,12}` },
  ];
}

/** ALS rules that send the default parties of each payee FSP to it. */
export function defaultOracleRules(fspIds: string[]): Array<{ idType: string; fspId: string; range?: { from: string; to: string };
  pattern?: string }> {
  return fspIds.flatMap((fspId) => {
    const n = payeeIndex(fspId);
    return [
      { idType: 'MSISDN', fspId, range: { from: `2547${n}0000000`, to: `2547${n}9999999` } },
      { idType: 'ACCOUNT_ID', fspId, pattern: `PF${n}-[0-9]{1,12}` },
    ];
  });
}

export function defaultPayeeConfig(fspId = 'payeefsp1'): PayeeDfspConfig {
  return {
    fspId,
    currencies: ['USD'],
    parties: defaultParties(fspId),
    partyRules: defaultPartyRules(fspId),
    fees: [],
    ilpSecret: `${fspId}-ilp-secret`,
    ilpVersion: 'v1',
    quoteTtlMs: 60_000,
    answeringMode: 'COMMITTED',
  };
}

/**
 * Options from a YAML or JSON file (for `gpo sim payee-dfsp --config file`): any PayeeDfspConfig field plus
 * hubUrl, alsUrl, faultRules, seed. Unknown keys are refused so a typo does not pass silently.
 */
export function readPayeeConfigFile(file: string): Record<string, unknown> {
  return readConfigFile(file, [
    'fspId', 'currencies', 'parties', 'partyRules', 'fees', 'ilpSecret', 'ilpVersion', 'quoteTtlMs', 'answeringMode',
    'hubUrl', 'alsUrl', 'faultRules', 'seed', 'port', 'host',
  ]);
}

/** Reads a YAML/JSON object and checks its top-level keys. */
export function readConfigFile(file: string, allowed: string[]): Record<string, unknown> {
  const doc = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: expected a mapping of options`);
  const unknown = Object.keys(doc).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new Error(`${file}: unknown option(s) ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`);
  return doc as Record<string, unknown>;
}
