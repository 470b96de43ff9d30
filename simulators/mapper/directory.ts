/**
 * The mapper's ID → financial address registry: explicit links plus generator rules that answer for whole ranges
 * of beneficiary ids (a million beneficiaries need no table). A generated answer is derived from the id alone, so
 * every resolve of the same id gives the same address.
 *
 * Financial addresses are written the G2P Connect way, `type:value@provider` (`mobile:254710000001@payeefsp1`,
 * `account:PF1-100001@payeefsp1`, `token:8f3a…@payeefsp2`), or, with `faFormat: 'spar'`, as SPAR's default
 * strategies write them (`account_number:….branch_name:….branch_code:….bank_name:….bank_code:….fa_type:BANK_ACCOUNT`,
 * `mobile_number:….wallet_provider_name:….wallet_provider_code:….fa_type:MOBILE_WALLET`).
 */

export type FaKind = 'bank' | 'wallet' | 'token' | 'email';

/** A store-of-value account an id is linked to. */
export interface FinancialAccount {
  kind: FaKind;
  /** Account number (bank), mobile number (wallet), token (token), address (email). */
  value: string;
  /** Bank code, wallet provider code, or the token's / email wallet's provider. */
  provider: string;
  providerName?: string;
  branchCode?: string;
  branchName?: string;
  /** An inactive address: resolve answers `succ.fa.inactive`. */
  inactive?: boolean;
}

export interface MapperLink {
  /** The beneficiary id, e.g. `token:MW10000001@nationalId`. */
  id: string;
  fa: FinancialAccount;
  /** The account holder's name, for `account_provider_info` and logs. */
  name?: string;
  /** An inactive id: resolve answers `succ.id.inactive`. */
  inactive?: boolean;
}

/**
 * Answers for every id matching `idPattern` (a regular expression with named groups); `{group}` in the templates
 * is replaced by the group's text.
 */
export interface MapperRule {
  idPattern: string;
  fa: { kind: FaKind; value: string; provider: string; providerName?: string; branchCode?: string; branchName?: string };
}

export type FaFormat = 'g2p-connect' | 'spar';

interface CompiledRule {
  rule: MapperRule;
  re: RegExp;
}

const KIND_TYPE: Record<FaKind, string> = { bank: 'account', wallet: 'mobile', token: 'token', email: 'email' };

function fill(template: string, groups: Record<string, string | undefined>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => groups[name] ?? '');
}

/** The FSP number of the default world: payeefsp1 → 1, payeefsp2 → 2 (names without a trailing digit → 1). */
export function fspNumber(fspId: string): number {
  const m = /(\d)$/.exec(fspId);
  return m ? Number(m[1]) : 1;
}

/**
 * Generator rules consistent with the default world's payee DFSPs (simulators/payee-dfsp/config.ts): for payee FSP
 * number n,
 * - `token:MW{n}{7 digits}@nationalId` → mobile wallet `2547{n}{7 digits}` at that FSP (MSISDN parties),
 * - `token:BA{n}{1-12 digits}@nationalId` → bank account `PF{n}-{digits}` at that FSP (ACCOUNT_ID parties).
 * Any other id is not found.
 */
export function defaultMapperRules(fspIds: readonly string[]): MapperRule[] {
  return fspIds.flatMap((fspId) => {
    const n = fspNumber(fspId);
    return [
      { idPattern: `^token:MW${n}(?<serial>[0-9]{7})@nationalId$`, fa:
        { kind: 'wallet', value: `2547${n}{serial}`, provider: fspId, providerName: `${fspId} wallet` } },
      { idPattern: `^token:BA${n}(?<serial>[0-9]{1,12})@nationalId$`, fa:
        { kind: 'bank', value: `PF${n}-{serial}`, provider: fspId, providerName: `${fspId} bank`, branchCode: `${fspId}-main`, branchName:
          'Main' } },
    ] satisfies MapperRule[];
  });
}

/** A beneficiary id the default rules resolve: a wallet (MSISDN) or a bank account (ACCOUNT_ID) at `fspId`. */
export function mapperBeneficiaryId(fspId: string, kind: 'wallet' | 'bank', serial: number): string {
  const n = fspNumber(fspId);
  return kind === 'wallet' ? `token:MW${n}${String(serial).padStart(7, '0').slice(-7)}@nationalId` : `token:BA${n}${100000
    + serial}@nationalId`;
}

/** The payee DFSP party a default-rule address pays: what the address's value is at its FSP. */
export function partyOfAddress(fa: FinancialAccount): { idType: string; idValue: string } {
  return { idType: fa.kind === 'wallet' ? 'MSISDN' : fa.kind === 'bank' ? 'ACCOUNT_ID' : fa.kind === 'email' ? 'EMAIL' : 'ALIAS', idValue:
    fa.value };
}

/** The address as the mapper writes it in `fa`. */
export function formatFinancialAddress(fa: FinancialAccount, format: FaFormat = 'g2p-connect'): string {
  if (format === 'g2p-connect') return `${KIND_TYPE[fa.kind]}:${fa.value}@${fa.provider}`;
  const name = fa.providerName ?? fa.provider;
  switch (fa.kind) {
    case 'bank':
      return `account_number:${fa.value}.branch_name:${fa.branchName ?? ''}.branch_code:${fa.branchCode
        ?? ''}.bank_name:${name}.bank_code:${fa.provider}.fa_type:BANK_ACCOUNT`;
    case 'wallet':
      return `mobile_number:${fa.value}.wallet_provider_name:${name}.wallet_provider_code:${fa.provider}.fa_type:MOBILE_WALLET`;
    case 'email':
      return `email_address:${fa.value}.wallet_provider_name:${name}.wallet_provider_code:${fa.provider}.fa_type:EMAIL_WALLET`;
    default:
      // SPAR has no token strategy: the G2P Connect form is the only one.
      return `${KIND_TYPE[fa.kind]}:${fa.value}@${fa.provider}`;
  }
}

export class MapperDirectory {
  private readonly links = new Map<string, MapperLink>();
  private rules: CompiledRule[] = [];

  constructor(links: readonly MapperLink[] = [], rules: readonly MapperRule[] = []) {
    this.replaceLinks(links);
    this.replaceRules(rules);
  }

  /** Replaces every explicit link; throws (changing nothing) on a link without id or address. */
  replaceLinks(links: readonly MapperLink[]): void {
    const next = new Map<string, MapperLink>();
    for (const l of links) {
      if (!l || typeof l.id !== 'string' || !l.id || !l.fa || typeof l.fa.value !== 'string' || typeof l.fa.provider !== 'string'
        || !(l.fa.kind in KIND_TYPE)) {
        throw new Error(`a link needs id and fa {kind: ${Object.keys(KIND_TYPE).join('|')}, value, provider}: ${JSON.stringify(l).slice(0,
          120)}`);
      }
      next.set(l.id.toLowerCase(), l);
    }
    this.links.clear();
    for (const [k, v] of next) this.links.set(k, v);
  }

  replaceRules(rules: readonly MapperRule[]): void {
    this.rules = rules.map((rule) => {
      if (!rule || typeof rule.idPattern !== 'string' || !rule.fa
        || !(rule.fa.kind in KIND_TYPE)) throw new Error(`a rule needs idPattern and fa {kind, value, provider}: ` +
          `${JSON.stringify(rule).slice(0, 120)}`);
      return { rule, re: new RegExp(rule.idPattern) };
    });
  }

  get linkCount(): number {
    return this.links.size;
  }

  listLinks(): MapperLink[] {
    return [...this.links.values()];
  }

  /** The link for an id (ids compare case-insensitively, as G2P Connect says), or undefined. */
  lookup(id: string): MapperLink | undefined {
    const hit = this.links.get(id.toLowerCase());
    if (hit) return hit;
    for (const c of this.rules) {
      const m = c.re.exec(id);
      if (!m) continue;
      const g = m.groups ?? {};
      const f = c.rule.fa;
      const fa: FinancialAccount = { kind: f.kind, value: fill(f.value, g), provider: fill(f.provider, g) };
      if (f.providerName) fa.providerName = fill(f.providerName, g);
      if (f.branchCode) fa.branchCode = fill(f.branchCode, g);
      if (f.branchName) fa.branchName = fill(f.branchName, g);
      return { id, fa };
    }
    return undefined;
  }
}
