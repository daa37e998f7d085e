import { z } from 'zod';
import { registerSecret } from '../redact.ts';
import { createHttpClient, type HttpTuning, path, UpstreamError } from './http.ts';

/**
 * Slyk invites (document 004, "Invite").
 *
 * Readings of the document:
 * - Auth: the page shows no header. Slyk's API authenticates with an `apikey: <key>` header
 *   (its general API documentation); that is what is sent.
 * - Answers are `{ data }`, lists `{ data, total }`; `POST /invites/send` answers 204.
 * - Errors: the page shows no error body. We read Slyk's `{ code, message }` and tolerate
 *   `{ error: { code, message } }`, `{ message }`, `{ errors: { <field>: message } }` and text.
 * - Statuses: the page shows `pending`, `accepted` and `canceled`. An invite also carries
 *   `expiredAt`, so `expired` is accepted as a fourth value in case Slyk reports it; whether it
 *   does or keeps `pending` past `expiredAt` is not documented, so use `isInviteUsable()` rather
 *   than `status === 'pending'`.
 * - `expiredAt` is accepted as null (an invite without expiry) although the page always shows it.
 * - Filters (the "Available Filters" table): `code`, `invitedEmail`, `inviterUserId`, `status`
 *   take `=`, `in`, `nin`; `type` takes `=`; `expiredAt` takes `gte` or `lte` (one per query: the
 *   page shows no way to combine both on one key). `invitedUserId` is listed with `=` only but
 *   its example is `in:`, so both are accepted. Lists are comma-joined
 *   (`filter[status]=nin:canceled`), so a value containing a comma cannot be sent.
 * - The invite `url` (and the `code` inside it) is the acceptance link, a secret: it never
 *   reaches an error message. Error texts from Slyk are scrubbed of URLs and of the code the call
 *   was about.
 */

export type SlykClientOptions = {
  baseUrl: string;
  apiKey: string;
  http?: HttpTuning;
};

export const SLYK_INVITE_STATUSES = ['pending', 'accepted', 'canceled', 'expired'] as const;
export type SlykInviteStatus = (typeof SLYK_INVITE_STATUSES)[number];

const dateTime = z.iso.datetime({ offset: true });

/** Doc: the invite objects of every "Response" tab. */
export const slykInviteSchema = z.object({
  code: z.string().min(1),
  createdAt: dateTime,
  expiredAt: dateTime.nullable(),
  invitedEmail: z.string().nullable(),
  invitedUserId: z.string().nullable(),
  inviterUserId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  status: z.enum(SLYK_INVITE_STATUSES),
  type: z.string(),
  updatedAt: dateTime,
  url: z.string(),
});
export type SlykInvite = z.output<typeof slykInviteSchema>;

const inviteAnswer = z.object({ data: slykInviteSchema });
const inviteListAnswer = z.object({
  data: z.array(slykInviteSchema),
  total: z.number().int().nonnegative(),
});
const validateAnswer = z.object({ data: z.object({ referrerName: z.string().nullable() }) });

/** `=` is the plain value; `in`/`nin` take one or more values. */
export type ListFilter<T extends string = string> =
  | T
  | { in: readonly T[] }
  | { nin: readonly T[] };

export type SlykInviteFilter = {
  code?: ListFilter;
  invitedEmail?: ListFilter;
  inviterUserId?: ListFilter;
  status?: ListFilter<SlykInviteStatus>;
  /** Table: `=`; its example: `in:`. */
  invitedUserId?: string | { in: readonly string[] };
  type?: string;
  /** A date (`2020-03-05`), a date-time or a Date. */
  expiredAt?: { gte: string | Date } | { lte: string | Date };
};

export type SlykInviteSort =
  | 'createdAt'
  | '-createdAt'
  | 'expiredAt'
  | '-expiredAt'
  | 'updatedAt'
  | '-updatedAt';

export type SlykInviteQuery = {
  filter?: SlykInviteFilter;
  sort?: SlykInviteSort;
  /** Doc: size default 30, number default 1. */
  page?: { size?: number; number?: number };
};

export type SlykInviteList = { data: SlykInvite[]; total: number };

export type SlykClient = {
  listInvites(query?: SlykInviteQuery): Promise<SlykInviteList>;
  /** Every invite matching `query`, page after page (from `query.page.number`, default 1). */
  iterateInvites(query?: SlykInviteQuery): AsyncGenerator<SlykInvite, void, undefined>;
  getInvite(code: string): Promise<SlykInvite>;
  validateInvite(code: string): Promise<{ referrerName: string | null }>;
  createInvite(input?: { email?: string; inviterUserId?: string }): Promise<SlykInvite>;
  cancelInvite(code: string): Promise<SlykInvite>;
  /** Answers 204: nothing comes back. */
  sendInvites(input: { email: string | readonly string[]; inviterUserId?: string }): Promise<void>;
};

const DEFAULT_PAGE_SIZE = 30;
const MAX_MESSAGE = 300;
const OPERATOR_PREFIX = /^(in|nin|gte|lte):/i;

/** Pending and not past `expiredAt`: the link can still be used. */
export function isInviteUsable(invite: SlykInvite, now: Date = new Date()): boolean {
  if (invite.status !== 'pending') return false;
  return invite.expiredAt === null || Date.parse(invite.expiredAt) > now.getTime();
}

/** The query string of `GET /invites`, exactly as the document writes it. */
export function inviteSearchParams(query: SlykInviteQuery = {}): URLSearchParams {
  const params = new URLSearchParams();
  const filter = query.filter ?? {};
  for (const key of ['code', 'invitedEmail', 'inviterUserId', 'status'] as const) {
    const value = filter[key];
    if (value !== undefined) params.set(`filter[${key}]`, listFilterValue(key, value));
  }
  if (filter.invitedUserId !== undefined) {
    params.set('filter[invitedUserId]', listFilterValue('invitedUserId', filter.invitedUserId));
  }
  if (filter.type !== undefined) params.set('filter[type]', plainValue('type', filter.type));
  if (filter.expiredAt !== undefined) {
    const range = filter.expiredAt;
    const [op, value] = 'gte' in range ? ['gte', range.gte] : ['lte', range.lte];
    const text = value instanceof Date ? value.toISOString() : value;
    if (!text || Number.isNaN(Date.parse(text))) {
      throw new TypeError('filter[expiredAt] needs a date or a date-time');
    }
    params.set('filter[expiredAt]', `${op}:${text}`);
  }
  if (query.sort !== undefined) params.set('sort', query.sort);
  if (query.page?.size !== undefined) params.set('page[size]', positive('size', query.page.size));
  if (query.page?.number !== undefined) {
    params.set('page[number]', positive('number', query.page.number));
  }
  return params;
}

function listFilterValue(
  key: string,
  value: string | { in: readonly string[] } | { nin: readonly string[] },
): string {
  if (typeof value === 'string') return plainValue(key, value);
  const [op, values] = 'in' in value ? ['in', value.in] : ['nin', value.nin];
  if (values.length === 0) throw new TypeError(`filter[${key}] ${op}: needs at least one value`);
  for (const item of values) {
    if (item.includes(',')) throw new TypeError(`filter[${key}]: a value cannot contain a comma`);
  }
  return `${op}:${values.join(',')}`;
}

function plainValue(key: string, value: string): string {
  // A plain value that starts like an operator would be read as one.
  if (OPERATOR_PREFIX.test(value)) {
    throw new TypeError(`filter[${key}]: a value cannot start with an operator prefix`);
  }
  return value;
}

function positive(name: string, value: number): string {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`page[${name}] must be a positive integer`);
  }
  return String(value);
}

/** Slyk's error body (see the readings above) into a secret-free message and per-field errors. */
function parseError(
  status: number,
  body: unknown,
): { message: string; fields?: Record<string, string> } {
  let message: string | undefined;
  let code: string | undefined;
  let fields: Record<string, string> | undefined;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const inner =
      record.error && typeof record.error === 'object'
        ? (record.error as Record<string, unknown>)
        : record;
    message = text(inner.message) ?? text(record.message) ?? text(record.error);
    code = text(inner.code) ?? text(record.code);
    fields = readFields(record.errors ?? inner.errors);
  } else if (typeof body === 'string' && body.trim() && !/</.test(body)) {
    message = body.trim();
  }
  message ??= defaultMessage(status);
  const full = code && !message.includes(code) ? `${message} (${code})` : message;
  return { message: scrub(full), ...(fields ? { fields } : {}) };
}

function readFields(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!item || typeof item !== 'object') continue;
      const entry = item as Record<string, unknown>;
      const key = text(entry.field) ?? text(entry.key) ?? text(entry.path);
      const message = text(entry.message);
      if (key && message) out[key] = scrub(message);
    }
  } else {
    for (const [key, entry] of Object.entries(value)) {
      const message = Array.isArray(entry)
        ? text(entry[0])
        : (text(entry) ?? text((entry as { message?: unknown } | null)?.message));
      if (message) out[key] = scrub(message);
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function defaultMessage(status: number): string {
  if (status === 401) return 'the API key was rejected';
  if (status === 403) return 'the API key is not allowed to do this';
  if (status === 404) return 'not found';
  return `unexpected answer (HTTP ${status})`;
}

/** Removes links (invite URLs are acceptance links) and caps the length. */
function scrub(message: string): string {
  const out = message.replace(/\bhttps?:\/\/\S+/gi, '[link]');
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE)}…` : out;
}

/** Rebuilds `error` without the invite codes the call was about (a code is in the link). */
function withoutCodes(error: unknown, codes: readonly string[]): unknown {
  const hidden = codes.filter((code) => code.length > 0);
  if (!(error instanceof UpstreamError) || hidden.length === 0) return error;
  const hide = (value: string) =>
    hidden.reduce((out, code) => out.split(code).join('[code]'), value);
  const touched =
    hide(error.upstreamMessage) !== error.upstreamMessage ||
    Object.values(error.fields).some((value) => hide(value) !== value);
  if (!touched) return error;
  return new UpstreamError({
    api: error.api,
    operation: error.operation,
    kind: error.kind,
    status: error.status,
    message: hide(error.upstreamMessage),
    fields: Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [k, hide(v)])),
  });
}

/** The codes a list query names (`filter[code]`), to keep them out of its errors. */
function codesOf(query: SlykInviteQuery): string[] {
  const code = query.filter?.code;
  if (code === undefined) return [];
  if (typeof code === 'string') return [code];
  return [...('in' in code ? code.in : code.nin)];
}

function requireCode(operation: string, code: string): void {
  if (typeof code !== 'string' || code.trim() === '') {
    throw new TypeError(`${operation}: an invite code is required`);
  }
}

export function createSlykClient(options: SlykClientOptions): SlykClient {
  registerSecret(options.apiKey);
  const http = createHttpClient({
    api: 'slyk',
    baseUrl: options.baseUrl,
    headers: { apikey: options.apiKey },
    ...options.http,
    parseError,
  });

  /** Runs a call about some invites, keeping their codes out of any error. */
  async function aboutInvites<T>(codes: readonly string[], call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw withoutCodes(error, codes);
    }
  }

  const listInvites = async (query: SlykInviteQuery = {}): Promise<SlykInviteList> => {
    const searchParams = inviteSearchParams(query);
    return aboutInvites(codesOf(query), () =>
      http.request(
        { method: 'get', path: '/invites', operation: 'listInvites', searchParams },
        inviteListAnswer,
      ),
    );
  };

  return {
    listInvites,

    async *iterateInvites(query = {}) {
      const size = query.page?.size ?? DEFAULT_PAGE_SIZE;
      let number = query.page?.number ?? 1;
      let seen = (number - 1) * size;
      // Offset pages shift when invites are created meanwhile: skip what was already yielded.
      const yielded = new Set<string>();
      for (;;) {
        const page = await listInvites({ ...query, page: { size, number } });
        if (page.data.length === 0) return;
        for (const invite of page.data) {
          if (yielded.has(invite.code)) continue;
          yielded.add(invite.code);
          yield invite;
        }
        seen += page.data.length;
        if (seen >= page.total) return;
        number += 1;
      }
    },

    async getInvite(code) {
      requireCode('getInvite', code);
      return aboutInvites([code], async () => {
        const answer = await http.request(
          { method: 'get', path: path`/invites/${code}`, operation: 'getInvite' },
          inviteAnswer,
        );
        return answer.data;
      });
    },

    async validateInvite(code) {
      requireCode('validateInvite', code);
      return aboutInvites([code], async () => {
        const answer = await http.request(
          { method: 'get', path: path`/invites/${code}/validate`, operation: 'validateInvite' },
          validateAnswer,
        );
        return { referrerName: answer.data.referrerName };
      });
    },

    async createInvite(input = {}) {
      const json: Record<string, string> = {};
      if (input.email !== undefined) json.email = input.email;
      if (input.inviterUserId !== undefined) json.inviterUserId = input.inviterUserId;
      const answer = await http.request(
        { method: 'post', path: '/invites', operation: 'createInvite', json },
        inviteAnswer,
      );
      return answer.data;
    },

    async cancelInvite(code) {
      requireCode('cancelInvite', code);
      return aboutInvites([code], async () => {
        const answer = await http.request(
          { method: 'post', path: path`/invites/${code}/cancel`, operation: 'cancelInvite' },
          inviteAnswer,
        );
        return answer.data;
      });
    },

    async sendInvites(input) {
      const email = typeof input.email === 'string' ? input.email : [...input.email];
      if (Array.isArray(email) && email.length === 0) {
        throw new TypeError('sendInvites: at least one e-mail address is required');
      }
      await http.requestEmpty({
        method: 'post',
        path: '/invites/send',
        operation: 'sendInvites',
        json: {
          email,
          ...(input.inviterUserId !== undefined ? { inviterUserId: input.inviterUserId } : {}),
        },
      });
    },
  };
}
