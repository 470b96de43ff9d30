/** The part of @centrapay/swift-parser (MT940/MT942, Apache-2.0, no typings of its own) the statement reader uses. */
declare module '@centrapay/swift-parser' {
  /** bignumber.js BigNumber: amounts exactly as written, never a float. */
  interface BigNumberLike {
    abs(): BigNumberLike;
    isNegative(): boolean;
    toFixed(): string;
  }
  interface SwiftTransaction {
    date: Date;
    entryDate?: Date;
    amount: BigNumberLike;
    isReversal: boolean;
    currency: string;
    transactionType: string;
    reference: string;
    bankReference: string;
    extraDetails: string;
    readonly details: string;
    readonly structuredDetails: Record<string, string>;
  }
  interface SwiftStatement {
    transactionReference: string;
    accountIdentification: string;
    number: { statement: string; sequence: string; section: string };
    currency: string;
    openingBalance: BigNumberLike;
    closingBalance: BigNumberLike;
    closingAvailableBalance?: BigNumberLike;
    statementDate: Date;
    transactions: SwiftTransaction[];
  }
  export function parse(opts: { type: 'mt940' | 'mt942'; data: string; validate?: boolean }): SwiftStatement[];
}
