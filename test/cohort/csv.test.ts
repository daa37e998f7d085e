import { describe, expect, test } from 'vitest';
import { parseCohortCsv } from '../../src/slack/cohort/csv.ts';

const ok = (text: string, max = 500) => {
  const result = parseCohortCsv(text, max);
  if (!result.ok) throw new Error(`expected rows, got: ${result.error}`);
  return result.rows;
};
const error = (text: string, max = 500) => {
  const result = parseCohortCsv(text, max);
  if (result.ok) throw new Error('expected an error');
  return result.error;
};

describe('cohort CSV', () => {
  test('reads a spreadsheet export: BOM, semicolons, quotes, CRLF, columns in any order and case', () => {
    const text =
      '\uFEFFEmail;First_Name;Last Name;Phone;Channels\r\n' +
      'ada@example.com;Ada;"Lovelace; Countess";+44 7700 900001;sms+email\r\n' +
      '\r\n' +
      '"grace@example.com";"Grace";"Hopper ""Amazing""";+1 202 555 0101;email\r\n';
    expect(ok(text)).toEqual([
      {
        line: 2,
        values: {
          email: 'ada@example.com',
          first_name: 'Ada',
          last_name: 'Lovelace; Countess',
          mobile: '+44 7700 900001',
          channels: 'sms+email',
        },
      },
      {
        line: 4,
        values: {
          email: 'grace@example.com',
          first_name: 'Grace',
          last_name: 'Hopper "Amazing"',
          mobile: '+1 202 555 0101',
          channels: 'email',
        },
      },
    ]);
  });

  test('commas, optional columns left empty, a quoted field over two lines', () => {
    const rows = ok(
      'first_name,last_name,email,mobile,login,lifetime_days\n' +
        'Ada,"Love\nlace",ada@example.com,+4915112345678,,\n',
    );
    expect(rows[0]?.values).toEqual({
      first_name: 'Ada',
      last_name: 'Love\nlace',
      email: 'ada@example.com',
      mobile: '+4915112345678',
    });
  });

  test.each([
    ['', /empty/],
    ['   \r\n', /empty/],
    ['first_name,last_name,email,mobile\n', /no rows/],
    ['Ada,Lovelace,ada@example.com,+4915112345678\n', /first row must be the header/],
    [
      'first_name,last_name,email,mobile,age\nA,B,a@b.co,+4915112345678,3\n',
      /Unknown column "age"/,
    ],
    ['first_name,last_name,email\nA,B,a@b.co\n', /Missing column mobile/],
    ['first_name,last_name,email,mobile,phone\nA,B,a@b.co,1,2\n', /"mobile" appears twice/],
    ['first_name,last_name,email,mobile\nA,B,a@b.co,+4915112345678,extra\n', /Row 2 has 5 fields/],
    ['first_name,last_name,email,mobile\n"A,B,a@b.co,+49\n', /could not be read/],
    ['PK\u0003\u0004\u0000\u0000binary', /binary/],
  ])('refuses %j with a clear message', (text, message) => {
    expect(error(text)).toMatch(message);
  });

  test('more rows than BULK_MAX_ROWS is refused, naming both numbers', () => {
    const text = `first_name,last_name,email,mobile\n${'A,B,a@b.co,+4915112345678\n'.repeat(4)}`;
    expect(error(text, 3)).toMatch(/has 4 rows; at most 3 .*BULK_MAX_ROWS/);
    expect(ok(text, 4)).toHaveLength(4);
  });
});
