import { randomInt, randomUUID } from 'node:crypto';
import {
  createSimServer,
  INVALID_JSON,
  type SimRequest,
  type SimResponse,
  SimRouter,
  type SimServer,
  UUID_RE,
} from './http.ts';

/**
 * Contract simulator of Slyk's invites (document 004, "Invite"). "Doc:" comments quote the page.
 *
 * Decisions where the page is silent:
 * - Auth: `apikey: <key>` header (Slyk's API convention; the page shows none). Otherwise 401.
 * - Error body: `{ code, message }` (Slyk's shape; the page shows none). Codes used:
 *   `invalid_request` (400, message names the field), `unauthorized` (401), `not_found` (404),
 *   `invalid_invite` (400, validate of an invite that cannot be used), `conflict` (409, cancel of
 *   an accepted or already canceled invite).
 * - Status `expired` is computed at read time: a `pending` invite whose `expiredAt` has passed
 *   (by the injectable clock `now()`). Cancelling an expired invite is allowed (→ `canceled`).
 * - `POST /invites/send` sends, per address, the newest usable (pending, not expired) invite for
 *   that address, and creates one (with `inviterUserId`) when there is none. So "create + send"
 *   sends the created invite and no duplicate appears. Each e-mail goes to `outbox`.
 * - Lists: default order `createdAt` ascending (the page names no default); `sort` may be a
 *   comma-separated list. An unknown `filter[…]`, `page[…]` or sort, or an operator a filter
 *   does not list, is a 400; other query parameters are ignored. A filter key given twice must
 *   match both (e.g. `expiredAt` `gte` and `lte`). Emails compare case-insensitively. Dates in
 *   `gte:`/`lte:` may be dates (`2020-03-05`, midnight UTC) or date-times.
 * - Unknown body fields are ignored; `null` is taken as absent for optional fields.
 */

export type SimInviteStatus = 'pending' | 'accepted' | 'canceled' | 'expired';

export type SimInvite = {
  code: string;
  createdAt: string;
  expiredAt: string;
  invitedEmail: string | null;
  invitedUserId: string | null;
  inviterUserId: string | null;
  metadata: Record<string, unknown>;
  status: SimInviteStatus;
  type: string;
  updatedAt: string;
  url: string;
};

export type OutboxEmail = {
  email: string;
  code: string;
  url: string;
  inviterUserId: string | null;
  at: string;
};

export type SlykSimulatorOptions = {
  apiKey: string;
  /** Doc example: `expiredAt` = `createdAt` + 30 days. */
  inviteTtlDays?: number;
  now?: () => Date;
  /** Where invite links point; the code is appended. */
  inviteUrlBase?: string;
  /** Doc example: "Waldo Fred". */
  referrerName?: string | ((invite: SimInvite) => string);
};

export type SeedInvite = {
  email?: string | null;
  inviterUserId?: string | null;
  createdAt?: Date;
  updatedAt?: Date;
  expiredAt?: Date;
  status?: 'pending' | 'accepted' | 'canceled';
  invitedUserId?: string | null;
};

export type SlykSimulator = SimServer & {
  /** Every invitation e-mail "sent", oldest first. */
  readonly outbox: OutboxEmail[];
  /** An invite as the API would show it now, or undefined. */
  invite(code: string): SimInvite | undefined;
  /** All invites as the API would show them now, in creation order. */
  invites(): SimInvite[];
  /** Puts an invite in the store directly (tests: fixed dates and states). */
  seed(input?: SeedInvite): SimInvite;
  /** The invitee used the link: status `accepted`, `invitedUserId` set. */
  accept(code: string, userId?: string): SimInvite;
  /** Moves `expiredAt` into the past (status reads `expired` while pending). */
  expire(code: string): SimInvite;
  /** Forgets invites, outbox, calls and faults. */
  reset(): void;
};

type StoredInvite = {
  seq: number;
  code: string;
  createdAt: number;
  updatedAt: number;
  expiredAt: number;
  invitedEmail: string | null;
  invitedUserId: string | null;
  inviterUserId: string | null;
  metadata: Record<string, unknown>;
  status: 'pending' | 'accepted' | 'canceled';
  type: string;
};

const DAY_MS = 86_400_000;
const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const EMAIL_RE = /^[^\s@,;<>()[\]"]+@[^\s@,;<>()[\]"]+\.[^\s@,;<>()[\]".]{2,}$/;
const STATUSES: readonly SimInviteStatus[] = ['pending', 'accepted', 'canceled', 'expired'];

type Operator = '=' | 'in' | 'nin' | 'gte' | 'lte';
type FilterName =
  | 'code'
  | 'expiredAt'
  | 'invitedEmail'
  | 'invitedUserId'
  | 'inviterUserId'
  | 'status'
  | 'type';

/** Doc: "Available Filters" table (name → operators). */
const FILTERS: Record<FilterName, readonly Operator[]> = {
  code: ['=', 'in', 'nin'],
  expiredAt: ['gte', 'lte'],
  invitedEmail: ['=', 'in', 'nin'],
  // Doc: listed with `=`, but its example is `filter[invitedUserId]=in:…`; both are accepted.
  invitedUserId: ['=', 'in'],
  inviterUserId: ['=', 'in', 'nin'],
  status: ['=', 'in', 'nin'],
  type: ['='],
};

/** Doc: "Available Sorts" table. */
const SORTS = ['createdAt', 'expiredAt', 'updatedAt'] as const;
type SortName = (typeof SORTS)[number];

/** Doc: "Paginate Options" — "Default = 30", "Default = 1". */
const DEFAULT_PAGE_SIZE = 30;
const DEFAULT_PAGE_NUMBER = 1;

class BadRequest extends Error {}

const errorBody = (code: string, message: string) => ({ code, message });
const badRequest = (message: string): SimResponse => ({
  status: 400,
  body: errorBody('invalid_request', message),
});
const notFound = (): SimResponse => ({
  status: 404,
  body: errorBody('not_found', 'Invite not found'),
});

const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  429: 'too_many_requests',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

export function createSlykSimulator(options: SlykSimulatorOptions): SlykSimulator {
  const ttlMs = (options.inviteTtlDays ?? 30) * DAY_MS;
  const now = options.now ?? (() => new Date());
  const urlBase = (options.inviteUrlBase ?? 'https://example.slyk.io/i').replace(/\/+$/, '');
  const store = new Map<string, StoredInvite>();
  const outbox: OutboxEmail[] = [];
  let seq = 0;

  const clock = () => now().getTime();

  const statusOf = (invite: StoredInvite): SimInviteStatus =>
    invite.status === 'pending' && invite.expiredAt <= clock() ? 'expired' : invite.status;

  const view = (invite: StoredInvite): SimInvite => ({
    code: invite.code,
    createdAt: new Date(invite.createdAt).toISOString(),
    expiredAt: new Date(invite.expiredAt).toISOString(),
    invitedEmail: invite.invitedEmail,
    invitedUserId: invite.invitedUserId,
    inviterUserId: invite.inviterUserId,
    metadata: { ...invite.metadata },
    status: statusOf(invite),
    type: invite.type,
    updatedAt: new Date(invite.updatedAt).toISOString(),
    url: `${urlBase}/${invite.code}`,
  });

  const newCode = () => {
    for (;;) {
      let code = 'I';
      for (let i = 0; i < 8; i += 1) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
      if (!store.has(code)) return code;
    }
  };

  const create = (input: SeedInvite): StoredInvite => {
    const createdAt = input.createdAt?.getTime() ?? clock();
    const invite: StoredInvite = {
      seq: seq++,
      code: newCode(),
      createdAt,
      updatedAt: input.updatedAt?.getTime() ?? createdAt,
      expiredAt: input.expiredAt?.getTime() ?? createdAt + ttlMs,
      invitedEmail: input.email ?? null,
      invitedUserId: input.invitedUserId ?? null,
      inviterUserId: input.inviterUserId ?? null,
      metadata: {},
      status: input.status ?? 'pending',
      type: 'invite',
    };
    store.set(invite.code, invite);
    return invite;
  };

  const mustGet = (code: string) => {
    const invite = store.get(code);
    if (!invite) throw new Error(`no invite ${code}`);
    return invite;
  };

  const referrerName = (invite: StoredInvite) => {
    const option = options.referrerName ?? 'Waldo Fred';
    return typeof option === 'function' ? option(view(invite)) : option;
  };

  // The page shows no auth; Slyk's API takes `apikey: <key>`.
  const authenticate = (req: SimRequest): SimResponse | undefined => {
    if (req.headers.apikey === options.apiKey) return undefined;
    return {
      status: 401,
      body: errorBody('unauthorized', req.headers.apikey ? 'Invalid API key' : 'Missing API key'),
    };
  };

  const router = new SimRouter()
    // Doc: "GET /invites — Returns a paginated list of invites."
    .on('GET', '/invites', (req) => {
      let query: ListQuery;
      try {
        query = parseListQuery(req.query);
      } catch (error) {
        if (error instanceof BadRequest) return badRequest(error.message);
        throw error;
      }
      const matching = [...store.values()]
        .filter((invite) => query.filters.every((f) => matches(view(invite), f)))
        .sort((a, b) => compare(a, b, query.sort));
      const start = (query.page.number - 1) * query.page.size;
      // Doc: "Response" tab — `{ data: [...], total }`.
      return {
        status: 200,
        body: {
          data: matching.slice(start, start + query.page.size).map(view),
          total: matching.length,
        },
      };
    })
    // Doc: "POST /invites/send — Sends the invite directly to the emails to who is intended."
    .on('POST', '/invites/send', (req) => {
      const body = readBody(req);
      if ('error' in body) return body.error;
      // Doc: "email | string array | true | A single or an array of emails".
      const raw = body.value.email;
      if (raw === undefined || raw === null) return badRequest('email is required');
      const emails = typeof raw === 'string' ? [raw] : raw;
      if (!Array.isArray(emails) || emails.length === 0) {
        return badRequest('email must be an e-mail address or a non-empty array of them');
      }
      for (const email of emails) {
        if (typeof email !== 'string' || !EMAIL_RE.test(email)) {
          return badRequest('email must contain valid e-mail addresses');
        }
      }
      const inviter = readInviter(body.value.inviterUserId);
      if (inviter instanceof Error) return badRequest(inviter.message);
      for (const email of new Set(emails as string[])) {
        const existing = [...store.values()]
          .filter((i) => sameEmail(i.invitedEmail, email) && statusOf(i) === 'pending')
          .sort((a, b) => b.seq - a.seq)[0];
        const invite = existing ?? create({ email, inviterUserId: inviter ?? null });
        outbox.push({
          email,
          code: invite.code,
          url: `${urlBase}/${invite.code}`,
          inviterUserId: invite.inviterUserId,
          at: now().toISOString(),
        });
      }
      // Doc: "Response — 204 No Content".
      return { status: 204 };
    })
    // Doc: "GET /invites/:code — Gets the invite details of the given code."
    .on('GET', '/invites/:code', (req) => {
      const invite = store.get(req.params.code ?? '');
      if (!invite) return notFound();
      return { status: 200, body: { data: view(invite) } };
    })
    // Doc: "GET /invites/:code/validate — Validates the invite" → `{ data: { referrerName } }`.
    .on('GET', '/invites/:code/validate', (req) => {
      const invite = store.get(req.params.code ?? '');
      if (!invite) return notFound();
      const status = statusOf(invite);
      if (status !== 'pending') {
        return { status: 400, body: errorBody('invalid_invite', `Invite is ${status}`) };
      }
      return { status: 200, body: { data: { referrerName: referrerName(invite) } } };
    })
    // Doc: "POST /invites — Creates a new invite." Both fields optional.
    .on('POST', '/invites', (req) => {
      const body = readBody(req);
      if ('error' in body) return body.error;
      const email = body.value.email;
      // Doc: "email | string | false | Email intended for the invitation."
      if (email !== undefined && email !== null) {
        if (typeof email !== 'string' || !EMAIL_RE.test(email)) {
          return badRequest('email must be a valid e-mail address');
        }
      }
      const inviter = readInviter(body.value.inviterUserId);
      if (inviter instanceof Error) return badRequest(inviter.message);
      const invite = create({
        email: (email as string | undefined) ?? null,
        inviterUserId: inviter,
      });
      // Doc: "Response" — `{ data: { …, status: 'pending' } }`; 200 as on every other tab.
      return { status: 200, body: { data: view(invite) } };
    })
    // Doc: "POST /invites/:code/cancel — Cancels the invite of the given code."
    .on('POST', '/invites/:code/cancel', (req) => {
      const invite = store.get(req.params.code ?? '');
      if (!invite) return notFound();
      if (invite.status === 'canceled') {
        return { status: 409, body: errorBody('conflict', 'Invite is already canceled') };
      }
      if (invite.status === 'accepted') {
        return { status: 409, body: errorBody('conflict', 'Invite was already accepted') };
      }
      invite.status = 'canceled';
      invite.updatedAt = clock();
      // Doc: "Response" — the invite with `status: 'canceled'`.
      return { status: 200, body: { data: view(invite) } };
    });

  const server = createSimServer(
    {
      name: 'slyk',
      authenticate,
      errorBody: (status, message) => errorBody(CODE_BY_STATUS[status] ?? 'error', message),
    },
    router,
  );

  return Object.assign(server, {
    outbox,
    invite: (code: string) => {
      const invite = store.get(code);
      return invite ? view(invite) : undefined;
    },
    invites: () => [...store.values()].sort((a, b) => a.seq - b.seq).map(view),
    seed: (input: SeedInvite = {}) => view(create(input)),
    accept: (code: string, userId?: string) => {
      const invite = mustGet(code);
      invite.status = 'accepted';
      invite.invitedUserId = userId ?? randomUUID();
      invite.updatedAt = clock();
      return view(invite);
    },
    expire: (code: string) => {
      const invite = mustGet(code);
      invite.expiredAt = Math.min(invite.expiredAt, clock() - 1);
      return view(invite);
    },
    reset: () => {
      store.clear();
      outbox.length = 0;
      server.calls.length = 0;
      server.clearFaults();
    },
  });
}

type Filter = { name: FilterName; op: Operator; values: string[] };
type ListQuery = {
  filters: Filter[];
  sort: { name: SortName; desc: boolean }[];
  page: { size: number; number: number };
};

function parseListQuery(query: URLSearchParams): ListQuery {
  const filters: Filter[] = [];
  const sort: ListQuery['sort'] = [];
  const page = { size: DEFAULT_PAGE_SIZE, number: DEFAULT_PAGE_NUMBER };
  for (const [key, value] of query) {
    const filterKey = /^filter\[(.*)\]$/.exec(key);
    if (filterKey) {
      filters.push(parseFilter(filterKey[1]!, value));
      continue;
    }
    const pageKey = /^page\[(.*)\]$/.exec(key);
    if (pageKey) {
      const name = pageKey[1];
      if (name !== 'size' && name !== 'number') throw new BadRequest(`${key} is not supported`);
      // Doc: `page[size]=2`, `page[number]=2`.
      if (!/^\d+$/.test(value) || Number(value) < 1) {
        throw new BadRequest(`${key} must be a positive integer`);
      }
      page[name] = Number(value);
      continue;
    }
    if (key === 'sort') {
      // Doc: `sort=createdAt`, `sort=-createdAt` (and expiredAt, updatedAt).
      for (const part of value.split(',')) {
        const desc = part.startsWith('-');
        const name = desc ? part.slice(1) : part;
        if (!(SORTS as readonly string[]).includes(name)) {
          throw new BadRequest(`sort by "${name}" is not supported`);
        }
        sort.push({ name: name as SortName, desc });
      }
    }
    // Any other parameter is ignored, as HTTP APIs commonly do.
  }
  return { filters, sort, page };
}

function parseFilter(name: string, raw: string): Filter {
  if (!Object.hasOwn(FILTERS, name)) throw new BadRequest(`filter[${name}] is not supported`);
  const allowed = FILTERS[name as FilterName];
  const prefixed = /^([a-z]+):(.*)$/is.exec(raw);
  const op = (prefixed ? prefixed[1]!.toLowerCase() : '=') as Operator;
  const rest = prefixed ? prefixed[2]! : raw;
  if (!allowed.includes(op)) {
    throw new BadRequest(`filter[${name}] does not support the "${op}" operator`);
  }
  // Doc: `filter[invitedUserId]=in:fc78…,7938…` — lists are comma-separated.
  const values = op === 'in' || op === 'nin' ? rest.split(',') : [rest];
  if (values.some((v) => v === '')) throw new BadRequest(`filter[${name}] needs a value`);
  if (name === 'expiredAt' && Number.isNaN(Date.parse(rest))) {
    throw new BadRequest(`filter[expiredAt] must be a date, e.g. gte:2020-03-05`);
  }
  if (name === 'status') {
    for (const value of values) {
      if (!(STATUSES as readonly string[]).includes(value)) {
        throw new BadRequest(`filter[status] must be one of ${STATUSES.join(', ')}`);
      }
    }
  }
  return { name: name as FilterName, op, values };
}

function matches(invite: SimInvite, filter: Filter): boolean {
  const actual = invite[filter.name];
  if (filter.name === 'expiredAt') {
    const at = Date.parse(actual as string);
    const bound = Date.parse(filter.values[0]!);
    return filter.op === 'gte' ? at >= bound : at <= bound;
  }
  const equal = (value: string) =>
    filter.name === 'invitedEmail'
      ? sameEmail(actual as string | null, value)
      : filter.name === 'invitedUserId' || filter.name === 'inviterUserId'
        ? typeof actual === 'string' && actual.toLowerCase() === value.toLowerCase()
        : actual === value;
  if (filter.op === 'nin') return !filter.values.some(equal);
  return filter.values.some(equal);
}

function compare(a: StoredInvite, b: StoredInvite, sort: ListQuery['sort']): number {
  for (const { name, desc } of sort) {
    const diff = a[name] - b[name];
    if (diff !== 0) return desc ? -diff : diff;
  }
  // Default and tie-break: creation order.
  return a.createdAt - b.createdAt || a.seq - b.seq;
}

function sameEmail(stored: string | null, wanted: string): boolean {
  return stored !== null && stored.toLowerCase() === wanted.toLowerCase();
}

function readBody(req: SimRequest): { value: Record<string, unknown> } | { error: SimResponse } {
  if (req.body === undefined) return { value: {} };
  if (req.body === INVALID_JSON) return { error: badRequest('body is not valid JSON') };
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
    return { error: badRequest('body must be a JSON object') };
  }
  return { value: req.body as Record<string, unknown> };
}

/** Doc: "inviterUserId | string | false | User who generated the invitation. Format uuid." */
function readInviter(value: unknown): string | null | Error {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !UUID_RE.test(value.toLowerCase())) {
    return new Error('inviterUserId must be a UUID');
  }
  return value;
}
