import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATE_TIME_RE } from '../../src/sandbox/http.ts';
import { createUserMgmtSimulator } from '../../src/sandbox/usermgmt.ts';

/**
 * The simulator against document 003 ("Send Invitation SMS"), with raw fetch.
 * "Doc:" comments quote the document.
 */

const TOKEN = 'um-sandbox-token-0123456789';
const KNOWN = '123e4567-e89b-12d3-a456-426614174000'; // Doc: "Example Value"
const UNKNOWN = '0f8fad5b-d9cb-469f-a165-70867728950e';
const VETOED = '7938e446-1c77-4513-8cb0-8b1f2e9f47b9';
const VOUCHED = 'fc78d28f-a8dd-49de-a22f-722fe3bd26c7';

const sim = createUserMgmtSimulator({
  token: TOKEN,
  knownUsers: (id) => (id === VETOED ? false : id === VOUCHED ? true : undefined),
});
let base = '';

beforeAll(async () => {
  base = await sim.start();
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.reset();
  sim.registerUser(KNOWN, '+15550100');
  sim.registerUser(VETOED, '+15550101');
});

async function send(query: string, init: { auth?: string | null; method?: string } = {}) {
  const headers: Record<string, string> = {};
  const auth = init.auth === undefined ? `Bearer ${TOKEN}` : init.auth;
  if (auth !== null) headers.authorization = auth;
  const response = await fetch(`${base}/UserMgmt/SendSmsInvite${query}`, {
    method: init.method ?? 'POST',
    headers,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('UserMgmt simulator: POST /UserMgmt/SendSmsInvite', () => {
  it('sends the SMS to a known user and answers the API-Result', async () => {
    // Doc: "PATH: /UserMgmt/SendSmsInvite", "METHOD: POST", "ID (query, Required)".
    const { status, body } = await send(`?ID=${KNOWN}`);
    // Doc: "Status Code: 200", "Result (object): Standard result", "Error … may be null".
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['Error', 'Result']);
    expect(body.Error).toBeNull();
    expect(body.Result).toEqual({ Sent: true, ID: KNOWN });
    expect(sim.sent).toHaveLength(1);
    expect(sim.sent[0]).toMatchObject({ id: KNOWN, phone: '+15550100' });
    expect(sim.sent[0]!.at).toMatch(DATE_TIME_RE);
  });

  it('answers 401 in the API-Result shape without a bearer token or with a wrong one', async () => {
    // Doc: "SECURITY: bearerAuth".
    for (const auth of [null, 'Bearer not-the-token', TOKEN, `Basic ${TOKEN}`]) {
      const { status, body } = await send(`?ID=${KNOWN}`, { auth });
      expect(status).toBe(401);
      expect(body.Result).toBeNull();
      expect(typeof body.Error.Message).toBe('string');
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
    expect(sim.sent).toHaveLength(0);
  });

  it('accepts the scheme name in any case', async () => {
    expect((await send(`?ID=${KNOWN}`, { auth: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it('answers 200 with Error when ID is missing or not a UUID', async () => {
    // Doc: "ID (query, Required): User UUID"; the only documented answer is 200 "API-Result".
    for (const query of ['', '?ID=', '?ID=not-a-uuid', `?ID=${KNOWN}x`]) {
      const { status, body } = await send(query);
      expect(status).toBe(200);
      expect(body.Result).toBeNull();
      expect(body.Error.Message).toMatch(/ID/);
    }
    expect(sim.sent).toHaveLength(0);
  });

  it('answers 200 with Error for a user the platform does not know', async () => {
    // Doc: "Error (object): Error message text on failure, may be null".
    const { status, body } = await send(`?ID=${UNKNOWN}`);
    expect(status).toBe(200);
    expect(body).toEqual({ Result: null, Error: { Message: 'User not found' } });
    expect(sim.sent).toHaveLength(0);
  });

  it('asks knownUsers first, then the registry', async () => {
    expect((await send(`?ID=${VETOED}`)).body.Error).toEqual({ Message: 'User not found' });
    expect((await send(`?ID=${VOUCHED}`)).body.Error).toBeNull();
    expect(sim.sent.map((s) => s.id)).toEqual([VOUCHED]);
    expect(sim.sent[0]!.phone).toBeUndefined();
  });

  it('matches the ID parameter name and the UUID case-insensitively', async () => {
    expect((await send(`?id=${KNOWN.toUpperCase()}`)).body.Error).toBeNull();
    expect(sim.sent[0]!.id).toBe(KNOWN);
  });

  it('answers 405 in the API-Result shape to other methods', async () => {
    const { status, body } = await send(`?ID=${KNOWN}`, { method: 'GET' });
    expect(status).toBe(405);
    expect(body).toMatchObject({ Result: null, Error: { Message: expect.any(String) } });
  });

  it('answers injected faults in the API-Result shape', async () => {
    sim.addFault({ route: '/UserMgmt/SendSmsInvite', status: 503, retryAfter: 2 });
    const response = await fetch(`${base}/UserMgmt/SendSmsInvite?ID=${KNOWN}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toMatchObject({ Result: null, Error: { Message: /503/ } });
  });

  it('logs calls with the bearer token masked', async () => {
    await send(`?ID=${KNOWN}`);
    const [call] = sim.callsTo('POST', '/UserMgmt/SendSmsInvite');
    expect(call).toMatchObject({ query: { ID: KNOWN }, status: 200 });
    expect(call!.headers.authorization).toBe('[redacted]');
    expect(JSON.stringify(sim.calls)).not.toContain(TOKEN);
  });
});
