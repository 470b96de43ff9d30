/**
 * An in-memory rail for engine unit tests: a ledger keyed by transfer id (a resend with the same id never pays
 * twice), per-payee outcomes as data, and call-level faults.
 */
import { fromUnits, toUnits } from '../../../shared/money';
import type { ItemResult, LookupResult, QuoteResult, Rail, RailGroup } from '../../../orchestrator/rails/port';
import { RailCallError } from '../../../orchestrator/rails/port';

export type PayeeBehaviour =
  | { kind: 'fail'; code: string; transient?: boolean; times?: number }
  | { kind: 'unknown-party' }
  | { kind: 'fee'; fee: string };

export interface FakeRailOptions {
  quotesSeparately?: boolean;
  needsPayeeFsp?: boolean;
  /** Payee id value -> behaviour. */
  payees?: Map<string, PayeeBehaviour>;
  /** The first n send calls fail with a transient error after (or before) being applied. */
  failSendCalls?: number;
  /** Apply the send before failing it (the answer is lost, the money moved). */
  lostAnswers?: boolean;
  /** Throws 4001 for every transfer while true. */
  insufficientLiquidity?: () => boolean;
  /** Called on every send, before anything is applied (tests hold calls here). */
  onSend?: (group: RailGroup) => Promise<void> | void;
}

export class FakeRail implements Rail {
  readonly name = 'mojaloop-sdk' as const;
  readonly needsPayeeFsp: boolean;
  readonly quotesSeparately: boolean;
  readonly reusesTransferIds = false;
  /** transferId -> payee and amounts credited. */
  readonly ledger = new Map<string, { payee: string; amount: string; credited: string; fee: string }>();
  readonly credits = new Map<string, bigint>();
  sendCalls = 0;
  quoteCalls = 0;
  lookupCalls = 0;
  private readonly failures = new Map<string, number>();

  constructor(private readonly opts: FakeRailOptions = {}) {
    this.needsPayeeFsp = opts.needsPayeeFsp ?? false;
    this.quotesSeparately = opts.quotesSeparately ?? false;
  }

  private behaviour(payee: string): PayeeBehaviour | undefined {
    return this.opts.payees?.get(payee);
  }

  async lookup(_idType: string, idValue: string): Promise<LookupResult> {
    this.lookupCalls++;
    if (this.behaviour(idValue)?.kind === 'unknown-party') return { errorCode: '3204', description: 'Party not found', transient: false };
    return { fsp: Number(idValue.replace(/\D/g, '') || '0') % 2 ? 'payeefsp1' : 'payeefsp2' };
  }

  async quote(group: RailGroup): Promise<QuoteResult[]> {
    this.quoteCalls++;
    return group.items.map((it) => {
      const b = this.behaviour(it.payeeIdValue);
      const fee = b?.kind === 'fee' ? b.fee : '0';
      return { transferId: it.transferId, ok: true, fee, quote: { fee } };
    });
  }

  async send(group: RailGroup): Promise<ItemResult[]> {
    this.sendCalls++;
    await this.opts.onSend?.(group);
    const failCall = (this.opts.failSendCalls ?? 0) >= this.sendCalls;
    if (failCall && !this.opts.lostAnswers) throw new RailCallError('timed out', true, '2004');
    const results = group.items.map((it): ItemResult => {
      const done = this.ledger.get(it.transferId);
      if (done) return { transferId: it.transferId, outcome: 'completed', amountDebited: it.amount, amountCredited: done.credited, fee:
        done.fee, railTransferId: it.transferId };
      if (this.opts.insufficientLiquidity?.()) return { transferId: it.transferId, outcome: 'failed', errorCode: '4001', description:
        'Payer FSP insufficient liquidity', transient: false };
      const b = this.behaviour(it.payeeIdValue);
      if (b?.kind === 'unknown-party') return { transferId: it.transferId, outcome: 'failed', errorCode: '3204', description:
        'Party not found', transient: false };
      if (b?.kind === 'fail') {
        const n = (this.failures.get(it.payeeIdValue) ?? 0) + 1;
        this.failures.set(it.payeeIdValue, n);
        if (b.times === undefined || n <= b.times) return { transferId: it.transferId, outcome: 'failed', errorCode: b.code, description:
          `failure ${b.code}`, transient: !!b.transient, ...(b.code === '2004' ? { inDoubt: true } : {}) };
      }
      const fee = b?.kind === 'fee' ? b.fee : '0';
      const credited = fromUnits(toUnits(it.amount) - toUnits(fee));
      this.ledger.set(it.transferId, { payee: it.payeeIdValue, amount: it.amount, credited, fee });
      this.credits.set(it.payeeIdValue, (this.credits.get(it.payeeIdValue) ?? 0n) + toUnits(credited));
      return { transferId: it.transferId, outcome: 'completed', amountDebited: it.amount, amountCredited: credited, fee, railTransferId:
        it.transferId };
    });
    if (failCall) throw new RailCallError('answer lost', true, '2004');
    return results;
  }

  async query(group: RailGroup): Promise<ItemResult[]> {
    return group.items.map((it): ItemResult => {
      const done = this.ledger.get(it.transferId);
      return done ? { transferId: it.transferId, outcome: 'completed', amountDebited: it.amount, amountCredited: done.credited, fee:
        done.fee, railTransferId: it.transferId } : { transferId: it.transferId, outcome: 'unknown' };
    });
  }

  async close(): Promise<void> {}
}
