/**
 * Shapes of the SDK outbound API (sdk-scheme-adapter outbound v2.1) and of the FSPIOP v1.1 messages the payer
 * DFSP exchanges, as far as this simulator reads or writes them. The spec files stay the authority (spec.ts).
 */
import type { ErrorInformation } from '../../fspiop/client';
import type { SdkError } from './model';

export interface PartyIdInfo {
  partyIdType: string;
  partyIdentifier: string;
  partySubIdOrType?: string;
  fspId?: string;
}

export interface Party {
  partyIdInfo: PartyIdInfo;
  merchantClassificationCode?: string;
  name?: string;
  personalInfo?: { complexName?: { firstName?: string; middleName?: string; lastName?: string }; dateOfBirth?: string };
  supportedCurrencies?: string[];
}

export interface Money {
  currency: string;
  amount: string;
}

/** SDK transferParty. */
export interface TransferParty {
  type?: string;
  idType: string;
  idValue: string;
  idSubValue?: string;
  displayName?: string;
  firstName?: string;
  middleName?: string;
  lastName?: string;
  dateOfBirth?: string;
  merchantClassificationCode?: string;
  fspId?: string;
  supportedCurrencies?: string[];
}

export interface TransferRequest {
  homeTransactionId: string;
  from: TransferParty;
  to: TransferParty;
  amountType: 'SEND' | 'RECEIVE';
  currency: string;
  amount: string;
  transactionType: 'TRANSFER';
  subScenario?: string;
  note?: string;
  skipPartyLookup?: boolean;
}

export type TransferState = 'RECEIVED' | 'RESERVED' | 'COMMITTED' | 'ABORTED';
export type SdkTransferStatus = 'ERROR_OCCURRED' | 'WAITING_FOR_PARTY_ACCEPTANCE' | 'WAITING_FOR_QUOTE_ACCEPTANCE' | 'COMPLETED';

/** FSPIOP PUT /quotes/{ID}. */
export interface QuoteCallback {
  transferAmount: Money;
  payeeReceiveAmount?: Money;
  payeeFspFee?: Money;
  payeeFspCommission?: Money;
  expiration: string;
  ilpPacket: string;
  condition: string;
  extensionList?: unknown;
}

/** FSPIOP PUT /transfers/{ID}. */
export interface TransferCallback {
  transferState: TransferState;
  fulfilment?: string;
  completedTimestamp?: string;
  extensionList?: unknown;
}

export interface IndividualQuoteResultFspiop {
  quoteId: string;
  payee?: Party;
  transferAmount?: Money;
  payeeReceiveAmount?: Money;
  payeeFspFee?: Money;
  payeeFspCommission?: Money;
  ilpPacket?: string;
  condition?: string;
  errorInformation?: ErrorInformation;
  extensionList?: unknown;
}

export interface BulkQuoteCallback {
  individualQuoteResults?: IndividualQuoteResultFspiop[];
  expiration: string;
}

export interface BulkTransferCallback {
  completedTimestamp?: string;
  individualTransferResults?: Array<{ transferId: string; fulfilment?: string; errorInformation?: ErrorInformation }>;
  bulkTransferState: string;
}

/** SDK bulkQuoteRequest. */
export interface SdkBulkQuoteRequest {
  homeTransactionId: string;
  bulkQuoteId?: string;
  from: TransferParty;
  individualQuotes: Array<{
    quoteId: string;
    to: TransferParty;
    amountType: 'SEND' | 'RECEIVE';
    currency: string;
    amount: string;
    transactionType: 'TRANSFER';
    subScenario?: string;
    note?: string;
  }>;
}

/** SDK individualQuoteResult. */
export interface SdkIndividualQuoteResult {
  quoteId: string;
  transferAmount?: Money;
  payeeReceiveAmount?: Money;
  payeeFspFee?: Money;
  payeeFspCommission?: Money;
  ilpPacket?: string;
  condition?: string;
  lastError?: SdkError;
}

/** SDK bulkTransferRequest. */
export interface SdkBulkTransferRequest {
  homeTransactionId: string;
  bulkTransferId: string;
  bulkQuoteId: string;
  from: TransferParty;
  individualTransfers: Array<{
    transferId: string;
    to: TransferParty;
    amountType: 'SEND' | 'RECEIVE';
    currency: string;
    amount: string;
    transactionType?: 'TRANSFER';
    ilpPacket: string;
    condition: string;
    note?: string;
  }>;
}

/** SDK individualTransferResult. */
export interface SdkIndividualTransferResult {
  transferId: string;
  fulfilment?: string;
  transferState?: TransferState;
  lastError?: SdkError;
}

/** SDK bulkTransactionRequest. */
export interface BulkTransactionRequest {
  bulkTransactionId: string;
  bulkHomeTransactionID: string;
  from: Party;
  individualTransfers: Array<{
    homeTransactionId: string;
    to: Party;
    reference?: string;
    amountType: 'SEND' | 'RECEIVE';
    currency: string;
    amount: string;
    note?: string;
  }>;
  options: {
    onlyValidateParty?: boolean;
    autoAcceptParty: { enabled: boolean };
    autoAcceptQuote: { enabled: boolean; perTransferFeeLimits?: Array<{ currency: string; amount: string }> };
    skipPartyLookup?: boolean;
    synchronous?: boolean;
    bulkExpiration: string;
  };
  extensions?: unknown;
}

export type BulkTransactionStatus = 'ERROR_OCCURRED' | 'WAITING_FOR_PARTY_ACCEPTANCE' | 'WAITING_FOR_QUOTE_ACCEPTANCE' | 'COMPLETED';

export interface BulkTransactionContinuation {
  individualTransfers: Array<{ transferId: string; acceptParty?: boolean; acceptQuote?: boolean }>;
}
