/**
 * The payment side of an OpenG2P program, as its modules model it: a program with a currency and a payment manager,
 * enrolment through an eligibility rule, a cycle, entitlements from an amount rule, approvals, payment batches formed
 * per batch tag (max batch size, default 500), and OpenG2P's own view of each payment once the manager reports back.
 * Pure state and rules: the HTTP conversations live in managers.ts.
 */
import { SeededRandom } from '../../shared/ids';
import { fromUnits, isDecimalString, sumUnits, toUnits } from '../../shared/money';
import type { Registrant } from './registrants';

export type PaymentManagerKind = 'interop-layer' | 'g2p-connect' | 'native';

export interface EligibilityRule {
  minAge?: number;
  maxAge?: number;
  regions?: string[];
  idTypes?: string[];
  maxHouseholdSize?: number;
}

/** Amount per beneficiary: base + perHouseholdMember × household size, capped at max. Decimal strings. */
export interface AmountRule {
  base: string;
  perHouseholdMember?: string;
  max?: string;
}

export interface ProgramConfig {
  name: string;
  currency: string;
  paymentManager: PaymentManagerKind;
  /** Batch tag: the max number of payments per batch OpenG2P sends in one request. */
  maxBatchSize?: number;
  eligibility?: EligibilityRule;
  amount: AmountRule;
}

export type CycleState = 'draft' | 'to_approve' | 'approved' | 'distributed' | 'ended';
export type EntitlementState = 'draft' | 'pending_validation' | 'approved';
/** OpenG2P's payment state (issued → sent → reconciled) and its status once reconciled. */
export type PaymentState = 'issued' | 'sent' | 'reconciled';
export type PaymentOutcome = 'paid' | 'failed';

export interface Entitlement {
  registrant: Registrant;
  amount: string;
  state: EntitlementState;
}

export interface Payment {
  /** OpenG2P's payment reference (G2P Connect reference_id, native reference). */
  reference: string;
  batchId: string;
  /** Position inside its batch: what the interop layer's results are matched by. */
  position: number;
  registrant: Registrant;
  amount: string;
  currency: string;
  state: PaymentState;
  status?: PaymentOutcome;
  /** What the payment manager said: PIL status, G2P Connect status, native status. */
  managerStatus?: string;
  errorCode?: string;
  amountCredited?: string;
  timestamp?: string;
  /** The transfer id the orchestrator reports, when its API gives one (native). */
  transferId?: string;
}

export type BatchState = 'draft' | 'sent' | 'send_failed' | 'reconciled';

export interface PaymentBatch {
  id: string;
  tag: string;
  payments: Payment[];
  state: BatchState;
  /** Why the manager could not hand the batch over (HTTP status, timeout, rejection). */
  sendError?: string;
  /** The orchestrator's id for the batch, when its API gives one. */
  remoteId?: string;
}

export class ProgramError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ProgramError';
  }
}

export function isEligible(r: Registrant, rule: EligibilityRule | undefined): boolean {
  if (!rule) return true;
  if (rule.minAge !== undefined && r.age < rule.minAge) return false;
  if (rule.maxAge !== undefined && r.age > rule.maxAge) return false;
  if (rule.regions && !rule.regions.includes(r.region)) return false;
  if (rule.idTypes && !rule.idTypes.includes(r.idType)) return false;
  if (rule.maxHouseholdSize !== undefined && r.householdSize > rule.maxHouseholdSize) return false;
  return true;
}

export function entitlementAmount(r: Registrant, rule: AmountRule): string {
  let units = toUnits(rule.base);
  if (rule.perHouseholdMember) units += toUnits(rule.perHouseholdMember) * BigInt(r.householdSize);
  if (rule.max && units > toUnits(rule.max)) units = toUnits(rule.max);
  return fromUnits(units);
}

export class Cycle {
  state: CycleState = 'draft';
  readonly entitlements: Entitlement[] = [];
  readonly batches: PaymentBatch[] = [];
  constructor(readonly id: string, readonly program: Program) {}

  createEntitlements(): Entitlement[] {
    if (this.state !== 'draft') throw new ProgramError('cycle.not_draft',
      `cycle ${this.id} is ${this.state}; entitlements are created on a draft cycle`);
    if (this.entitlements.length) throw new ProgramError('entitlements.exist', `cycle ${this.id} already has entitlements`);
    for (const r of this.program.beneficiaries) {
      this.entitlements.push({ registrant: r, amount: entitlementAmount(r, this.program.config.amount), state: 'draft' });
    }
    return this.entitlements;
  }

  approveEntitlements(): number {
    let n = 0;
    for (const e of this.entitlements) if (e.state !== 'approved') { e.state = 'approved'; n++; }
    this.state = 'to_approve';
    return n;
  }

  approve(): void {
    if (this.state !== 'to_approve') throw new ProgramError('cycle.not_to_approve',
      `cycle ${this.id} is ${this.state}; approve its entitlements first`);
    this.state = 'approved';
  }

  /** Prepare payments: one payment per approved entitlement, grouped into batches of at most maxBatchSize. */
  preparePayments(rnd: SeededRandom): PaymentBatch[] {
    if (this.state !== 'approved') throw new ProgramError('cycle.not_approved',
      `cycle ${this.id} is ${this.state}; payments are prepared on an approved cycle`);
    if (this.batches.length) throw new ProgramError('payments.exist', `cycle ${this.id} already has payments`);
    const size = this.program.config.maxBatchSize ?? 500;
    const approved = this.entitlements.filter((e) => e.state === 'approved');
    for (let start = 0; start < approved.length; start += size) {
      const batchId = rnd.uuid();
      const slice = approved.slice(start, start + size);
      this.batches.push({
        id: batchId,
        tag: `${this.program.config.name} / batch ${this.batches.length + 1}`,
        state: 'draft',
        payments: slice.map((e, position) => ({
          reference: rnd.uuid(),
          batchId,
          position,
          registrant: e.registrant,
          amount: e.amount,
          currency: this.program.config.currency,
          state: 'issued',
        })),
      });
    }
    this.state = 'distributed';
    return this.batches;
  }

  get payments(): Payment[] {
    return this.batches.flatMap((b) => b.payments);
  }

  /** OpenG2P's own totals: what it believes was paid, failed, or is still out. */
  summary(): CycleSummary {
    const byStatus = { paid: [] as bigint[], failed: [] as bigint[], pending: [] as bigint[] };
    for (const p of this.payments) byStatus[p.status ?? 'pending'].push(toUnits(p.amount));
    const credited = sumUnits(this.payments.filter((p) => p.amountCredited).map((p) => toUnits(p.amountCredited as string)));
    const t = (xs: bigint[]) => ({ count: xs.length, amount: fromUnits(sumUnits(xs)) });
    return { paid: t(byStatus.paid), failed: t(byStatus.failed), pending: t(byStatus.pending), credited: fromUnits(credited), total:
      t([...byStatus.paid, ...byStatus.failed, ...byStatus.pending]) };
  }
}

export interface CycleSummary {
  paid: { count: number; amount: string };
  failed: { count: number; amount: string };
  pending: { count: number; amount: string };
  total: { count: number; amount: string };
  credited: string;
}

export class Program {
  readonly beneficiaries: Registrant[] = [];
  readonly cycles: Cycle[] = [];
  constructor(readonly config: ProgramConfig) {
    if (!isDecimalString(config.amount.base)) throw new ProgramError('amount.invalid',
      `amount base ${config.amount.base} is not a decimal`);
  }

  /** Enrol every eligible registrant; returns [enrolled, not eligible]. */
  enrol(registrants: Registrant[]): [number, number] {
    const known = new Set(this.beneficiaries.map((b) => b.id));
    let enrolled = 0;
    let rejected = 0;
    for (const r of registrants) {
      if (known.has(r.id)) continue;
      if (isEligible(r, this.config.eligibility)) { this.beneficiaries.push(r); known.add(r.id); enrolled++; } else rejected++;
    }
    return [enrolled, rejected];
  }

  createCycle(id: string): Cycle {
    const c = new Cycle(id, this);
    this.cycles.push(c);
    return c;
  }
}
