/**
 * The payee DFSP's customers: parties listed in config plus generator rules that answer for whole ranges of
 * identifiers (a million MSISDNs need no file). Generated parties are derived deterministically from their
 * identifier, so every lookup of the same id gives the same name and account.
 */

export interface PartyConfig {
  idType: string;
  idValue: string;
  subIdOrType?: string;
  firstName?: string;
  middleName?: string;
  lastName?: string;
  dateOfBirth?: string;
  merchantClassificationCode?: string;
  /** Ledger account credited for this party; default `{idType}:{idValue}`. */
  account?: string;
  /** Currencies this party can receive; default: the DFSP's currencies. */
  currencies?: string[];
}

/**
 * Answers for every identifier of one type that matches: a numeric range (same-length digit strings,
 * inclusive), a regular expression, or both.
 */
export interface PartyGeneratorRule {
  idType: string;
  range?: { from: string; to: string };
  pattern?: string;
  /** Account template; `{idType}`, `{idValue}` and `{subId}` are replaced. Default `{idType}:{idValue}`. */
  account?: string;
  currencies?: string[];
}

export interface PartyEntry {
  idType: string;
  idValue: string;
  subIdOrType?: string;
  firstName: string;
  middleName?: string;
  lastName: string;
  dateOfBirth?: string;
  merchantClassificationCode?: string;
  account: string;
  currencies: readonly string[];
  generated: boolean;
}

const FIRST_NAMES = [
  'Amina', 'Baraka', 'Chanda', 'Dalia', 'Emeka', 'Fatuma', 'Gift', 'Halima', 'Imani', 'Jabari', 'Kesi', 'Lwazi',
  'Makena', 'Nia', 'Obi', 'Pendo', 'Rehema', 'Sefu', 'Tendai', 'Uzoma', 'Wanjiru', 'Yaw', 'Zawadi', 'Ayo',
];
const LAST_NAMES = [
  'Achieng', 'Banda', 'Chege', 'Diallo', 'Eze', 'Fofana', 'Gathoni', 'Hamisi', 'Ibrahim', 'Juma', 'Kamau', 'Lungu',
  'Mensah', 'Ndlovu', 'Okafor', 'Phiri', 'Quaye', 'Rono', 'Sithole', 'Tembo', 'Usman', 'Wekesa', 'Yeboah', 'Zulu',
];

/** FNV-1a 32-bit: a cheap, stable spread of identifiers over the name lists. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function key(idType: string, idValue: string, subId?: string): string {
  return subId ? `${idType}\u0000${idValue}\u0000${subId}` : `${idType}\u0000${idValue}`;
}

interface CompiledRule {
  rule: PartyGeneratorRule;
  from?: bigint;
  to?: bigint;
  digits?: number;
  re?: RegExp;
}

function compileRule(rule: PartyGeneratorRule): CompiledRule {
  if (!rule.idType) throw new Error('a party generator rule needs idType');
  if (!rule.range && !rule.pattern) throw new Error(`party generator rule for ${rule.idType} needs range or pattern`);
  const out: CompiledRule = { rule };
  if (rule.range) {
    const { from, to } = rule.range;
    if (!/^\d+$/.test(from) || !/^\d+$/.test(to) || from.length !== to.length) {
      throw new Error(`party generator range ${from}..${to} must be two digit strings of the same length`);
    }
    out.from = BigInt(from);
    out.to = BigInt(to);
    out.digits = from.length;
  }
  if (rule.pattern) out.re = new RegExp(rule.pattern.startsWith('^') ? rule.pattern : `^(?:${rule.pattern})$`);
  return out;
}

function matches(c: CompiledRule, idValue: string): boolean {
  if (c.digits !== undefined) {
    if (idValue.length !== c.digits || !/^\d+$/.test(idValue)) return false;
    const v = BigInt(idValue);
    if (v < (c.from as bigint) || v > (c.to as bigint)) return false;
  }
  return c.re ? c.re.test(idValue) : true;
}

function fillTemplate(template: string, idType: string, idValue: string, subId?: string): string {
  return template.replace(/\{idType\}/g, idType).replace(/\{idValue\}/g, idValue).replace(/\{subId\}/g, subId ?? '');
}

export class PartyDirectory {
  private readonly explicit = new Map<string, PartyEntry>();
  private readonly rules: CompiledRule[];

  constructor(
    parties: readonly PartyConfig[],
    rules: readonly PartyGeneratorRule[],
    private readonly defaultCurrencies: readonly string[],
  ) {
    this.rules = rules.map(compileRule);
    for (const p of parties) this.add(p);
  }

  add(p: PartyConfig): PartyEntry {
    if (!p.idType || !p.idValue) throw new Error('a party needs idType and idValue');
    const name = this.generatedName(p.idType, p.idValue);
    const entry: PartyEntry = {
      idType: p.idType,
      idValue: p.idValue,
      subIdOrType: p.subIdOrType,
      firstName: p.firstName ?? name.firstName,
      middleName: p.middleName,
      lastName: p.lastName ?? name.lastName,
      dateOfBirth: p.dateOfBirth,
      merchantClassificationCode: p.merchantClassificationCode,
      account: p.account ?? `${p.idType}:${p.idValue}${p.subIdOrType ? ':' + p.subIdOrType : ''}`,
      currencies: p.currencies ?? this.defaultCurrencies,
      generated: false,
    };
    this.explicit.set(key(p.idType, p.idValue, p.subIdOrType), entry);
    return entry;
  }

  get explicitCount(): number {
    return this.explicit.size;
  }

  listExplicit(): PartyEntry[] {
    return [...this.explicit.values()];
  }

  get generatorRules(): readonly PartyGeneratorRule[] {
    return this.rules.map((c) => c.rule);
  }

  /** The party for an identifier, or undefined: explicit entries first, then the first matching rule. */
  lookup(idType: string, idValue: string, subId?: string): PartyEntry | undefined {
    const hit = this.explicit.get(key(idType, idValue, subId));
    if (hit) return hit;
    for (const c of this.rules) {
      if (c.rule.idType !== idType || !matches(c, idValue)) continue;
      const name = this.generatedName(idType, idValue);
      return {
        idType,
        idValue,
        subIdOrType: subId,
        firstName: name.firstName,
        lastName: name.lastName,
        account: fillTemplate(c.rule.account ?? '{idType}:{idValue}', idType, idValue, subId),
        currencies: c.rule.currencies ?? this.defaultCurrencies,
        generated: true,
      };
    }
    return undefined;
  }

  private generatedName(idType: string, idValue: string): { firstName: string; lastName: string } {
    const h = fnv1a(`${idType}:${idValue}`);
    return { firstName: FIRST_NAMES[h % FIRST_NAMES.length], lastName: LAST_NAMES[(h >>> 8) % LAST_NAMES.length] };
  }
}

/** The FSPIOP Party object for a directory entry (what PUT /parties and quote responses carry). */
export function fspiopParty(entry: PartyEntry, fspId: string): {
  partyIdInfo: { partyIdType: string; partyIdentifier: string; partySubIdOrType?: string; fspId: string };
  merchantClassificationCode?: string;
  name: string;
  personalInfo: { complexName: { firstName: string; middleName?: string; lastName: string }; dateOfBirth?: string };
} {
  const partyIdInfo: { partyIdType: string; partyIdentifier: string; partySubIdOrType?: string; fspId: string } = {
    partyIdType: entry.idType,
    partyIdentifier: entry.idValue,
    fspId,
  };
  if (entry.subIdOrType) partyIdInfo.partySubIdOrType = entry.subIdOrType;
  const complexName: { firstName: string; middleName?: string; lastName: string } = {
    firstName: entry.firstName,
    lastName: entry.lastName,
  };
  if (entry.middleName) complexName.middleName = entry.middleName;
  const personalInfo: { complexName: typeof complexName; dateOfBirth?: string } = { complexName };
  if (entry.dateOfBirth) personalInfo.dateOfBirth = entry.dateOfBirth;
  const party: ReturnType<typeof fspiopParty> = {
    partyIdInfo,
    name: [entry.firstName, entry.middleName, entry.lastName].filter(Boolean).join(' '),
    personalInfo,
  };
  if (entry.merchantClassificationCode) party.merchantClassificationCode = entry.merchantClassificationCode;
  return party;
}
