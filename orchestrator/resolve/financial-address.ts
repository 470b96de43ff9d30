/**
 * Financial addresses as mappers write them, read into the party a rail pays. Pure functions.
 * - G2P Connect: `type:value@provider` (`mobile:254710000001@payeefsp1`, `account:PF1-1001@bankcode`,
 *   `token:12345@gtbank`); an email carries its own `@` (`email:a@b.org@wallet`).
 * - SPAR's default strategies: `account_number:….branch_name:….branch_code:….bank_name:….bank_code:….fa_type:BANK_ACCOUNT`,
 *   `mobile_number:….wallet_provider_name:….wallet_provider_code:….fa_type:MOBILE_WALLET`, `email_address:…
 *   .wallet_provider_code:….fa_type:EMAIL_WALLET`, and the same fields as an object (SPAR 2.x answers `fa` so).
 */
import type { AddressKind } from './port';

export interface ParsedAddress {
  kind: AddressKind;
  value: string;
  provider: string;
  payeeIdType: string;
  bankCode?: string;
  branchCode?: string;
  providerName?: string;
}

/** G2P Connect address type → kind and FSPIOP party id type. */
const G2P_TYPES: Record<string, [AddressKind, string]> = {
  mobile: ['wallet', 'MSISDN'], msisdn: ['wallet', 'MSISDN'], phone: ['wallet', 'MSISDN'],
  account: ['bank', 'ACCOUNT_ID'], acc: ['bank', 'ACCOUNT_ID'], bank: ['bank', 'ACCOUNT_ID'],
  iban: ['bank', 'IBAN'], email: ['email', 'EMAIL'],
  token: ['token', 'ALIAS'], alias: ['token', 'ALIAS'], vpa: ['token', 'ALIAS'],
};

const SPAR_KEYS = ['account_number', 'branch_name', 'branch_code', 'bank_name', 'bank_code', 'mobile_number', 'email_address',
  'wallet_provider_name', 'wallet_provider_code', 'fa_type'] as const;
const SPAR_SPLIT = new RegExp(`\\.(?=(?:${SPAR_KEYS.join('|')}):)`);
const VALUE_RE = /^[^\s@]{1,128}$/;
const EMAIL_RE = /^[^@\s]{1,64}@[^@\s]{1,255}$/;
const PROVIDER_RE = /^[A-Za-z0-9._-]{1,64}$/;

function fromSparFields(f: Record<string, unknown>): ParsedAddress | undefined {
  const s = (k: string) => (typeof f[k] === 'string' && (f[k] as string).length > 0 ? (f[k] as string) : undefined);
  const type = s('fa_type');
  if (type === 'BANK_ACCOUNT' && s('account_number') && s('bank_code')) {
    const out: ParsedAddress = { kind: 'bank', value: s('account_number')!, provider: s('bank_code')!, payeeIdType: 'ACCOUNT_ID', bankCode:
      s('bank_code') };
    if (s('branch_code')) out.branchCode = s('branch_code');
    if (s('bank_name')) out.providerName = s('bank_name');
    return out;
  }
  if ((type === 'MOBILE_WALLET' || type === 'EMAIL_WALLET') && s('wallet_provider_code')) {
    const value = type === 'MOBILE_WALLET' ? s('mobile_number') : s('email_address');
    if (!value) return undefined;
    const out: ParsedAddress = { kind: type === 'MOBILE_WALLET' ? 'wallet' : 'email', value, provider: s('wallet_provider_code')!,
      payeeIdType: type === 'MOBILE_WALLET' ? 'MSISDN' : 'EMAIL' };
    if (s('wallet_provider_name')) out.providerName = s('wallet_provider_name');
    return out;
  }
  return undefined;
}

/** A mapper's `fa` (string or SPAR object) read into kind, value and provider; undefined when it is neither form. */
export function parseMapperAddress(fa: unknown): ParsedAddress | undefined {
  if (fa && typeof fa === 'object' && !Array.isArray(fa)) return fromSparFields(fa as Record<string, unknown>);
  if (typeof fa !== 'string' || fa.length > 1024) return undefined;
  if (/^account_number:|^mobile_number:|^email_address:/.test(fa)) {
    const fields: Record<string, string> = {};
    for (const part of fa.split(SPAR_SPLIT)) {
      const at = part.indexOf(':');
      fields[part.slice(0, at)] = part.slice(at + 1).trim();
    }
    return fromSparFields(fields);
  }
  const m = /^([A-Za-z][A-Za-z0-9_]*):(\S+)$/.exec(fa);
  if (!m) return undefined;
  const known = G2P_TYPES[m[1].toLowerCase()];
  if (!known) return undefined;
  const at = m[2].lastIndexOf('@');
  if (at <= 0) return undefined;
  const value = m[2].slice(0, at);
  const provider = m[2].slice(at + 1);
  if (!PROVIDER_RE.test(provider) || !(known[0] === 'email' ? EMAIL_RE : VALUE_RE).test(value)) return undefined;
  const out: ParsedAddress = { kind: known[0], value, provider, payeeIdType: known[1] };
  if (known[0] === 'bank') out.bankCode = provider;
  return out;
}
