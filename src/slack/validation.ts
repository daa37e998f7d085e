import anyAscii from 'any-ascii';
import { parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js';
import { z } from 'zod';
import { DAY_MS, localDate, zonedTime } from '../onboarding/clock.ts';
import { LIFETIME_DAYS } from '../onboarding/limits.ts';
import type { Channel, Person } from '../onboarding/model.ts';
import { INPUT, type InputBlockId, inputActionId } from './ids.ts';
import { channelChoice } from './views/onboard.ts';

/**
 * The modal's schema, keyed by the inputs' block_ids so that every problem maps
 * straight onto `response_action: "errors"`. Limits come from the Opentact
 * documents (001: first/last name [1..24], e-mail [6..80], login [7..15] on
 * create, phone [3..16] digits) and E.164 for the mobile number.
 */

const INTERNATIONAL =
  'Use the international format: +, country code and number (e.g. +4915112345678).';

/**
 * A mobile number as typed → E.164, or the field error to show.
 *
 * Decision: `isPossible()` (the length fits the country's plan), not `isValid()` (the number lies
 * in an allocated range). The fictional ranges the demo and tests use, such as Ofcom's drama
 * range +44 7700 900xxx, are not "valid", and whether a real number reaches a phone is the SMS
 * provider's to say. libphonenumber drops a trunk prefix written "(0)" where the country has
 * one (+49 (0)151 12345678 → +4915112345678) and keeps it where it belongs to the number
 * (Italy). `00` for `+` is accepted; letters and extensions are not (an SMS has no extension).
 */
export function toE164(raw: string): { number: string } | { error: string } {
  const typed = raw.trim().replace(/^00(?=[1-9])/, '+');
  if (!typed.startsWith('+')) return { error: INTERNATIONAL };
  if (/[^\d\s()./+-]/.test(typed) || typed.lastIndexOf('+') > 0) {
    return { error: `Use only digits, spaces and ( ) - . / after the +. ${INTERNATIONAL}` };
  }
  const parsed = parsePhoneNumberFromString(typed);
  // Sanity beyond the length table: E.164 is at most 15 digits, no leading 0 after the +.
  if (parsed?.isPossible() && /^\+[1-9]\d{2,14}$/.test(parsed.number))
    return { number: parsed.number };
  // Not possible: the length check (a second parse, so only here) says why.
  const code = parsed ? `+${parsed.countryCallingCode}` : '';
  switch (validatePhoneNumberLength(typed)) {
    case 'INVALID_COUNTRY':
      return { error: `No country has this calling code. ${INTERNATIONAL}` };
    case 'NOT_A_NUMBER':
      return { error: INTERNATIONAL };
    case 'TOO_SHORT':
      return { error: `This number is too short for ${code || 'its country code'}.` };
    case 'TOO_LONG':
      return { error: `This number is too long for ${code || 'its country code'}.` };
    case 'INVALID_LENGTH':
      return { error: `No number under ${code || 'this country code'} has this many digits.` };
  }
  return { error: `This is not a possible mobile number. ${INTERNATIONAL}` };
}

const name = (what: string) =>
  z
    .string({ message: `Enter the ${what}.` })
    .trim()
    .min(1, { message: `Enter the ${what}.` })
    .max(24, { message: `The ${what} can be at most 24 characters (Opentact's limit).` });

const days = (n: number) => `${n} ${n === 1 ? 'day' : 'days'}`;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

export const ModalSchema = z.object({
  [INPUT.firstName]: name('first name'),
  [INPUT.lastName]: name('last name'),
  [INPUT.email]: z
    .string({ message: 'Enter the work e-mail.' })
    .trim()
    .min(6, { message: "The e-mail must be at least 6 characters (Opentact's limit)." })
    .max(80, { message: "The e-mail can be at most 80 characters (Opentact's limit)." })
    .regex(EMAIL, { message: 'This is not an e-mail address: use the form name@example.com.' })
    .transform((value) => value.toLowerCase()),
  [INPUT.phone]: z.string({ message: 'Enter the mobile number.' }).transform((value, ctx) => {
    const result = toE164(value);
    if ('number' in result) return result.number;
    ctx.addIssue({ code: 'custom', message: result.error });
    return z.NEVER;
  }),
  [INPUT.login]: z
    .string()
    .trim()
    .optional()
    .refine((value) => !value || (value.length >= 7 && value.length <= 15), {
      message:
        "The SIP login must be 7–15 characters (Opentact's limit), or empty to use the suggestion.",
    })
    .refine((value) => !value || /^[A-Za-z0-9._-]+$/.test(value), {
      message: 'Use only letters, digits, dot, dash and underscore in the SIP login.',
    }),
  [INPUT.lifetime]: z.coerce
    .number({ message: 'Enter a number of days.' })
    .int({ message: 'Enter a whole number of days.' })
    .min(LIFETIME_DAYS.min, {
      message: `The invite must live at least ${days(LIFETIME_DAYS.min)}.`,
    })
    .max(LIFETIME_DAYS.max, { message: `The invite can live at most ${days(LIFETIME_DAYS.max)}.` }),
  [INPUT.channels]: z.string().optional(),
  [INPUT.note]: z
    .string()
    .trim()
    .max(500, { message: 'Keep the note under 500 characters.' })
    .optional(),
  [INPUT.startDate]: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'Pick the start date in the calendar.' })
    .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), {
      message: 'This is not a date: pick the start date in the calendar.',
    })
    .optional(),
});

/** How far ahead a start date may be. */
const START_DATE_MAX_DAYS = 365;

/** When a start date's invitations go out: `SEND_HOUR` on that day in `DIGEST_TIMEZONE`. */
export type SendSchedule = { now: Date; timeZone: string; sendHour: number };

/**
 * A start date → the moment its invitations go out, or the field error. Today
 * after the send hour (or earlier today) means "now": nothing to wait for.
 */
export function startMoment(
  date: string,
  schedule: SendSchedule,
): { at: Date | undefined } | { error: string } {
  const today = localDate(schedule.now, schedule.timeZone);
  if (date < today) return { error: 'The start date is in the past: pick today or a later day.' };
  const at = zonedTime(date, schedule.sendHour, schedule.timeZone);
  if (at.getTime() - schedule.now.getTime() > START_DATE_MAX_DAYS * DAY_MS)
    return { error: `The start date can be at most ${START_DATE_MAX_DAYS} days ahead.` };
  return { at: at.getTime() > schedule.now.getTime() ? at : undefined };
}

export type ModalInput = {
  person: Person;
  lifetimeDays: number;
  channels: Channel[];
  note: string | undefined;
  /** When the invitations go out, for a start date in the future. */
  startAt: Date | undefined;
};

type StateValues = Record<
  string,
  Record<
    string,
    {
      value?: string | null;
      selected_option?: { value: string } | null;
      selected_date?: string | null;
    }
  >
>;

/** Reads the raw input of each block from a view's state. */
export function readModal(values: StateValues): Record<InputBlockId, string | undefined> {
  const get = (blockId: InputBlockId) => {
    const element = values[blockId]?.[inputActionId(blockId)];
    const raw =
      element?.selected_option?.value ?? element?.selected_date ?? element?.value ?? undefined;
    return raw === null || raw === '' ? undefined : raw;
  };
  return Object.fromEntries(Object.values(INPUT).map((id) => [id, get(id)])) as Record<
    InputBlockId,
    string | undefined
  >;
}

/** Opentact's SIP login on create: 7–15 of [a-z0-9._-] (document 001). */
const LOGIN = { min: 7, max: 15 } as const;
/** When a name leaves nothing usable (emoji only, say). */
const FALLBACK_LOGIN = 'new.user';

/** A name part as login letters: any script transliterated to ASCII (Иван → ivan, 李 → li). */
function loginPart(name: string): string {
  return anyAscii(name)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

/**
 * Suggests a SIP login from the name: `ada.lovelace`, `ivan.petrov` for Иван Петров,
 * `li.xiaolong` for 李 小龙; clipped to `a.lovelace…` past 15 characters, padded with 0 below 7,
 * never empty or all zeros. With `taken` (e.g. "a record already has this login"), a taken
 * suggestion gets the first free short suffix: `ada.lovelace2`, `ada.lovelace3`, … (withSuffix).
 */
export function suggestLogin(
  firstName: string,
  lastName: string,
  taken?: (login: string) => boolean,
): string {
  const first = loginPart(firstName);
  const last = loginPart(lastName);
  let login = first && last ? `${first}.${last}` : first || last;
  if (login.length > LOGIN.max && first && last) login = `${first.slice(0, 1)}.${last}`;
  login = login.slice(0, LOGIN.max).replace(/[._-]+$/, '');
  if (!/[a-z1-9]/.test(login)) login = FALLBACK_LOGIN;
  login = login.padEnd(LOGIN.min, '0');
  if (!taken?.(login)) return login;
  for (let n = 2; n < 1000; n += 1) {
    const candidate = withSuffix(login, n);
    if (!taken(candidate)) return candidate;
  }
  return login; // 998 namesakes: let Opentact's "login already exists" say so
}

/** `login` with the number `n` appended, clipped so the result stays within 15 characters. */
export function withSuffix(login: string, n: number): string {
  const suffix = String(n);
  const base = login
    .slice(0, LOGIN.max - suffix.length)
    .replace(/[._-]+$/, '')
    .padEnd(LOGIN.min - suffix.length, '0');
  return `${base}${suffix}`;
}

export type ModalResult =
  | { ok: true; input: ModalInput }
  | { ok: false; errors: Partial<Record<InputBlockId, string>> };

/**
 * Validates a submission against the schema and the configured channels. An empty login becomes
 * the suggestion, suffixed while `options.loginTaken` says it is in use.
 */
export function validateModal(
  values: StateValues,
  enabled: Channel[],
  options: { loginTaken?: (login: string) => boolean; schedule?: SendSchedule } = {},
): ModalResult {
  return validateInput(readModal(values), enabled, options);
}

/**
 * The form's rules on raw values by input: the modal and each CSV row of a
 * cohort are checked by this one function, so both say the same things.
 */
export function validateInput(
  raw: Partial<Record<InputBlockId, string | undefined>>,
  enabled: Channel[],
  options: { loginTaken?: (login: string) => boolean; schedule?: SendSchedule } = {},
): ModalResult {
  const parsed = ModalSchema.safeParse(raw);
  const errors: Partial<Record<InputBlockId, string>> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const blockId = issue.path[0] as InputBlockId;
      errors[blockId] ??= issue.message;
    }
  }
  let channels: Channel[] = [];
  if (enabled.length > 0) {
    const choice = channelChoice(raw[INPUT.channels]);
    if (!choice) errors[INPUT.channels] = 'Choose how to send the invitation.';
    else if (!choice.every((c) => enabled.includes(c))) {
      errors[INPUT.channels] = 'That channel is not configured any more; choose another.';
    } else channels = choice;
  }
  let startAt: Date | undefined;
  const startDate = parsed.success ? parsed.data[INPUT.startDate] : undefined;
  if (startDate && options.schedule) {
    const moment = startMoment(startDate, options.schedule);
    if ('error' in moment) errors[INPUT.startDate] = moment.error;
    else startAt = moment.at;
  }
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  const data = parsed.data;
  const first = data[INPUT.firstName];
  const last = data[INPUT.lastName];
  return {
    ok: true,
    input: {
      person: {
        firstName: first,
        lastName: last,
        email: data[INPUT.email],
        phone: data[INPUT.phone],
        login: data[INPUT.login] || suggestLogin(first, last, options.loginTaken),
      },
      lifetimeDays: data[INPUT.lifetime],
      channels,
      note: data[INPUT.note] || undefined,
      startAt,
    },
  };
}
