import { describe, expect, test } from 'vitest';
import { LIFETIME_DAYS } from '../../src/onboarding/limits.ts';
import { modalValues } from '../../src/sandbox/driver.ts';
import { suggestLogin, toE164, validateModal, withSuffix } from '../../src/slack/validation.ts';

const LOGIN = /^[a-z0-9._-]{7,15}$/;

describe('suggestLogin', () => {
  test.each([
    ['Ada', 'Lovelace', 'ada.lovelace'],
    ['Иван', 'Петров', 'ivan.petrov'],
    ['李', '小龙', 'li.xiaolong'],
    ['José', 'Müller', 'jose.muller'],
    ['Łukasz', 'Żółć', 'lukasz.zolc'],
    ['Bo', 'Li', 'bo.li00'],
    ['Alexandria', 'Wolfeschlegelsteinhausen', 'a.wolfeschlegel'],
    ['Wolfeschlegelsteinhausenberger', '', 'wolfeschlegelst'],
  ])('%s %s → %s', (first, last, login) => {
    expect(suggestLogin(first, last)).toBe(login);
  });

  test('names in other scripts no longer collide on 0000000; nothing is empty or all zeros', () => {
    expect(suggestLogin('Иван', 'Петров')).not.toBe(suggestLogin('李', '小龙'));
    for (const [first, last] of [
      ['😀', '🎉'],
      ['', ''],
      ['0', '0'],
      ['.', '-'],
      ['محمد', 'علي'],
      ['Ægir', 'Þórsson'],
    ] as const) {
      const login = suggestLogin(first, last);
      expect(login).toMatch(LOGIN);
      expect(login).not.toMatch(/^[0.]*$/);
    }
  });

  test('a taken suggestion gets the first free short suffix, within 15 characters', () => {
    const taken = new Set(['ada.lovelace', 'ada.lovelace2']);
    expect(suggestLogin('Ada', 'Lovelace', (l) => taken.has(l))).toBe('ada.lovelace3');
    const long = suggestLogin('Alexandria', 'Wolfeschlegelsteinhausen', (l) => l.length === 15);
    expect(long).toMatch(LOGIN);
    expect(suggestLogin('Ada', 'Lovelace', () => false)).toBe('ada.lovelace');
  });

  test('withSuffix keeps the login rules', () => {
    expect(withSuffix('ada.lovelace', 2)).toBe('ada.lovelace2');
    expect(withSuffix('a.wolfeschlegel', 12)).toBe('a.wolfeschleg12');
    expect(withSuffix('a.wolfeschl.ab', 123)).toMatch(LOGIN);
    expect(withSuffix('bo.li00', 2)).toMatch(LOGIN);
  });
});

describe('toE164', () => {
  test.each([
    ['+4915112345678', '+4915112345678'],
    ['+49 151 1234-5678', '+4915112345678'],
    ['+49 (0)151 12345678', '+4915112345678'],
    ['0049 151 12345678', '+4915112345678'],
    ['+44 7700 900123', '+447700900123'], // Ofcom's drama range: possible, not "valid"
    ['+447700900123', '+447700900123'],
    ['+4915112345000', '+4915112345000'],
    ['+4915112345999', '+4915112345999'],
    ['+1 202 555 0100', '+12025550100'],
    ['+39 06 1234 5678', '+390612345678'], // Italy keeps its leading 0
  ])('%s → %s', (typed, e164) => {
    expect(toE164(typed)).toEqual({ number: e164 });
  });

  test.each([
    ['+1234', /too short for \+1/],
    ['01511234', /international format/],
    ['+999 123456', /No country has this calling code/],
    ['+49151123456789012345', /too long/],
    ['+49 151 1234 5678 ext 12', /Use only digits/],
    ['+', /international format/],
  ])('%s is refused with a clear message', (typed, message) => {
    const result = toE164(typed);
    expect(result).toHaveProperty('error');
    expect((result as { error: string }).error).toMatch(message);
  });
});

describe('validateModal', () => {
  test('stores the phone as E.164 and an empty login as the (suffixed) suggestion', () => {
    const values = modalValues({ first: 'Иван', last: 'Петров', phone: '+49 (0)151 12345678' });
    const result = validateModal(values as never, [], { loginTaken: (l) => l === 'ivan.petrov' });
    expect(result).toMatchObject({
      ok: true,
      input: { person: { phone: '+4915112345678', login: 'ivan.petrov2' } },
    });
  });

  test('an impossible number is a field error on the phone input', () => {
    const result = validateModal(modalValues({ phone: '+1234' }) as never, []);
    expect(result).toEqual({ ok: false, errors: { phone: expect.stringMatching(/too short/) } });
  });

  test('the lifetime follows LIFETIME_DAYS, in words that read well', () => {
    const at = (lifetime: string) => validateModal(modalValues({ lifetime }) as never, []);
    expect(at(String(LIFETIME_DAYS.min))).toMatchObject({ ok: true });
    expect(at(String(LIFETIME_DAYS.max))).toMatchObject({ ok: true });
    expect(at('0')).toEqual({
      ok: false,
      errors: { lifetime: 'The invite must live at least 1 day.' },
    });
    expect(at(String(LIFETIME_DAYS.max + 1))).toEqual({
      ok: false,
      errors: { lifetime: `The invite can live at most ${LIFETIME_DAYS.max} days.` },
    });
  });
});

describe('start date', () => {
  const schedule = {
    now: new Date('2026-03-27T10:00:00Z'), // Friday 11:00 in Berlin (CET)
    timeZone: 'Europe/Berlin',
    sendHour: 9,
  };
  const submit = (startDate?: string) =>
    validateModal(modalValues(startDate ? { startDate } : {}), ['sms', 'email'], { schedule });

  test('a later day → SEND_HOUR on that day in DIGEST_TIMEZONE, DST included', () => {
    const monday = submit('2026-03-30'); // after the change to CEST
    expect(monday.ok && monday.input.startAt?.toISOString()).toBe('2026-03-30T07:00:00.000Z');
    const saturday = submit('2026-03-28'); // still CET
    expect(saturday.ok && saturday.input.startAt?.toISOString()).toBe('2026-03-28T08:00:00.000Z');
  });

  test('none or today after the send hour → at once', () => {
    const none = submit();
    expect(none.ok && none.input.startAt).toBeUndefined();
    const today = submit('2026-03-27');
    expect(today.ok && today.input.startAt).toBeUndefined();
  });

  test('a past day, a day too far ahead, or no date are refused on the field', () => {
    expect(submit('2026-03-26')).toMatchObject({
      ok: false,
      errors: { start_date: expect.stringContaining('in the past') },
    });
    expect(submit('2027-06-01')).toMatchObject({
      ok: false,
      errors: { start_date: expect.stringContaining('at most 365 days') },
    });
    expect(submit('next week')).toMatchObject({
      ok: false,
      errors: { start_date: expect.stringContaining('calendar') },
    });
  });
});
