import { afterAll, beforeAll, expect, test } from 'vitest';
import { RateGate, retryAfterMs } from '../../src/providers/rate-gate.ts';
import { createUserMgmtClient } from '../../src/providers/usermgmt.ts';
import { createUserMgmtSimulator } from '../../src/sandbox/usermgmt.ts';

const TOKEN = 'um-gate-token-1a2b3c4d5e';
const USERS = ['123e4567-e89b-12d3-a456-426614174000', '0f8fad5b-d9cb-469f-a165-70867728950e'];
const sim = createUserMgmtSimulator({ token: TOKEN });
let baseUrl = '';

beforeAll(async () => {
  baseUrl = await sim.start();
  for (const id of USERS) sim.registerUser(id);
});
afterAll(() => sim.close());

test('after a 429, every client of that API waits out Retry-After before sending', async () => {
  const arrivals: number[] = [];
  sim.onArrival(() => arrivals.push(Date.now()));
  sim.addFault({ method: 'POST', route: '/UserMgmt/SendSmsInvite', status: 429, retryAfter: 1 });
  // Two clients (a single onboarding and a cohort row, say) share the gate of the API.
  const http = { maxRetryAfterMs: 2_000, timeoutMs: 2_000 };
  const first = createUserMgmtClient({ baseUrl, token: TOKEN, http });
  const second = createUserMgmtClient({ baseUrl, token: TOKEN, http });
  const started = Date.now();
  const one = first.sendSmsInvite(USERS[0]!);
  await expect.poll(() => arrivals.length).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 50)); // the 429 has been answered
  const two = second.sendSmsInvite(USERS[1]!);
  await Promise.all([one, two]);
  expect(sim.sent.map((s) => s.id).sort()).toEqual([...USERS].sort());
  // The second request was held back, not sent into the 429 window.
  expect(arrivals[1]! - started).toBeGreaterThanOrEqual(950);
});

test('Retry-After in seconds or as a date, capped; 1 s when missing', () => {
  expect(retryAfterMs('2', 30_000)).toBe(2_000);
  expect(retryAfterMs('120', 30_000)).toBe(30_000);
  expect(retryAfterMs(null, 30_000)).toBe(1_000);
  const inFive = new Date(Date.now() + 5_000).toUTCString();
  expect(retryAfterMs(inFive, 30_000)).toBeGreaterThan(3_000);
});

test('after a 429 the gate keeps the pace the API accepted: at most that many starts a second', async () => {
  const gate = new RateGate();
  for (let i = 0; i < 5; i++) gate.answered(200, 0);
  gate.answered(429, 0); // 5 accepted in the last second: the pace is 5 a second
  expect(gate.pace).toBe(5);
  const started = Date.now();
  const starts: number[] = [];
  for (let i = 0; i < 7; i++) {
    await gate.wait();
    starts.push(Date.now() - started);
  }
  expect(starts.slice(0, 5).every((t) => t < 100)).toBe(true);
  // The 6th waits for the 1st to leave the window (plus the margin), the 7th for the 2nd.
  expect(starts[5]).toBeGreaterThanOrEqual(1_000);
  expect(starts[6]).toBeGreaterThanOrEqual(1_000);
  gate.answered(429, 0); // pacing at 5 and still refused: the pace does not drop
  expect(gate.pace).toBe(5);
});
