import { afterAll, beforeAll, expect, test } from 'vitest';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { type Harness, startHarness } from './harness.ts';

/**
 * A few thousand hostile and malformed requests, signed and not: every one
 * gets an answer below 500 in time, and none reaches an upstream API.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** mulberry32: the same sequence every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const user = { id: SANDBOX.admin, team_id: SANDBOX.teamId };
const validAction = {
  type: 'block_actions',
  user,
  trigger_id: '1.2.3',
  actions: [
    {
      type: 'button',
      action_id: 'extend:00000000-0000-4000-8000-000000000000',
      value: 'x.y',
      action_ts: '1',
    },
  ],
  container: { type: 'message', message_ts: '1.1', channel_id: 'C1' },
};
const validSubmission = {
  type: 'view_submission',
  user,
  trigger_id: '1.2.3',
  view: {
    id: 'V1',
    callback_id: 'onboard_modal',
    private_metadata: '',
    hash: 'h',
    state: { values: {} },
  },
};
const SEEDS: unknown[] = [
  null,
  [],
  'text',
  42,
  true,
  {},
  { type: 5 },
  { type: 'block_actions' },
  { type: 'view_submission', user },
  { ...validAction, user: null },
  { ...validAction, actions: [] },
  { ...validAction, actions: [null] },
  { ...validAction, actions: [{ type: 'button' }] },
  { ...validAction, container: 'x' },
  { ...validSubmission, view: null },
  { ...validSubmission, view: { id: 'V1', state: null } },
  { ...validSubmission, view: { ...validSubmission.view, private_metadata: null } },
  { ...validSubmission, view: { ...validSubmission.view, private_metadata: '{"d":"{}","m":"x"}' } },
  { ...validSubmission, view: { ...validSubmission.view, state: { values: { a: null } } } },
  { ...validSubmission, view: { ...validSubmission.view, state: { values: { a: { b: 'x' } } } } },
  { type: 'event_callback' },
  { type: 'event_callback', event: { type: 'app_home_opened', user: null } },
  { type: 'url_verification' },
  { type: 'view_closed', user, view: { id: 'V2' } },
  validAction,
  validSubmission,
];

/** Replaces a random field of a payload with a hostile value. */
function mutate(value: unknown, random: () => number): unknown {
  const hostile = [
    null,
    undefined,
    0,
    -1,
    '',
    '<!channel>',
    [],
    {},
    'x'.repeat(5000),
    { $: 1 },
    true,
  ];
  if (value === null || typeof value !== 'object')
    return hostile[Math.floor(random() * hostile.length)];
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
  const keys = Object.keys(copy);
  if (keys.length === 0) return hostile[Math.floor(random() * hostile.length)];
  const key = keys[Math.floor(random() * keys.length)]!;
  copy[key] =
    random() < 0.5 ? mutate(copy[key], random) : hostile[Math.floor(random() * hostile.length)];
  return copy;
}

type Case = { body: string; type: string; unsigned?: boolean; skewSeconds?: number };

function cases(count: number): Case[] {
  const random = prng(8);
  const out: Case[] = [
    { body: 'payload=null', type: 'application/x-www-form-urlencoded' },
    { body: 'payload=%7B', type: 'application/x-www-form-urlencoded' },
    { body: 'payload=1&payload=2', type: 'application/x-www-form-urlencoded' },
    { body: 'command=%2Fonboard', type: 'application/x-www-form-urlencoded' },
    { body: '{"type":"block_actions"', type: 'application/json' },
    { body: 'null', type: 'application/json' },
    { body: '<xml/>', type: 'text/xml' },
    { body: 'x'.repeat(1_200_000), type: 'application/json' },
    {
      body: 'ssl_check=1&payload=%7B%7D',
      type: 'application/x-www-form-urlencoded',
      unsigned: true,
    },
  ];
  while (out.length < count) {
    let payload = SEEDS[Math.floor(random() * SEEDS.length)];
    for (let i = Math.floor(random() * 3); i > 0; i -= 1) payload = mutate(payload, random);
    const json = JSON.stringify(payload) ?? 'undefined';
    const asForm = random() < 0.8;
    out.push({
      body: asForm ? new URLSearchParams({ payload: json }).toString() : json,
      type: asForm ? 'application/x-www-form-urlencoded' : 'application/json',
      ...(random() < 0.1 ? { unsigned: true } : {}),
      ...(random() < 0.05 ? { skewSeconds: -600 } : {}),
    });
  }
  return out;
}

test('2,000 hostile requests: no 5xx, no hang, no upstream call', { timeout: 60_000 }, async () => {
  const all = cases(2_000);
  const statuses = new Map<number, number>();
  let slowest = 0;
  for (let i = 0; i < all.length; i += 25) {
    await Promise.all(
      all.slice(i, i + 25).map(async (c) => {
        const started = performance.now();
        const response = await h.driver.send(c.body, c.type, c);
        slowest = Math.max(slowest, performance.now() - started);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500 && process.env.DEBUG_HOSTILE)
          console.log('500:', decodeURIComponent(c.body).slice(0, 400));
      }),
    );
  }
  const fiveHundreds = [...statuses].filter(([s]) => s >= 500);
  expect(fiveHundreds, `statuses: ${JSON.stringify([...statuses])}`).toEqual([]);
  expect(slowest, 'every request answered before Slack would give up').toBeLessThan(3_000);
  expect(statuses.get(401) ?? 0).toBeGreaterThan(0);
  expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  expect(statuses.get(413)).toBe(1);
  const upstream =
    h.world.opentact.server.calls.length +
    h.world.usermgmt.calls.length +
    h.world.slyk.calls.length;
  expect(upstream).toBe(0);
});
