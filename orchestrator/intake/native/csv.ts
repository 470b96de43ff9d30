/**
 * CSV bulk-file intake in the Payment Hub EE / GovStack column set (REFERENCE.md §5). Text in, payments and
 * per-row errors out, no I/O. Rows are numbered as a spreadsheet shows them: the header is row 1, the first
 * payment row 2. A large file is read in slices that give the event loop back between them (other requests are
 * answered meanwhile), and reading stops once the error list is full.
 */
import { parse, type Options as CsvOptions } from 'csv-parse';
import { ErrorList, type FieldError } from './schemas';

/** Characters parsed between two yields to the event loop, and rows checked between two yields. */
const SLICE_CHARS = 32 * 1024;
const ROWS_PER_YIELD = 2000;

export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** csv-parse over the text in slices, yielding between slices; stops early once `enough()` says so. */
async function parseRecords(text: string, options: CsvOptions, enough: () => boolean): Promise<string[][]> {
  const records: string[][] = [];
  const parser = parse(options);
  let failure: Error | undefined;
  parser.on('readable', () => {
    let r: string[] | null;
    while ((r = parser.read() as string[] | null) !== null) records.push(r);
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
  return records;
}

/** The bulk-file columns, in their usual order. */
export const CSV_COLUMNS = ['id', 'request_id', 'payment_mode', 'payer_identifier_type', 'payer_identifier', 'payee_identifier_type', 'payee_identifier', 'amount', 'currency', 'note'] as const;
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
 * reported per row; field values are left to the payment schema.
 */
export async function parseBulkCsv(textIn: string, errors: ErrorList): Promise<CsvBatch> {
  const empty: CsvBatch = { payments: [], ignoredColumns: [] };
  let records: string[][];
  try {
    records = await parseRecords(textIn, { bom: true, delimiter: sniffDelimiter(textIn), relax_column_count: true, skip_empty_lines: true, trim: false }, () => errors.full);
  } catch (err) {
    const e = err as { message?: string; lines?: number; code?: string };
    errors.add({ row: e.lines, code: 'CSV_MALFORMED', message: `the file is not valid CSV${e.lines ? ` near row ${e.lines}` : ''}: ${e.message ?? String(err)}` });
    return empty;
  }
  if (records.length === 0) {
    errors.add({ row: 1, code: 'CSV_EMPTY', message: `the file is empty; expected a header row: ${CSV_COLUMNS.join(',')}` });
    return empty;
  }
  const header = records[0].map((h) => h.trim().toLowerCase());
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    if (!h) return;
    if (index.has(h)) errors.add({ row: 1, column: h, code: 'CSV_DUPLICATE_COLUMN', message: `column ${h} appears more than once in the header` });
    else index.set(h, i);
  });
  for (const c of REQUIRED_CSV_COLUMNS) {
    if (!index.has(c)) errors.add({ row: 1, column: c, code: 'CSV_MISSING_COLUMN', message: `the header has no ${c} column; expected ${CSV_COLUMNS.join(',')}` });
  }
  if (!errors.empty) return empty;
  if (records.length === 1) {
    errors.add({ row: 2, code: 'CSV_NO_ROWS', message: 'the file has a header but no payment rows' });
    return empty;
  }
  const known = new Set<string>([...CSV_COLUMNS, ...EXTRA_CSV_COLUMNS]);
  const ignoredColumns = header.filter((h) => h && !known.has(h));
  const at = (rec: string[], col: string): string | undefined => {
    const i = index.get(col);
    return i === undefined ? undefined : rec[i];
  };

  const fieldColumns: Array<[string, string, number]> = [];
  for (const [field, col] of Object.entries(COLUMN_OF_FIELD)) {
    const i = index.get(col);
    if (i !== undefined) fieldColumns.push([field, col, i]);
  }
  const payments: CsvPayment[] = new Array(records.length - 1);
  let requestId: string | undefined;
  let payer: CsvBatch['payer'];
  for (let r = 1; r < records.length; r++) {
    if (r % ROWS_PER_YIELD === 0) await yieldToLoop();
    if (errors.full) {
      payments.length = r - 1;
      break;
    }
    const rec = records[r];
    const row = r + 1;
    if (rec.length !== header.length) {
      errors.add({ row, code: 'CSV_CELL_COUNT', message: `row ${row} has ${rec.length} cells, the header has ${header.length}` });
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
      errors.add({ row, column: 'payment_mode', code: 'NOT_ALLOWED', message: `payment_mode ${mode} is not supported; use mojaloop or leave it empty` });
    }
    const req = (at(rec, 'request_id') ?? '').trim();
    if (req) {
      if (requestId === undefined) requestId = req;
      else if (req !== requestId) errors.add({ row, column: 'request_id', code: 'REQUEST_ID_MISMATCH', message: `request_id ${req} differs from ${requestId} on an earlier row; one file is one batch` });
    }
    const payerType = (at(rec, 'payer_identifier_type') ?? '').trim();
    const payerId = (at(rec, 'payer_identifier') ?? '').trim();
    if (payerType || payerId) {
      if (!payerType || !payerId) {
        errors.add({ row, column: payerType ? 'payer_identifier' : 'payer_identifier_type', code: 'REQUIRED', message: 'payer_identifier_type and payer_identifier go together' });
      } else if (!payer) {
        payer = { idType: payerType, idValue: payerId };
      } else if (payer.idType !== payerType || payer.idValue !== payerId) {
        errors.add({ row, column: 'payer_identifier', code: 'PAYER_MISMATCH', message: `payer ${payerType}/${payerId} differs from ${payer.idType}/${payer.idValue} on an earlier row; one file has one payer` });
      }
    }
    payments[r - 1] = { row, item };
  }
  return { payments, requestId, payer, ignoredColumns };
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
