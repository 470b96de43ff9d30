/**
 * The rail port: how the engine pays a group of payments (at most one chunk, one payee FSP when known) and asks
 * what became of a group after a crash. Adapters: mojaloop-sdk (three modes) and pil.
 */
import type { MojaloopSdkMode, PaymentInput, RailName } from '../domain/types';

/** A payment as a rail sees it: what upstream asked for (less its echo-back fields), plus the engine's ids. */
export interface RailItem extends Omit<PaymentInput, 'meta'> {
  /** Chosen and stored by the engine before the group is sent; a resend reuses it. */
  transferId: string;
  /** Fee agreed in the quote, as stored (recovery, when the quote itself is gone). */
  fee?: string;
  /** What this rail's quote step returned for the item (opaque to the engine), needed by its send step. */
  quote?: unknown;
  /**
   * The id under which the hub and the payee book the transfer (the Mojaloop transferId), once the rail reported it:
   * GPO's own transferId in the bulk quotes/transfers mode, the SDK's in the others. Stored before money can move
   * under it (two-phase modes), so recovery asks about this id.
   */
  railTransferId?: string;
}

export interface RailGroup {
  /** Bulk transaction / bulk transfer / disbursement id: stored with the items before sending. */
  id: string;
  /** Bulk quote id (bulk quotes then bulk transfers mode). */
  quoteId?: string;
  batchId: string;
  fsp?: string;
  currency: string;
  payer: { idType: string; idValue: string; displayName?: string };
  note?: string;
  /** Largest acceptable fee per transfer, when configured. */
  feeLimit?: string;
  items: RailItem[];
}

export type ItemResult =
  /** payeeFsp: the FSP the rail found for the payee, when it did the lookup itself. */
  | { transferId: string; outcome: 'completed'; amountDebited: string; amountCredited: string; fee: string; payeeFsp?: string;
    railTransferId?: string }
  /**
   * newIdSafe: the rail knows nothing was sent for this id, so a retry may use a new one (rails that reuse ids).
   * inDoubt: the transfer may have been sent and has no outcome yet (2004): ask again, never resend as new.
   */
  | { transferId: string; outcome: 'failed'; errorCode: string; description: string; transient: boolean; newIdSafe?: boolean;
    inDoubt?: boolean; railTransferId?: string }
  /** The rail has no trace of it: nothing was paid, safe to resend with the same ids. */
  | { transferId: string; outcome: 'unknown' };

export interface QuoteResult {
  transferId: string;
  ok: boolean;
  fee?: string;
  amountDebited?: string;
  amountCredited?: string;
  errorCode?: string;
  description?: string;
  transient?: boolean;
  /** Passed back to send() on the item. */
  quote?: unknown;
}

export type LookupResult = { fsp: string } | { errorCode: string; description: string; transient: boolean };

/** A failure of the whole call (timeout, connection refused, 5xx, sync FSPIOP error): nothing per item is known. */
export class RailCallError extends Error {
  constructor(message: string, readonly transient: boolean, readonly errorCode: string, readonly httpStatus?: number) {
    super(message);
    this.name = 'RailCallError';
  }
}

/** The rail's transfer id of a payment (and the fee its quote carries), to be stored before money can move under it. */
export interface RailIds {
  transferId: string;
  railTransferId: string;
  fee?: string;
  /** The payee FSP the rail found (it looked the party up itself). */
  payeeFsp?: string;
}

export interface SendHooks {
  /**
   * Two-phase rails call this between the step that reveals the rail's transfer ids and the acceptance that lets
   * money move under them; it resolves once the ids are durable. A rejection stops the send (nothing accepted).
   */
  storeRailIds(ids: RailIds[]): Promise<void>;
}

export interface Rail {
  readonly name: RailName;
  readonly mode?: MojaloopSdkMode;
  /** The engine must resolve payee FSPs (party lookups) before grouping: only the bulk quotes/transfers mode. */
  readonly needsPayeeFsp: boolean;
  /** Quotes are a separate step the engine checks fees on before anything is transferred. */
  readonly quotesSeparately: boolean;
  /**
   * After an item failed, the next attempt keeps its transfer id (the rail's idempotency key, e.g. the SDK's
   * homeTransactionId): the rail itself decides whether a new attempt is safe or mirrors the earlier outcome.
   * False when the rail refuses a reused id (FSPIOP transfer ids): the engine then draws a new one.
   */
  readonly reusesTransferIds: boolean;
  /**
   * A payment the rail reported never sent (`unknown`) is sent again under a new transfer id rather than the same
   * one: where the id is only the caller's reference (the SDK's homeTransactionId) and gives no idempotency.
   */
  readonly newIdOnResend?: boolean;
  lookup?(idType: string, idValue: string, subValue?: string): Promise<LookupResult>;
  quote?(group: RailGroup): Promise<QuoteResult[]>;
  /** Sends the group and returns a result per item (two-phase rails store their ids through hooks first). */
  send(group: RailGroup, hooks?: SendHooks): Promise<ItemResult[]>;
  /** What the rail knows about a group that may have been sent. */
  query(group: RailGroup): Promise<ItemResult[]>;
  /** What an operator must know about how the rail is configured (e.g. an SDK that accepts quotes by itself). */
  warnings?(): string[];
  close(): Promise<void>;
}

/** What a rail learned about its peer, kept across restarts (backed by the store). */
export interface RailMemory {
  get(name: string): Promise<unknown>;
  set(name: string, value: unknown): Promise<void>;
}

export interface RailTimings {
  observe(operation: string, seconds: number, outcome: 'ok' | 'error'): void;
}
