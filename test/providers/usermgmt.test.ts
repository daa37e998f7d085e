import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/providers/http.ts';
import {
  createUserMgmtClient,
  readPlatformError,
  type UserMgmtClientOptions,
} from '../../src/providers/usermgmt.ts';
import { sleep } from '../../src/sandbox/http.ts';
import { createUserMgmtSimulator } from '../../src/sandbox/usermgmt.ts';

const TOKEN = 'um-client-token-9f8e7d6c5b4a';
const USER = '123e4567-e89b-12d3-a456-426614174000';
const STRANGER = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ROUTE = '/UserMgmt/SendSmsInvite';
const FAST = { backoffLimitMs: 50, maxRetryAfterMs: 1500, timeoutMs: 2000 };

const sim = createUserMgmtSimulator({ token: TOKEN });
let baseUrl = '';

beforeAll(async () => {
  baseUrl = await sim.start();
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.reset();
  sim.registerUser(USER, '+15550100');
});

const client = (options: Partial<UserMgmtClientOptions> = {}) =>
  createUserMgmtClient({ baseUrl, token: TOKEN, http: FAST, ...options });

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  const upstream = error as UpstreamError;
  // No secret in any error: not in the message, the stack or its JSON.
  for (const text of [upstream.message, String(upstream.stack), JSON.stringify(upstream)]) {
    expect(text).not.toContain(TOKEN);
  }
  return upstream;
}

describe('UserMgmt client: sendSmsInvite', () => {
  it('POSTs /UserMgmt/SendSmsInvite?ID=<uuid> with the bearer token and no body', async () => {
    const answer = await client().sendSmsInvite(USER);
    expect(answer).toEqual({ result: { Sent: true, ID: USER } });
    expect(sim.sent.map((s) => s.id)).toEqual([USER]);
    const [call] = sim.callsTo('POST', ROUTE);
    expect(call).toMatchObject({ method: 'POST', query: { ID: USER }, body: undefined });
    expect(call!.headers.authorization).toBe('[redacted]');
  });

  it('treats HTTP 200 with a non-null Error as a failure', async () => {
    const error = await failure(client().sendSmsInvite(STRANGER));
    expect(error).toMatchObject({
      api: 'usermgmt',
      operation: 'SendSmsInvite',
      kind: 'http',
      status: 200,
      upstreamMessage: 'User not found',
    });
    expect(error.message).toBe('Identity platform SendSmsInvite failed (HTTP 200): User not found');
    expect(error.outcomeUnknown).toBe(false);
    expect(sim.sent).toHaveLength(0);
  });

  it.each([
    ['a string', { Result: null, Error: 'Phone number missing' }, 'Phone number missing'],
    ['message', { Result: null, Error: { message: 'No mobile' } }, 'No mobile'],
    ['ErrorMessage', { Result: {}, Error: { ErrorMessage: 'Quota' } }, 'Quota'],
    ['a code only', { Result: null, Error: { Code: 'E42' } }, 'error code E42'],
    ['{} without Result', { Result: null, Error: {} }, 'without a message'],
    ['success: false', { success: false, Result: null, Message: 'Denied' }, 'Denied'],
  ])('reads an Error given as %s', async (_what, body, message) => {
    sim.addFault({ route: ROUTE, status: 200, body });
    const error = await failure(client().sendSmsInvite(USER));
    expect(error.status).toBe(200);
    expect(error.upstreamMessage).toContain(message);
  });

  it('reads the document sample { Result: {}, Error: {} } as a success', async () => {
    sim.addFault({ route: ROUTE, status: 200, body: { Result: {}, Error: {} } });
    expect(await client().sendSmsInvite(USER)).toEqual({ result: {} });
  });

  it('rejects a 200 that is not the API-Result as invalid-response', async () => {
    sim.addFault({ route: ROUTE, status: 200, body: { Error: null } });
    const error = await failure(client().sendSmsInvite(USER));
    expect(error.kind).toBe('invalid-response');
    sim.addFault({ route: ROUTE, malformed: true });
    expect((await failure(client().sendSmsInvite(USER))).kind).toBe('invalid-response');
  });

  it('turns 401 (wrong token) into an UpstreamError without the token', async () => {
    const error = await failure(client({ token: 'wrong-token-000000' }).sendSmsInvite(USER));
    expect(error).toMatchObject({ kind: 'http', status: 401 });
    expect(error.upstreamMessage).toBe('Invalid or expired access token');
  });

  it('turns 403 into an UpstreamError', async () => {
    sim.addFault({ route: ROUTE, status: 403, body: { Result: null, Error: { Message: 'No' } } });
    const error = await failure(client().sendSmsInvite(USER));
    expect(error).toMatchObject({ kind: 'http', status: 403, upstreamMessage: 'No' });
    sim.addFault({ route: ROUTE, status: 403, body: '' });
    expect((await failure(client().sendSmsInvite(USER))).upstreamMessage).toMatch(/permission/);
  });

  it('scrubs a token the platform echoes back', async () => {
    const body = { Result: null, Error: { Message: `Token Bearer ${TOKEN} expired` } };
    sim.addFault({ route: ROUTE, status: 401, body });
    const error = await failure(client().sendSmsInvite(USER));
    expect(error.upstreamMessage).toContain('[redacted]');
  });

  it('sends a POST that meets 503 once (no retry): a definite answer, so the outcome is failed', async () => {
    sim.addFault({ route: ROUTE, status: 503, retryAfter: 0 });
    const error = await failure(client().sendSmsInvite(USER));
    expect(error).toMatchObject({ status: 503, transient: true, outcome: 'failed' });
    expect(sim.callsTo('POST', ROUTE)).toHaveLength(1);
  });

  it('repeats a POST after 429 once Retry-After has passed (429: the request was not processed)', async () => {
    sim.addFault({ route: ROUTE, status: 429, retryAfter: 1 });
    const started = Date.now();
    await client({ http: { ...FAST, totalTimeoutMs: 5_000 } }).sendSmsInvite(USER);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sim.callsTo('POST', ROUTE)).toHaveLength(2);
    expect(sim.sent).toHaveLength(1);
  });

  it('times out once, without a retry', async () => {
    sim.addFault({ route: ROUTE, delayMs: 400 });
    const error = await failure(client({ http: { ...FAST, timeoutMs: 100 } }).sendSmsInvite(USER));
    expect(error).toMatchObject({ kind: 'timeout', outcomeUnknown: true });
    await sleep(450);
    expect(sim.callsTo('POST', ROUTE)).toHaveLength(1);
  });

  it('reports a refused connection as a network error', async () => {
    const closed = createUserMgmtSimulator({ token: TOKEN });
    const url = await closed.start();
    await closed.close();
    const error = await failure(client({ baseUrl: url }).sendSmsInvite(USER));
    expect(error.kind).toBe('network');
    expect(error.message).not.toContain(url);
  });

  it('refuses a userId that is not a UUID before any call', async () => {
    await expect(client().sendSmsInvite('not-a-uuid')).rejects.toThrow(TypeError);
    expect(sim.calls).toHaveLength(0);
  });
});

describe('readPlatformError', () => {
  it('prefers Message, falls back to other keys and clips long texts', () => {
    expect(readPlatformError({ Message: 'A', message: 'B' })).toBe('A');
    expect(readPlatformError({ Description: 'D' })).toBe('D');
    expect(readPlatformError('x'.repeat(400))).toHaveLength(301);
    expect(readPlatformError(42)).toMatch(/without a message/);
  });
});
