/**
 * The payee resolver port: turns the beneficiary ids of a batch into financial addresses before anything is paid,
 * many at a time, one outcome per payee. A resolved address names the payee FSP (and the party to pay there), so a
 * Mojaloop rail needs no party lookup; an unresolved payee fails alone, with an FSPIOP-style code the engine already
 * knows how to report and the resolver's own reason beside it. Adapters: the G2P Connect Mapper (`g2p-mapper.ts`).
 * Resolution only reads: asking again is always safe.
 */
import { ErrorCode } from '../../shared/fspiop-errors';

/** One payee to resolve: `key` is the caller's (e.g. the payment's position), `id` the beneficiary id the mapper knows. */
export interface PayeeToResolve {
  key: string;
  id: string;
}

export type AddressKind = 'bank' | 'wallet' | 'token' | 'email' | 'other';

/** A financial address, read into what a rail needs to pay it. */
export interface ResolvedAddress {
  /** The address as the resolver gave it. */
  fa: string;
  kind: AddressKind;
  /** Bank code, wallet provider or token provider, as written in the address. */
  provider: string;
  /** The FSP that serves the address (the provider, or what the provider map says). */
  payeeFsp: string;
  /** The FSPIOP party to pay at that FSP: MSISDN for a wallet, ACCOUNT_ID for a bank account, ALIAS for a token. */
  payeeIdType: string;
  payeeIdValue: string;
  bankCode?: string;
  branchCode?: string;
  /** The account holder or provider name, when the resolver gave one. */
  name?: string;
}

export type Resolution =
  | ({ key: string; outcome: 'resolved' } & ResolvedAddress)
  | {
      key: string;
      outcome: 'unresolved';
      /** 3204 no payable address, 3100 refused as invalid, 1001/2003/2004 resolver unreachable, unavailable, silent. */
      errorCode: string;
      description: string;
      /** True when asking again later may resolve it (the resolver failed, not the payee). */
      transient: boolean;
      /** The resolver's own reason, e.g. G2P Connect `succ.id.not_found`. */
      reasonCode?: string;
    };

export interface PayeeResolver {
  readonly name: string;
  /** One outcome per payee, in the order given. Never throws for a payee's or the resolver's failure. */
  resolve(payees: readonly PayeeToResolve[], context?: { batchId?: string }): Promise<Resolution[]>;
  close(): Promise<void>;
}

/** FSPIOP codes a resolver answers with (the engine's vocabulary for payments that fail before the rail). */
export const RESOLVE_ERRORS = {
  notFound: ErrorCode.PARTY_NOT_FOUND,
  invalid: ErrorCode.VALIDATION_ERROR,
  unreachable: ErrorCode.DESTINATION_COMMUNICATION_ERROR,
  internal: ErrorCode.INTERNAL_SERVER_ERROR,
  unavailable: ErrorCode.SERVICE_CURRENTLY_UNAVAILABLE,
  timeout: ErrorCode.SERVER_TIMED_OUT,
} as const;
