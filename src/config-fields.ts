import { z } from 'zod';

/** The field builders of config.ts's environment schema: blank counts as unset everywhere. */

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export const optional = (schema: z.ZodString) => z.preprocess(blankToUndefined, schema.optional());
/** Blank counts as unset, so an empty line in .env says "is required: …", not a format error. */
export const required = <S extends z.ZodType>(schema: S) => z.preprocess(blankToUndefined, schema);

export const url = (what: string) =>
  z
    .string()
    .trim()
    .refine((value) => URL.canParse(value) && /^https?:/.test(value), {
      message: `should be an http(s) URL to ${what}, e.g. https://example.com`,
    })
    .transform((value) => value.replace(/\/+$/, ''));

/** `1 day`, `90 days`. */
export const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

export const positiveInt = (unit: string, def: number, max: number, min = 1, why = '') =>
  z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ message: `should be a whole number of ${unit}s` })
      .int({ message: `should be a whole number of ${unit}s` })
      .min(min, { message: `should be at least ${count(min, unit)}${why}` })
      .max(max, { message: `should be at most ${count(max, unit)}${why}` })
      .default(def),
  );

export const slackId = /^[UW][A-Z0-9]{2,}$/;
export const channelId = /^[CG][A-Z0-9]{2,}$/;

export const idList = (valid: RegExp, message: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean),
      )
      .refine((ids) => ids.every((id) => valid.test(id)), { message })
      .default([]),
  );
