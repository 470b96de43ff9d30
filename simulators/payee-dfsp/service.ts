/**
 * The payee DFSP's use cases: a validated FSPIOP request in, the callbacks to send out. No HTTP here; the
 * server accepts, asks this service, applies fault rules to the callbacks and sends them.
 */
import { Decision, PayeeCore, PayeeError, TransferFaults, BulkTransferFaults } from './domain/payee';
import type {
  BulkQuotesPostRequest,
  BulkTransfersPostRequest,
  QuotesPostRequest,
  TransfersIDPatchResponse,
  TransfersPostRequest,
} from './domain/payee';
import { ErrorCode } from '../../shared/fspiop-errors';

export type CallbackResource = 'parties' | 'quotes' | 'transfers' | 'bulkQuotes' | 'bulkTransfers';

/** One callback to send: PUT {path} to the hub (or ALS for parties), addressed to `destination`. */
export interface Outbound {
  resource: CallbackResource;
  /** e.g. /quotes/{ID} or /quotes/{ID}/error */
  path: string;
  destination: string;
  target: 'hub' | 'als';
  body: unknown;
  /** True when the body is errorInformation. */
  isError: boolean;
  /** The id of the resource (for logs and fault rules). */
  id: string;
  /** What kind of answer this is, for tests and logs. */
  reason: 'answer' | 'resend' | 'modified';
}

export type ErrorDescriber = (code: string) => string;

export interface PartyRef {
  idType: string;
  idValue: string;
  subId?: string;
}

function partyPath(p: PartyRef): string {
  const enc = encodeURIComponent;
  return `/parties/${enc(p.idType)}/${enc(p.idValue)}${p.subId ? '/' + enc(p.subId) : ''}`;
}

export class PayeeService {
  constructor(readonly core: PayeeCore, private readonly describe: ErrorDescriber) {
    core.errorDescriber = (e) => this.errorInformation(e).errorInformation;
  }

  errorInformation(e: PayeeError): { errorInformation: { errorCode: string; errorDescription: string } } {
    const official = this.describe(e.errorCode);
    const errorDescription = e.errorDescription && e.errorDescription !== official ? `${official} - ${e.errorDescription}` : official;
    return { errorInformation: { errorCode: e.errorCode, errorDescription: errorDescription.slice(0, 128) } };
  }

  private out<T>(
    resource: CallbackResource, base: string, id: string, destination: string, target: 'hub' | 'als', d: Decision<T>,
    reason: Outbound['reason'],
  ): Outbound {
    return d.ok
      ? { resource, path: base, destination, target, body: d.body, isError: false, id, reason }
      : { resource, path: `${base}/error`, destination, target, body: this.errorInformation(d.error), isError: true, id, reason };
  }

  private modified(resource: CallbackResource, base: string, id: string, destination: string): Outbound {
    return this.out(resource, base, id, destination, 'hub', { ok: false, error: { errorCode: ErrorCode.MODIFIED_REQUEST } }, 'modified');
  }

  /** GET /parties/{Type}/{ID}[/{SubId}] → PUT /parties/... (or /error) to the ALS. */
  getParty(source: string, p: PartyRef, forced?: PayeeError): Outbound {
    const d = forced ? { ok: false as const, error: forced } : this.core.lookupParty(p.idType, p.idValue, p.subId);
    return this.out('parties', partyPath(p), p.idValue, source, 'als', d, 'answer');
  }

  postQuote(source: string, req: QuotesPostRequest, forced?: PayeeError, now = Date.now()): Outbound {
    const base = `/quotes/${req.quoteId}`;
    if (forced) return this.out('quotes', base, req.quoteId, source, 'hub', { ok: false, error: forced }, 'answer');
    const a = this.core.quote(req, now);
    if (a.kind === 'modified') return this.modified('quotes', base, req.quoteId, source);
    return this.out('quotes', base, req.quoteId, source, 'hub', a.decision, a.kind === 'new' ? 'answer' : 'resend');
  }

  getQuote(source: string, quoteId: string): Outbound {
    const d = this.core.storedQuote(quoteId) ?? { ok: false as const, error: { errorCode: ErrorCode.QUOTE_ID_NOT_FOUND } };
    return this.out('quotes', `/quotes/${quoteId}`, quoteId, source, 'hub', d, 'resend');
  }

  postTransfer(source: string, req: TransfersPostRequest, faults: TransferFaults & { forced?: PayeeError } = {},
    now = Date.now()): Outbound {
    const base = `/transfers/${req.transferId}`;
    if (faults.forced) return this.out('transfers', base, req.transferId, source, 'hub', { ok: false, error: faults.forced }, 'answer');
    const a = this.core.transfer(req, now, faults);
    if (a.kind === 'modified') return this.modified('transfers', base, req.transferId, source);
    return this.out('transfers', base, req.transferId, source, 'hub', a.decision, a.kind === 'new' ? 'answer' : 'resend');
  }

  getTransfer(source: string, transferId: string): Outbound {
    return this.out('transfers', `/transfers/${transferId}`, transferId, source, 'hub', this.core.transferState(transferId), 'resend');
  }

  /** PATCH /transfers/{ID}: no callback; returns whether the ledger changed. */
  patchTransfer(transferId: string, body: TransfersIDPatchResponse): boolean {
    return this.core.patchTransfer(transferId, body).changed;
  }

  /** PUT /transfers/{ID}/error from the hub: the hub aborted the transfer. */
  transferError(transferId: string, errorCode: string, errorDescription?: string): boolean {
    return this.core.transferAborted(transferId, errorCode, errorDescription);
  }

  /** PUT /bulkTransfers/{ID}/error from the hub: the whole bulk was aborted (expiry, payer's error). */
  bulkTransferError(bulkTransferId: string, errorCode: string, errorDescription?: string): number {
    return this.core.bulkTransferAborted(bulkTransferId, errorCode, errorDescription);
  }

  postBulkQuote(source: string, req: BulkQuotesPostRequest, faults: { forced?: PayeeError; failItems?: Map<number, PayeeError> } = {},
    now = Date.now()): Outbound {
    const base = `/bulkQuotes/${req.bulkQuoteId}`;
    if (faults.forced) return this.out('bulkQuotes', base, req.bulkQuoteId, source, 'hub', { ok: false, error: faults.forced }, 'answer');
    const a = this.core.bulkQuote(req, now, faults.failItems);
    if (a.kind === 'modified') return this.modified('bulkQuotes', base, req.bulkQuoteId, source);
    return this.out('bulkQuotes', base, req.bulkQuoteId, source, 'hub', a.decision, a.kind === 'new' ? 'answer' : 'resend');
  }

  getBulkQuote(source: string, bulkQuoteId: string): Outbound {
    const d = this.core.storedBulkQuote(bulkQuoteId) ?? { ok: false as const, error: { errorCode: ErrorCode.ID_NOT_FOUND } };
    return this.out('bulkQuotes', `/bulkQuotes/${bulkQuoteId}`, bulkQuoteId, source, 'hub', d, 'resend');
  }

  postBulkTransfer(source: string, req: BulkTransfersPostRequest, faults: BulkTransferFaults & { forced?: PayeeError } = {},
    now = Date.now()): Outbound {
    const base = `/bulkTransfers/${req.bulkTransferId}`;
    if (faults.forced) return this.out('bulkTransfers', base, req.bulkTransferId, source, 'hub', { ok: false, error: faults.forced },
      'answer');
    const a = this.core.bulkTransfer(req, now, faults);
    if (a.kind === 'modified') return this.modified('bulkTransfers', base, req.bulkTransferId, source);
    return this.out('bulkTransfers', base, req.bulkTransferId, source, 'hub', a.decision, a.kind === 'new' ? 'answer' : 'resend');
  }

  getBulkTransfer(source: string, bulkTransferId: string): Outbound {
    const d = this.core.bulkTransferAnswer(bulkTransferId) ?? { ok: false as const, error: { errorCode: ErrorCode.ID_NOT_FOUND } };
    return this.out('bulkTransfers', `/bulkTransfers/${bulkTransferId}`, bulkTransferId, source, 'hub', d, 'resend');
  }
}
