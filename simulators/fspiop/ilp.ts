/**
 * ILP for FSPIOP: the packet a payee DFSP puts in its quote, the condition it commits to and the fulfilment
 * that releases the transfer.
 *
 * Two packet versions are in use on Mojaloop networks:
 * - ILPv1 "IlpPayment" (what the v1.1 specification describes and Mojaloop's SDK builds by default):
 *   envelope type 1, then amount (uint64), account address and data. The fulfilment is HMAC-SHA256 over the
 *   base64url packet itself, so the packet cannot carry the condition.
 * - ILPv4 "IlpPrepare" (npm `ilp-packet`): carries amount, expiry, condition, destination and data. Because
 *   the packet contains the condition, the fulfilment is HMAC-SHA256 over the transaction object instead.
 *
 * Both derive the fulfilment from a local secret, so a payee can regenerate it from the packet alone and
 * stores nothing per quote. The HMAC key and inputs follow Mojaloop's SDK byte for byte, so packets and
 * fulfilments interoperate with real DFSPs: the key is the ASCII text of base64(secret); v1 hashes the ASCII
 * of the base64url packet, v4 the ASCII of base64(JSON transaction object).
 * The packet's `data` is the ASCII of base64url(JSON transaction object) in both versions.
 */
import { createHash, createHmac, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { deserializeIlpPrepare, serializeIlpPrepare } from 'ilp-packet';
import { MoneyError, toMinorUnits } from '../../shared/money';

export type IlpVersion = 'v1' | 'v4';

/** ILP address Mojaloop uses in v4 packets (party identifiers are not ILP accounts). */
export const ILP_V4_ADDRESS = 'g.mojaloop';

const ENVELOPE_V1_PAYMENT = 1;
const ENVELOPE_V4_PREPARE = 12;
const MAX_UINT64 = (1n << 64n) - 1n;
/** base64url of 32 bytes, no padding. */
const BINARY32_RE = /^[A-Za-z0-9_-]{43}$/;

export interface IlpMoney {
  amount: string;
  currency: string;
}

export interface IlpPartyIdInfo {
  partyIdType: string;
  partyIdentifier: string;
  partySubIdOrType?: string;
  fspId?: string;
}

export interface IlpParty {
  partyIdInfo: IlpPartyIdInfo;
  [key: string]: unknown;
}

/**
 * The transaction object the packet's data carries (FSPIOP "Transaction" as Mojaloop's SDK builds it from
 * the quote request and the quote response).
 */
export interface TransactionObject {
  quoteId: string;
  transactionId: string;
  transactionType: unknown;
  payee: IlpParty;
  payer: IlpParty;
  expiration?: string;
  amount: IlpMoney;
  note?: string;
  [key: string]: unknown;
}

/** What a payee puts in its quote response (ilpPacket, condition) and keeps to itself (fulfilment). */
export interface IlpTerms {
  ilpPacket: string;
  condition: string;
  fulfilment: string;
}

export interface DecodedIlpPacket {
  version: IlpVersion;
  /** Amount in the currency's minor units, as the packet carries it. */
  amount: bigint;
  /** v1: account (g.{fsp}.{type}.{id}); v4: destination. */
  address: string;
  /** The data field as it travels: base64url text of the transaction JSON. */
  data: string;
  /** v4 only. */
  expiresAt?: Date;
  /** v4 only: base64url of the execution condition. */
  condition?: string;
}

export class IlpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IlpError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// encodings

export function toBase64Url(buf: Buffer): string {
  return buf.toString('base64url');
}

/** Decodes base64 or base64url (with or without padding); throws IlpError on anything else. */
export function fromBase64Url(text: string): Buffer {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_\-+/]*={0,2}$/.test(text)) throw new IlpError('not base64url text');
  return Buffer.from(text, 'base64url');
}

function sha256(buf: Buffer): Buffer {
  return createHash('sha256').update(buf).digest();
}

/** condition = base64url(SHA-256(fulfilment bytes)); throws unless the fulfilment is 32 bytes. */
export function conditionFromFulfilment(fulfilment: string): string {
  const preimage = fromBase64Url(fulfilment);
  if (preimage.length !== 32) throw new IlpError('fulfilment must be 32 bytes');
  return toBase64Url(sha256(preimage));
}

/** The hub's check: sha256(base64url-decode(fulfilment)) === condition. Never throws. */
export function fulfilmentMatchesCondition(fulfilment: unknown, condition: unknown): boolean {
  if (typeof fulfilment !== 'string' || typeof condition !== 'string') return false;
  if (!BINARY32_RE.test(fulfilment) || !BINARY32_RE.test(condition)) return false;
  return toBase64Url(sha256(Buffer.from(fulfilment, 'base64url'))) === condition;
}

/** A well-formed fulfilment that matches no condition (fault injection: "wrong fulfilment"). */
export function randomFulfilment(): string {
  return toBase64Url(randomBytes(32));
}

// ---------------------------------------------------------------------------------------------------------------
// OER primitives for ILPv1 (ilp-packet 2.x layout): var-octet-string = length prefix + bytes

function lengthPrefix(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function varOctetString(buf: Buffer): Buffer {
  return Buffer.concat([lengthPrefix(buf.length), buf]);
}

class OerReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new IlpError('truncated ILP packet');
  }
  uint8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  uint64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  varOctetString(): Buffer {
    let len = this.uint8();
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new IlpError('bad length prefix in ILP packet');
      this.need(n);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + this.buf[this.pos++];
    }
    this.need(len);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// transaction object and amounts

/** The transaction object as Mojaloop's SDK assembles it from a quote request and its response. */
export function transactionObjectFor(
  quoteRequest: { quoteId: string; transactionId: string; transactionType: unknown; payee: IlpParty; payer: IlpParty },
  quoteResponse: { transferAmount: IlpMoney; expiration?: string; note?: string },
): TransactionObject {
  const tx: TransactionObject = {
    quoteId: quoteRequest.quoteId,
    transactionId: quoteRequest.transactionId,
    transactionType: quoteRequest.transactionType,
    payee: quoteRequest.payee,
    payer: quoteRequest.payer,
    expiration: quoteResponse.expiration,
    amount: quoteResponse.transferAmount,
  };
  if (quoteResponse.note) tx.note = quoteResponse.note;
  return tx;
}

/** "10.5" USD -> 1050n; IlpError if the amount has more decimals than the currency. */
export function ilpAmount(money: IlpMoney): bigint {
  try {
    const minor = toMinorUnits(money.amount, money.currency);
    if (minor > MAX_UINT64) throw new IlpError('amount does not fit an ILP packet');
    return minor;
  } catch (err) {
    if (err instanceof MoneyError) throw new IlpError(err.message);
    throw err;
  }
}

/** ILPv1 account address: g.{fspId}.{idType}.{id}[.{subId}], lower case, as Mojaloop's SDK builds it. */
export function ilpV1Address(payee: IlpParty): string {
  const info = payee?.partyIdInfo;
  if (!info || typeof info.partyIdType !== 'string' || typeof info.partyIdentifier !== 'string') {
    throw new IlpError('payee has no partyIdInfo');
  }
  return ['g', info.fspId ?? '', info.partyIdType.toLowerCase(), info.partyIdentifier.toLowerCase()]
    .concat(info.partySubIdOrType ? [info.partySubIdOrType.toLowerCase()] : [])
    .join('.');
}

// ---------------------------------------------------------------------------------------------------------------
// packets

export function detectIlpVersion(ilpPacket: string): IlpVersion {
  const first = fromBase64Url(ilpPacket)[0];
  if (first === ENVELOPE_V1_PAYMENT) return 'v1';
  if (first === ENVELOPE_V4_PREPARE) return 'v4';
  throw new IlpError('not an ILP payment or prepare packet');
}

/** Decodes a v1 or v4 packet (the version is read from the envelope type). Throws IlpError when malformed. */
export function decodeIlpPacket(ilpPacket: string): DecodedIlpPacket {
  if (typeof ilpPacket !== 'string') throw new IlpError('ILP packet must be a string');
  // the structural decode below rejects garbage; no character scan over a kilobyte of text per packet
  const bin = Buffer.from(ilpPacket, 'base64url');
  if (bin.length === 0) throw new IlpError('empty ILP packet');
  if (bin[0] === ENVELOPE_V1_PAYMENT) {
    const envelope = new OerReader(bin);
    envelope.uint8();
    const contents = new OerReader(envelope.varOctetString());
    const amount = contents.uint64();
    const address = contents.varOctetString().toString('ascii');
    const data = contents.varOctetString().toString('ascii');
    return { version: 'v1', amount, address, data };
  }
  if (bin[0] === ENVELOPE_V4_PREPARE) {
    let prepare;
    try {
      prepare = deserializeIlpPrepare(bin);
    } catch (err) {
      throw new IlpError(`bad ILPv4 packet: ${(err as Error).message}`);
    }
    return {
      version: 'v4',
      amount: BigInt(prepare.amount),
      address: prepare.destination,
      data: prepare.data.toString('ascii'),
      expiresAt: prepare.expiresAt,
      condition: toBase64Url(prepare.executionCondition),
    };
  }
  throw new IlpError('not an ILP payment or prepare packet');
}

/** The transaction object inside a packet's data. Throws IlpError when it is not base64url JSON. */
export function transactionFromPacket(decoded: DecodedIlpPacket): TransactionObject {
  let tx: unknown;
  try {
    tx = JSON.parse(Buffer.from(decoded.data, 'base64url').toString('utf8'));
  } catch {
    throw new IlpError('ILP packet data is not a base64url JSON transaction object');
  }
  if (!tx || typeof tx !== 'object' || Array.isArray(tx)) throw new IlpError('ILP packet data is not a transaction object');
  const t = tx as TransactionObject;
  if (!t.amount || typeof t.amount.amount !== 'string' || typeof t.amount.currency !== 'string') {
    throw new IlpError('transaction object has no amount');
  }
  return t;
}

function packetData(tx: TransactionObject): Buffer {
  return Buffer.from(toBase64Url(Buffer.from(JSON.stringify(tx), 'utf8')), 'ascii');
}

/** Serialises an ILPv1 IlpPayment (ilp-packet 2.x layout) and returns it as base64url. */
export function encodeIlpV1Payment(payment: { amount: bigint; account: string; data: Buffer }): string {
  if (payment.amount < 0n || payment.amount > MAX_UINT64) throw new IlpError('amount does not fit an ILP packet');
  const amount = Buffer.alloc(8);
  amount.writeBigUInt64BE(payment.amount);
  const contents = Buffer.concat([
    amount,
    varOctetString(Buffer.from(payment.account, 'ascii')),
    varOctetString(payment.data),
    Buffer.from([0]), // no extensions
  ]);
  return toBase64Url(Buffer.concat([Buffer.from([ENVELOPE_V1_PAYMENT]), varOctetString(contents)]));
}

function encodeV1(tx: TransactionObject): string {
  return encodeIlpV1Payment({ amount: ilpAmount(tx.amount), account: ilpV1Address(tx.payee), data: packetData(tx) });
}

function encodeV4(tx: TransactionObject, condition: string): string {
  const expiresAt = new Date(tx.expiration ?? '');
  if (Number.isNaN(expiresAt.getTime())) throw new IlpError('an ILPv4 packet needs the transaction expiration');
  return toBase64Url(
    serializeIlpPrepare({
      amount: ilpAmount(tx.amount).toString(),
      destination: ILP_V4_ADDRESS,
      expiresAt,
      executionCondition: Buffer.from(condition, 'base64url'),
      data: packetData(tx),
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// the payee's side: terms for a quote, fulfilment for a transfer

export interface TransferForIlpCheck {
  amount: IlpMoney;
  payerFsp?: string;
  payeeFsp?: string;
  /** Checked against the packet's condition (v4) or the recomputed one (v1). */
  condition?: string;
  expiration?: string;
}

export type IlpCheck = { ok: true; fulfilment: string; transaction: TransactionObject } | { ok: false; reason: string };

/**
 * A payee's ILP: builds quote terms and regenerates fulfilments from its secret.
 * Stateless, so one instance serves any number of quotes and transfers.
 */
export class PayeeIlp {
  private readonly key: KeyObject;

  constructor(secret: string, readonly version: IlpVersion = 'v1') {
    if (!secret) throw new IlpError('an ILP secret is required');
    this.key = createSecretKey(Buffer.from(Buffer.from(secret, 'utf8').toString('base64'), 'ascii'));
  }

  private hmac(text: string): string {
    return createHmac('sha256', this.key).update(text, 'latin1').digest('base64url');
  }

  /** Packet, condition and fulfilment for a transaction (the quote response's terms). */
  terms(tx: TransactionObject): IlpTerms {
    if (this.version === 'v1') {
      const ilpPacket = encodeV1(tx);
      const fulfilment = this.hmac(ilpPacket);
      return { ilpPacket, fulfilment, condition: conditionFromFulfilment(fulfilment) };
    }
    const fulfilment = this.hmac(Buffer.from(JSON.stringify(tx), 'utf8').toString('base64'));
    const condition = conditionFromFulfilment(fulfilment);
    return { ilpPacket: encodeV4(tx, condition), fulfilment, condition };
  }

  /** Regenerates the fulfilment for a packet this payee issued (either version). */
  fulfilmentFor(ilpPacket: string, decoded: DecodedIlpPacket = decodeIlpPacket(ilpPacket)): string {
    if (decoded.version === 'v1') return this.hmac(ilpPacket);
    const tx = transactionFromPacket(decoded);
    return this.hmac(Buffer.from(JSON.stringify(tx), 'utf8').toString('base64'));
  }

  /**
   * What a payee does on POST /transfers: decode its own packet, check the amount (minor units), currency and
   * FSPs against the transfer, regenerate the fulfilment and check it against the transfer's condition.
   * Never throws: a malformed packet is a failed check.
   */
  check(ilpPacket: string, transfer: TransferForIlpCheck): IlpCheck {
    let decoded: DecodedIlpPacket;
    let tx: TransactionObject;
    try {
      decoded = decodeIlpPacket(ilpPacket);
      tx = transactionFromPacket(decoded);
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    const money = transfer.amount;
    if (!money || typeof money.amount !== 'string' || typeof money.currency !== 'string') {
      return { ok: false, reason: 'transfer has no amount' };
    }
    let expected: bigint;
    try {
      expected = ilpAmount(money);
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    if (decoded.amount !== expected) {
      return { ok: false, reason: `ILP packet amount ${decoded.amount} differs from transfer amount ${expected} (minor units)` };
    }
    if (tx.amount.currency !== money.currency) {
      return { ok: false, reason: `ILP packet currency ${tx.amount.currency} differs from transfer currency ${money.currency}` };
    }
    try {
      if (ilpAmount(tx.amount) !== expected) return { ok: false, reason: 'transaction object amount differs from transfer amount' };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    const payeeFsp = tx.payee?.partyIdInfo?.fspId;
    const payerFsp = tx.payer?.partyIdInfo?.fspId;
    if (transfer.payeeFsp !== undefined && payeeFsp !== undefined && payeeFsp !== transfer.payeeFsp) {
      return { ok: false, reason: `ILP packet payee FSP ${payeeFsp} differs from transfer payeeFsp ${transfer.payeeFsp}` };
    }
    if (transfer.payerFsp !== undefined && payerFsp !== undefined && payerFsp !== transfer.payerFsp) {
      return { ok: false, reason: `ILP packet payer FSP ${payerFsp} differs from transfer payerFsp ${transfer.payerFsp}` };
    }
    const fulfilment = this.fulfilmentFor(ilpPacket, decoded);
    const condition = conditionFromFulfilment(fulfilment);
    if (decoded.condition !== undefined && decoded.condition !== condition) {
      return { ok: false, reason: 'ILP packet was not issued by this payee (condition mismatch)' };
    }
    if (transfer.condition !== undefined && transfer.condition !== condition) {
      return { ok: false, reason: 'transfer condition does not match the ILP packet' };
    }
    return { ok: true, fulfilment, transaction: tx };
  }
}
