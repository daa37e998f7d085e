import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isSecretKey, registerSecret } from '../redact.ts';
import { createHttpClient, type HttpClient, type HttpTuning, path } from './http.ts';

/**
 * The Opentact REST client: SIP users of one SIP connection, their invites, and
 * the SIP domain user (activate / deactivate).
 *
 * Contract: /work/shared/api-docs/001 (SIP users), 000 (SIP user invites),
 * 002 (SIP domain user modify and the `meta` / `fields` error shape).
 *
 * Decisions on the documents' rough edges (see also the comment at each call):
 * - Header: the tables say `X.Auth-Token`, every code sample says `X-Auth-Token`;
 *   we send `X-Auth-Token` (INDEX: that is the real name).
 * - Envelope: `{ success: true, payload }` or `{ success: false, message, status }`
 *   (+ `meta`, `fields` on 002). A 2xx with `success: false` is an error. The
 *   documents' error examples carry `status: 0`; a body status outside 400..599 is
 *   ignored and the HTTP status is used instead.
 * - `fields` is mapped to field → message. Its `value` is never read: it echoes
 *   what we sent, which may be a password.
 * - Secrets: `password`, `ha1`, `ha1b`, `token` (and every other key redact.ts
 *   knows as secret) are removed at any depth from everything returned — the
 *   documented payloads even carry the creator's `password` and `token` in
 *   `created_by` / `modified_by`. The one exception is an invite's own top-level
 *   `token`, which the bot needs to know exists; it is registered with redact.ts
 *   so it can never show up in a log line or an error message.
 */

// ---------------------------------------------------------------------------
// Schemas (only what the bot needs is typed; everything else passes through)
// ---------------------------------------------------------------------------

/** 001 shows `phone_number` as a string in answers; the table types it `number`. Accept both. */
const PhoneSchema = z
  .union([z.string(), z.number()])
  .transform((value) => String(value))
  .nullish();

/** 002's query table types `Is_Active` as String; its answer has a boolean. Accept both. */
const BooleanishSchema = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((value) => value === 'true'),
]);

const TimestampSchema = z.string().nullish();

/** 001: ListSIPUsersBySIPConnectionUUID / CreateSIPUser / GetSIPUserByUUID payload. */
export const SipUserSchema = z
  .looseObject({
    uuid: z.string(),
    login: z.string(),
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    email: z.string().nullish(),
    phone_number: PhoneSchema,
    remote_ip: z.string().nullish(),
    created_on: TimestampSchema,
    modified_on: TimestampSchema,
  })
  .transform((user) => stripSecrets(user));

/** 000: CreateSIPUserInvite / ListSIPUserInvites / ModifySIPUserInvite payload. */
export const SipUserInviteSchema = z
  .looseObject({
    uuid: z.string(),
    name: z.string().nullish(),
    expired_on: TimestampSchema,
    /** Secret: the link the invitee uses. Kept (the bot needs to know it exists), never logged. */
    token: z.string().nullish(),
    created_on: TimestampSchema,
    modified_on: TimestampSchema,
  })
  .transform((invite) => {
    if (invite.token) registerSecret(invite.token, 'transient');
    const expiredOn = invite.expired_on ? new Date(invite.expired_on) : undefined;
    const out: typeof invite & { expiredOn: Date | undefined } = {
      ...stripSecrets(invite),
      token: invite.token,
      /** `expired_on` as a Date; undefined when absent or unparsable. */
      expiredOn: expiredOn && !Number.isNaN(expiredOn.getTime()) ? expiredOn : undefined,
    };
    return out;
  });

/** 002: ModifySIPUser (SIP domain) payload. */
export const DomainUserSchema = z
  .looseObject({
    uuid: z.string(),
    login: z.string().nullish(),
    email: z.string().nullish(),
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    phone_number: PhoneSchema,
    is_active: BooleanishSchema,
    state: z.string().nullish(),
    created_on: TimestampSchema,
    modified_on: TimestampSchema,
  })
  .transform((user) => stripSecrets(user));

/** The error body: 001/000 `{ success: false, message, status }`, 002 adds `meta` and `fields`. */
export const OpentactErrorSchema = z.looseObject({
  success: z.literal(false),
  message: z.string().nullish(),
  status: z.number().nullish(),
  meta: z.unknown().optional(),
  fields: z.record(z.string(), z.unknown()).nullish(),
});

/** 001:13-15 `{ "success": true, "payload": … }` → the payload. */
const envelope = <S extends z.ZodType>(payload: S) =>
  z
    .looseObject({ success: z.literal(true), payload })
    .transform((body): z.output<S> => body.payload as z.output<S>);

const SipUserAnswer = envelope(SipUserSchema);
const SipUserListAnswer = envelope(z.array(SipUserSchema));
const InviteAnswer = envelope(SipUserInviteSchema);
const InviteListAnswer = envelope(z.array(SipUserInviteSchema));
const DomainUserAnswer = envelope(DomainUserSchema);

export type SipUser = z.output<typeof SipUserSchema>;
export type SipUserInvite = z.output<typeof SipUserInviteSchema>;
export type DomainUser = z.output<typeof DomainUserSchema>;

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

/** 001 CreateSIPUser request body (snake_case, as sent). */
export type CreateSipUserInput = {
  /** 001: [ 7 .. 15 ] characters. */
  login: string;
  /**
   * 001 describes `password` with the UUID pattern, so a SIP password *is* a
   * lower-case UUID. When absent the client generates a random UUID v4 (122
   * random bits from the CSPRNG — a fine secret); it is registered with
   * redact.ts and never returned.
   */
  password?: string;
  /** 001: [ 1 .. 24 ] characters. */
  first_name: string;
  /** 001: [ 1 .. 24 ] characters. */
  last_name: string;
  /** 001: the table lost this field's name ([ 6 .. 80 ] characters); `email` per the samples. */
  email: string;
  /** See `normalizePhoneNumber`. */
  phone_number?: string;
  /** 001: [ 7 .. 15 ] characters (an IPv4 address). */
  remote_ip?: string;
  /** Defaults to the configured SIP connection. */
  sip_connection_uuid?: string;
};

/** 001 ModifySIPUser request body; `login` is [ 3 .. 60 ] characters here. */
export type ModifySipUserPatch = Partial<Omit<CreateSipUserInput, 'sip_connection_uuid'>>;

export type CreateInviteInput = {
  /** 000: [ 3 .. 255 ] characters. */
  name: string;
  /** 000: `expired_on` <date-time>. */
  expiredOn: Date;
};

export type ModifyInvitePatch = { name?: string; expiredOn?: Date };

/** 002 ModifySIPUser (SIP domain) parameters, sent snake_case in a JSON body. */
export type ModifyDomainUserPatch = {
  is_active?: boolean;
  email?: string;
  first_name?: string;
  last_name?: string;
  password?: string;
  phone_number?: string;
  /** 002: `Tn_lease` UUID. */
  tn_lease?: string;
  dob?: Date;
  same_domain_calls_only?: boolean;
  gender?: string;
};

export type OpentactClientOptions = {
  baseUrl: string;
  token: string;
  sipConnectionUuid: string;
  sipDomain?: string | undefined;
  http?: HttpTuning;
};

export type OpentactClient = {
  readonly sipConnectionUuid: string;
  readonly sipDomain: string | undefined;
  /** False without a SIP domain: `modifyDomainUser` (activate / deactivate) then throws. */
  readonly canModifyDomainUsers: boolean;
  listSipUsers(connectionUuid?: string): Promise<SipUser[]>;
  createSipUser(input: CreateSipUserInput): Promise<SipUser>;
  getSipUser(uuid: string): Promise<SipUser>;
  modifySipUser(uuid: string, patch: ModifySipUserPatch): Promise<SipUser>;
  removeSipUser(uuid: string): Promise<void>;
  createInvite(input: CreateInviteInput): Promise<SipUserInvite>;
  listInvites(): Promise<SipUserInvite[]>;
  modifyInvite(uuid: string, patch: ModifyInvitePatch): Promise<SipUserInvite>;
  removeInvite(uuid: string): Promise<void>;
  modifyDomainUser(uuid: string, patch: ModifyDomainUserPatch): Promise<DomainUser>;
};

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

export function createOpentactClient(options: OpentactClientOptions): OpentactClient {
  registerSecret(options.token);
  const conn = options.sipConnectionUuid;
  const http: HttpClient = createHttpClient({
    api: 'opentact',
    baseUrl: options.baseUrl,
    // The documents' tables say `X.Auth-Token`; the code samples (and INDEX) say
    // `X-Auth-Token`, the real header name.
    headers: { 'X-Auth-Token': options.token },
    ...options.http,
    parseError: parseOpentactError,
    errorInBody: opentactErrorInBody,
  });

  return {
    sipConnectionUuid: conn,
    sipDomain: options.sipDomain,
    canModifyDomainUsers: Boolean(options.sipDomain),

    // 001 ListSIPUsersBySIPConnectionUUID: GET /sip/connection/{uuid}/users
    listSipUsers: (connectionUuid = conn) =>
      http.request(
        {
          method: 'get',
          path: path`/sip/connection/${connectionUuid}/users`,
          operation: 'list SIP users',
        },
        SipUserListAnswer,
      ),

    async createSipUser(input) {
      const password = input.password ?? generateSipPassword();
      registerSecret(password, 'transient');
      const body = compact({
        login: input.login,
        password,
        first_name: input.first_name,
        last_name: input.last_name,
        email: input.email,
        phone_number:
          input.phone_number === undefined ? undefined : normalizePhoneNumber(input.phone_number),
        remote_ip: input.remote_ip,
        sip_connection_uuid: input.sip_connection_uuid ?? conn,
      });
      // 001 CreateSIPUser: the heading shows POST /sip/connection/{uuid}/Users (capital U),
      // every code sample POSTs /sip/connection/user with `sip_connection_uuid` in the body.
      // Decision: follow the code samples (four of them, all agreeing). The simulator
      // accepts both forms. A POST is never retried (see http.ts): on a time-out or a
      // 5xx the caller checks with listSipUsers() whether the login now exists.
      return http.request(
        { method: 'post', path: '/sip/connection/user', operation: 'create SIP user', json: body },
        SipUserAnswer,
      );
    },

    // 001 GetSIPUserByUUID: GET /sip/connection/user/{uuid}
    getSipUser: (uuid) =>
      http.request(
        { method: 'get', path: path`/sip/connection/user/${uuid}`, operation: 'get SIP user' },
        SipUserAnswer,
      ),

    // 001 ModifySIPUser: PATCH /sip/connection/user/{uuid} (login [ 3 .. 60 ] here)
    async modifySipUser(uuid, patch) {
      if (patch.password !== undefined) registerSecret(patch.password, 'transient');
      const body = compact({
        ...patch,
        phone_number:
          patch.phone_number === undefined ? undefined : normalizePhoneNumber(patch.phone_number),
      });
      return http.request(
        {
          method: 'patch',
          path: path`/sip/connection/user/${uuid}`,
          operation: 'modify SIP user',
          json: body,
        },
        SipUserAnswer,
      );
    },

    // 001 RemoveSIPUserByUUID: DELETE /sip/connection/user/{uuid}. The answer (the removed
    // user) is not needed; only `success` is read, so any 2xx without `success: false` is done.
    removeSipUser: (uuid) =>
      http.requestEmpty({
        method: 'delete',
        path: path`/sip/connection/user/${uuid}`,
        operation: 'remove SIP user',
      }),

    // 000 CreateSIPUserInvite: POST /sip/connection/{sip_connection_uuid}/invites
    async createInvite(input) {
      return http.request(
        {
          method: 'post',
          path: path`/sip/connection/${conn}/invites`,
          operation: 'create SIP user invite',
          json: { name: input.name, expired_on: isoDate(input.expiredOn, 'expiredOn') },
        },
        InviteAnswer,
      );
    },

    // 000 ListSIPUserInvites: GET /sip/connection/{sip_connection_uuid}/invites
    listInvites: () =>
      http.request(
        {
          method: 'get',
          path: path`/sip/connection/${conn}/invites`,
          operation: 'list SIP user invites',
        },
        InviteListAnswer,
      ),

    // 000 ModifySIPUserInvite: PATCH /sip/connection/{sip_connection_uuid}/invites/{uuid}
    async modifyInvite(uuid, patch) {
      const body = compact({
        name: patch.name,
        expired_on:
          patch.expiredOn === undefined ? undefined : isoDate(patch.expiredOn, 'expiredOn'),
      });
      return http.request(
        {
          method: 'patch',
          path: path`/sip/connection/${conn}/invites/${uuid}`,
          operation: 'modify SIP user invite',
          json: body,
        },
        InviteAnswer,
      );
    },

    // 000 RemoveSIPUserInviteByUUID: DELETE /sip/connection/{sip_connection_uuid}/invites/{uuid}.
    // The document's 200 example payload is an array of SIP users (most likely pasted from
    // another endpoint). Reading taken: the payload is unspecified and is not read; only
    // `success` is. Any 2xx without `success: false` (JSON or not, empty or not) is done.
    removeInvite: (uuid) =>
      http.requestEmpty({
        method: 'delete',
        path: path`/sip/connection/${conn}/invites/${uuid}`,
        operation: 'remove SIP user invite',
      }),

    // 002 ModifySIPUser (SIP domain): PATCH /sip/domain/{domain}/user/{uuid}.
    // The page lists the parameters under "Query Parameters" with capitalised names
    // (Is_Active, Email, …) while its answer (and every other Opentact PATCH) uses
    // snake_case JSON. Decision: a JSON body with snake_case keys (`is_active`, …),
    // which keeps the password out of URLs and access logs. The simulator accepts
    // either the body or the query string, with either spelling.
    async modifyDomainUser(uuid, patch) {
      const domain = options.sipDomain;
      if (!domain) {
        throw new Error(
          'Opentact SIP domain is not configured (set OPENTACT_SIP_DOMAIN, e.g. ' +
            'abc.sip.opentact.org); SIP users cannot be activated or deactivated without it',
        );
      }
      if (patch.password !== undefined) registerSecret(patch.password, 'transient');
      const body = compact({
        ...patch,
        phone_number:
          patch.phone_number === undefined ? undefined : normalizePhoneNumber(patch.phone_number),
        dob: patch.dob === undefined ? undefined : isoDate(patch.dob, 'dob'),
      });
      return http.request(
        {
          method: 'patch',
          path: path`/sip/domain/${domain}/user/${uuid}`,
          operation: 'modify SIP domain user',
          json: body,
        },
        DomainUserAnswer,
      );
    },
  };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/**
 * A SIP password: 001 gives `password` the UUID pattern
 * `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, so the bot uses a
 * random UUID v4 (crypto.randomUUID, lower-case). Registered as a secret.
 */
export function generateSipPassword(): string {
  const password = randomUUID();
  registerSecret(password, 'transient');
  return password;
}

/**
 * 001 types `phone_number` as `number [ 3 .. 16 ]`, yet its code samples and every
 * answer send a string, and 002's example answer is "+1234567890". Decision: send a
 * string of 3..16 digits with an optional leading `+` (E.164-like); a JSON number
 * would lose the `+` and any leading zero. Spaces, dots, dashes and parentheses are
 * removed here; anything else is left for the API (and the simulator) to reject.
 */
export function normalizePhoneNumber(phone: string): string {
  return phone.trim().replace(/[\s().-]/g, '');
}

/** The phone number shape the simulator enforces (see `normalizePhoneNumber`). */
export const PHONE_NUMBER_RE = /^\+?\d{3,16}$/;

function isoDate(date: Date, what: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError(`Opentact: ${what} is not a valid date`);
  }
  return date.toISOString();
}

function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, item]) => item !== undefined),
  ) as Partial<T>;
}

/** Removes every secret-named key (password, ha1, ha1b, token, …) at any depth. */
function stripSecrets<T>(value: T, depth = 0): T {
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
