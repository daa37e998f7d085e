import { parse } from 'csv-parse/sync';

/**
 * Reading a cohort CSV as spreadsheets export it: UTF-8 with or without a
 * BOM, comma or semicolon separated, quoted fields, CRLF. Only the file's
 * shape is checked here; each row's values are checked by the form's rules
 * (plan.ts).
 */

export const COLUMNS = [
  'first_name',
  'last_name',
  'email',
  'mobile',
  'login',
  'lifetime_days',
  'channels',
  'start_date',
] as const;
export type Column = (typeof COLUMNS)[number];

const REQUIRED: readonly Column[] = ['first_name', 'last_name', 'email', 'mobile'];
/** What spreadsheets call the columns too (after lower-casing, spaces and dashes as `_`). */
const ALIASES: Record<string, Column> = {
  phone: 'mobile',
  phone_number: 'mobile',
  mobile_number: 'mobile',
  e_mail: 'email',
  email_address: 'email',
  firstname: 'first_name',
  lastname: 'last_name',
};

export const COLUMNS_HELP = `Columns (header row, any order): ${REQUIRED.join(', ')}, and optionally login, lifetime_days, channels (sms, email or sms+email), start_date (YYYY-MM-DD). \`phone\` is accepted for mobile.`;

export type CsvRow = { line: number; values: Partial<Record<Column, string>> };
export type CsvResult = { ok: true; rows: CsvRow[] } | { ok: false; error: string };

/** Parses `text` into rows keyed by column, or says what is wrong with the file as a whole. */
export function parseCohortCsv(text: string, maxRows: number): CsvResult {
  if (text.includes('\u0000') || (text.match(/\uFFFD/g)?.length ?? 0) > 3) {
    return {
      ok: false,
      error: 'This is not a text CSV file (it looks binary). Export the sheet as CSV (UTF-8).',
    };
  }
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '')
    return { ok: false, error: 'The CSV is empty: it needs a header row and one row per person.' };
  const firstLine = body.slice(0, body.search(/\r?\n|$/));
  const delimiter = count(firstLine, ';') > count(firstLine, ',') ? ';' : ',';
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(body, {
      delimiter,
      info: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as typeof records;
  } catch (error) {
    return { ok: false, error: `The CSV could not be read: ${(error as Error).message}.` };
  }
  const [head, ...data] = records;
  const header = readHeader(head?.record ?? []);
  if ('error' in header) return { ok: false, error: header.error };
  const rows: CsvRow[] = [];
  for (const { record, info } of data) {
    if (record.every((cell) => cell === '')) continue;
    const values: CsvRow['values'] = {};
    header.columns.forEach((column, i) => {
      if (record[i]) values[column] = record[i];
    });
    if (
      record.length > header.columns.length &&
      record.slice(header.columns.length).some(Boolean)
    ) {
      return {
        ok: false,
        error: `Row ${info.lines} has ${record.length} fields but the header has ${header.columns.length}: check its quotes and separators.`,
      };
    }
    rows.push({ line: info.lines, values });
  }
  if (rows.length === 0)
    return { ok: false, error: 'The CSV has a header but no rows: add one row per person.' };
  if (rows.length > maxRows) {
    return {
      ok: false,
      error: `The CSV has ${rows.length} rows; at most ${maxRows} can be onboarded in one upload (BULK_MAX_ROWS). Split the file.`,
    };
  }
  return { ok: true, rows };
}

function readHeader(cells: string[]): { columns: Column[] } | { error: string } {
  const names = cells.map((cell) =>
    cell
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_'),
  );
  const columns = names.map(
    (name) => ALIASES[name] ?? (COLUMNS as readonly string[]).find((c) => c === name),
  );
  if (columns.every((c) => c === undefined)) {
    return { error: `The first row must be the header. ${COLUMNS_HELP}` };
  }
  const unknown = names.filter((_, i) => columns[i] === undefined);
  if (unknown.length > 0) {
    return {
      error: `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}. ${COLUMNS_HELP}`,
    };
  }
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice) return { error: `The column "${twice}" appears twice in the header.` };
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    return {
      error: `Missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}. ${COLUMNS_HELP}`,
    };
  }
  return { columns: columns as Column[] };
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}
