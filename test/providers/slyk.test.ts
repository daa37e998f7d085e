import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/providers/http.ts';
import {
  createSlykClient,
  inviteSearchParams,
  isInviteUsable,
  type SlykClientOptions,
  type SlykInvite,
} from '../../src/providers/slyk.ts';
import { sleep } from '../../src/sandbox/http.ts';
import { createSlykSimulator } from '../../src/sandbox/slyk.ts';

const KEY = 'slyk-client-key-a1b2c3d4e5f6';
const INVITER = '174c3e0d-226f-443a-a010-12b2140de03c';
const FAST = { backoffLimitMs: 50, maxRetryAfterMs: 1500, timeoutMs: 2000 };

const sim = createSlykSimulator({ apiKey: KEY });
let baseUrl = '';

beforeAll(async () => {
  baseUrl = await sim.start();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const client = (options: Partial<SlykClientOptions> = {}) =>
  createSlykClient({ baseUrl, apiKey: KEY, http: FAST, ...options });

/** The rejection of `promise`, checked to carry no secret anywhere. */
async function failure(promise: Promise<unknown>, secrets: string[] = []): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  const upstream = error as UpstreamError;
  for (const text of [upstream.message, String(upstream.stack), JSON.stringify(upstream)]) {
    for (const secret of [KEY, ...secrets]) expect(text).not.toContain(secret);
  }
  return upstream;
}

const last = () => sim.calls.at(-1)!;

describe('Slyk client: createInvite', () => {
  it('POSTs /invites with the apikey header and returns the invite', async () => {
    const invite = await client().createInvite({ email: 'foo@biz.com', inviterUserId: INVITER });
    expect(invite).toMatchObject({
      invitedEmail: 'foo@biz.com',
      inviterUserId: INVITER,
      status: 'pending',
      type: 'invite',
    });
    expect(invite).toEqual(sim.invite(invite.code));
    expect(last()).toMatchObject({
      method: 'POST',
      path: '/invites',
      body: { email: 'foo@biz.com', inviterUserId: INVITER },
      headers: { apikey: '[redacted]' },
    });
  });

  it('sends only the fields given', async () => {
    await client().createInvite();
    expect(last().body).toEqual({});
  });

  it('fails with 400 and the field in the message on a bad email', async () => {
    const error = await failure(client().createInvite({ email: 'nope' }));
    expect(error).toMatchObject({ kind: 'http', status: 400, operation: 'createInvite' });
    expect(error.upstreamMessage).toBe('email must be a valid e-mail address (invalid_request)');
  });

  it('sends a POST that meets 503 once and marks the outcome unknown', async () => {
    sim.addFault({ method: 'POST', route: '/invites', status: 503, retryAfter: 0 });
    const error = await failure(client().createInvite({ email: 'foo@biz.com' }));
    expect(error).toMatchObject({ status: 503, outcome: 'failed', transient: true });
    expect(sim.callsTo('POST', '/invites')).toHaveLength(1);
    expect(sim.invites()).toHaveLength(0);
  });

  it('does not retry a POST that times out', async () => {
    sim.addFault({ method: 'POST', route: '/invites', delayMs: 400 });
    const slow = client({ http: { ...FAST, timeoutMs: 100 } });
    const error = await failure(slow.createInvite({ email: 'foo@biz.com' }));
    expect(error).toMatchObject({ kind: 'timeout', outcomeUnknown: true });
    await sleep(450);
    expect(sim.callsTo('POST', '/invites')).toHaveLength(1);
  });

  it('rejects an answer that is not the documented shape, without the invite link', async () => {
    const data = { ...sim.seed({ email: 'a@b.co' }), status: 'used' };
    sim.addFault({ method: 'POST', route: '/invites', status: 200, body: { data } });
    const error = await failure(client().createInvite({ email: 'a@b.co' }), [data.url, data.code]);
    expect(error.kind).toBe('invalid-response');
    expect(error.upstreamMessage).toContain('data.status');
  });
});

describe('Slyk client: getInvite, validateInvite, cancelInvite', () => {
  it('gets an invite', async () => {
    const seeded = sim.seed({ email: 'foo@bar.com' });
    expect(await client().getInvite(seeded.code)).toEqual(seeded);
    expect(last()).toMatchObject({ method: 'GET', path: '/invites/:code' });
  });

  it('fails with 404 on an unknown code, without the code in the error', async () => {
    const error = await failure(client().getInvite('I99999999'), ['I99999999']);
    expect(error).toMatchObject({ status: 404, operation: 'getInvite' });
    expect(error.upstreamMessage).toBe('Invite not found (not_found)');
  });

  it('scrubs the invite link and code Slyk may echo in an error', async () => {
    const invite = sim.seed({ email: 'foo@bar.com' });
    const message = `Invite ${invite.code} (${invite.url}) is broken`;
    for (const route of ['/invites/:code', '/invites/:code/validate', '/invites/:code/cancel']) {
      sim.addFault({ route, status: 400, body: { code: 'bad', message } });
    }
    const slyk = client();
    for (const call of [
      () => slyk.getInvite(invite.code),
      () => slyk.validateInvite(invite.code),
      () => slyk.cancelInvite(invite.code),
    ]) {
      const error = await failure(call(), [invite.code, invite.url]);
      expect(error.upstreamMessage).toBe('Invite [code] ([link] is broken (bad)');
    }
  });

  it('keeps the codes of filter[code] out of a list error', async () => {
    const message = 'Unknown codes I11111111, I22222222';
    sim.addFault({ route: '/invites', status: 400, body: { code: 'bad', message } });
    const query = { filter: { code: { in: ['I11111111', 'I22222222'] } } };
    const error = await failure(client().listInvites(query), ['I11111111', 'I22222222']);
    expect(error.upstreamMessage).toBe('Unknown codes [code], [code] (bad)');
  });

  it('retries a GET after 429 once the Retry-After delay has passed', async () => {
    const seeded = sim.seed({ email: 'foo@bar.com' });
    sim.addFault({ method: 'GET', route: '/invites/:code', status: 429, retryAfter: 1 });
    const started = performance.now();
    expect(await client().getInvite(seeded.code)).toEqual(seeded);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    const calls = sim.callsTo('GET', '/invites/:code');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries a GET on 5xx and on a time-out, then gives up after the retries', async () => {
    const seeded = sim.seed({ email: 'foo@bar.com' });
    sim.addFault({ method: 'GET', route: '/invites/:code', status: 502 });
    sim.addFault({ method: 'GET', route: '/invites/:code', hang: true });
    const slyk = client({ http: { ...FAST, timeoutMs: 200 } });
    expect(await slyk.getInvite(seeded.code)).toEqual(seeded);
    expect(sim.callsTo('GET', '/invites/:code').map((c) => c.status)).toEqual([502, 0, 200]);

    sim.addFault({ method: 'GET', route: '/invites/:code', status: 500, times: 3 });
    const error = await failure(slyk.getInvite(seeded.code), [seeded.code]);
    expect(error).toMatchObject({ status: 500, transient: true });
    expect(sim.callsTo('GET', '/invites/:code')).toHaveLength(6);
  });

  it('validates a usable invite and fails (400) on a canceled one', async () => {
    const pending = sim.seed({ email: 'foo@bar.com' });
    expect(await client().validateInvite(pending.code)).toEqual({ referrerName: 'Waldo Fred' });
    const canceled = sim.seed({ email: 'foo@bar.com', status: 'canceled' });
    const error = await failure(client().validateInvite(canceled.code), [canceled.code]);
    expect(error).toMatchObject({ status: 400, operation: 'validateInvite' });
    expect(error.upstreamMessage).toBe('Invite is canceled (invalid_invite)');
    expect((await failure(client().validateInvite('I00000000'))).status).toBe(404);
  });

  it('cancels an invite; cancelling again fails with 409', async () => {
    const invite = sim.seed({ email: 'foo@biz.com' });
    const canceled = await client().cancelInvite(invite.code);
    expect(canceled).toMatchObject({ code: invite.code, status: 'canceled' });
    expect(last()).toMatchObject({ method: 'POST', path: '/invites/:code/cancel' });
    const error = await failure(client().cancelInvite(invite.code), [invite.code]);
    expect(error).toMatchObject({ status: 409, outcomeUnknown: false });
    expect(error.upstreamMessage).toBe('Invite is already canceled (conflict)');
  });

  it('encodes the code into the path', async () => {
    await failure(client().getInvite('a/b?c'));
    expect(last()).toMatchObject({ path: '/invites/:code', status: 404 });
  });

  it('refuses an empty code before any call', async () => {
    await expect(client().getInvite('')).rejects.toThrow(TypeError);
    await expect(client().cancelInvite(' ')).rejects.toThrow(TypeError);
    expect(sim.calls).toHaveLength(0);
  });
});

describe('Slyk client: sendInvites', () => {
  it('POSTs /invites/send with one address and resolves on 204', async () => {
    await expect(client().sendInvites({ email: 'foo@biz.com' })).resolves.toBeUndefined();
    expect(last()).toMatchObject({ status: 204, body: { email: 'foo@biz.com' } });
    expect(sim.outbox.map((m) => m.email)).toEqual(['foo@biz.com']);
  });

  it('POSTs an array with the inviter', async () => {
    const email = ['corge@garply.com', 'foo@biz.com'];
    await client().sendInvites({ email, inviterUserId: INVITER });
    expect(last().body).toEqual({ email, inviterUserId: INVITER });
    expect(sim.outbox.map((m) => m.email)).toEqual(email);
  });

  it('sends the invite created before (create + send gives one invite)', async () => {
    const invite = await client().createInvite({ email: 'foo@biz.com' });
    await client().sendInvites({ email: 'foo@biz.com' });
    expect(sim.outbox[0]!.code).toBe(invite.code);
    expect(sim.invites()).toHaveLength(1);
  });

  it('fails with 400 on a bad address, and refuses an empty list before any call', async () => {
    const error = await failure(client().sendInvites({ email: ['ok@fine.com', 'bad'] }));
    expect(error).toMatchObject({ status: 400, operation: 'sendInvites' });
    expect(error.upstreamMessage).toContain('email');
    await expect(client().sendInvites({ email: [] })).rejects.toThrow(TypeError);
    expect(sim.calls).toHaveLength(1);
  });

  it('sends a POST that meets 503 once', async () => {
    sim.addFault({ method: 'POST', route: '/invites/send', status: 503, retryAfter: 0 });
    const error = await failure(client().sendInvites({ email: 'foo@biz.com' }));
    expect(error).toMatchObject({ status: 503, outcome: 'failed' });
    expect(sim.callsTo('POST', '/invites/send')).toHaveLength(1);
    expect(sim.outbox).toHaveLength(0);
  });
});

describe('Slyk client: auth and transport', () => {
  it('turns 401 into an UpstreamError without the API key, on every call', async () => {
    const wrongKey = 'wrong-slyk-key-000000';
    const slyk = client({ apiKey: wrongKey });
    for (const call of [
      () => slyk.listInvites(),
      () => slyk.getInvite('I00000000'),
      () => slyk.validateInvite('I00000000'),
      () => slyk.createInvite({ email: 'a@b.co' }),
      () => slyk.cancelInvite('I00000000'),
      () => slyk.sendInvites({ email: 'a@b.co' }),
    ]) {
      const error = await failure(call(), [wrongKey]);
      expect(error).toMatchObject({ kind: 'http', status: 401 });
      expect(error.upstreamMessage).toBe('Invalid API key (unauthorized)');
    }
  });

  it('scrubs an API key Slyk echoes back', async () => {
    sim.addFault({ status: 403, body: { code: 'forbidden', message: `key ${KEY} lacks scope` } });
    const error = await failure(client().listInvites());
    expect(error.upstreamMessage).toBe('key [redacted] lacks scope (forbidden)');
  });

  it('tolerates other error shapes', async () => {
    sim.addFault({ status: 422, body: { error: { code: 'x', message: 'nested' } } });
    expect((await failure(client().createInvite())).upstreamMessage).toBe('nested (x)');
    sim.addFault({ status: 422, body: { message: 'v', errors: { email: ['is invalid'] } } });
    expect((await failure(client().createInvite())).fields).toEqual({ email: 'is invalid' });
    sim.addFault({ status: 400, body: [1, 2] });
    expect((await failure(client().createInvite())).upstreamMessage).toMatch(/HTTP 400/);
  });

  it('reports malformed JSON and refused connections', async () => {
    sim.addFault({ route: '/invites', malformed: true });
    expect((await failure(client().listInvites())).kind).toBe('invalid-response');
    const closed = createSlykSimulator({ apiKey: KEY });
    const url = await closed.start();
    await closed.close();
    const error = await failure(
      client({ baseUrl: url, http: { ...FAST, retries: 0 } }).listInvites(),
    );
    expect(error.kind).toBe('network');
  });
});

describe('Slyk client: listInvites and iterateInvites', () => {
  it('serialises every filter, the sort and the page exactly as documented', async () => {
    await client().listInvites({
      filter: {
        code: 'I12345678',
        invitedEmail: { in: ['foo@bar.com', 'foo@biz.com'] },
        inviterUserId: { nin: [INVITER] },
        status: { nin: ['canceled'] },
        invitedUserId: { in: [INVITER, '7938e446-1c77-4513-8cb0-8b1f2e9f47b9'] },
        type: 'invite',
        expiredAt: { gte: '2020-03-05' },
      },
      sort: '-createdAt',
      page: { size: 2, number: 3 },
    });
    expect(last().query).toEqual({
      'filter[code]': 'I12345678',
      'filter[invitedEmail]': 'in:foo@bar.com,foo@biz.com',
      'filter[inviterUserId]': `nin:${INVITER}`,
      'filter[status]': 'nin:canceled',
      'filter[invitedUserId]': `in:${INVITER},7938e446-1c77-4513-8cb0-8b1f2e9f47b9`,
      'filter[type]': 'invite',
      'filter[expiredAt]': 'gte:2020-03-05',
      sort: '-createdAt',
      'page[size]': '2',
      'page[number]': '3',
    });
    expect(last().status).toBe(200);
  });

  it('serialises the other operators', () => {
    const at = new Date('2020-03-05T10:00:00.000Z');
    const params = inviteSearchParams({
      filter: {
        code: { nin: ['I1', 'I2'] },
        status: 'pending',
        inviterUserId: INVITER,
        expiredAt: { lte: at },
      },
      sort: 'expiredAt',
    });
    expect(Object.fromEntries(params)).toEqual({
      'filter[code]': 'nin:I1,I2',
      'filter[status]': 'pending',
      'filter[inviterUserId]': INVITER,
      'filter[expiredAt]': 'lte:2020-03-05T10:00:00.000Z',
      sort: 'expiredAt',
    });
    expect(inviteSearchParams().toString()).toBe('');
  });

  it('refuses filters that cannot be written, before any call', async () => {
    const slyk = client();
    await expect(slyk.listInvites({ filter: { code: { in: [] } } })).rejects.toThrow(TypeError);
    await expect(
      slyk.listInvites({ filter: { invitedEmail: { in: ['a,b@c.d'] } } }),
    ).rejects.toThrow(/comma/);
    await expect(slyk.listInvites({ filter: { code: 'nin:I1' } })).rejects.toThrow(/operator/);
    await expect(slyk.listInvites({ filter: { expiredAt: { gte: 'soon' } } })).rejects.toThrow(
      TypeError,
    );
    await expect(slyk.listInvites({ page: { size: 0 } })).rejects.toThrow(TypeError);
    expect(sim.calls).toHaveLength(0);
  });

  it('returns { data, total } filtered by the simulator', async () => {
    const a = sim.seed({ email: 'a@b.co' });
    sim.seed({ email: 'c@d.co', status: 'canceled' });
    const c = sim.seed({ email: 'e@f.co', status: 'accepted' });
    const page = await client().listInvites({ filter: { status: { nin: ['canceled'] } } });
    expect(page.total).toBe(2);
    expect(page.data.map((i) => i.code)).toEqual([a.code, c.code]);
  });

  it('iterates over every page until the total is reached', async () => {
    const all = Array.from({ length: 7 }, (_, n) =>
      sim.seed({ email: `u${n}@example.com`, createdAt: new Date(Date.now() - 10_000 + n) }),
    );
    const seen: SlykInvite[] = [];
    for await (const invite of client().iterateInvites({ page: { size: 3 } })) seen.push(invite);
    expect(seen.map((i) => i.code)).toEqual(all.map((i) => i.code));
    const pages = sim.callsTo('GET', '/invites').map((c) => c.query['page[number]']);
    expect(pages).toEqual(['1', '2', '3']);
  });

  it('passes filters and sort to every page, and stops on an exact multiple', async () => {
    for (let n = 0; n < 4; n += 1) sim.seed({ email: `p${n}@example.com` });
    sim.seed({ email: 'gone@example.com', status: 'canceled' });
    const seen: string[] = [];
    const query = { filter: { status: 'pending' as const }, sort: '-createdAt' as const };
    for await (const invite of client().iterateInvites({ ...query, page: { size: 2 } })) {
      seen.push(invite.invitedEmail!);
    }
    expect(seen).toHaveLength(4);
    const calls = sim.callsTo('GET', '/invites');
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.query).toMatchObject({ 'filter[status]': 'pending', sort: '-createdAt' });
    }
  });

  it('stops on an empty page and uses the default page size', async () => {
    sim.seed({ email: 'a@b.co' });
    sim.addFault({ method: 'GET', route: '/invites', status: 200, body: { data: [], total: 9 } });
    const seen: SlykInvite[] = [];
    for await (const invite of client().iterateInvites()) seen.push(invite);
    expect(seen).toEqual([]);
    expect(sim.calls).toHaveLength(1);
    expect(sim.calls[0]!.query['page[size]']).toBe('30');
  });

  it('does not yield an invite twice when pages shift', async () => {
    const a = sim.seed({ email: 'a@b.co' });
    const b = sim.seed({ email: 'b@b.co' });
    const seen: string[] = [];
    for await (const invite of client().iterateInvites({ page: { size: 1 } })) {
      seen.push(invite.code);
      // A newer invite sorted first shifts the next page back by one.
      if (seen.length === 1) sim.seed({ email: 'z@b.co', createdAt: new Date(0) });
    }
    expect(seen.slice(0, 2)).toEqual([a.code, b.code]);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('isInviteUsable', () => {
  it('is true only for a pending invite before expiredAt', () => {
    const invite = sim.seed({ email: 'a@b.co' }) as SlykInvite;
    expect(isInviteUsable(invite)).toBe(true);
    expect(isInviteUsable(invite, new Date(Date.parse(invite.expiredAt!) + 1))).toBe(false);
    expect(isInviteUsable({ ...invite, status: 'canceled' })).toBe(false);
    expect(isInviteUsable({ ...invite, expiredAt: null })).toBe(true);
  });
});
