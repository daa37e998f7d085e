import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './log.ts';

/**
 * Before the bot listens, a few onboardings run through the same code against
 * the built-in simulators, on a throw-away store in a temporary directory and
 * with the sandbox's own credentials: nothing reaches Slack, the upstream APIs
 * or the bot's data. V8 compiles each function when it is first called and
 * runs new code in its interpreter, and libraries set themselves up on first
 * use; without this, the first burst of real requests pays for all of it at
 * once (GET /health answered in up to 190 ms in the first 250 ms of a burst of
 * 20 onboardings, then ≤ 20 ms). `WARMUP_ONBOARDINGS=0` turns it off.
 */
/** Onboardings of the warm-up in flight at once. */
const LANES = 4;

export async function warmUp(onboardings: number, logger: Logger): Promise<void> {
  if (onboardings <= 0) return;
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'onboard-warmup-'));
  // A stop during the warm-up ends the thread at once; its files go with it.
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanUp);
  try {
    // Loaded here so that a bot started without a warm-up never loads the simulators.
    const { startSandboxSession } = await import('./sandbox/session.ts');
    const { modalValues, waitFor } = await import('./sandbox/driver.ts');
    const { SANDBOX } = await import('./sandbox/world.ts');
    const session = await startSandboxSession({ dataFile: join(dir, 'db.json') });
    try {
      const { driver, world, bot } = session;
      // A few at once, as real traffic comes: the concurrent paths (admission, batching) warm too.
      const claimed = new Set<string>();
      const nextModal = () =>
        waitFor(() => {
          const view = world.slack.views.find((v) => v.type === 'modal' && !claimed.has(v.id));
          if (view) claimed.add(view.id);
          return view?.id;
        }, 5_000);
      let begun = 0;
      const lane = async () => {
        while (begun < onboardings) {
          const n = begun++;
          await driver.command(SANDBOX.admin, '');
          const answer = await driver.submitView(
            await nextModal(),
            SANDBOX.admin,
            modalValues({ login: `warmup${n}`, email: `warmup${n}@example.com` }),
          );
          if (answer.status !== 200)
            throw new Error(`the submission was answered ${answer.status}`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(LANES, onboardings) }, lane));
      await waitFor(async () => (await bot.store.countByState()).provisioning === 0, 10_000);
    } finally {
      await session.close();
    }
    logger.info('warmed up', { onboardings, ms: Math.round(performance.now() - started) });
  } catch (error) {
    // A warm-up that fails costs only speed: the bot starts anyway, and says why.
    logger.warn('the warm-up did not finish; the first requests may be slower', {
      error: String(error),
    });
  } finally {
    process.off('exit', cleanUp);
    cleanUp();
  }
}
