import { z } from 'zod';
import { isSecretKey } from '../redact.ts';

/** Opentact's error bodies and secret-stripping, shared by the schemas and the client. */

/** The error body: 001/000 `{ success: false, message, status }`, 002 adds `meta` and `fields`. */
export const OpentactErrorSchema = z.looseObject({
  success: z.literal(false),
  message: z.string().nullish(),
  status: z.number().nullish(),
  meta: z.unknown().optional(),
  fields: z.record(z.string(), z.unknown()).nullish(),
});

export function stripSecrets<T>(value: T, depth = 0): T {
  if (depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => stripSecrets(item, depth + 1)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (isSecretKey(key)) continue;
      out[key] = stripSecrets(item, depth + 1);
    }
    return out as T;
  }
  return value;
}

const GENERIC_MESSAGES: Record<number, string> = {
  400: 'the request was rejected as invalid',
  401: 'not authorised (check OPENTACT_TOKEN)',
  403: 'forbidden (check OPENTACT_TOKEN)',
  404: 'not found',
  409: 'conflict',
  429: 'rate limited',
};

function fieldMessages(fields: unknown): Record<string, string> | undefined {
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return undefined;
  const out: Record<string, string> = {};
  for (const [field, detail] of Object.entries(fields)) {
    // 002: `fields: { "<field>": { message, value } }` — `value` is never read (it may be
    // the password we sent).
    if (typeof detail === 'string') out[field] = detail;
    else if (detail && typeof detail === 'object' && 'message' in detail) {
      const message = (detail as { message: unknown }).message;
      out[field] = typeof message === 'string' ? message : 'invalid';
    } else out[field] = 'invalid';
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function messageOf(status: number, message: unknown): string {
  if (typeof message === 'string' && message.trim() !== '') return message.trim();
  return GENERIC_MESSAGES[status] ?? (status >= 500 ? 'server error' : `HTTP ${status}`);
}

/** Reads an Opentact error answer (any shape, never echoing `fields[*].value`). */
export function parseOpentactError(
  status: number,
  body: unknown,
): { message: string; fields?: Record<string, string> } {
  if (!body || typeof body !== 'object') return { message: messageOf(status, undefined) };
  const { message, fields } = body as { message?: unknown; fields?: unknown };
  const mapped = fieldMessages(fields);
  return { message: messageOf(status, message), ...(mapped ? { fields: mapped } : {}) };
}

/** A 2xx whose body says `success: false` is an error. */
export function opentactErrorInBody(
  body: unknown,
): { message: string; status?: number; fields?: Record<string, string> } | undefined {
  const parsed = OpentactErrorSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { status, message, fields } = parsed.data;
  // The documents' examples show `status: 0`; only a real error status overrides HTTP's.
  const realStatus =
    typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined;
  const mapped = fieldMessages(fields);
  return {
    message: messageOf(realStatus ?? 0, message ?? 'the API answered success: false'),
    ...(realStatus ? { status: realStatus } : {}),
    ...(mapped ? { fields: mapped } : {}),
  };
}
