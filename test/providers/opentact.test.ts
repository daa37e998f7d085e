import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/providers/http.ts';
import {
  createOpentactClient,
  type OpentactClient,
  type OpentactClientOptions,
} from '../../src/providers/opentact.ts';
import { createOpentactSimulator } from '../../src/sandbox/opentact.ts';

const TOKEN = 'opentact-test-jwt-4f1c9a7e2b';
const CONN = randomUUID();
const OTHER_CONN = randomUUID();
const DOMAIN = 'abc.sip.opentact.org';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const sim = createOpentactSimulator({
  token: TOKEN,
  connections: [CONN, OTHER_CONN],
  domain: DOMAIN,
});
let baseUrl = '';

const FAST = { backoffLimitMs: 50, maxRetryAfterMs: 1500, timeoutMs: 2_000, totalTimeoutMs: 5_000 };

function client(overrides: Partial<OpentactClientOptions> = {}): OpentactClient {
  return createOpentactClient({
    baseUrl,
    token: TOKEN,
    sipConnectionUuid: CONN,
    sipDomain: DOMAIN,
    http: FAST,
    ...overrides,
  });
}

/** The rejection of `promise`, asserted to be an UpstreamError. */
async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

/** No secret anywhere in what an error can carry. */
function expectNoSecret(error: Error, ...secrets: string[]) {
  for (const secret of [TOKEN, ...secrets]) {
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(String(error)).not.toContain(secret);
  }
}

/** Every key at any depth. */
function keysDeep(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysDeep(item, out);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.add(key);
      keysDeep(item, out);
    }
  }
  return out;
}

const person = (login = `user${Math.floor(Math.random() * 1e6)}`) => ({
  login,
  first_name: 'Ada',
  last_name: 'Lovelace',
  email: `${login}@example.com`,
  phone_number: '+49 151 1234-5678',
});

beforeAll(async () => {
  baseUrl = await sim.server.start();
});
afterEach(() => sim.reset());
afterAll(() => sim.server.close());

describe('SIP users', () => {
  it('creates a SIP user via POST /sip/connection/user, connection in the body', async () => {
    const opentact = client();
    const user = await opentact.createSipUser(person('adalove1'));
    expect(user.uuid).toMatch(UUID_V4);
    expect(user.login).toBe('adalove1');
    expect(user.email).toBe('adalove1@example.com');
    expect(user.phone_number).toBe('+4915112345678');

    const [call] = sim.server.callsTo('POST', '/sip/connection/user');
    const body = call!.body as Record<string, unknown>;
    expect(call!.headers['x-auth-token']).toBe('[redacted]'); // sent, and masked in the log
    expect(body.sip_connection_uuid).toBe(CONN);
    expect(body.phone_number).toBe('+4915112345678');
    expect(body.password).toMatch(UUID_V4); // generated: 001 gives password the UUID pattern
  });

  it('never returns password, ha1, ha1b or any token from a SIP user', async () => {
    const opentact = client();
    const password = randomUUID();
    const created = await opentact.createSipUser({ ...person('secretive'), password });
    const fetched = await opentact.getSipUser(created.uuid);
    const listed = await opentact.listSipUsers();
    for (const value of [created, fetched, listed]) {
      const keys = keysDeep(value);
      for (const secret of ['password', 'ha1', 'ha1b', 'token'])
        expect(keys.has(secret)).toBe(false);
      expect(JSON.stringify(value)).not.toContain(password);
    }
    // The rest passes through (loose schema): the connection the user belongs to.
    expect((created.sip_connection as { uuid: string }).uuid).toBe(CONN);
  });

  it('lists the SIP users of the default connection and of another one', async () => {
    const opentact = client();
    sim.seedUser({ login: 'seeded01' });
    sim.seedUser({ login: 'seeded02', connectionUuid: OTHER_CONN });
    expect((await opentact.listSipUsers()).map((u) => u.login)).toEqual(['seeded01']);
    expect((await opentact.listSipUsers(OTHER_CONN)).map((u) => u.login)).toEqual(['seeded02']);
  });

  it('gets, modifies and removes a SIP user', async () => {
    const opentact = client();
    const { uuid } = sim.seedUser({ login: 'modifyme', first_name: 'Old' });
    expect((await opentact.getSipUser(uuid)).first_name).toBe('Old');

    const modified = await opentact.modifySipUser(uuid, { first_name: 'New', login: 'abc' });
    expect(modified.first_name).toBe('New');
    expect(modified.login).toBe('abc'); // 001: login [ 3 .. 60 ] on modify

    await opentact.removeSipUser(uuid);
    const gone = await failure(opentact.getSipUser(uuid));
    expect(gone.status).toBe(404);
  });

  it('maps a 400 with fields onto UpstreamError.fields without echoing values', async () => {
    const opentact = client();
    const password = 'not-a-uuid-but-a-secret-value';
    const error = await failure(
      opentact.createSipUser({ ...person('short'), password, first_name: '' }),
    );
    expect(error.kind).toBe('http');
    expect(error.status).toBe(400);
    expect(Object.keys(error.fields).sort()).toEqual([
      'body.first_name',
      'body.login',
      'body.password',
    ]);
    expect(error.fields['body.login']).toMatch(/7 \.\. 15/);
    expectNoSecret(error, password);
    expect(error.outcomeUnknown).toBe(false);
    expect(error.transient).toBe(false);
  });

  it('answers 409 with body.login on a duplicate login', async () => {
    const opentact = client();
    sim.seedUser({ login: 'takenlogin' });
    const password = randomUUID();
    const error = await failure(opentact.createSipUser({ ...person('takenlogin'), password }));
    expect(error.status).toBe(409);
    expect(error.fields).toEqual({ 'body.login': 'login already exists' });
    expectNoSecret(error, password);
  });

  it('answers 404 for an unknown connection and an unknown user', async () => {
    const opentact = client();
    const unknownConn = await failure(opentact.listSipUsers(randomUUID()));
    expect(unknownConn.status).toBe(404);
    expect(unknownConn.message).toBe(
      'Opentact list SIP users failed (HTTP 404): SIP connection not found',
    );
    const unknownUser = await failure(opentact.modifySipUser(randomUUID(), { first_name: 'X' }));
    expect(unknownUser.status).toBe(404);
    expect((await failure(opentact.removeSipUser(randomUUID()))).status).toBe(404);
  });

  it('answers 400 with params.uuid for a path uuid that is not a UUID', async () => {
    const error = await failure(client().getSipUser('not-a-uuid'));
    expect(error.status).toBe(400);
    expect(Object.keys(error.fields)).toEqual(['params.uuid']);
  });
});

describe('SIP user invites', () => {
  it('creates, lists, modifies and removes an invite', async () => {
    const opentact = client();
    const expiredOn = new Date('2030-01-02T03:04:05.000Z');
    const invite = await opentact.createInvite({ name: 'adalove1', expiredOn });
    expect(invite.uuid).toMatch(UUID_V4);
    expect(invite.name).toBe('adalove1');
    expect(invite.expired_on).toBe('2030-01-02T03:04:05.000Z');
    expect(invite.expiredOn).toEqual(expiredOn);
    expect(invite.token).toEqual(expect.any(String)); // the bot knows it exists
    expect(keysDeep(invite.sip_connection).has('token')).toBe(false);
    expect(keysDeep(invite.created_by).has('password')).toBe(false);
    const [call] = sim.server.callsTo('POST', '/sip/connection/:sip_connection_uuid/invites');
    expect(call!.body).toEqual({ name: 'adalove1', expired_on: '2030-01-02T03:04:05.000Z' });

    expect((await opentact.listInvites()).map((i) => i.uuid)).toEqual([invite.uuid]);

    const later = new Date('2031-05-06T07:08:09.000Z');
    const modified = await opentact.modifyInvite(invite.uuid, { expiredOn: later });
    expect(modified.expiredOn).toEqual(later);
    expect(modified.name).toBe('adalove1');

    await opentact.removeInvite(invite.uuid);
    expect(await opentact.listInvites()).toEqual([]);
  });

  it('sees an accepted invite disappear from the list', async () => {
    const opentact = client();
    const invite = await opentact.createInvite({
      name: 'accepted',
      expiredOn: new Date(Date.now() + 86_400_000),
    });
    expect(sim.acceptInvite(invite.uuid)).toBe(true);
    expect(await opentact.listInvites()).toEqual([]);
  });

  it('rejects an invite name that is too short (400, body.name)', async () => {
    const error = await failure(client().createInvite({ name: 'ab', expiredOn: new Date() }));
    expect(error.status).toBe(400);
    expect(Object.keys(error.fields)).toEqual(['body.name']);
  });

  it('answers 404 for an unknown invite and an unknown connection', async () => {
    expect((await failure(client().removeInvite(randomUUID()))).status).toBe(404);
    expect((await failure(client().modifyInvite(randomUUID(), { name: 'abcd' }))).status).toBe(404);
    const elsewhere = client({ sipConnectionUuid: randomUUID() });
    expect((await failure(elsewhere.listInvites())).status).toBe(404);
  });

  it('never puts the invite token into an error message', async () => {
    const opentact = client();
    const invite = await opentact.createInvite({ name: 'leaky', expiredOn: new Date() });
    sim.server.addFault({
      method: 'GET',
      status: 500,
      body: { success: false, message: `token ${invite.token} is broken`, status: 500 },
    });
    const error = await failure(client({ http: { ...FAST, retries: 0 } }).listInvites());
    expect(error.status).toBe(500);
    expectNoSecret(error, invite.token!);
  });
});

describe('SIP domain users', () => {
  it('deactivates and reactivates a domain user with a snake_case JSON body', async () => {
    const opentact = client();
    const { uuid } = sim.seedUser({ login: 'domainer' });
    const off = await opentact.modifyDomainUser(uuid, { is_active: false });
    expect(off.is_active).toBe(false);
    expect(off.uuid).toBe(uuid);
    expect(off.login).toBe('domainer');
    expect(sim.state.users.get(uuid)!.is_active).toBe(false);
    const [call] = sim.server.callsTo('PATCH', '/sip/domain/:domain/user/:uuid');
    expect(call!.body).toEqual({ is_active: false });
    expect(call!.query).toEqual({});

    expect((await opentact.modifyDomainUser(uuid, { is_active: true })).is_active).toBe(true);
  });

  it('throws a clear error without a SIP domain, before any call', async () => {
    const opentact = client({ sipDomain: undefined });
    expect(opentact.canModifyDomainUsers).toBe(false);
    await expect(opentact.modifyDomainUser(randomUUID(), { is_active: false })).rejects.toThrow(
      /SIP domain is not configured/,
    );
    expect(sim.server.calls).toHaveLength(0);
  });

  it('answers 404 for an unknown domain and an unknown user', async () => {
    const { uuid } = sim.seedUser({ login: 'domainer' });
    const wrongDomain = client({ sipDomain: 'other.sip.opentact.org' });
    expect((await failure(wrongDomain.modifyDomainUser(uuid, { is_active: false }))).status).toBe(
      404,
    );
    const unknownUser = await failure(
      client().modifyDomainUser(randomUUID(), { is_active: false }),
    );
    expect(unknownUser.status).toBe(404);
  });
});

describe('errors', () => {
  it('answers 401 to a wrong token without leaking either token', async () => {
    const wrong = 'wrong-token-9d8c7b6a5f';
    const error = await failure(client({ token: wrong }).listSipUsers());
    expect(error.status).toBe(401);
    expect(error.kind).toBe('http');
    expectNoSecret(error, wrong);
  });

  it('redacts the token when an error message echoes it', async () => {
    sim.server.addFault({
      status: 401,
      body: { success: false, message: `token ${TOKEN} has expired`, status: 401 },
    });
    const error = await failure(client().listSipUsers());
    expect(error.status).toBe(401);
    expect(error.message).toContain('[redacted]');
    expectNoSecret(error);
  });

  it('treats success:false in a 200 as an error', async () => {
    sim.server.addFault({
      method: 'GET',
      status: 200,
      body: {
        success: false,
        message: 'SIP connection is disabled',
        status: 0, // as the documents' examples show
        fields: { 'params.uuid': { message: 'disabled', value: 'x' } },
      },
    });
    const error = await failure(client().listSipUsers());
    expect(error.kind).toBe('http');
    expect(error.status).toBe(200);
    expect(error.upstreamMessage).toBe('SIP connection is disabled');
    expect(error.fields).toEqual({ 'params.uuid': 'disabled' });
  });

  it('reports malformed JSON as invalid-response', async () => {
    sim.server.addFault({ method: 'GET', malformed: true });
    const error = await failure(client().listInvites());
    expect(error.kind).toBe('invalid-response');
    expect(error.status).toBe(200);
  });

  it('reports a 2xx that breaks the documented shape as invalid-response', async () => {
    sim.server.addFault({ method: 'GET', status: 200, body: { success: true, payload: [{}] } });
    const error = await failure(client().listSipUsers());
    expect(error.kind).toBe('invalid-response');
    expect(error.message).toMatch(/uuid/);
  });
});

describe('retry policy', () => {
  it('sends a POST that gets 503 exactly once', async () => {
    sim.server.addFault({ method: 'POST', route: '/sip/connection/user', status: 503, times: 3 });
    const password = randomUUID();
    const error = await failure(client().createSipUser({ ...person('once5031'), password }));
    expect(error.status).toBe(503);
    expect(error.outcome).toBe('failed');
    expect(sim.server.callsTo('POST', '/sip/connection/user')).toHaveLength(1);
    expectNoSecret(error, password);
  });

  it('retries a GET after 429 once Retry-After has passed', async () => {
    sim.seedUser({ login: 'patient1' });
    sim.server.addFault({ method: 'GET', status: 429, retryAfter: 1 });
    const started = Date.now();
    const users = await client().listSipUsers();
    const elapsed = Date.now() - started;
    expect(users.map((u) => u.login)).toEqual(['patient1']);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    const calls = sim.server.callsTo('GET', '/sip/connection/:uuid/users');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it('retries a PATCH after a 503', async () => {
    const { uuid } = sim.seedUser({ login: 'retrypat' });
    sim.server.addFault({ method: 'PATCH', status: 503 });
    const user = await client().modifySipUser(uuid, { last_name: 'Byron' });
    expect(user.last_name).toBe('Byron');
    const calls = sim.server.callsTo('PATCH', '/sip/connection/user/:uuid');
    expect(calls.map((c) => c.status)).toEqual([503, 200]);
  });

  it('times out a hung GET', async () => {
    sim.server.addFault({ method: 'GET', hang: true });
    const opentact = client({ http: { ...FAST, timeoutMs: 300, retries: 0 } });
    const started = Date.now();
    const error = await failure(opentact.listInvites());
    expect(error.kind).toBe('timeout');
    expect(error.transient).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('retries a GET that hung once, within the time budget', async () => {
    sim.server.addFault({ method: 'GET', hang: true });
    const opentact = client({ http: { ...FAST, timeoutMs: 300, retries: 1 } });
    expect(await opentact.listInvites()).toEqual([]);
    expect(sim.server.callsTo('GET', '/sip/connection/:sip_connection_uuid/invites')).toHaveLength(
      2,
    );
  });
});
