/**
 * CSV bulk-file intake in the Payment Hub EE / GovStack column set (REFERENCE.md §5). Text in, payments and
 * per-row errors out, no I/O. Rows are numbered as a spreadsheet shows them: the header is row 1, the first
 * payment row 2. A large file is read in slices that give the event loop back between them (other requests are
 * answered meanwhile), and reading stops once the error list is full.
 */
import { parse, type Options as CsvOptions } from 'csv-parse';
import { ErrorList, type FieldError } from './schemas';

/** Characters parsed between two yields to the event loop. */
const SLICE_CHARS = 8 * 1024;

export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * csv-parse over the text in slices, yielding between slices. Each record goes to `onRecord` as it is read and is
 * not kept, so memory follows what the caller keeps; reading stops once `enough()` says so.
 */
async function parseRecords(text: string, options: CsvOptions, onRecord: (record: string[]) => void, enough: () => boolean): Promise<void> {
  const parser = parse(options);
  let failure: Error | undefined;
  parser.on('readable', () => {
    let r: string[] | null;
    while ((r = parser.read() as string[] | null) !== null) {
      if (!enough()) onRecord(r);
    }
  });
  parser.on('error', (err) => { failure = err; });
  const ended = new Promise<void>((resolve) => { parser.on('end', resolve); parser.on('error', () => resolve()); });
  for (let i = 0; i < text.length && !failure && !enough(); i += SLICE_CHARS) {
    // Wait for the parser to take each slice before the next: buffered slices would be parsed in one long run.
    if (!parser.write(text.slice(i, i + SLICE_CHARS))) await new Promise<void>((resolve) => parser.once('drain', resolve));
    await yieldToLoop();
  }
  if (!failure) parser.end();
  await ended;
  if (failure) throw failure;
}

/** The bulk-file columns, in their usual order. */
export const CSV_COLUMNS = ['id', 'request_id', 'payment_mode', 'payer_identifier_type', 'payer_identifier', 'payee_identifier_type',
  'payee_identifier', 'amount', 'currency', 'note'] as const;
/** Columns every file must have. */
export const REQUIRED_CSV_COLUMNS = ['id', 'payee_identifier_type', 'payee_identifier', 'amount', 'currency'] as const;
/** GPO extension: the payee's FSP when known (skips the party lookup). */
export const EXTRA_CSV_COLUMNS = ['payee_fsp'] as const;
/** payment_mode values this orchestrator pays through (empty means the batch's rail). */
export const CSV_PAYMENT_MODES = ['mojaloop', ''];

/** A CSV row mapped to the JSON payment shape, with the row number it came from. */
export interface CsvPayment {
  row: number;
  item: Record<string, string>;
}

export interface CsvBatch {
  payments: CsvPayment[];
  /** request_id shared by all rows (the upstream batch id), when present. */
  requestId?: string;
  /** Payer named by the rows, when they name one (all rows must agree). */
  payer?: { idType: string; idValue: string };
  /** Columns present in the header that GPO does not read (ignored). */
  ignoredColumns: string[];
}

/** Maps a CSV column to the JSON field the payment schema checks (so errors name the column). */
export const COLUMN_OF_FIELD: Record<string, string> = {
  reference: 'id',
  payeeIdType: 'payee_identifier_type',
  payeeIdValue: 'payee_identifier',
  payeeFsp: 'payee_fsp',
  amount: 'amount',
  currency: 'currency',
  note: 'note',
};

/**
 * Reads a bulk file. Structural problems (no header, missing columns, broken quoting, wrong number of cells) are
 * reported per row; field values are left to the payment schema. Rows are mapped as they are read: `stop(payment)`,
 * given each mapped row, may end the reading early (the caller's own check has seen enough errors), and reading
 * ends by itself once the error list is full.
 */
export async function parseBulkCsv(textIn: string, errors: ErrorList, stop?: (payment: CsvPayment) => boolean): Promise<CsvBatch> {
  const empty: CsvBatch = { payments: [], ignoredColumns: [] };
  // `curl -d @file` drops every line break: the header and all rows arrive as one line, which no parser can split.
  if (textIn.trim() && isOneLine(textIn)) {
    errors.add({ row: 1, code: 'CSV_NO_ROWS', message:
      'the file is one line with no line break, so it has no payment rows; curl -d removes line breaks: send the file with curl ' +
        '--data-binary @file' });
    return empty;
  }
  let header: string[] | undefined;
  let headerBad = false;
  let stopped = false;
  const index = new Map<string, number>();
  const fieldColumns: Array<[string, string, number]> = [];
  const at = (rec: string[], col: string): string | undefined => {
    const i = index.get(col);
    return i === undefined ? undefined : rec[i];
  };
  const payments: CsvPayment[] = [];
  let ignoredColumns: string[] = [];
  let requestId: string | undefined;
  let payer: CsvBatch['payer'];
  let row = 1;

  const readHeader = (rec: string[]): void => {
    header = rec.map((h) => h.trim().toLowerCase());
    header.forEach((h, i) => {
      if (!h) return;
      if (index.has(h)) errors.add({ row: 1, column: h, code: 'CSV_DUPLICATE_COLUMN', message:
        `column ${h} appears more than once in the header` });
      else index.set(h, i);
    });
    for (const c of REQUIRED_CSV_COLUMNS) {
      if (!index.has(c)) errors.add({ row: 1, column: c, code: 'CSV_MISSING_COLUMN', message:
        `the header has no ${c} column; expected ${CSV_COLUMNS.join(',')}` });
    }
    headerBad = !errors.empty;
    const known = new Set<string>([...CSV_COLUMNS, ...EXTRA_CSV_COLUMNS]);
    ignoredColumns = header.filter((h) => h && !known.has(h));
    for (const [field, col] of Object.entries(COLUMN_OF_FIELD)) {
      const i = index.get(col);
      if (i !== undefined) fieldColumns.push([field, col, i]);
    }
  };

  const readRow = (rec: string[], width: number): void => {
    row++;
    if (rec.length !== width) {
      errors.add({ row, code: 'CSV_CELL_COUNT', message: `row ${row} has ${rec.length} cells, the header has ${width}` });
    }
    const item: Record<string, string> = {};
    for (const [field, col, i] of fieldColumns) {
      const v = rec[i];
      // An empty optional cell means "not given"; an empty required cell is reported as missing by the schema.
      if (v !== undefined && v !== '') {
        const t = col === 'note' ? v : v.trim();
        if (t.trim() !== '') item[field] = t;
      }
    }
    const modeCell = at(rec, 'payment_mode');
    const mode = modeCell ? modeCell.trim().toLowerCase() : '';
    if (mode && !CSV_PAYMENT_MODES.includes(mode)) {
      errors.add({ row, column: 'payment_mode', code: 'NOT_ALLOWED', message:
        `payment_mode ${mode} is not supported; use mojaloop or leave it empty` });
    }
    const req = (at(rec, 'request_id') ?? '').trim();
    if (req) {
      if (requestId === undefined) requestId = req;
      else if (req !== requestId) errors.add({ row, column: 'request_id', code: 'REQUEST_ID_MISMATCH', message:
        `request_id ${req} differs from ${requestId} on an earlier row; one file is one batch` });
    }
    const payerType = (at(rec, 'payer_identifier_type') ?? '').trim();
    const payerId = (at(rec, 'payer_identifier') ?? '').trim();
    if (payerType || payerId) {
      if (!payerType || !payerId) {
        errors.add({ row, column: payerType ? 'payer_identifier' : 'payer_identifier_type', code: 'REQUIRED', message:
          'payer_identifier_type and payer_identifier go together' });
      } else if (!payer) {
        payer = { idType: payerType, idValue: payerId };
      } else if (payer.idType !== payerType || payer.idValue !== payerId) {
        errors.add({ row, column: 'payer_identifier', code: 'PAYER_MISMATCH', message:
          `payer ${payerType}/${payerId} differs from ${payer.idType}/${payer.idValue} on an earlier row; one file has one payer` });
      }
    }
    const payment = { row, item };
    payments.push(payment);
    if (stop?.(payment)) stopped = true;
  };

  try {
    await parseRecords(
      textIn,
      { bom: true, delimiter: sniffDelimiter(textIn), relax_column_count: true, skip_empty_lines: true, trim: false },
      (rec) => {
        if (header === undefined) readHeader(rec);
        else readRow(rec, header.length);
      },
      () => headerBad || stopped || errors.full,
    );
  } catch (err) {
    const e = err as { message?: string; lines?: number; code?: string };
    errors.add({ row: e.lines, code: 'CSV_MALFORMED', message: `the file is not valid CSV${e.lines ? ` near row ${e.lines}`
      : ''}: ${e.message ?? String(err)}` });
    return empty;
  }
  if (header === undefined) {
    errors.add({ row: 1, code: 'CSV_EMPTY', message: `the file is empty; expected a header row: ${CSV_COLUMNS.join(',')}` });
    return empty;
  }
  if (headerBad) return empty;
  if (payments.length === 0) {
    errors.add({ row: 2, code: 'CSV_NO_ROWS', message: 'the file has a header but no payment rows' });
    return empty;
  }
  return { payments, requestId, payer, ignoredColumns };
}

/** True when the text has no line break before its trailing ones (one line, perhaps with a final newline). */
function isOneLine(text: string): boolean {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
  const first = text.search(/[\r\n]/);
  return first < 0 || first >= end;
}

/**
 * The separator the header row uses: a comma, or the semicolon (or tab) that spreadsheets in many locales write
 * when the comma is their decimal mark. Amounts must still use a decimal point.
 */
export function sniffDelimiter(text: string): string {
  const end = text.search(/\r?\n/);
  const header = end < 0 ? text : text.slice(0, end);
  if (header.includes(',')) return ',';
  if (header.includes(';')) return ';';
  if (header.includes('\t')) return '\t';
  return ',';
}

/** A FieldError from the payment schema, placed on the CSV row and column. */
export function csvLocation(row: number, path: (string | number)[]): Pick<FieldError, 'row' | 'column'> {
  const field = typeof path[0] === 'string' ? path[0] : '';
  return { row, column: COLUMN_OF_FIELD[field] ?? field };
}
