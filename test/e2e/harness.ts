import { type SandboxSession, startSandboxSession } from '../../src/sandbox/session.ts';
import type { World } from '../../src/sandbox/world.ts';

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
