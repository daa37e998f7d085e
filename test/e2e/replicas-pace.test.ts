import { afterAll, expect, test } from 'vitest';
import { type SandboxSession, startSandboxSession } from '../../src/sandbox/session.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { freshDatabaseUrl } from '../helpers/postgres.ts';

/** Two replicas posting to one channel together keep Slack's one message per second. */

let world: World | undefined;
const sessions: SandboxSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.close();
  await world?.close();
});

test('posts from two replicas to one channel are spaced a second apart', {
  timeout: 30_000,
}, async () => {
  world = await startWorld();
  const env = { DATABASE_URL: await freshDatabaseUrl('pace') };
  for (let i = 0; i < 2; i += 1)
    sessions.push(await startSandboxSession({ world, env, bot: { postIntervalMs: 1_000 } }));
  const started = Date.now();
  await Promise.all(
    sessions.flatMap((s, i) =>
      [0, 1, 2].map((n) => s.bot.notifier.post(SANDBOX.digestChannel, `replica ${i} line ${n}`)),
    ),
  );
  expect(world.slack.messagesIn(SANDBOX.digestChannel)).toHaveLength(6);
  expect(world.slack.maxPostsInWindow(1_000)).toBe(1);
  expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
});
