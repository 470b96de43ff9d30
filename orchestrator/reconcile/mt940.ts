/**
 * MT940 statements read with @centrapay/swift-parser (amounts as exact decimals, reversals RD/RC, the balance
 * check opening + turnover = closing), turned into statement lines. References of a line, in order: the :61:
 * customer reference (unless NONREF), the supplementary details, a structured `/EREF/` of :86:. A reversal's reason
 * is read from :86: (the example bank writes it as the last narrative, e.g. ACCOUNT_CLOSED).
 */
import { parse } from '@centrapay/swift-parser';
import { normalizeAmount } from '../../shared/money';
import { reversalReason, StatementError, type Statement, type StatementLine } from './statement';

const day = (d: Date | undefined) => (d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString().slice(0, 10) : '');

export function readMt940(text: string): Statement[] {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse({ type: 'mt940', data: text, validate: true });
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    throw new StatementError(/balance|turnover/i.test(message) ? 'STATEMENT_UNBALANCED' : 'STATEMENT_UNREADABLE', `MT940: ${message}`);
  }
  if (parsed.length === 0) throw new StatementError('STATEMENT_UNREADABLE', 'MT940: no statement found');
  try {
    return parsed.map(toStatement);
  } catch (err) {
    throw new StatementError('STATEMENT_UNREADABLE', `MT940: ${(err as Error).message}`);
  }
}

function toStatement(s: ReturnType<typeof parse>[number]): Statement {
  const id = s.transactionReference;
  const lines = s.transactions.map((t, index): StatementLine => {
    const details = t.details ?? '';
    const references = [t.reference, t.extraDetails?.split(/\s+/)[0], t.structuredDetails?.EREF].filter((r): r is string => !!r
      && r.toUpperCase() !== 'NONREF');
    const line: StatementLine = {
      statementId: id, index, direction: t.amount.isNegative() ? 'debit' : 'credit', reversal: t.isReversal,
      amount: normalizeAmount(t.amount.abs().toFixed()), currency: t.currency || s.currency, valueDate: day(t.date), references:
        [...new Set(references)],
    };
    if (t.bankReference) line.bankReference = t.bankReference;
    if (details) line.details = details;
    if (t.isReversal || line.direction === 'credit') {
      const narratives = details.split('\n').map((l) => l.trim()).filter((l) => l && l !== '.');
      const reason = reversalReason(t.structuredDetails?.RTRN, narratives[narratives.length - 1]);
      if (reason && (t.isReversal || reason.code !== 'OTHER')) line.reason = reason;
    }
    return line;
  });
  return {
    format: 'mt940', id, account: s.accountIdentification, currency: s.currency, number: s.number.statement,
    openingBalance: s.openingBalance.toFixed(), closingBalance: s.closingBalance.toFixed(), lines,
  };
}
