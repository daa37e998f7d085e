import { z } from 'zod';
import type { Channel, Person } from '../onboarding/model.ts';
import { INPUT, type InputBlockId, inputActionId } from './ids.ts';
import { channelChoice } from './views/onboard.ts';

/**
 * The modal's schema, keyed by the inputs' block_ids so that every problem maps
 * straight onto `response_action: "errors"`. Limits come from the Opentact
 * documents (001: first/last name [1..24], e-mail [6..80], login [7..15] on
 * create, phone [3..16] digits) and E.164 for the mobile number.
 */

const name = (what: string) =>
  z
    .string({ message: `Enter the ${what}.` })
    .trim()
    .min(1, { message: `Enter the ${what}.` })
    .max(24, { message: `The ${what} can be at most 24 characters (Opentact's limit).` });

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
  [INPUT.phone]: z
    .string({ message: 'Enter the mobile number.' })
    .transform((value) => value.replace(/[\s()./-]/g, ''))
    .pipe(
      z.string().regex(/^\+[1-9]\d{2,14}$/, {
        message:
          'Use the international format: +, country code and number, 3–15 digits (e.g. +4915112345678).',
      }),
    ),
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
    .min(1, { message: 'The invite must live at least 1 day.' })
    .max(90, { message: 'The invite can live at most 90 days.' }),
  [INPUT.channels]: z.string().optional(),
  [INPUT.note]: z
    .string()
    .trim()
    .max(500, { message: 'Keep the note under 500 characters.' })
    .optional(),
});

export type ModalInput = {
  person: Person;
  lifetimeDays: number;
  channels: Channel[];
  note: string | undefined;
};

type StateValues = Record<
  string,
  Record<string, { value?: string | null; selected_option?: { value: string } | null }>
>;

/** Reads the raw input of each block from a view's state. */
export function readModal(values: StateValues): Record<InputBlockId, string | undefined> {
  const get = (blockId: InputBlockId) => {
    const element = values[blockId]?.[inputActionId(blockId)];
    const raw = element?.selected_option?.value ?? element?.value ?? undefined;
    return raw === null || raw === '' ? undefined : raw;
  };
  return Object.fromEntries(Object.values(INPUT).map((id) => [id, get(id)])) as Record<
    InputBlockId,
    string | undefined
  >;
}

/** Suggests a SIP login from the name: `ada.lovelace`, padded or clipped to 7–15 characters. */
export function suggestLogin(firstName: string, lastName: string): string {
  const clean = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '');
  let login = [clean(firstName), clean(lastName)].filter(Boolean).join('.');
  if (login.length > 15) login = `${clean(firstName).slice(0, 1)}.${clean(lastName)}`.slice(0, 15);
  while (login.length < 7) login += '0';
  return login.replace(/\.$/, '0');
}

export type ModalResult =
  | { ok: true; input: ModalInput }
  | { ok: false; errors: Partial<Record<InputBlockId, string>> };

/** Validates a submission against the schema and the configured channels. */
export function validateModal(values: StateValues, enabled: Channel[]): ModalResult {
  const raw = readModal(values);
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
        login: data[INPUT.login] || suggestLogin(first, last),
      },
      lifetimeDays: data[INPUT.lifetime],
      channels,
      note: data[INPUT.note] || undefined,
    },
  };
}
