import { randomBytes, randomUUID } from 'node:crypto';
import { createSimServer, type SimRequest, type SimResponse, SimRouter } from './http.ts';
import {
  type Check,
  CREATE_USER_RULES,
  check,
  conflict,
  DOMAIN_USER_RULES,
  errorBody,
  type FieldErrors,
  fail,
  hasErrors,
  INVITE_RULES,
  invalid,
  isResponse,
  MODIFY_USER_RULES,
  md5,
  merge,
  type OpentactSimHelpers,
  type OpentactSimState,
  type OpentactSimulator,
  type OpentactSimulatorOptions,
  objectBody,
  ok,
  type SimInvite,
  type SimSipUser,
  uuid,
} from './opentact-contract.ts';

export {
  GENDERS,
  type OpentactSimHelpers,
  type OpentactSimState,
  type OpentactSimulator,
  type OpentactSimulatorOptions,
  type SeedInviteInput,
  type SeedUserInput,
  type SimInvite,
  type SimSipUser,
} from './opentact-contract.ts';

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
