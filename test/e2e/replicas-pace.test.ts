import { afterAll, expect, test } from 'vitest';
import { waitFor as until } from '../../src/sandbox/driver.ts';
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

test('a line one replica adds while the other drains the channel is posted within seconds, not at the next sweep', {
  timeout: 30_000,
}, async () => {
  world ??= await startWorld();
  const env = { DATABASE_URL: await freshDatabaseUrl('outbox') };
  const [a, b] = [
    await startSandboxSession({ world, env, bot: { postIntervalMs: 1_000 } }),
    await startSandboxSession({ world, env, bot: { postIntervalMs: 1_000 } }),
  ];
  sessions.push(a, b);
  const channel = SANDBOX.digestChannel;
  const before = world.slack.messagesIn(channel).length;
  const texts = () =>
    world!.slack
      .messagesIn(channel)
      .slice(before)
      .map((m) => m.text);
  await a.bot.notifier.audit('first from a');
  await until(() => texts().length === 1);
  // a's next post waits for its slot, a second on, holding the channel's drain meanwhile.
  await a.bot.notifier.audit('second from a');
  await new Promise((r) => setTimeout(r, 200));
  await b.bot.notifier.audit('one from b');
  const started = Date.now();
  await until(() => texts().join('\n').includes('one from b'), 10_000);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(texts().join('\n').split('\n')).toEqual(['first from a', 'second from a', 'one from b']);
});
