import { randomUUID } from 'node:crypto';
import { registerSecret } from '../redact.ts';
import { createHttpClient, type HttpClient, type HttpTuning, path } from './http.ts';
import { opentactErrorInBody, parseOpentactError } from './opentact-errors.ts';
import {
  type DomainUser,
  DomainUserAnswer,
  InviteAnswer,
  InviteListAnswer,
  type SipUser,
  SipUserAnswer,
  type SipUserInvite,
  SipUserListAnswer,
} from './opentact-schemas.ts';

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

export { OpentactErrorSchema, opentactErrorInBody, parseOpentactError } from './opentact-errors.ts';
export type { DomainUser, SipUser, SipUserInvite } from './opentact-schemas.ts';
export { DomainUserSchema, SipUserInviteSchema, SipUserSchema } from './opentact-schemas.ts';

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
