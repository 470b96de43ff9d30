/**
 * The ALS oracle: which FSP serves a party identifier. Explicit mappings (a million load in seconds: one Map
 * entry each, no per-entry objects) plus generator rules for whole ranges, so load tests need no files.
 */

export interface OracleRule {
  idType: string;
  fspId: string;
  /** Inclusive range of same-length digit strings. */
  range?: { from: string; to: string };
  /** Regular expression the identifier must match (anchored). */
  pattern?: string;
}

export interface OracleEntry {
  idType: string;
  idValue: string;
  subId?: string;
  fspId: string;
}

interface CompiledOracleRule {
  rule: OracleRule;
  digits?: number;
  from?: bigint;
  to?: bigint;
  re?: RegExp;
}

export class OracleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OracleError';
  }
}

const FSP_ID_RE = /^.{1,32}$/;

function compile(rule: OracleRule): CompiledOracleRule {
  if (!rule || typeof rule.idType !== 'string' || typeof rule.fspId !== 'string' || !FSP_ID_RE.test(rule.fspId)) {
    throw new OracleError('an oracle rule needs idType and fspId (1..32 chars)');
  }
  if (!rule.range && !rule.pattern) throw new OracleError(`oracle rule for ${rule.idType} needs range or pattern`);
  const c: CompiledOracleRule = { rule };
  if (rule.range) {
    const { from, to } = rule.range;
    if (!/^\d+$/.test(from ?? '') || !/^\d+$/.test(to ?? '') || from.length !== to.length) {
      throw new OracleError(`oracle range ${from}..${to} must be two digit strings of the same length`);
    }
    c.digits = from.length;
    c.from = BigInt(from);
    c.to = BigInt(to);
  }
  if (rule.pattern) {
    try {
      c.re = new RegExp(rule.pattern.startsWith('^') ? rule.pattern : `^(?:${rule.pattern})$`);
    } catch {
      throw new OracleError(`oracle rule pattern is not a regular expression: ${rule.pattern}`);
    }
  }
  return c;
}

function key(idType: string, idValue: string, subId?: string): string {
  return subId ? `${idType}/${idValue}/${subId}` : `${idType}/${idValue}`;
}

export class Oracle {
  private readonly map = new Map<string, string>();
  /** One string instance per FSP id, however many identifiers map to it. */
  private readonly fspIds = new Map<string, string>();

  private intern(fspId: string): string {
    let f = this.fspIds.get(fspId);
    if (f === undefined) this.fspIds.set(fspId, (f = fspId));
    return f;
  }
  private rules: CompiledOracleRule[] = [];

  constructor(entries: readonly OracleEntry[] = [], rules: readonly OracleRule[] = []) {
    for (const e of entries) this.set(e.idType, e.idValue, e.fspId, e.subId);
    this.setRules(rules);
  }

  /** The FSP for an identifier: explicit mapping first, then the first matching rule. */
  lookup(idType: string, idValue: string, subId?: string): string | undefined {
    const hit = this.map.get(key(idType, idValue, subId));
    if (hit !== undefined) return hit;
    for (const c of this.rules) {
      if (c.rule.idType !== idType) continue;
      if (c.digits !== undefined) {
        if (idValue.length !== c.digits || !/^\d+$/.test(idValue)) continue;
        const v = BigInt(idValue);
        if (v < (c.from as bigint) || v > (c.to as bigint)) continue;
      }
      if (c.re && !c.re.test(idValue)) continue;
      return c.rule.fspId;
    }
    return undefined;
  }

  /** True when the identifier is mapped explicitly (rules are not "registrations"). */
  has(idType: string, idValue: string, subId?: string): boolean {
    return this.map.has(key(idType, idValue, subId));
  }

  set(idType: string, idValue: string, fspId: string, subId?: string): void {
    this.map.set(key(idType, idValue, subId), this.intern(fspId));
  }

  delete(idType: string, idValue: string, subId?: string): boolean {
    return this.map.delete(key(idType, idValue, subId));
  }

  setRules(rules: readonly OracleRule[]): void {
    this.rules = rules.map(compile);
  }

  addRules(rules: readonly OracleRule[]): void {
    this.rules.push(...rules.map(compile));
  }

  get ruleList(): OracleRule[] {
    return this.rules.map((c) => c.rule);
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.rules = [];
  }

  /**
   * Bulk load from text, one mapping per line: `idType,idValue,fspId` or `idType,idValue,subId,fspId`
   * (blank lines and lines starting with # are skipped). Returns how many were loaded; throws OracleError
   * naming the first bad line and loads nothing in that case.
   */
  loadCsv(text: string): number {
    const parsed: Array<[string, string]> = [];
    let lineNo = 0;
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      lineNo++;
      let line = text.slice(start, end);
      start = end + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '' || line.startsWith('#')) continue;
      const parts = line.split(',');
      if ((parts.length !== 3 && parts.length !== 4) || parts.some((p) => p === '')) {
        throw new OracleError(`line ${lineNo}: expected idType,idValue[,subId],fspId`);
      }
      const fspId = parts[parts.length - 1];
      if (!FSP_ID_RE.test(fspId)) throw new OracleError(`line ${lineNo}: fspId must be 1..32 characters`);
      parsed.push([key(parts[0], parts[1], parts.length === 4 ? parts[2] : undefined), fspId]);
    }
    for (const [k, v] of parsed) this.map.set(k, this.intern(v));
    return parsed.length;
  }

  /** Bulk load from objects; validates all before loading any. */
  loadEntries(entries: readonly OracleEntry[]): number {
    for (const [i, e] of entries.entries()) {
      if (!e || typeof e.idType !== 'string' || typeof e.idValue !== 'string' || typeof e.fspId !== 'string' || !FSP_ID_RE.test(e.fspId)
        || !e.idType || !e.idValue) {
        throw new OracleError(`entry ${i}: expected {idType, idValue, fspId}`);
      }
    }
    for (const e of entries) this.set(e.idType, e.idValue, e.fspId, e.subId);
    return entries.length;
  }
}
