/**
 * What the payer DFSP remembers about each payment: single transfers, bulk transaction items, SDK bulk quotes and
 * bulk transfers, and where a transfer id or homeTransactionId lives (for idempotency and late answers).
 */
import type { SdkError } from './model';
import type {
  BulkTransactionRequest, BulkTransactionStatus, Party, QuoteCallback, SdkBulkQuoteRequest, SdkBulkTransferRequest,
  SdkIndividualQuoteResult, SdkIndividualTransferResult, SdkTransferStatus, TransferCallback, TransferRequest,
} from './types';
import type { Chunk } from './model';

export type TransferStep = 'party' | 'partyAcceptance' | 'quote' | 'quoteAcceptance' | 'transfer' | 'done';

export interface TransferRecord {
  kind: 'transfer';
  transferId: string;
  homeTransactionId: string;
  fp: string;
  request: TransferRequest;
  step: TransferStep;
  currentState: SdkTransferStatus;
  autoAcceptParty: boolean;
  autoAcceptQuote: boolean;
  party?: Party;
  payeeFsp?: string;
  quoteId?: string;
  quote?: QuoteCallback;
  fulfil?: TransferCallback;
  lastError?: SdkError;
  transferSent: boolean;
  busy?: Promise<void>;
  createdAt: string;
}

export type ItemStatus = 'new' | 'resolved' | 'quoted' | 'accepted' | 'sent' | 'committed' | 'failed' | 'mirror';

export interface BulkItem {
  homeTransactionId: string;
  transferId: string;
  request: BulkTransactionRequest['individualTransfers'][number];
  status: ItemStatus;
  party?: Party;
  fspId?: string;
  quoteId?: string;
  bulkQuoteId?: string;
  quote?: SdkIndividualQuoteResult;
  fulfil?: SdkIndividualTransferResult;
  lastError?: SdkError;
  transferSent: boolean;
  /** Extension bulkHomeTransactionIdDedup: for a resend of an item already paid or in flight elsewhere, that item. */
  mirror?: ItemRef;
  /** Sent, no answer, and the hub could not tell the outcome yet (held on the treasury, rechecked). */
  inDoubt?: boolean;
}

/** 'stalled': stopped for good after the quotes, as the SDK does with autoAcceptQuote.enabled (no transfer, no report). */
export type BulkPhase = 'lookup' | 'partyAcceptance' | 'quote' | 'quoteAcceptance' | 'transfer' | 'stalled' | 'done';

export interface BulkTransaction {
  kind: 'bulkTransaction';
  bulkTransactionId: string;
  request: BulkTransactionRequest;
  /** The caller gets the report in the answer to its POST (extension synchronousBulkTransactions): no back-office report. */
  synchronous: boolean;
  items: BulkItem[];
  phase: BulkPhase;
  currentState: BulkTransactionStatus;
  chunks: Array<Chunk & { bulkQuoteId?: string; bulkTransferId?: string }>;
  busy?: Promise<void>;
  createdAt: string;
  /** FSPIOP bulk sizes sent, for diagnosis and tests. */
  bulkSizes: Array<{ resource: 'bulkQuotes' | 'bulkTransfers'; fspId: string; size: number }>;
}

/** Where a transfer id or homeTransactionId lives. */
export type ItemRef = { kind: 'transfer'; rec: TransferRecord } | { kind: 'bulkItem'; txn: BulkTransaction; item: BulkItem }
  | { kind: 'sdkBulkTransfer'; rec: SdkBulkTransferRecord; index: number };

export interface SdkBulkQuoteRecord {
  bulkQuoteId: string;
  fp: string;
  request: SdkBulkQuoteRequest;
  payeeFsp: string;
  result?: { status: number; body: unknown };
  busy?: Promise<void>;
}

export interface SdkBulkTransferRecord {
  bulkTransferId: string;
  fp: string;
  request: SdkBulkTransferRequest;
  payeeFsp: string;
  results: SdkIndividualTransferResult[];
  /** Items that were sent to the switch (the others were refused locally: 4001, fault rule). */
  sent: boolean[];
  bulkTransferState?: string;
  completedTimestamp?: string;
  result?: { status: number; body: unknown };
  busy?: Promise<void>;
}
