import { waitFor } from '../../src/sandbox/driver.ts';
import { type SandboxSession, startSandboxSession } from '../../src/sandbox/session.ts';
import { SANDBOX, type World } from '../../src/sandbox/world.ts';

export { modalValues, waitFor as eventually } from '../../src/sandbox/driver.ts';

export type Harness = SandboxSession;

/** The real bot (HTTP mode) against a fresh world of simulators (or the one given). */
export function startHarness(
  env: Record<string, string | undefined> = {},
  options: { dataFile?: string; world?: World; now?: () => Date; postIntervalMs?: number } = {},
): Promise<Harness> {
  return startSandboxSession({
    env,
    ...(options.world ? { world: options.world } : {}),
    ...(options.dataFile ? { dataFile: options.dataFile } : {}),
    bot: {
      postIntervalMs: options.postIntervalMs ?? 0,
      ...(options.now ? { clock: options.now } : {}),
    },
  });
}

/** A clock the test moves; the bot, its leases and its jobs all read it. */
export function fakeClock() {
  let t = Date.now();
  return {
    now: () => new Date(t),
    set(ms: number) {
      t = ms;
    },
  };
}

/** `/onboard digest` by the admin, and the digest message it posts (the first after the command). */
export async function postDigest(h: Harness) {
  const before = h.world.slack.messagesIn(SANDBOX.digestChannel).length;
  await h.driver.command(SANDBOX.admin, 'digest');
  return await waitFor(() =>
    h.world.slack
      .messagesIn(SANDBOX.digestChannel)
      .slice(before)
      .find((m) => m.text?.startsWith('Invitation digest')),
  );
}
