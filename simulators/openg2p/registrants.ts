/**
 * Registrants as OpenG2P's registry holds them: an id (the registry's own), a payment identifier (id type + value),
 * and a few attributes eligibility and entitlement rules look at. Either listed one by one or generated.
 */
import { SeededRandom } from '../../shared/ids';

export type AccountKind = 'ok' | 'unknown' | 'bad';

export interface Registrant {
  /** Registry id, e.g. REG-000001. */
  id: string;
  name: string;
  idType: string;
  idValue: string;
  /** The payee FSP the registrant banks with, when the registry knows it (generated registrants do). */
  fsp?: string;
  /** Generated registrants say what kind of account they were given: a served one, an unknown one, a malformed one. */
  kind: AccountKind;
  age: number;
  householdSize: number;
  region: string;
}

export interface RegistrantGenerator {
  count: number;
  /** Id types to draw from, round robin: MSISDN and/or ACCOUNT_ID. */
  idTypes?: string[];
  /** Weight per payee FSP, e.g. { payeefsp1: 3, payeefsp2: 1 }. */
  fsps: Record<string, number>;
  /** Share (0..1) of registrants whose identifier no FSP serves (the ALS answers 3204). */
  unknownShare?: number;
  /** Share (0..1) of registrants whose identifier is malformed for its type. */
  badShare?: number;
  regions?: string[];
}

const FIRST = ['Amina', 'Baraka', 'Chanda', 'Dalia', 'Emeka', 'Fatuma', 'Gift', 'Hawa', 'Imani', 'Jabari', 'Kesi', 'Lulu'];
const LAST = ['Achieng', 'Banda', 'Chege', 'Diallo', 'Eze', 'Folau', 'Gathoni', 'Hassan', 'Issa', 'Juma', 'Kamau', 'Luo'];

/**
 * The FSP number used by the default world's party rules: payeefsp1 answers MSISDN 25471xxxxxxx and ACCOUNT_ID
 * PF1-<digits>, payeefsp2 25472xxxxxxx and PF2-<digits>, and so on.
 */
export function fspNumber(fspId: string): number {
  const m = /(\d)$/.exec(fspId);
  return m ? Number(m[1]) : 1;
}

/** An identifier that the default world's `fspId` serves; `serial` keeps them distinct. */
export function servedIdentifier(idType: string, fspId: string, serial: number): string {
  const n = fspNumber(fspId);
  if (idType === 'ACCOUNT_ID') return `PF${n}-${100000 + serial}`;
  return `2547${n}${String(1_000_000 + serial).padStart(7, '0').slice(-7)}`;
}

/** An identifier of the right shape that no payee FSP of the default world serves. */
export function unknownIdentifier(idType: string, serial: number): string {
  if (idType === 'ACCOUNT_ID') return `ZZ9-${100000 + serial}`;
  return `25479${String(serial).padStart(7, '0').slice(-7)}`;
}

/** An identifier malformed for its type (letters in an MSISDN, spaces in an account). */
export function badIdentifier(idType: string, serial: number): string {
  return idType === 'ACCOUNT_ID' ? `BAD ACCOUNT ${serial}` : `2547-BAD-${serial}`;
}

export function generateRegistrants(gen: RegistrantGenerator, seed: number): Registrant[] {
  const rnd = new SeededRandom(seed);
  const idTypes = gen.idTypes?.length ? gen.idTypes : ['MSISDN'];
  const fsps = Object.entries(gen.fsps).filter(([, w]) => w > 0);
  if (fsps.length === 0) throw new Error('registrant generator: at least one payee FSP with a positive weight');
  const totalWeight = fsps.reduce((s, [, w]) => s + w, 0);
  const regions = gen.regions?.length ? gen.regions : ['north', 'south', 'east', 'west'];
  // Exact shares, placed at seeded positions: a share of 0.05 of 1,000 is 50 registrants, not "about 50".
  const unknown = Math.round((gen.unknownShare ?? 0) * gen.count);
  const bad = Math.round((gen.badShare ?? 0) * gen.count);
  const kinds: AccountKind[] = Array.from({ length: gen.count }, (_, i) => (i < unknown ? 'unknown' : i < unknown + bad ? 'bad' : 'ok'));
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rnd.int(i + 1);
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const out: Registrant[] = [];
  for (let i = 0; i < gen.count; i++) {
    const idType = idTypes[i % idTypes.length];
    let pick = rnd.next() * totalWeight;
    let fsp = fsps[fsps.length - 1][0];
    for (const [name, w] of fsps) {
      if (pick < w) { fsp = name; break; }
      pick -= w;
    }
    const kind = kinds[i];
    const idValue = kind === 'ok' ? servedIdentifier(idType, fsp, i + 1) : kind === 'unknown' ? unknownIdentifier(idType, i + 1)
      : badIdentifier(idType, i + 1);
    out.push({
      id: `REG-${String(i + 1).padStart(6, '0')}`,
      name: `${FIRST[rnd.int(FIRST.length)]} ${LAST[rnd.int(LAST.length)]}`,
      idType,
      idValue,
      fsp,
      kind,
      age: 18 + rnd.int(70),
      householdSize: 1 + rnd.int(8),
      region: regions[rnd.int(regions.length)],
    });
  }
  return out;
}
