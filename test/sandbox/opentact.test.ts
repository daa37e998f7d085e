import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOpentactSimulator } from '../../src/sandbox/opentact.ts';

/**
 * The simulator against the documents, with raw fetch calls (no client).
 * "001:191" = /work/shared/api-docs/001_eac6f02c2a595fcb.txt line 191;
 * 000 = 000_4976e569cfbbf530.txt, 002 = 002_70851f904b46d633.txt.
 */

const TOKEN = 'sim-contract-jwt-0a1b2c3d';
const CONN = randomUUID();
const DOMAIN = 'abc.sip.opentact.org';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const sim = createOpentactSimulator({ token: TOKEN, connections: [CONN], domain: DOMAIN });
let base = '';

type Answer = { status: number; body: Record<string, unknown> };

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'X-Auth-Token': TOKEN },
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const validUser = (login = 'adalove1') => ({
  login,
  password: randomUUID(),
  first_name: 'Ada',
  last_name: 'Lovelace',
  email: `${login}@example.com`,
  phone_number: '+4915112345678',
  sip_connection_uuid: CONN,
});

const payload = (answer: Answer) => answer.body.payload as Record<string, unknown>;

beforeAll(async () => {
  base = await sim.server.start();
  expect(base).toMatch(/\/rest$/); // 001:3 https://api.opentact.org/rest/…
});
afterEach(() => sim.reset());
afterAll(() => sim.server.close());

describe('authentication', () => {
  it('answers 401 { success: false, message, status: 401 } without X-Auth-Token', async () => {
    const answer = await call('GET', `/sip/connection/${CONN}/users`, undefined, {});
    // 001:121-124 { "success": false, "message": "string", "status": 401 }
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ success: false, message: expect.any(String), status: 401 });
  });

  it('answers 401 to a wrong token and does not echo it', async () => {
    const answer = await call('GET', `/sip/connection/${CONN}/users`, undefined, {
      'X-Auth-Token': 'not-the-token',
    });
    expect(answer.status).toBe(401); // 001:121-124
    expect(JSON.stringify(answer.body)).not.toContain('not-the-token');
  });

  it('does not accept the tables’ spelling X.Auth-Token', async () => {
    // 001:10 `X.Auth-Token` (table) vs 001:132 `X-Auth-Token` (every sample): the latter is real.
    const answer = await call('GET', `/sip/connection/${CONN}/users`, undefined, {
      'X.Auth-Token': TOKEN,
    });
    expect(answer.status).toBe(401);
  });
});

describe('SIP users (001)', () => {
  it('creates with POST /sip/connection/user and answers the documented SIPUser', async () => {
    const sent = validUser();
    const answer = await call('POST', '/sip/connection/user', sent); // 001:362 code sample path
    expect(answer.status).toBe(201);
    expect(answer.body.success).toBe(true); // 001:225 "success": true
    const user = payload(answer);
    // 001:227-246 payload field names
    for (const key of [
      'created_on',
      'modified_on',
      'uuid',
      'login',
      'ha1',
      'ha1b',
      'remote_ip',
      'first_name',
      'last_name',
      'email',
      'phone_number',
      'avatar',
      'dob',
      'gender',
      'groups',
      'sip_connection',
      'account',
      'created_by',
      'modified_by',
    ]) {
      expect(user).toHaveProperty(key);
    }
    expect(user.uuid).toMatch(UUID_RE);
    expect(user.created_on).toMatch(DATE_TIME_RE); // 001:227 "2019-08-24T14:15:22Z"
    expect(user.login).toBe(sent.login);
    expect(user.email).toBe(sent.email); // 001:236 "email"
    expect(user.phone_number).toBe('+4915112345678'); // 001:237 a string in the answer
    expect(user.ha1).toMatch(/^[0-9a-f]{32}$/);
    expect(user.ha1b).toMatch(/^[0-9a-f]{32}$/);
    expect((user.sip_connection as { uuid: string }).uuid).toBe(CONN);
    // The password is never echoed (the answer has no `password` at top level, 001:227-246).
    expect(user).not.toHaveProperty('password');
    expect(JSON.stringify(answer.body)).not.toContain(sent.password);
  });

  it('creates with the heading’s POST /sip/connection/{uuid}/Users and with /users', async () => {
    const { sip_connection_uuid: _, ...body } = validUser('capitalU');
    const capital = await call('POST', `/sip/connection/${CONN}/Users`, body); // 001:179
    expect(capital.status).toBe(201);
    const lower = await call('POST', `/sip/connection/${CONN}/users`, {
      ...body,
      login: 'lowercase',
    }); // INDEX: POST /rest/sip/connection/{uuid}/users
    expect(lower.status).toBe(201);
    expect(sim.state.users.size).toBe(2);
  });

  it('lists the users of a connection as { success, payload: [ … ] }', async () => {
    sim.seedUser({ login: 'listed01' });
    const answer = await call('GET', `/sip/connection/${CONN}/users`); // 001:3
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(true); // 001:14
    expect(Array.isArray(answer.body.payload)).toBe(true); // 001:15 "payload": [
    expect((answer.body.payload as { login: string }[]).map((u) => u.login)).toEqual(['listed01']);
  });

  it('validates the create body with the documented limits (400, body.<field>)', async () => {
    const answer = await call('POST', '/sip/connection/user', {
      login: 'short', // 001:191 login [ 7 .. 15 ] characters
      password: 'Not-A-UUID', // 001:194 password ^[0-9a-f]{8}-…$
      first_name: 'A'.repeat(25), // 001:198 first_name [ 1 .. 24 ] characters
      last_name: '', // 001:201 last_name [ 1 .. 24 ] characters
      email: 'a@b.c', // 001:203 [ 6 .. 80 ] characters
      phone_number: '12', // 001:207 phone_number [ 3 .. 16 ]
      avatar: 'short', // 001:210 avatar [ 10 .. 255 ] characters
      dob: '24/08/2019', // 001:213 dob <date-time>
      gender: 'Robot', // 001:216 gender Enum
      remote_ip: '1.2.3', // 001:219 remote_ip [ 7 .. 15 ] characters
      sip_connection_uuid: CONN,
    });
    expect(answer.status).toBe(400);
    // 002:300-311 { success: false, message, status, meta, fields: { f: { message, value } } }
    expect(answer.body).toMatchObject({ success: false, status: 400 });
    expect(answer.body.message).toEqual(expect.any(String));
    expect(answer.body.meta).toEqual(expect.any(String)); // 002:292 "meta": "string"
    const fields = answer.body.fields as Record<string, { message: string; value: unknown }>;
    expect(Object.keys(fields).sort()).toEqual(
      [
        'body.avatar',
        'body.dob',
        'body.email',
        'body.first_name',
        'body.gender',
        'body.last_name',
        'body.login',
        'body.password',
        'body.phone_number',
        'body.remote_ip',
      ].sort(),
    );
    // 002:295-296 each field has { message, value }
    expect(fields['body.login']).toEqual({ message: expect.any(String), value: 'short' });
    expect(sim.state.users.size).toBe(0);
  });

  it('accepts the limits’ edges (login 7 and 15, names 1 and 24, email 6 and 80)', async () => {
    for (const [login, name, email] of [
      ['a'.repeat(7), 'A', 'a@b.cd'],
      ['b'.repeat(15), 'B'.repeat(24), `${'c'.repeat(74)}@b.cd`],
    ] as const) {
      const answer = await call('POST', '/sip/connection/user', {
        ...validUser(login),
        first_name: name,
        last_name: name,
        email,
      });
      expect(answer.status).toBe(201);
    }
  });

  it('accepts phone_number as the table’s number or as the samples’ string', async () => {
    // 001:206 `number`, 001:362 sends a string: both are accepted, the answer holds a string.
    const asNumber = await call('POST', '/sip/connection/user', {
      ...validUser('numbered'),
      phone_number: 4915112345678,
    });
    expect(asNumber.status).toBe(201);
    expect(payload(asNumber).phone_number).toBe('4915112345678');
    const tooLong = await call('POST', '/sip/connection/user', {
      ...validUser('toolong1'),
      phone_number: '+12345678901234567', // 17 digits > 16
    });
    expect(tooLong.status).toBe(400);
  });

  it('rejects a body that is not JSON with 400', async () => {
    const answer = await call('POST', '/sip/connection/user', '{"login": ');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ success: false, status: 400 });
  });

  it('requires login, password and (on /sip/connection/user) sip_connection_uuid', async () => {
    const answer = await call('POST', '/sip/connection/user', { first_name: 'Ada' });
    expect(answer.status).toBe(400);
    expect(Object.keys(answer.body.fields as object).sort()).toEqual([
      'body.login',
      'body.password',
      'body.sip_connection_uuid',
    ]);
  });

  it('answers 404 for an unknown connection', async () => {
    const answer = await call('POST', '/sip/connection/user', {
      ...validUser(),
      sip_connection_uuid: randomUUID(),
    });
    // 001:125-128 { "success": false, "message": "string", "status": 404 }
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ success: false, message: expect.any(String), status: 404 });
    const list = await call('GET', `/sip/connection/${randomUUID()}/users`);
    expect(list.status).toBe(404);
  });

  it('answers 409 with fields.body.login on a duplicate login in the same connection', async () => {
    sim.seedUser({ login: 'duplicate' });
    const answer = await call('POST', '/sip/connection/user', validUser('duplicate'));
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      success: false,
      status: 409,
      fields: { 'body.login': { message: 'login already exists', value: 'duplicate' } },
    });
  });

  it('answers 400 with params.uuid when the path uuid does not match the pattern', async () => {
    // 001:663-665 path uuid ^[0-9a-f]{8}-…$
    const answer = await call('GET', '/sip/connection/user/NOT-A-UUID');
    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual({
      'params.uuid': { message: expect.any(String), value: 'NOT-A-UUID' },
    });
    const list = await call('GET', '/sip/connection/66EB0A8A-571E-41B1-8F50-4D97275CFAB7/users');
    expect(list.status).toBe(400); // 001:8 lower-case hex only
  });

  it('gets, modifies (login [ 3 .. 60 ]) and deletes a user', async () => {
    const { uuid } = sim.seedUser({ login: 'lifecycle' });
    const got = await call('GET', `/sip/connection/user/${uuid}`); // 001:660
    expect(got.status).toBe(200);
    expect(payload(got).uuid).toBe(uuid); // 001:675

    const before = payload(got).modified_on as string;
    await new Promise((r) => setTimeout(r, 5));
    // 001:419 PATCH /rest/sip/connection/user/{uuid}
    const modified = await call('PATCH', `/sip/connection/user/${uuid}`, { login: 'abc' });
    expect(modified.status).toBe(200);
    expect(payload(modified).login).toBe('abc'); // 001:431 login [ 3 .. 60 ] characters
    expect(payload(modified).modified_on).not.toBe(before);

    const tooShort = await call('PATCH', `/sip/connection/user/${uuid}`, { login: 'ab' });
    expect(tooShort.status).toBe(400);
    const tooLong = await call('PATCH', `/sip/connection/user/${uuid}`, { login: 'x'.repeat(61) });
    expect(tooLong.status).toBe(400);

    const deleted = await call('DELETE', `/sip/connection/user/${uuid}`); // 001:749
    expect(deleted.status).toBe(200);
    expect(payload(deleted).uuid).toBe(uuid); // 001:759-781 payload: the SIPUser
    const gone = await call('GET', `/sip/connection/user/${uuid}`);
    // 001:697-700 404
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ success: false, message: expect.any(String), status: 404 });
  });

  it('changes the digests, never the echo, when the password changes', async () => {
    const { uuid, ha1 } = sim.seedUser({ login: 'newpassword' });
    const password = randomUUID();
    const answer = await call('PATCH', `/sip/connection/user/${uuid}`, { password });
    expect(answer.status).toBe(200);
    expect(payload(answer).ha1).not.toBe(ha1);
    expect(JSON.stringify(answer.body)).not.toContain(password);
  });
});

describe('SIP user invites (000)', () => {
  const invites = `/sip/connection/${CONN}/invites`;

  it('creates an invite with 201 and the documented fields, expired_on as given', async () => {
    const expired_on = '2030-10-29T15:58:21.802Z'; // 000:165 sample body
    const answer = await call('POST', invites, { name: 'adalove1', expired_on }); // 000:5
    expect(answer.status).toBe(201); // 000:30 "201"
    expect(answer.body.success).toBe(true); // 000:34
    const invite = payload(answer);
    // 000:36-42 created_on, modified_on, uuid, name, expired_on, token, sip_connection
    for (const key of [
      'created_on',
      'modified_on',
      'uuid',
      'name',
      'expired_on',
      'token',
      'sip_connection',
    ]) {
      expect(invite).toHaveProperty(key);
    }
    expect(invite.uuid).toMatch(UUID_RE);
    expect(invite.expired_on).toBe(expired_on);
    expect(invite.token).toEqual(expect.any(String));
    expect((invite.token as string).length).toBeGreaterThanOrEqual(16);
  });

  it('validates name [ 3 .. 255 ] and expired_on <date-time>', async () => {
    const answer = await call('POST', invites, { name: 'ab', expired_on: 'tomorrow' });
    expect(answer.status).toBe(400);
    // 000:26 name [ 3 .. 255 ] characters; 000:27 expired_on <date-time>
    expect(Object.keys(answer.body.fields as object).sort()).toEqual([
      'body.expired_on',
      'body.name',
    ]);
    const long = await call('POST', invites, {
      name: 'n'.repeat(256),
      expired_on: '2030-01-01T00:00:00Z',
    });
    expect(long.status).toBe(400);
  });

  it('lists invites as { success, payload: [ … ] }', async () => {
    const seeded = sim.seedInvite({ name: 'listed', expiredOn: new Date('2030-01-01T00:00:00Z') });
    const answer = await call('GET', invites); // 000:267
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(true); // 000:288
    expect(answer.body.payload).toEqual([
      expect.objectContaining({ uuid: seeded.uuid, name: 'listed', token: seeded.token }),
    ]); // 000:289-302
  });

  it('modifies an invite with PATCH …/invites/{uuid}', async () => {
    const seeded = sim.seedInvite({ name: 'patchme', expiredOn: '2030-01-01T00:00:00Z' });
    const answer = await call('PATCH', `${invites}/${seeded.uuid}`, {
      expired_on: '2031-02-03T04:05:06Z',
    }); // 000:431
    expect(answer.status).toBe(200); // 000:457 "200"
    expect(payload(answer)).toMatchObject({
      uuid: seeded.uuid,
      name: 'patchme',
      expired_on: '2031-02-03T04:05:06Z',
    });
  });

  it('deletes an invite; the payload is an array as documented', async () => {
    const seeded = sim.seedInvite({ name: 'deleteme', expiredOn: '2030-01-01T00:00:00Z' });
    sim.seedUser({ login: 'someuser' });
    const answer = await call('DELETE', `${invites}/${seeded.uuid}`); // 000:694
    expect(answer.status).toBe(200); // 000:712 "200"
    expect(answer.body.success).toBe(true); // 000:716
    // 000:717-722 "payload": [ { …SIP user: uuid, login, ha1 … } ]
    expect(answer.body.payload).toEqual([expect.objectContaining({ login: 'someuser' })]);
    expect(sim.state.invites.size).toBe(0);
  });

  it('answers 404 for an unknown connection or invite, 400 for a bad path uuid', async () => {
    // 000:145 "404 SIP connection not found"
    const unknownConn = await call('GET', `/sip/connection/${randomUUID()}/invites`);
    expect(unknownConn.status).toBe(404);
    expect(unknownConn.body).toEqual({ success: false, message: expect.any(String), status: 404 });
    // 000:572 "404 SIP connection / SIP User not found"
    const unknownInvite = await call('DELETE', `${invites}/${randomUUID()}`);
    expect(unknownInvite.status).toBe(404);
    // 000:439 uuid ^[0-9a-f]{8}-…$
    const badUuid = await call('PATCH', `${invites}/nope`, { name: 'abcd' });
    expect(badUuid.status).toBe(400);
    expect(Object.keys(badUuid.body.fields as object)).toEqual(['params.uuid']);
    // 000:13 sip_connection_uuid ^[0-9a-f]{8}-…$
    const badConn = await call('GET', '/sip/connection/nope/invites');
    expect(Object.keys(badConn.body.fields as object)).toEqual(['params.sip_connection_uuid']);
  });

  it('consumes an accepted invite (helper)', async () => {
    const seeded = sim.seedInvite({ name: 'accepted', expiredOn: '2030-01-01T00:00:00Z' });
    expect(sim.acceptInvite(seeded.uuid)).toBe(true);
    expect(sim.acceptInvite(seeded.uuid)).toBe(false);
    expect((await call('GET', invites)).body.payload).toEqual([]);
  });
});

describe('SIP domain users (002)', () => {
  const domainUser = (uuid: string, domain = DOMAIN) => `/sip/domain/${domain}/user/${uuid}`;

  it('deactivates with a snake_case JSON body and answers the documented domain user', async () => {
    const { uuid } = sim.seedUser({ login: 'domainer', email: 'info@opentact.org' });
    const answer = await call('PATCH', domainUser(uuid), { is_active: false }); // 002:181
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(true); // 002:264
    const user = payload(answer);
    // 002:266-285 field names
    for (const key of [
      'uuid',
      'email',
      'state',
      'is_active',
      'created_on',
      'modified_on',
      'phone_number',
      'dob',
      'avatar',
      'first_name',
      'last_name',
      'gender',
      'login',
      'sip_domain',
      'same_domain_calls_only',
      'groups',
    ]) {
      expect(user).toHaveProperty(key);
    }
    expect(user.is_active).toBe(false); // 002:269 a boolean
    expect(user.uuid).toBe(uuid);
    expect((user.sip_domain as { domain: string }).domain).toBe(DOMAIN); // 002:280
  });

  it('accepts the page’s capitalised query parameters too', async () => {
    const { uuid } = sim.seedUser({ login: 'queryuser' });
    // 002:185-191 "Query Parameters" Is_Active (String)
    const answer = await call(
      'PATCH',
      `${domainUser(uuid)}?Is_Active=false&Phone_number=%2B123456`,
    );
    expect(answer.status).toBe(200);
    expect(payload(answer).is_active).toBe(false);
    expect(sim.state.users.get(uuid)!.is_active).toBe(false);
    expect(payload(answer).phone_number).toBe('+123456');
  });

  it('rejects a non-boolean is_active and a bad Tn_lease with fields', async () => {
    const { uuid } = sim.seedUser({ login: 'badvalues' });
    const answer = await call('PATCH', `${domainUser(uuid)}?Is_Active=maybe`, {
      tn_lease: 'not-a-uuid', // 002:227-229 Tn_lease UUID
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ success: false, status: 400 }); // 002:288-299
    expect(Object.keys(answer.body.fields as object).sort()).toEqual([
      'body.tn_lease',
      'query.is_active',
    ]);
  });

  it('answers 404 for an unknown domain or user', async () => {
    const { uuid } = sim.seedUser({ login: 'domainer' });
    const unknownDomain = await call('PATCH', domainUser(uuid, 'other.sip.opentact.org'), {
      is_active: false,
    });
    expect(unknownDomain.status).toBe(404);
    expect(unknownDomain.body).toEqual({
      success: false,
      message: expect.any(String),
      status: 404,
    });
    const unknownUser = await call('PATCH', domainUser(randomUUID()), { is_active: false });
    expect(unknownUser.status).toBe(404);
  });
});

describe('faults in Opentact’s error shape', () => {
  it('answers an injected 503 as { success: false, message, status }', async () => {
    sim.server.addFault({ method: 'GET', status: 503, retryAfter: 2 });
    const response = await fetch(`${base}/sip/connection/${CONN}/users`, {
      headers: { 'X-Auth-Token': TOKEN },
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual({
      success: false,
      message: expect.any(String),
      status: 503,
    });
  });

  it('reset() empties state, faults and the call log', async () => {
    sim.seedUser({ login: 'resetme1' });
    sim.server.addFault({ status: 500, times: 5 });
    await call('GET', `/sip/connection/${CONN}/users`);
    sim.reset();
    expect(sim.state.users.size).toBe(0);
    expect(sim.server.calls).toHaveLength(0);
    expect((await call('GET', `/sip/connection/${CONN}/users`)).status).toBe(200);
  });
});
