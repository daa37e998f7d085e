import { afterAll, expect, test } from 'vitest';
import { type SandboxSession, startSandboxSession } from '../../src/sandbox/session.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { freshDatabaseUrl } from '../helpers/postgres.ts';
import { eventually } from './harness.ts';

/**
 * Two bots on one PostgreSQL database, both with the real node-cron schedule of
 * a digest every minute: over several minutes, each slot is posted exactly
 * once (whichever replica records the slot first posts it), and the start's
 * catch-up of a missed slot is posted once too.
 */

let world: World | undefined;
const sessions: SandboxSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await world?.close();
});

test('a digest every minute with two replicas: one post per slot', async () => {
  world = await startWorld();
  const w = world;
  const env = {
    DATABASE_URL: await freshDatabaseUrl('digest_replicas'),
    DIGEST_CRON: '* * * * *',
    DIGEST_TIMEZONE: 'UTC',
  };
  const started = Date.now();
  for (let i = 0; i < 2; i++)
    sessions.push(await startSandboxSession({ world: w, env, bot: { schedule: true } }));
  const digests = () =>
    w.slack
      .messagesIn(SANDBOX.digestChannel)
      .filter((m) => m.text?.startsWith('Invitation digest'));
  const minute = (ts: string) => Math.floor(Number(ts) / 60);
  const firstFull = Math.floor(started / 60_000) + 1;
  // Two whole scheduled minutes after the start (up to ~2.3 minutes of waiting).
  await eventually(
    () => new Set(digests().map((m) => minute(m.ts))).has(firstFull + 1),
    150_000,
    200,
  );
  await new Promise((r) => setTimeout(r, 2_000)); // a late second post would show by now
  const perMinute = new Map<number, number>();
  for (const m of digests()) perMinute.set(minute(m.ts), (perMinute.get(minute(m.ts)) ?? 0) + 1);
  expect([...perMinute.values()].every((n) => n === 1)).toBe(true);
  expect(perMinute.get(firstFull)).toBe(1);
  expect(perMinute.get(firstFull + 1)).toBe(1);
}, 170_000);
