/**
 * Rail `pil`: forwards a group (at most 1000 payees) to a PIL's POST /disbursement with the group id as
 * disbursementId, and reads results by position; RECEIVED/PENDING answers are polled with GET /disbursement/{id}
 * (also how recovery asks). A resend of the same disbursementId and content is a resend for the PIL.
 */
import { pollUntil } from '../../shared/backoff';
import { fromUnits, toUnits } from '../../shared/money';
import { errorCodeOf, JsonClient } from './http';
import type { ItemResult, Rail, RailGroup, RailTimings } from './port';
import { RailCallError } from './port';
import { ErrorCode, isTransientCode } from '../../shared/fspiop-errors';

type Obj = Record<string, unknown>;

export class PilRail implements Rail {
  readonly name = 'pil' as const;
  readonly needsPayeeFsp = false;
  readonly quotesSeparately = false;
  readonly reusesTransferIds = false;
  private readonly http: JsonClient;

  constructor(pilUrl: string, private readonly timeoutMs: number, timings?: RailTimings) {
    this.http = new JsonClient(pilUrl, timeoutMs, timings, 16);
  }

  private results(group: RailGroup, body: Obj): { results: ItemResult[]; pending: number } {
    const list = (body.payeeResults as Obj[] | undefined) ?? [];
    let pending = 0;
    const results = group.items.map((it, k): ItemResult => {
      const r = list[k];
      if (!r) return { transferId: it.transferId, outcome: 'unknown' };
      const status = String(r.status);
      if (status === 'COMPLETED') {
        const debited = typeof r.amountDebited === 'string' && r.amountDebited !== '0' ? r.amountDebited : it.amount;
        const credited = typeof r.amountCredited === 'string' && r.amountCredited !== '0' ? r.amountCredited : debited;
        return { transferId: it.transferId, outcome: 'completed', amountDebited: debited, amountCredited: credited, fee:
          fromUnits(toUnits(debited) - toUnits(credited)) };
      }
      if (status === 'REJECTED' || status === 'ABORTED' || status === 'ERROR_OCCURRED') {
        const code = typeof r.errorCode === 'string' ? r.errorCode : ErrorCode.PAYEE_FSP_REJECTED_TXN;
        const errors = Array.isArray(r.errors) ? r.errors.join('; ') : '';
        return { transferId: it.transferId, outcome: 'failed', errorCode: code, description: errors || `PIL ${status}`, transient:
          isTransientCode(code) };
      }
      pending++;
      return { transferId: it.transferId, outcome: 'unknown' };
    });
    return { results, pending };
  }

  async send(group: RailGroup): Promise<ItemResult[]> {
    const body: Obj = {
      disbursementId: group.id,
      note: group.note ?? `GPO batch ${group.batchId}`,
      payeeList: group.items.map((it) => ({ payeeIdType: it.payeeIdType, payeeIdValue: it.payeeIdValue, amount: it.amount, currency:
        it.currency })),
    };
    const res = await this.http.call('POST', '/disbursement', 'pil.disbursement', body);
    if (res.status !== 200) {
      const e = errorCodeOf(res.body);
      const code = e.code ?? (res.status >= 500 ? ErrorCode.INTERNAL_SERVER_ERROR : ErrorCode.VALIDATION_ERROR);
      throw new RailCallError(`PIL disbursement: ${e.description ?? `HTTP ${res.status}`}`, res.status >= 500 || isTransientCode(code),
        code, res.status);
    }
    const { results, pending } = this.results(group, (res.body ?? {}) as Obj);
    return pending ? this.poll(group) : results;
  }

  private poll(group: RailGroup): Promise<ItemResult[]> {
    return pollUntil<ItemResult[]>(async () => {
      const res = await this.http.call('GET', `/disbursement/${encodeURIComponent(group.id)}`, 'pil.disbursement.get');
      if (res.status === 404) return { done: true, value: group.items.map((it) => ({ transferId: it.transferId, outcome: 'unknown' })) };
      if (res.status !== 200) throw new RailCallError(`GET disbursement HTTP ${res.status}`, true, ErrorCode.INTERNAL_SERVER_ERROR,
        res.status);
      const { results, pending } = this.results(group, (res.body ?? {}) as Obj);
      return pending ? { done: false, pending } : { done: true, value: results };
    }, { timeoutMs: this.timeoutMs, timedOut: (pending) =>
      new RailCallError(`disbursement ${group.id} still has ${pending} payments in flight`,
      true, ErrorCode.SERVER_TIMED_OUT) });
  }

  query(group: RailGroup): Promise<ItemResult[]> {
    return this.poll(group);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
