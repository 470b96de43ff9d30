/**
 * ISO 20022 camt.053 (BkToCstmrStmt, any camt.053.001.xx version) read with fast-xml-parser: no maintained
 * camt.053 reader for Node keeps amounts exact and the end-to-end id (iso20022.js reads amounts as floats and drops
 * EndToEndId), so the elements are read here, as text, and checked: opening (OPBD, else PRCD) + credits − debits =
 * closing (CLBD). An entry booked for a whole batch (one Ntry, several TxDtls) gives one line per transaction.
 * References of a line, in order: EndToEndId, InstrId, TxId, PmtInfId, MsgId (NOTPROVIDED is no reference).
 */
import { XMLParser } from 'fast-xml-parser';
import { fromUnits, normalizeAmount, toUnits } from '../../shared/money';
import { reversalReason, StatementError, type Statement, type StatementLine } from './statement';

type Node = Record<string, unknown>;
const ARRAYS = new Set(['Stmt', 'Ntry', 'TxDtls', 'Bal', 'Ustrd']);
const parser = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false, parseAttributeValue: false,
  trimValues: true, isArray: (name) => ARRAYS.has(name), processEntities: true,
});

const isNode = (v: unknown): v is Node => !!v && typeof v === 'object' && !Array.isArray(v);
const node = (v: unknown): Node => (isNode(v) ? v : {});
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : isNode(v) && typeof v['#text'] === 'string' ? v['#text']
  : undefined);
const list = (v: unknown): Node[] => (Array.isArray(v) ? v.filter(isNode) : isNode(v) ? [v] : []);

function amountOf(v: unknown, where: string): { amount: string; currency?: string } {
  const t = text(v);
  if (!t) throw new StatementError('STATEMENT_UNREADABLE', `camt.053: ${where} has no amount`);
  try {
    const currency = isNode(v) && typeof v['@_Ccy'] === 'string' ? v['@_Ccy'] : undefined;
    return { amount: normalizeAmount(t), ...(currency ? { currency } : {}) };
  } catch {
    throw new StatementError('STATEMENT_UNREADABLE', `camt.053: ${where} amount ${t.slice(0, 30)} is not a decimal`);
  }
}

function dateOf(v: unknown): string {
  const n = node(v);
  return (text(n.Dt) ?? text(n.DtTm) ?? '').slice(0, 10);
}

function signed(bal: Node | undefined, where: string): bigint | undefined {
  if (!bal) return undefined;
  const units = toUnits(amountOf(bal.Amt, where).amount);
  return text(bal.CdtDbtInd) === 'DBIT' ? -units : units;
}

function references(tx: Node): string[] {
  const refs = node(tx.Refs);
  return [...new Set(['EndToEndId', 'InstrId', 'TxId', 'PmtInfId', 'MsgId'].map((k) => text(refs[k])).filter((r): r is string => !!r
    && r !== 'NOTPROVIDED'))];
}

function readStatement(stmt: Node, currencyHint: string | undefined): Statement {
  const id = text(stmt.Id);
  if (!id) throw new StatementError('STATEMENT_UNREADABLE', 'camt.053: a statement has no Id');
  const acct = node(stmt.Acct);
  const acctId = node(acct.Id);
  const account = text(acctId.IBAN) ?? text(node(acctId.Othr).Id) ?? '';
  const bals = list(stmt.Bal);
  const bal = (...codes: string[]) => bals.find((b) => codes.includes(text(node(node(b.Tp).CdOrPrtry).Cd) ?? ''));
  const opening = signed(bal('OPBD', 'PRCD'), 'the opening balance');
  const closing = signed(bal('CLBD'), 'the closing balance');
  if (opening === undefined || closing === undefined) throw new StatementError('STATEMENT_UNREADABLE',
    `camt.053: statement ${id} lacks an opening (OPBD/PRCD) or closing (CLBD) balance`);
  const currency = text(acct.Ccy) ?? currencyHint ?? amountOf(bal('CLBD')!.Amt, 'the closing balance').currency ?? '';
  const lines: StatementLine[] = [];
  let net = 0n;
  for (const [n, entry] of list(stmt.Ntry).entries()) {
    const direction = text(entry.CdtDbtInd) === 'DBIT' ? 'debit' : 'credit';
    if (text(entry.CdtDbtInd) !== 'DBIT' && text(entry.CdtDbtInd) !== 'CRDT') throw new StatementError('STATEMENT_UNREADABLE',
      `camt.053: entry ${n + 1} of ${id} has no CdtDbtInd`);
    const entryAmount = amountOf(entry.Amt, `entry ${n + 1} of ${id}`);
    net += direction === 'debit' ? -toUnits(entryAmount.amount) : toUnits(entryAmount.amount);
    const reversal = text(entry.RvslInd) === 'true';
    const txs = list(node(entry.NtryDtls).TxDtls);
    const parts = txs.length > 1 ? txs : [txs[0] ?? {}];
    for (const tx of parts) {
      const own = txs.length > 1 ? amountOf(tx.Amt ?? node(node(tx.AmtDtls).TxAmt).Amt, `a transaction of entry ${n + 1} of ${id}`)
        : entryAmount;
      const line: StatementLine = {
        statementId: id, index: lines.length, direction, reversal, amount: own.amount, currency: own.currency ?? entryAmount.currency
          ?? currency,
        valueDate: dateOf(entry.ValDt) || dateOf(entry.BookgDt), references: references(tx),
      };
      const bankRef = text(node(tx.Refs).AcctSvcrRef) ?? text(entry.AcctSvcrRef) ?? text(entry.NtryRef);
      if (bankRef) line.bankReference = bankRef;
      const ustrd = node(tx.RmtInf).Ustrd;
      const details = [...(Array.isArray(ustrd) ? ustrd.map(text) : []), text(tx.AddtlTxInf),
        text(entry.AddtlNtryInf)].filter((d): d is string => !!d);
      if (details.length) line.details = [...new Set(details)].join('\n');
      const rtr = node(tx.RtrInf);
      const rsn = node(rtr.Rsn);
      const reason = reversalReason(text(rsn.Cd) ?? text(rsn.Prtry), text(rtr.AddtlInf));
      if (reason) line.reason = reason;
      lines.push(line);
    }
  }
  if (opening + net !== closing) {
    throw new StatementError('STATEMENT_UNBALANCED',
      `camt.053: statement ${id}: opening ${fromUnits(opening)} + entries ${fromUnits(net)} is not the closing balance ` +
        `${fromUnits(closing)}`);
  }
  const number = text(stmt.ElctrncSeqNb) ?? text(stmt.LglSeqNb);
  return { format: 'camt.053', id, account, currency, ...(number ? { number } : {}), openingBalance: fromUnits(opening), closingBalance:
    fromUnits(closing), lines };
}

export function readCamt053(xml: string): Statement[] {
  let doc: Node;
  try {
    doc = parser.parse(xml, true) as Node;
  } catch (err) {
    throw new StatementError('STATEMENT_UNREADABLE', `camt.053: not well-formed XML: ${(err as Error).message}`);
  }
  const root = node(doc.Document);
  // The parser drops namespace declarations with their prefixes: the Document's own is read from the text.
  const ns = /<(?:[A-Za-z_][\w.-]*:)?Document\b[^>]*?\bxmlns(?::[A-Za-z_][\w.-]*)?="([^"]*)"/.exec(xml)?.[1] ?? '';
  if (!/^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}$/.test(ns)) throw new StatementError('STATEMENT_UNREADABLE',
    `camt.053: the document's namespace ${ns.slice(0, 80) || '(none)'} is not camt.053`);
  const stmts = list(node(root.BkToCstmrStmt).Stmt);
  if (stmts.length === 0) throw new StatementError('STATEMENT_UNREADABLE', 'camt.053: no Stmt in BkToCstmrStmt');
  return stmts.map((s) => readStatement(s, undefined));
}
