import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSimServer, SimRouter } from '../../src/sandbox/http.ts';

/**
 * Faults that let the request take effect (`after`), and the arrival hook, against a tiny
 * router whose handlers count how often they ran.
 */

let created = 0;
let sent = 0;
const router = new SimRouter()
  .on('POST', '/things', () => {
    created += 1;
    return {
      status: 201,
      body: { id: `thing-${created}`, name: 'a thing with a long enough name' },
    };
  })
  .on('POST', '/send', () => {
    sent += 1;
    return { status: 204 };
  });
const sim = createSimServer(
  { name: 'tiny', errorBody: (status, message) => ({ status, message }) },
  router,
);
let base = '';

beforeAll(async () => {
  base = await sim.start();
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.clearFaults();
  sim.calls.length = 0;
  created = 0;
  sent = 0;
});

const post = (path: string, signal?: AbortSignal) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    ...(signal ? { signal } : {}),
  });

/** The error fetch (or reading the body) ends with, as `name: message (cause code)`. */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    return `${e.name}: ${e.message} (${e.cause?.code ?? e.cause?.message ?? ''})`;
  }
  throw new Error('expected a failure');
}

describe("after: 'truncate'", () => {
  it('runs the handler once and answers its status with half the JSON body', async () => {
    sim.addFault({ route: '/things', after: 'truncate' });
    const response = await post('/things');
    expect(response.status).toBe(201);
    const text = await response.text();
    const full = JSON.stringify({ id: 'thing-1', name: 'a thing with a long enough name' });
    expect(text).toBe(full.slice(0, Math.floor(full.length / 2)));
    expect(response.headers.get('content-length')).toBe(String(text.length));
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(() => JSON.parse(text)).toThrow();
    expect(created).toBe(1);
    expect(sim.calls.map((c) => c.status)).toEqual([201]);
    // One call only: the next one is whole again.
    expect(await (await post('/things')).json()).toMatchObject({ id: 'thing-2' });
  });

  it('resets the connection after a 204 (nothing to cut)', async () => {
    sim.addFault({ route: '/send', after: 'truncate' });
    expect(await failure(post('/send'))).toMatch(/^TypeError: fetch failed/);
    expect(sent).toBe(1);
    expect(sim.calls.map((c) => c.status)).toEqual([0]);
  });
});

describe("after: 'late'", () => {
  it('runs the handler at once and answers after delayMs: a shorter timeout gives up', async () => {
    sim.addFault({ route: '/things', after: 'late', delayMs: 400 });
    const started = Date.now();
    expect(await failure(post('/things', AbortSignal.timeout(100)))).toMatch(/^TimeoutError/);
    expect(Date.now() - started).toBeLessThan(350);
    expect(created).toBe(1);
    expect(sim.calls.map((c) => c.status)).toEqual([201]);
  });

  it('answers in full once the delay is over', async () => {
    sim.addFault({ route: '/things', after: 'late', delayMs: 150 });
    const started = Date.now();
    const response = await post('/things');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ id: 'thing-1' });
    expect(created).toBe(1);
  });

  it('needs delayMs and cannot be combined with an answer-instead fault', () => {
    expect(() => sim.addFault({ after: 'late' })).toThrow(/delayMs/);
    expect(() => sim.addFault({ after: 'reset', status: 500 })).toThrow(/cannot be combined/);
  });
});

describe("after: 'reset'", () => {
  it('runs the handler once, then destroys the socket without an answer', async () => {
    sim.addFault({ method: 'POST', route: '/things', after: 'reset' });
    expect(await failure(post('/things'))).toMatch(/^TypeError: fetch failed/);
    expect(created).toBe(1);
    expect(sim.calls).toHaveLength(1);
    expect(sim.calls[0]).toMatchObject({ method: 'POST', path: '/things', status: 0 });
  });

  it('with delayMs, resets only after the delay', async () => {
    sim.addFault({ route: '/send', after: 'reset', delayMs: 120 });
    const started = Date.now();
    expect(await failure(post('/send'))).toMatch(/^TypeError: fetch failed/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(sent).toBe(1);
  });
});

describe('onArrival', () => {
  it('is called synchronously before the handler runs, until unsubscribed', async () => {
    const seen: { method: string; path: string; url: string; createdBefore: number }[] = [];
    const unsubscribe = sim.onArrival((call) => seen.push({ ...call, createdBefore: created }));
    sim.setLatency(30);
    try {
      await post('/things');
      await post('/nowhere');
      unsubscribe();
      await post('/things');
    } finally {
      sim.setLatency(0);
    }
    expect(seen).toEqual([
      { method: 'POST', path: '/things', url: '/things', createdBefore: 0 },
      { method: 'POST', path: '/nowhere', url: '/nowhere', createdBefore: 1 },
    ]);
    expect(created).toBe(2);
  });
});
