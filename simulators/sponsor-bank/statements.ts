/**
 * A statement written as SWIFT MT940 (the tags OpenG2P's example bank writes: 20, 25, 28C, 60F, 61, 86, 62F, plus
 * 64) and as ISO 20022 camt.053.001.08 (BkToCstmrStmt). Both say the same thing: every entry with its mark
 * (D, C, RD, RC), amount, value date, the customer's reference and the bank's, and a reversal's reason.
 * - MT940 :61: carries the customer reference when it fits its 16 characters, else `NONREF` and the reference in
 *   the supplementary details (34x); :86: the payment's six narratives, the sixth being the reversal reason.
 * - camt.053: `RvslInd` on reversals, `Refs/EndToEndId` the customer reference, `RtrInf/Rsn/Cd` the ISO 20022
 *   return reason (AC04 closed, AC06 blocked/dormant, MD07 deceased, AC01 not found) with the reason word beside it.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { formatFixed } from '../../shared/money';
import type { Entry, ReversalReason, Statement } from './ledger';

export const ISO_RETURN_REASON: Record<ReversalReason, string> = {
  ACCOUNT_CLOSED: 'AC04', ACCOUNT_DORMANT: 'AC06', ACCOUNT_DECEASED: 'MD07', ACCOUNT_NOT_FOUND: 'AC01',
};

/** SWIFT's x character set (plus `_`, which the example bank's reason words use). */
const swiftText = (s: string, max: number) => s.replace(/[^A-Za-z0-9/\-?:().,'+ _]/g, ' ').slice(0, max);
const yymmdd = (iso: string) => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
const mmdd = (iso: string) => iso.slice(5, 7) + iso.slice(8, 10);
const swiftAmount = (units: bigint, ccy: string) => formatFixed(units < 0n ? -units : units, ccy).replace('.', ',');

function balance(tag: string, units: bigint, iso: string, ccy: string): string {
  return `:${tag}:${units < 0n ? 'D' : 'C'}${yymmdd(iso)}${ccy}${swiftAmount(units, ccy)}`;
}

function line61(e: Entry): string[] {
  const fits = e.customerReference.length <= 16;
  const out = [`:61:${yymmdd(e.bookedAt)}${mmdd(e.bookedAt)}${e.mark}${swiftAmount(e.amount, e.currency)}NTRF${fits ? e.customerReference
    : 'NONREF'}//${e.bankReference}`];
  if (!fits) out.push(swiftText(e.customerReference, 34));
  return out;
}

export function writeMt940(s: Statement): string {
  const lines = [`:20:${s.id.slice(0, 16)}`, `:25:${swiftText(s.account, 35)}`, `:28C:${s.number % 100000}/1`,
    balance('60F', s.opening, s.from, s.currency)];
  for (const e of s.entries) {
    lines.push(...line61(e));
    const narratives = Array.from({ length: 6 }, (_, i) => swiftText(e.narratives[i] ?? '', 65).trim() || '.');
    lines.push(`:86:${narratives[0]}`, ...narratives.slice(1));
  }
  lines.push(balance('62F', s.closing, s.to, s.currency), balance('64', s.available, s.to, s.currency));
  return `${lines.join('\r\n')}\r\n`;
}

const amt = (units: bigint, ccy: string) => ({ '#text': formatFixed(units < 0n ? -units : units, ccy), '@_Ccy': ccy });
const cdtDbt = (mark: Entry['mark']) => (mark === 'C' || mark === 'RD' ? 'CRDT' : 'DBIT');
const other = (id: string) => ({ Othr: { Id: id.slice(0, 34) } });

function camtEntry(e: Entry) {
  const reversal = e.mark === 'RD' || e.mark === 'RC';
  const outgoing = e.mark === 'D' || e.mark === 'RD';
  const party = { Pty: { Nm: e.counterparty.name.slice(0, 140) || 'NOTPROVIDED' } };
  const account = { Id: other(e.counterparty.account || 'NOTPROVIDED') };
  const agent = { FinInstnId: other(e.counterparty.agent || 'NOTPROVIDED') };
  const tx: Record<string, unknown> = {
    Refs: { AcctSvcrRef: e.bankReference, EndToEndId: e.customerReference.slice(0, 35) },
    Amt: amt(e.amount, e.currency),
    CdtDbtInd: cdtDbt(e.mark),
    RltdPties: outgoing ? { Cdtr: party, CdtrAcct: account } : { Dbtr: party, DbtrAcct: account },
    RltdAgts: outgoing ? { CdtrAgt: agent } : { DbtrAgt: agent },
  };
  if (e.narratives[0]) tx.RmtInf = { Ustrd: e.narratives[0].slice(0, 140) };
  if (e.reason) tx.RtrInf = { Rsn: { Cd: ISO_RETURN_REASON[e.reason] }, AddtlInf: e.reason };
  const details = e.narratives.filter(Boolean).join(' / ').slice(0, 500);
  if (details) tx.AddtlTxInf = details;
  const entry: Record<string, unknown> = {
    NtryRef: e.bankReference, Amt: amt(e.amount, e.currency), CdtDbtInd: cdtDbt(e.mark),
  };
  if (reversal) entry.RvslInd = 'true';
  Object.assign(entry, {
    Sts: { Cd: 'BOOK' }, BookgDt: { DtTm: e.bookedAt }, ValDt: { Dt: e.bookedAt.slice(0, 10) }, AcctSvcrRef: e.bankReference,
    BkTxCd: { Domn: { Cd: 'PMNT', Fmly: { Cd: 'ICDT', SubFmlyCd: reversal ? 'RRTN' : 'DMCT' } } },
    NtryDtls: { TxDtls: tx },
  });
  return entry;
}

function camtBalance(code: string, units: bigint, iso: string, ccy: string) {
  return { Tp: { CdOrPrtry: { Cd: code } }, Amt: amt(units, ccy), CdtDbtInd: units < 0n ? 'DBIT' : 'CRDT', Dt: { Dt: iso.slice(0, 10) } };
}

export function writeCamt053(s: Statement, bankCode: string): string {
  const credits = s.entries.filter((e) => cdtDbt(e.mark) === 'CRDT');
  const debits = s.entries.filter((e) => cdtDbt(e.mark) === 'DBIT');
  const sum = (es: Entry[]) => es.reduce((t, e) => t + e.amount, 0n);
  const net = sum(credits) - sum(debits);
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    Document: {
      '@_xmlns': 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08',
      BkToCstmrStmt: {
        GrpHdr: { MsgId: s.id, CreDtTm: s.createdAt },
        Stmt: {
          Id: s.id,
          ElctrncSeqNb: String(s.number),
          CreDtTm: s.createdAt,
          FrToDt: { FrDtTm: s.from, ToDtTm: s.to },
          Acct: { Id: other(s.account), Ccy: s.currency, Nm: s.holder.slice(0, 70), Svcr: { FinInstnId: other(bankCode) } },
          Bal: [camtBalance('OPBD', s.opening, s.from, s.currency), camtBalance('CLBD', s.closing, s.to, s.currency),
            camtBalance('CLAV', s.available, s.to, s.currency)],
          TxsSummry: {
            TtlNtries: { NbOfNtries: String(s.entries.length), Sum: formatFixed(sum(s.entries), s.currency), TtlNetNtry:
              { Amt: formatFixed(net < 0n ? -net : net, s.currency), CdtDbtInd: net < 0n ? 'DBIT' : 'CRDT' } },
            TtlCdtNtries: { NbOfNtries: String(credits.length), Sum: formatFixed(sum(credits), s.currency) },
            TtlDbtNtries: { NbOfNtries: String(debits.length), Sum: formatFixed(sum(debits), s.currency) },
          },
          Ntry: s.entries.map(camtEntry),
        },
      },
    },
  };
  return new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: true }).build(doc) as string;
}
