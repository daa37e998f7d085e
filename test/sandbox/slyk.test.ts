import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATE_TIME_RE } from '../../src/sandbox/http.ts';
import { createSlykSimulator } from '../../src/sandbox/slyk.ts';

/**
 * The simulator against document 004 ("Invite"), with raw fetch. "Doc:" comments quote the page.
 */

const KEY = 'slyk-sandbox-key-0123456789';
const DAY = 86_400_000;
const INVITER = '174c3e0d-226f-443a-a010-12b2140de03c'; // Doc: POST /invites/send "Request"
const OTHER_INVITER = '7938e446-1c77-4513-8cb0-8b1f2e9f47b9';
const T0 = Date.parse('2019-07-17T11:39:26.732Z'); // Doc: the examples' createdAt

let clock = T0;
const sim = createSlykSimulator({ apiKey: KEY, now: () => new Date(clock) });
let base = '';

beforeAll(async () => {
  base = await sim.start();
});
afterAll(() => sim.close());
beforeEach(() => {
  clock = T0;
  sim.reset();
});

// biome-ignore lint/suspicious/noExplicitAny: raw JSON answers, checked field by field below.
type Answer = { status: number; body: any; text: string; contentType: string | null };

async function api(
  method: string,
  path: string,
  init: { json?: unknown; raw?: string; key?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const key = init.key === undefined ? KEY : init.key;
  if (key !== null) headers.apikey = key;
  let body: string | undefined;
  if (init.json !== undefined || init.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = init.raw ?? JSON.stringify(init.json);
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : undefined,
    text,
    contentType: response.headers.get('content-type'),
  };
}

const create = async (json: unknown = {}) => (await api('POST', '/invites', { json })).body.data;
const list = async (query: string) => api('GET', `/invites?${query}`);
const codes = async (query: string) => {
  const { status, body } = await list(query);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.data.map((i: { code: string }) => i.code) as string[];
};

/** Doc: every invite object shows exactly these fields. */
const INVITE_KEYS = [
  'code',
  'createdAt',
  'expiredAt',
  'invitedEmail',
  'invitedUserId',
  'inviterUserId',
  'metadata',
  'status',
  'type',
  'updatedAt',
  'url',
];

function expectInviteShape(invite: Record<string, unknown>) {
  expect(Object.keys(invite).sort()).toEqual(INVITE_KEYS);
  expect(invite.code).toMatch(/^I[A-Z0-9]{8}$/); // Doc: "code": "I12345678"
  expect(invite.url).toBe(`https://example.slyk.io/i/${invite.code}`); // Doc: "url"
  for (const key of ['createdAt', 'expiredAt', 'updatedAt']) {
    expect(invite[key]).toMatch(DATE_TIME_RE); // Doc: "2019-07-17T11:39:26.732Z"
  }
  expect(invite.type).toBe('invite'); // Doc: "type": "invite"
  expect(invite.metadata).toEqual({}); // Doc: "metadata": {}
}

describe('Slyk simulator: auth and errors', () => {
  it('answers 401 { code, message } without the apikey header or with a wrong key', async () => {
    for (const key of [null, 'wrong-key']) {
      const { status, body } = await api('GET', '/invites', { key });
      expect(status).toBe(401);
      expect(body).toEqual({ code: 'unauthorized', message: expect.any(String) });
    }
    expect((await api('GET', '/invites', { key: null })).status).toBe(401);
  });

  it('masks the apikey header in the call log', async () => {
    await api('GET', '/invites');
    expect(sim.calls[0]!.headers.apikey).toBe('[redacted]');
    expect(JSON.stringify(sim.calls)).not.toContain(KEY);
  });

  it('answers unknown paths (404) and injected faults in its { code, message } shape', async () => {
    expect((await api('GET', '/nothing')).body).toMatchObject({ code: 'not_found' });
    sim.addFault({ method: 'GET', route: '/invites', status: 503 });
    const { status, body } = await api('GET', '/invites');
    expect(status).toBe(503);
    expect(body).toEqual({ code: 'service_unavailable', message: 'simulated 503' });
  });
});

describe('Slyk simulator: POST /invites', () => {
  it('creates a pending invite that expires 30 days later', async () => {
    // Doc: "Request" `{ "email": "foo@biz.com" }`.
    const { status, body } = await api('POST', '/invites', { json: { email: 'foo@biz.com' } });
    // Doc: "Response" `{ data: { …, status: 'pending' } }`.
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['data']);
    expectInviteShape(body.data);
    expect(body.data).toMatchObject({
      createdAt: '2019-07-17T11:39:26.732Z',
      expiredAt: '2019-08-16T11:39:26.732Z', // Doc: createdAt + 30 days
      updatedAt: '2019-07-17T11:39:26.732Z',
      invitedEmail: 'foo@biz.com',
      invitedUserId: null,
      inviterUserId: null,
      status: 'pending',
    });
  });

  it('takes both fields as optional', async () => {
    // Doc: "email | string | false", "inviterUserId | string | false | … Format uuid".
    const bare = await api('POST', '/invites');
    expect(bare.status).toBe(200);
    expect(bare.body.data.invitedEmail).toBeNull();
    const full = await create({ email: 'a@b.co', inviterUserId: INVITER });
    expect(full.inviterUserId).toBe(INVITER);
  });

  it('rejects a malformed email or inviterUserId with 400 naming the field', async () => {
    for (const [json, field] of [
      [{ email: 'not-an-email' }, 'email'],
      [{ email: 42 }, 'email'],
      [{ inviterUserId: 'nope' }, 'inviterUserId'],
    ] as const) {
      const { status, body } = await api('POST', '/invites', { json });
      expect(status).toBe(400);
      expect(body.code).toBe('invalid_request');
      expect(body.message).toContain(field);
    }
    expect((await api('POST', '/invites', { raw: '{"email":' })).status).toBe(400);
    expect((await api('POST', '/invites', { json: ['a@b.co'] })).status).toBe(400);
    expect(sim.invites()).toHaveLength(0);
  });

  it('honours inviteTtlDays', async () => {
    const short = createSlykSimulator({ apiKey: KEY, inviteTtlDays: 7, now: () => new Date(T0) });
    const url = await short.start();
    try {
      const response = await fetch(`${url}/invites`, { method: 'POST', headers: { apikey: KEY } });
      const { data } = (await response.json()) as {
        data: { createdAt: string; expiredAt: string };
      };
      expect(Date.parse(data.expiredAt) - Date.parse(data.createdAt)).toBe(7 * DAY);
    } finally {
      await short.close();
    }
  });
});

describe('Slyk simulator: GET /invites/:code and validate', () => {
  it('gets an invite by code, 404 { code: not_found } otherwise', async () => {
    const invite = await create({ email: 'foo@bar.com' });
    const { status, body } = await api('GET', `/invites/${invite.code}`);
    expect(status).toBe(200);
    expect(body).toEqual({ data: invite }); // Doc: "Gets the invite details of the given code"
    const missing = await api('GET', '/invites/I00000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 'not_found', message: expect.any(String) });
  });

  it('reads an accepted invite as accepted', async () => {
    const invite = await create({ email: 'foo@bar.com' });
    clock += DAY;
    sim.accept(invite.code, OTHER_INVITER);
    const { body } = await api('GET', `/invites/${invite.code}`);
    // Doc: GET /invites/:code "Response" shows "status": "accepted".
    expect(body.data).toMatchObject({ status: 'accepted', invitedUserId: OTHER_INVITER });
    expect(body.data.updatedAt).toBe(new Date(T0 + DAY).toISOString());
  });

  it('computes expired at read time from the clock', async () => {
    const invite = await create({ email: 'foo@bar.com' });
    clock = T0 + 30 * DAY - 1;
    expect((await api('GET', `/invites/${invite.code}`)).body.data.status).toBe('pending');
    clock = T0 + 30 * DAY;
    expect((await api('GET', `/invites/${invite.code}`)).body.data.status).toBe('expired');
  });

  it('validates a pending invite → { data: { referrerName } }', async () => {
    const invite = await create({ email: 'foo@bar.com', inviterUserId: INVITER });
    const { status, body } = await api('GET', `/invites/${invite.code}/validate`);
    expect(status).toBe(200);
    expect(body).toEqual({ data: { referrerName: 'Waldo Fred' } }); // Doc: "Response"
  });

  it('refuses to validate used or expired invites (400) and unknown codes (404)', async () => {
    const canceled = sim.seed({ email: 'a@b.co', status: 'canceled' });
    const accepted = sim.seed({ email: 'c@d.co', status: 'accepted' });
    const expired = sim.expire(sim.seed({ email: 'e@f.co' }).code);
    for (const [code, word] of [
      [canceled.code, 'canceled'],
      [accepted.code, 'accepted'],
      [expired.code, 'expired'],
    ]) {
      const { status, body } = await api('GET', `/invites/${code}/validate`);
      expect(status).toBe(400);
      expect(body).toEqual({ code: 'invalid_invite', message: `Invite is ${word}` });
    }
    expect((await api('GET', '/invites/I00000000/validate')).status).toBe(404);
  });
});

describe('Slyk simulator: POST /invites/:code/cancel', () => {
  it('cancels a pending invite', async () => {
    const invite = await create({ email: 'foo@biz.com' });
    clock += 1000;
    const { status, body } = await api('POST', `/invites/${invite.code}/cancel`);
    expect(status).toBe(200);
    // Doc: "Response" — the invite with "status": "canceled".
    expectInviteShape(body.data);
    expect(body.data).toMatchObject({ code: invite.code, status: 'canceled' });
    expect(body.data.updatedAt).toBe(new Date(T0 + 1000).toISOString());
  });

  it('answers 409 for canceled or accepted invites, 404 for unknown', async () => {
    const invite = await create({ email: 'foo@biz.com' });
    await api('POST', `/invites/${invite.code}/cancel`);
    const again = await api('POST', `/invites/${invite.code}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ code: 'conflict', message: 'Invite is already canceled' });
    const accepted = sim.seed({ status: 'accepted' });
    expect((await api('POST', `/invites/${accepted.code}/cancel`)).status).toBe(409);
    expect((await api('POST', '/invites/I00000000/cancel')).status).toBe(404);
  });

  it('cancels an expired invite', async () => {
    const invite = sim.expire(sim.seed({ email: 'x@y.co' }).code);
    const { status, body } = await api('POST', `/invites/${invite.code}/cancel`);
    expect(status).toBe(200);
    expect(body.data.status).toBe('canceled');
  });
});

describe('Slyk simulator: POST /invites/send', () => {
  it('answers 204 with no body to an array and records the e-mails', async () => {
    // Doc: "Request" `{ "email": ["corge@garply.com","foo@biz.com"], "inviterUserId": … }`.
    const json = { email: ['corge@garply.com', 'foo@biz.com'], inviterUserId: INVITER };
    const answer = await api('POST', '/invites/send', { json });
    expect(answer.status).toBe(204); // Doc: "204 No Content"
    expect(answer.text).toBe('');
    expect(sim.outbox.map((m) => m.email)).toEqual(['corge@garply.com', 'foo@biz.com']);
    // No invite existed for these addresses: one pending invite each was created.
    const invites = sim.invites();
    expect(invites.map((i) => [i.invitedEmail, i.inviterUserId, i.status])).toEqual([
      ['corge@garply.com', INVITER, 'pending'],
      ['foo@biz.com', INVITER, 'pending'],
    ]);
    expect(sim.outbox[0]).toMatchObject({ code: invites[0]!.code, url: invites[0]!.url });
  });

  it('takes a single string and sends the existing pending invite', async () => {
    // Doc: "email | string array | true | A single or an array of emails".
    const invite = await create({ email: 'Foo@Biz.com' });
    const canceled = sim.seed({ email: 'foo@biz.com', status: 'canceled' });
    expect((await api('POST', '/invites/send', { json: { email: 'foo@biz.com' } })).status).toBe(
      204,
    );
    expect(sim.outbox).toHaveLength(1);
    expect(sim.outbox[0]!.code).toBe(invite.code);
    expect(sim.outbox[0]!.code).not.toBe(canceled.code);
    expect(sim.invites()).toHaveLength(2);
  });

  it('creates a new invite when the existing one has expired', async () => {
    const old = sim.expire(sim.seed({ email: 'foo@biz.com' }).code);
    await api('POST', '/invites/send', { json: { email: 'foo@biz.com' } });
    expect(sim.outbox[0]!.code).not.toBe(old.code);
    expect(sim.invite(sim.outbox[0]!.code)!.status).toBe('pending');
  });

  it('rejects a missing, empty or bad email and a bad inviterUserId with 400', async () => {
    for (const [json, field] of [
      [{}, 'email'],
      [{ email: [] }, 'email'],
      [{ email: ['ok@fine.com', 'nope'] }, 'email'],
      [{ email: 7 }, 'email'],
      [{ email: 'ok@fine.com', inviterUserId: 'x' }, 'inviterUserId'],
    ] as const) {
      const { status, body } = await api('POST', '/invites/send', { json });
      expect(status).toBe(400);
      expect(body).toEqual({ code: 'invalid_request', message: expect.stringContaining(field) });
    }
    expect(sim.outbox).toHaveLength(0);
    expect(sim.invites()).toHaveLength(0);
  });
});

describe('Slyk simulator: GET /invites', () => {
  const seedSet = () => {
    const a = sim.seed({
      email: 'foo@biz.com',
      status: 'canceled',
      inviterUserId: INVITER,
      createdAt: new Date(T0),
      updatedAt: new Date(T0 + 5 * DAY),
    });
    const b = sim.seed({
      email: 'foo@bar.com',
      inviterUserId: OTHER_INVITER,
      createdAt: new Date(T0 + DAY),
      expiredAt: new Date(T0 + 40 * DAY),
    });
    const c = sim.seed({
      email: 'baz@qux.com',
      status: 'accepted',
      invitedUserId: 'fc78d28f-a8dd-49de-a22f-722fe3bd26c7',
      createdAt: new Date(T0 + 2 * DAY),
      expiredAt: new Date(T0 + 10 * DAY),
    });
    const d = sim.seed({ email: 'old@biz.com', createdAt: new Date(T0 - 40 * DAY) }); // expired
    return { a, b, c, d };
  };

  it('answers { data, total } in createdAt order by default', async () => {
    const { a, b, c, d } = seedSet();
    const { status, body } = await list('');
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['data', 'total']); // Doc: "Response"
    expect(body.total).toBe(4);
    body.data.forEach(expectInviteShape);
    expect(body.data.map((i: { code: string }) => i.code)).toEqual([
      d.code,
      a.code,
      b.code,
      c.code,
    ]);
    expect(body.data[0].status).toBe('expired');
  });

  it('filters by code with =, in and nin', async () => {
    const { a, b, c, d } = seedSet();
    expect(await codes(`filter[code]=${a.code}`)).toEqual([a.code]); // Doc: filter[code]=I12345678
    expect(await codes(`filter[code]=in:${a.code},${c.code}`)).toEqual([a.code, c.code]);
    expect(await codes(`filter[code]=nin:${a.code},${c.code}`)).toEqual([d.code, b.code]);
  });

  it('filters by invitedEmail with =, in and nin (case-insensitively)', async () => {
    const { a, b, c, d } = seedSet();
    expect(await codes('filter[invitedEmail]=foo@bar.com')).toEqual([b.code]); // Doc example
    expect(await codes('filter[invitedEmail]=FOO@bar.com')).toEqual([b.code]);
    expect(await codes('filter[invitedEmail]=in:foo@bar.com,baz@qux.com')).toEqual([
      b.code,
      c.code,
    ]);
    expect(await codes('filter[invitedEmail]=nin:foo@bar.com,baz@qux.com')).toEqual([
      d.code,
      a.code,
    ]);
  });

  it('filters by inviterUserId with =, in and nin', async () => {
    const { a, b, c, d } = seedSet();
    expect(await codes(`filter[inviterUserId]=${OTHER_INVITER}`)).toEqual([b.code]); // Doc example
    expect(await codes(`filter[inviterUserId]=in:${INVITER},${OTHER_INVITER}`)).toEqual([
      a.code,
      b.code,
    ]);
    expect(await codes(`filter[inviterUserId]=nin:${INVITER}`)).toEqual([d.code, b.code, c.code]);
  });

  it('filters by computed status with =, in and nin', async () => {
    const { a, b, c, d } = seedSet();
    expect(await codes('filter[status]=nin:canceled')).toEqual([d.code, b.code, c.code]); // Doc
    expect(await codes('filter[status]=pending')).toEqual([b.code]);
    expect(await codes('filter[status]=expired')).toEqual([d.code]);
    expect(await codes('filter[status]=in:accepted,canceled')).toEqual([a.code, c.code]);
    expect((await list('filter[status]=bogus')).status).toBe(400);
  });

  it('filters by invitedUserId with = and with in (the doc example), not nin', async () => {
    const { c } = seedSet();
    const id = 'fc78d28f-a8dd-49de-a22f-722fe3bd26c7';
    expect(await codes(`filter[invitedUserId]=${id}`)).toEqual([c.code]);
    // Doc: filter[invitedUserId]=in:fc78d28f-…,7938e446-…
    expect(
      await codes(`filter[invitedUserId]=in:${id},7938e446-1c77-4513-8cb0-8b1f2e9f47b9`),
    ).toEqual([c.code]);
    const nin = await list(`filter[invitedUserId]=nin:${id}`);
    expect(nin.status).toBe(400);
    expect(nin.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('nin') });
  });

  it('filters by type with = only', async () => {
    seedSet();
    expect(await codes('filter[type]=invite')).toHaveLength(4); // Doc: filter[type]=invite
    expect(await codes('filter[type]=referral')).toHaveLength(0);
    expect((await list('filter[type]=in:invite')).status).toBe(400);
  });

  it('filters by expiredAt with gte and lte (dates and date-times), not =', async () => {
    const { a, b, c, d } = seedSet();
    // a: T0+30d (2019-08-16), b: T0+40d, c: T0+10d, d: T0-10d
    expect(await codes('filter[expiredAt]=gte:2019-08-16')).toEqual([a.code, b.code]); // Doc form
    expect(await codes('filter[expiredAt]=lte:2019-08-16')).toEqual([d.code, c.code]);
    expect(await codes(`filter[expiredAt]=lte:${a.expiredAt}`)).toEqual([d.code, a.code, c.code]);
    expect(
      await codes('filter[expiredAt]=gte:2019-07-20&filter[expiredAt]=lte:2019-08-20'),
    ).toEqual([a.code, c.code]);
    expect((await list('filter[expiredAt]=2019-08-16')).status).toBe(400);
    expect((await list('filter[expiredAt]=gte:yesterday')).status).toBe(400);
  });

  it('rejects unknown filters, operators and empty values with 400', async () => {
    for (const query of [
      'filter[email]=a@b.co',
      'filter[createdAt]=gte:2019-01-01',
      'filter[status]=gte:pending',
      'filter[code]=in:',
      'filter[code]=in:a,,b',
    ]) {
      const { status, body } = await list(query);
      expect(status, query).toBe(400);
      expect(body.code).toBe('invalid_request');
    }
  });

  it('sorts by createdAt, expiredAt and updatedAt, ascending or descending with -', async () => {
    const { a, b, c, d } = seedSet();
    expect(await codes('sort=createdAt')).toEqual([d.code, a.code, b.code, c.code]);
    expect(await codes('sort=-createdAt')).toEqual([c.code, b.code, a.code, d.code]);
    expect(await codes('sort=expiredAt')).toEqual([d.code, c.code, a.code, b.code]);
    expect(await codes('sort=-expiredAt')).toEqual([b.code, a.code, c.code, d.code]);
    expect(await codes('sort=-updatedAt')).toEqual([a.code, c.code, b.code, d.code]);
    expect(await codes('sort=updatedAt')).toEqual([d.code, b.code, c.code, a.code]);
    for (const query of ['sort=code', 'sort=--createdAt', 'sort=']) {
      expect((await list(query)).status, query).toBe(400);
    }
  });

  it('paginates with page[size] (default 30) and page[number] (default 1)', async () => {
    const all = Array.from({ length: 35 }, (_, n) =>
      sim.seed({ email: `u${n}@example.com`, createdAt: new Date(T0 + n) }),
    );
    const first = await list('');
    expect(first.body.data).toHaveLength(30); // Doc: "Default = 30"
    expect(first.body.total).toBe(35);
    const second = await list('page[number]=2');
    expect(second.body.data.map((i: { code: string }) => i.code)).toEqual(
      all.slice(30).map((i) => i.code),
    );
    // Doc: page[size]=2, page[number]=2
    expect(await codes('page[size]=2&page[number]=2')).toEqual([all[2]!.code, all[3]!.code]);
    const beyond = await list('page[size]=10&page[number]=9');
    expect(beyond.body).toEqual({ data: [], total: 35 });
    for (const query of ['page[size]=0', 'page[size]=-1', 'page[number]=x', 'page[offset]=2']) {
      expect((await list(query)).status, query).toBe(400);
    }
  });

  it('counts total after filtering and before paging', async () => {
    seedSet();
    const { body } = await list('filter[status]=nin:canceled&page[size]=1');
    expect(body.data).toHaveLength(1);
    expect(body.total).toBe(3);
  });
});

describe('Slyk simulator: test helpers', () => {
  it('reset forgets invites, outbox, calls and faults', async () => {
    await api('POST', '/invites/send', { json: { email: 'a@b.co' } });
    sim.addFault({ status: 500 });
    sim.reset();
    expect(sim.invites()).toHaveLength(0);
    expect(sim.outbox).toHaveLength(0);
    expect(sim.calls).toHaveLength(0);
    expect((await api('GET', '/invites')).status).toBe(200);
  });
});
