import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  createSimServer,
  DATE_TIME_RE,
  INVALID_JSON,
  type SimRequest,
  type SimResponse,
  SimRouter,
  type SimServer,
  UUID_RE,
} from './http.ts';

/**
 * A contract-faithful Opentact simulator (basePath `/rest`), following
 * /work/shared/api-docs 001 (SIP users), 000 (SIP user invites) and 002 (SIP
 * domain user modify, error shape with `meta` and `fields`). Every check names
 * the document line it comes from ("001:191" = file 001, line 191).
 *
 * Where the documents say nothing, the simulator assumes (and says so):
 * - required fields: nothing is marked required; create needs `login` and
 *   `password` (a SIP user cannot exist without credentials) and, on
 *   POST /sip/connection/user, `sip_connection_uuid`; an invite needs `name`
 *   and `expired_on`.
 * - status codes: 001 shows none; creates answer 201 (as 000:30), the rest 200.
 * - validation errors use 002's shape `{ success, message, status, meta, fields }`
 *   with `fields` keyed `params.<name>` / `body.<name>` / `query.<name>` and
 *   `value` echoing what was sent (as 002:294-297 does).
 * - a SIP user is also a user of the configured SIP domain, with the same uuid.
 */

// --- State ------------------------------------------------------------------

export type SimSipUser = {
  uuid: string;
  connectionUuid: string;
  login: string;
  /** Digests only: the password itself is never stored nor echoed. */
  ha1: string;
  ha1b: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone_number: string | null;
  remote_ip: string | null;
  avatar: string | null;
  dob: string | null;
  gender: string | null;
  /** SIP domain view (002). */
  is_active: boolean;
  state: string;
  same_domain_calls_only: boolean;
  tn_lease: string | null;
  created_on: string;
  modified_on: string;
};

export type SimInvite = {
  uuid: string;
  connectionUuid: string;
  name: string;
  expired_on: string;
  token: string;
  created_on: string;
  modified_on: string;
};

export type OpentactSimState = {
  readonly token: string;
  readonly connections: Set<string>;
  readonly domain: string | undefined;
  readonly users: Map<string, SimSipUser>;
  readonly invites: Map<string, SimInvite>;
};

export type OpentactSimulatorOptions = {
  token: string;
  /** Known SIP connection uuids. */
  connections: string[];
  /** The SIP domain (002); without it every /sip/domain call answers 404. */
  domain?: string | undefined;
};

export type SeedUserInput = {
  login: string;
  connectionUuid?: string;
  password?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  phone_number?: string;
  is_active?: boolean;
  state?: string;
};

export type SeedInviteInput = { name: string; expiredOn: Date | string; connectionUuid?: string };

export type OpentactSimHelpers = {
  /** Adds a SIP user directly (no HTTP call, no call-log entry). */
  seedUser(input: SeedUserInput): SimSipUser;
  /** Adds an invite directly. */
  seedInvite(input: SeedInviteInput): SimInvite;
  /** The invitee used the invite: it is consumed (gone from the list). False when unknown. */
  acceptInvite(uuid: string): boolean;
  /** Sets a user's SIP registration state as 002 shows it (e.g. "online"). */
  setUserState(uuid: string, state: string): boolean;
  /** Empties users and invites, faults and the call log. */
  reset(): void;
};

export type OpentactSimulator = OpentactSimHelpers & {
  server: SimServer;
  state: OpentactSimState;
  helpers: OpentactSimHelpers;
};

// --- Documented enums and limits ---------------------------------------------

/** 001:216 (CreateSIPUser) and 001:456 (ModifySIPUser): `gender` Enum. */
// biome-ignore format: one enum, as the document lists it
export const GENDERS = [
  'Agender', 'Androgyne', 'Androgynous', 'Bigender', 'Cis', 'Cisgender', 'Cis Female',
  'Cis Male', 'Cis Man', 'Cis Woman', 'Cisgender Female', 'Cisgender Male', 'Cisgender Man',
  'Cisgender Woman', 'Female to Male', 'FTM', 'Gender Fluid', 'Gender Nonconforming',
  'Gender Questioning', 'Gender Variant', 'Genderqueer', 'Intersex', 'Male to Female', 'MTF',
  'Neither', 'Neutrois', 'Non-binary', 'Other', 'Pangender', 'Trans', 'Trans Female',
  'Trans Male', 'Trans Man', 'Trans Person', 'Trans Woman', 'Transfeminine', 'Transgender',
  'Transgender Female', 'Transgender Male', 'Transgender Man', 'Transgender Person',
  'Transgender Woman', 'Transmasculine', 'Transsexual', 'Transsexual Female',
  'Transsexual Male', 'Transsexual Man', 'Transsexual Person', 'Transsexual Woman', 'Two-Spirit',
] as const;

/**
 * 001:205-207 `phone_number number [ 3 .. 16 ]`, but every sample and answer uses a
 * string, and 002:272 answers "+1234567890". Enforced: a string of 3..16 digits with
 * an optional leading `+`, or a JSON integer of 3..16 digits (the table's `number`).
 */
const PHONE_RE = /^\+?\d{3,16}$/;

// --- Validation ----------------------------------------------------------------

type Check = (value: unknown) => string | undefined;
type FieldErrors = Record<string, { message: string; value: unknown }>;

const text =
  (min: number, max: number): Check =>
  (value) => {
    if (typeof value !== 'string') return 'must be a string';
    if (value.length < min || value.length > max) return `must be [ ${min} .. ${max} ] characters`;
    return undefined;
  };
const anyText: Check = (value) => (typeof value === 'string' ? undefined : 'must be a string');
const uuid: Check = (value) =>
  typeof value === 'string' && UUID_RE.test(value)
    ? undefined
    : `must match pattern ${UUID_RE.source}`;
const dateTime: Check = (value) =>
  typeof value === 'string' && DATE_TIME_RE.test(value) && !Number.isNaN(Date.parse(value))
    ? undefined
    : 'must be a valid ISO 8601 date-time';
const phone: Check = (value) => {
  if (typeof value === 'number' && Number.isInteger(value) && PHONE_RE.test(String(value))) {
    return undefined;
  }
  if (typeof value === 'string' && PHONE_RE.test(value)) return undefined;
  return 'must be 3 to 16 digits, optionally with a leading +';
};
const gender: Check = (value) =>
  typeof value === 'string' && (GENDERS as readonly string[]).includes(value)
    ? undefined
    : `must be one of the documented values (${GENDERS.length})`;
const booleanish: Check = (value) =>
  typeof value === 'boolean' || value === 'true' || value === 'false'
    ? undefined
    : 'must be a boolean';
const dateTimeOrNumber: Check = (value) =>
  typeof value === 'number' && Number.isFinite(value) ? undefined : dateTime(value);

/** 001 CreateSIPUser request body (001:188-223). */
const CREATE_USER_RULES: Record<string, Check> = {
  login: text(7, 15), // 001:189-191 login [ 7 .. 15 ] characters
  password: uuid, // 001:192-194 password ^[0-9a-f]{8}-…$ (UUID pattern)
  first_name: text(1, 24), // 001:196-198 first_name [ 1 .. 24 ] characters
  last_name: text(1, 24), // 001:199-201 last_name [ 1 .. 24 ] characters
  email: text(6, 80), // 001:202-203 (name lost) [ 6 .. 80 ] characters; `email` per 001:362
  phone_number: phone, // 001:205-207 phone_number number [ 3 .. 16 ] (see PHONE_RE)
  avatar: text(10, 255), // 001:208-210 avatar [ 10 .. 255 ] characters
  dob: dateTime, // 001:211-213 dob <date-time>
  gender, // 001:214-216 gender Enum
  remote_ip: text(7, 15), // 001:217-219 remote_ip [ 7 .. 15 ] characters
  sip_connection_uuid: uuid, // 001:220-222 sip_connection_uuid UUID pattern
};

/** 001 ModifySIPUser request body (001:428-463): as create, but login [ 3 .. 60 ]. */
const MODIFY_USER_RULES: Record<string, Check> = {
  ...CREATE_USER_RULES,
  login: text(3, 60), // 001:429-431 login [ 3 .. 60 ] characters
};

/** 000 CreateSIPUserInvite / ModifySIPUserInvite request body (000:24-27, 000:451-454). */
const INVITE_RULES: Record<string, Check> = {
  name: text(3, 255), // 000:26 name [ 3 .. 255 ] characters
  expired_on: dateTime, // 000:27 expired_on <date-time>
};

/** 002 ModifySIPUser (SIP domain) parameters (002:185-249), keyed lower-case. */
const DOMAIN_USER_RULES: Record<string, Check> = {
  is_active: booleanish, // 002:191-193 Is_Active String (the answer, 002:269, has a boolean)
  email: anyText, // 002:197-199 Email String
  last_name: anyText, // 002:203-205 Last_name String
  first_name: anyText, // 002:209-211 First_name String
  password: anyText, // 002:215-217 Password String (no pattern on this page)
  phone_number: phone, // 002:221-223 Phone_number Number (002:272 answers "+1234567890")
  tn_lease: uuid, // 002:227-229 Tn_lease UUID
  dob: dateTimeOrNumber, // 002:233-235 Dob Number (002:273 answers a date-time)
  same_domain_calls_only: booleanish, // 002:239-241 same_domain_calls_only Boolean
  // 002:245-247 Gender String — no enum here (002:277 answers "Female", not in 001's enum)
  gender: anyText,
};

function check(
  where: 'body' | 'query' | 'params',
  values: Record<string, unknown>,
  rules: Record<string, Check>,
  required: string[] = [],
): FieldErrors {
  const errors: FieldErrors = {};
  for (const name of required) {
    if (values[name] === undefined || values[name] === null) {
      errors[`${where}.${name}`] = { message: 'is required', value: values[name] ?? null };
    }
  }
  for (const [name, rule] of Object.entries(rules)) {
    const value = values[name];
    if (value === undefined || errors[`${where}.${name}`]) continue;
    const message = rule(value);
    if (message) errors[`${where}.${name}`] = { message, value };
  }
  return errors;
}

// --- Answers ---------------------------------------------------------------------

/** 001:13-15: `{ "success": true, "payload": … }`. */
const ok = (payload: unknown, status = 200): SimResponse => ({
  status,
  body: { success: true, payload },
});

/** 001:121-128: `{ "success": false, "message", "status" }`. */
const errorBody = (status: number, message: string) => ({ success: false, message, status });
const fail = (status: number, message: string): SimResponse => ({
  status,
  body: errorBody(status, message),
});

/** 002:288-299: `{ success: false, message, status, meta, fields: { f: { message, value } } }`. */
const invalid = (fields: FieldErrors, message = 'Validation failed'): SimResponse => ({
  status: 400,
  body: { success: false, message, status: 400, meta: 'ValidationError', fields },
});

const conflict = (field: string, message: string, value: unknown): SimResponse => ({
  status: 409,
  body: {
    success: false,
    message,
    status: 409,
    meta: 'Conflict',
    fields: { [field]: { message, value } },
  },
});

/** The JSON body as an object, or the 400 to answer. Absent → `{}`. */
function objectBody(req: SimRequest): Record<string, unknown> | SimResponse {
  if (req.body === INVALID_JSON) return invalid({}, 'Request body is not valid JSON');
  if (req.body === undefined) return {};
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
    return invalid({}, 'Request body must be a JSON object');
  }
  return req.body as Record<string, unknown>;
}

const isResponse = (value: unknown): value is SimResponse =>
  typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

const merge = (...errors: FieldErrors[]): FieldErrors => Object.assign({}, ...errors);
const hasErrors = (errors: FieldErrors) => Object.keys(errors).length > 0;

const md5 = (value: string) => createHash('md5').update(value).digest('hex');

// --- Simulator ---------------------------------------------------------------------

export function createOpentactSimulator(options: OpentactSimulatorOptions): OpentactSimulator {
  const state: OpentactSimState = {
    token: options.token,
    connections: new Set(options.connections),
    domain: options.domain,
    users: new Map(),
    invites: new Map(),
  };
  const realm = options.domain ?? 'sip.opentact.org';
  const now = () => new Date().toISOString();
  const digests = (login: string, password: string) => ({
    // The classic SIP digests: HA1 = MD5(user:realm:password), HA1B = MD5(user@realm:realm:pw).
    ha1: md5(`${login}:${realm}:${password}`),
    ha1b: md5(`${login}@${realm}:${realm}:${password}`),
  });

  // What the documents show around a SIP user (001:30-118). `created_by` / `modified_by`
  // carry a `password` and `token` in the document (001:82, 001:95): kept with dummy values so
  // the client's stripping is exercised.
  const account = { uuid: '00000000-0000-4000-8000-000000000001', name: 'Simulated account' };
  const creator = {
    uuid: '00000000-0000-4000-8000-000000000002',
    email: 'admin@example.com',
    password: 'sim-admin-password-hash',
    token: 'sim-admin-session-token',
    first_name: 'Sim',
    last_name: 'Admin',
    role: 'Admin',
  };
  const connectionView = (uuid: string) => ({
    uuid,
    name: 'Simulated SIP connection',
    is_active: true,
    subdomain: options.domain ?? null,
  });

  /** 001:16-119: a SIP user as the API shows it (no password, ever). */
  const userView = (user: SimSipUser) => ({
    created_on: user.created_on,
    modified_on: user.modified_on,
    uuid: user.uuid,
    login: user.login,
    ha1: user.ha1,
    ha1b: user.ha1b,
    remote_ip: user.remote_ip,
    first_name: user.first_name,
    last_name: user.last_name,
    email: user.email,
    phone_number: user.phone_number,
    avatar: user.avatar,
    dob: user.dob,
    gender: user.gender,
    groups: [],
    sip_connection: connectionView(user.connectionUuid),
    account,
    created_by: creator,
    modified_by: creator,
  });

  /** 000:34-127: an invite as the API shows it. */
  const inviteView = (invite: SimInvite) => ({
    created_on: invite.created_on,
    modified_on: invite.modified_on,
    uuid: invite.uuid,
    name: invite.name,
    expired_on: invite.expired_on,
    token: invite.token,
    sip_connection: connectionView(invite.connectionUuid),
    account,
    created_by: creator,
    modified_by: creator,
  });

  /** 002:264-286: a SIP domain user. */
  const domainUserView = (user: SimSipUser, domain: string) => ({
    uuid: user.uuid,
    email: user.email,
    state: user.state,
    is_active: user.is_active,
    created_on: user.created_on,
    modified_on: user.modified_on,
    phone_number: user.phone_number,
    dob: user.dob,
    avatar: user.avatar,
    first_name: user.first_name,
    last_name: user.last_name,
    gender: user.gender,
    login: user.login,
    sip_domain: { domain, created_on: startedOn, modified_on: startedOn },
    same_domain_calls_only: user.same_domain_calls_only,
    groups: [],
  });
  const startedOn = now();

  const usersOf = (connectionUuid: string) =>
    [...state.users.values()].filter((user) => user.connectionUuid === connectionUuid);
  const loginTaken = (connectionUuid: string, login: string, except?: string) =>
    usersOf(connectionUuid).some((user) => user.login === login && user.uuid !== except);

  const phoneText = (value: unknown) =>
    value === undefined ? undefined : value === null ? null : String(value);
  const str = (value: unknown) => (value === undefined ? undefined : (value as string | null));

  function addUser(connectionUuid: string, body: Record<string, unknown>): SimSipUser {
    const at = now();
    const login = body.login as string;
    const user: SimSipUser = {
      uuid: randomUUID(),
      connectionUuid,
      login,
      ...digests(login, body.password as string),
      first_name: str(body.first_name) ?? null,
      last_name: str(body.last_name) ?? null,
      email: str(body.email) ?? null,
      phone_number: phoneText(body.phone_number) ?? null,
      remote_ip: str(body.remote_ip) ?? null,
      avatar: str(body.avatar) ?? null,
      dob: str(body.dob) ?? null,
      gender: str(body.gender) ?? null,
      is_active: true,
      state: 'offline',
      same_domain_calls_only: false,
      tn_lease: null,
      created_on: at,
      modified_on: at,
    };
    state.users.set(user.uuid, user);
    return user;
  }

  function createUser(
    connectionUuid: string,
    body: Record<string, unknown>,
    paramErrors: FieldErrors,
  ): SimResponse {
    // Assumption: login and password are required (the document marks nothing).
    const errors = merge(
      paramErrors,
      check('body', body, CREATE_USER_RULES, ['login', 'password']),
    );
    if (hasErrors(errors)) return invalid(errors);
    // 000:145 / 001:125-128: unknown SIP connection → 404.
    if (!state.connections.has(connectionUuid)) return fail(404, 'SIP connection not found');
    if (loginTaken(connectionUuid, body.login as string)) {
      return conflict('body.login', 'login already exists', body.login);
    }
    return ok(userView(addUser(connectionUuid, body)), 201);
  }

  const router = new SimRouter();

  // 001:2-3 ListSIPUsersBySIPConnectionUUID: GET /rest/sip/connection/{uuid}/users
  router.on('GET', '/sip/connection/:uuid/users', (req) => {
    const uuidParam = req.params.uuid!;
    // 001:6-8 path uuid ^[0-9a-f]{8}-…$
    const errors = check('params', req.params, { uuid });
    if (hasErrors(errors)) return invalid(errors);
    // 001:125-128 404
    if (!state.connections.has(uuidParam)) return fail(404, 'SIP connection not found');
    return ok(usersOf(uuidParam).map(userView)); // 001:13-120 payload: [ SIPUser ]
  });

  // 001:362 CreateSIPUser as every code sample sends it: POST /rest/sip/connection/user with
  // `sip_connection_uuid` in the body (001:220-222).
  router.on('POST', '/sip/connection/user', (req) => {
    const body = objectBody(req);
    if (isResponse(body)) return body;
    // Assumption: required on this form, as nothing else names the connection.
    const required = check('body', body, { sip_connection_uuid: uuid }, ['sip_connection_uuid']);
    if (hasErrors(required)) {
      return invalid(
        merge(required, check('body', body, CREATE_USER_RULES, ['login', 'password'])),
      );
    }
    return createUser(body.sip_connection_uuid as string, body, {});
  });

  // 001:179 CreateSIPUser as the heading shows it: POST /rest/sip/connection/{uuid}/Users;
  // lower-case `users` too (INDEX, and the list path 001:3). The path uuid wins over the body's.
  for (const pattern of ['/sip/connection/:uuid/Users', '/sip/connection/:uuid/users']) {
    router.on('POST', pattern, (req) => {
      const body = objectBody(req);
      if (isResponse(body)) return body;
      const paramErrors = check('params', req.params, { uuid });
      return createUser(req.params.uuid!, body, paramErrors);
    });
  }

  /** The SIP user of `/sip/connection/user/{uuid}` or the answer to give. */
  const findUser = (req: SimRequest, extra: FieldErrors = {}): SimSipUser | SimResponse => {
    // 001:663-665 path uuid ^[0-9a-f]{8}-…$
    const errors = merge(check('params', req.params, { uuid }), extra);
    if (hasErrors(errors)) return invalid(errors);
    const user = state.users.get(req.params.uuid!);
    // 001:697-700 404
    return user ?? fail(404, 'SIP user not found');
  };

  // 001:659-660 GetSIPUserByUUID: GET /rest/sip/connection/user/{uuid}
  router.on('GET', '/sip/connection/user/:uuid', (req) => {
    const user = findUser(req);
    return isResponse(user) ? user : ok(userView(user));
  });

  // 001:418-419 ModifySIPUser: PATCH /rest/sip/connection/user/{uuid}
  router.on('PATCH', '/sip/connection/user/:uuid', (req) => {
    const body = objectBody(req);
    if (isResponse(body)) return body;
    const user = findUser(req, check('body', body, MODIFY_USER_RULES));
    if (isResponse(user)) return user;
    const target = (body.sip_connection_uuid as string | undefined) ?? user.connectionUuid;
    if (!state.connections.has(target)) return fail(404, 'SIP connection not found');
    const login = (body.login as string | undefined) ?? user.login;
    if (loginTaken(target, login, user.uuid)) {
      return conflict('body.login', 'login already exists', login);
    }
    // The digests include the login; the password is not stored, so a new login without a new
    // password keeps the old digests.
    if (body.password !== undefined) Object.assign(user, digests(login, body.password as string));
    user.login = login;
    user.connectionUuid = target;
    for (const key of [
      'first_name',
      'last_name',
      'email',
      'remote_ip',
      'avatar',
      'dob',
      'gender',
    ] as const) {
      const value = str(body[key]);
      if (value !== undefined) user[key] = value;
    }
    const phoneNumber = phoneText(body.phone_number);
    if (phoneNumber !== undefined) user.phone_number = phoneNumber;
    user.modified_on = now();
    return ok(userView(user)); // 001:464-487
  });

  // 001:748-749 RemoveSIPUserByUUID: DELETE /rest/sip/connection/user/{uuid}
  router.on('DELETE', '/sip/connection/user/:uuid', (req) => {
    const user = findUser(req);
    if (isResponse(user)) return user;
    state.users.delete(user.uuid);
    return ok(userView(user)); // 001:759-782 payload: the removed SIPUser
  });

  /** Checks `{sip_connection_uuid}` (and `{uuid}` when present) of an invite path. */
  const inviteTarget = (
    req: SimRequest,
    bodyErrors: FieldErrors = {},
  ): { connectionUuid: string; invite: SimInvite | undefined } | SimResponse => {
    // 000:11-13, 000:437-440 path parameters ^[0-9a-f]{8}-…$
    const rules: Record<string, Check> = { sip_connection_uuid: uuid };
    if (req.params.uuid !== undefined) rules.uuid = uuid;
    const errors = merge(check('params', req.params, rules), bodyErrors);
    if (hasErrors(errors)) return invalid(errors);
    const connectionUuid = req.params.sip_connection_uuid!;
    // 000:145 "404 SIP connection not found"
    if (!state.connections.has(connectionUuid)) return fail(404, 'SIP connection not found');
    if (req.params.uuid === undefined) return { connectionUuid, invite: undefined };
    const invite = state.invites.get(req.params.uuid);
    // 000:572 "404 SIP connection / SIP User not found"
    if (!invite || invite.connectionUuid !== connectionUuid) {
      return fail(404, 'SIP user invite not found');
    }
    return { connectionUuid, invite };
  };

  const newToken = () => randomBytes(24).toString('base64url');

  function addInvite(connectionUuid: string, name: string, expiredOn: string): SimInvite {
    const at = now();
    const invite: SimInvite = {
      uuid: randomUUID(),
      connectionUuid,
      name,
      expired_on: expiredOn, // kept as given
      token: newToken(),
      created_on: at,
      modified_on: at,
    };
    state.invites.set(invite.uuid, invite);
    return invite;
  }

  // 000:5 CreateSIPUserInvite: POST /rest/sip/connection/{sip_connection_uuid}/invites
  router.on('POST', '/sip/connection/:sip_connection_uuid/invites', (req) => {
    const body = objectBody(req);
    if (isResponse(body)) return body;
    // Assumption: name and expired_on are required (the document marks nothing).
    const target = inviteTarget(req, check('body', body, INVITE_RULES, ['name', 'expired_on']));
    if (isResponse(target)) return target;
    const invite = addInvite(target.connectionUuid, body.name as string, body.expired_on as string);
    return ok(inviteView(invite), 201); // 000:30 "201", 000:33-128
  });

  // 000:267 ListSIPUserInvites: GET /rest/sip/connection/{sip_connection_uuid}/invites
  router.on('GET', '/sip/connection/:sip_connection_uuid/invites', (req) => {
    const target = inviteTarget(req);
    if (isResponse(target)) return target;
    const invites = [...state.invites.values()].filter(
      (invite) => invite.connectionUuid === target.connectionUuid,
    );
    // 000:284 titles this tab "201" (copied from create); a list answers 200.
    return ok(invites.map(inviteView)); // 000:287-303 payload: [ invite ]
  });

  // 000:431 ModifySIPUserInvite: PATCH /rest/sip/connection/{sip_connection_uuid}/invites/{uuid}
  router.on('PATCH', '/sip/connection/:sip_connection_uuid/invites/:uuid', (req) => {
    const body = objectBody(req);
    if (isResponse(body)) return body;
    const target = inviteTarget(req, check('body', body, INVITE_RULES));
    if (isResponse(target)) return target;
    const invite = target.invite!;
    if (body.name !== undefined) invite.name = body.name as string;
    if (body.expired_on !== undefined) invite.expired_on = body.expired_on as string;
    invite.modified_on = now();
    return ok(inviteView(invite)); // 000:457 "200", 000:460-555
  });

  // 000:694 RemoveSIPUserInviteByUUID: DELETE …/invites/{uuid}
  router.on('DELETE', '/sip/connection/:sip_connection_uuid/invites/:uuid', (req) => {
    const target = inviteTarget(req);
    if (isResponse(target)) return target;
    state.invites.delete(target.invite!.uuid);
    // 000:714-823: the documented 200 payload is an array of SIP users (odd, but documented):
    // the connection's SIP users are answered.
    return ok(usersOf(target.connectionUuid).map(userView));
  });

  // 002:181 ModifySIPUser (SIP domain): PATCH /rest/sip/domain/{domain}/user/{uuid}
  router.on('PATCH', '/sip/domain/:domain/user/:uuid', (req) => {
    const body = objectBody(req);
    if (isResponse(body)) return body;
    // 002:185 lists the parameters under "Query Parameters" with capitalised names
    // (Is_Active, Email, …); its answer is snake_case. Accepted: query or JSON body, any case;
    // the body wins when both carry a parameter.
    const values: Record<string, unknown> = {};
    const source: Record<string, 'query' | 'body'> = {};
    for (const [key, value] of req.query) {
      values[key.toLowerCase()] = value;
      source[key.toLowerCase()] = 'query';
    }
    for (const [key, value] of Object.entries(body)) {
      values[key.toLowerCase()] = value;
      source[key.toLowerCase()] = 'body';
    }
    const errors: FieldErrors = check('params', req.params, { uuid });
    for (const [key, { message, value }] of Object.entries(
      check('body', values, DOMAIN_USER_RULES),
    )) {
      const name = key.slice('body.'.length);
      errors[`${source[name] ?? 'body'}.${name}`] = { message, value };
    }
    if (hasErrors(errors)) return invalid(errors);
    if (!state.domain || req.params.domain !== state.domain) {
      return fail(404, 'SIP domain not found');
    }
    const user = state.users.get(req.params.uuid!);
    if (!user) return fail(404, 'SIP user not found');

    const bool = (value: unknown) => value === true || value === 'true';
    if (values.is_active !== undefined) user.is_active = bool(values.is_active);
    if (values.same_domain_calls_only !== undefined) {
      user.same_domain_calls_only = bool(values.same_domain_calls_only);
    }
    if (values.password !== undefined) {
      Object.assign(user, digests(user.login, values.password as string));
    }
    for (const key of ['email', 'first_name', 'last_name', 'gender', 'tn_lease'] as const) {
      if (values[key] !== undefined) user[key] = values[key] as string;
    }
    if (values.phone_number !== undefined) user.phone_number = String(values.phone_number);
    if (values.dob !== undefined) {
      user.dob =
        typeof values.dob === 'number' ? new Date(values.dob).toISOString() : String(values.dob);
    }
    user.modified_on = now();
    return ok(domainUserView(user, state.domain)); // 002:263-287
  });

  const server = createSimServer(
    {
      name: 'opentact',
      basePath: '/rest',
      // 001:9-12 header X.Auth-Token (tables); X-Auth-Token in every sample (001:132) → the
      // real name. 001:121-124: 401 `{ success: false, message, status: 401 }`.
      authenticate: (req) => {
        const sent = req.headers['x-auth-token'];
        if (sent === undefined || sent === '') {
          return fail(401, 'Missing X-Auth-Token header');
        }
        return sent === state.token ? undefined : fail(401, 'Invalid or expired token');
      },
      errorBody,
    },
    router,
  );

  const defaultConnection = () => {
    const first = state.connections.values().next();
    if (first.done) throw new Error('the Opentact simulator has no SIP connection');
    return first.value;
  };

  const helpers: OpentactSimHelpers = {
    seedUser(input) {
      const connectionUuid = input.connectionUuid ?? defaultConnection();
      state.connections.add(connectionUuid);
      const user = addUser(connectionUuid, {
        login: input.login,
        password: input.password ?? randomUUID(),
        first_name: input.first_name,
        last_name: input.last_name,
        email: input.email,
        phone_number: input.phone_number,
      });
      if (input.is_active !== undefined) user.is_active = input.is_active;
      if (input.state !== undefined) user.state = input.state;
      return user;
    },
    seedInvite(input) {
      const connectionUuid = input.connectionUuid ?? defaultConnection();
      state.connections.add(connectionUuid);
      const expiredOn =
        input.expiredOn instanceof Date ? input.expiredOn.toISOString() : input.expiredOn;
      return addInvite(connectionUuid, input.name, expiredOn);
    },
    acceptInvite: (inviteUuid) => state.invites.delete(inviteUuid),
    setUserState(userUuid, userState) {
      const user = state.users.get(userUuid);
      if (!user) return false;
      user.state = userState;
      return true;
    },
    reset() {
      state.users.clear();
      state.invites.clear();
      server.clearFaults();
      server.calls.length = 0;
    },
  };

  return { server, state, helpers, ...helpers };
}
