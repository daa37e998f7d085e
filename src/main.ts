import { type Bot, startBot } from './bot.ts';
import { type Config, ConfigError, loadConfigFromProcess } from './config.ts';
import { createLogger, errorFields } from './log.ts';
import { runPreflight } from './preflight.ts';
import { StoreLockedError } from './store/lock.ts';
import { DatabaseUnavailableError, DatabaseUrlError } from './store/postgres/errors.ts';
import { StoreCorruptError } from './store/store.ts';
import { warmUp } from './warmup.ts';

/**
 * Entry point: config → start-up checks → bot. A bad setting or a refused credential stops the
 * start with one line per problem and exit 78 (EX_CONFIG); a clean exit on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfigFromProcess();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(
        `${error.message}\nSee .env.example and the README's configuration section.\n`,
      );
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  // Before the signal handlers: nothing is open yet, so a SIGTERM here may simply end the process.
  const preflight = await runPreflight(config);
  if (preflight.fatal.length > 0) {
    process.stderr.write(
      `Start-up checks failed:\n  - ${preflight.fatal.join('\n  - ')}\n` +
        "See the README's configuration section.\n",
    );
    process.exit(78);
  }
  for (const note of preflight.notes) logger.warn(note);
  // A stray rejection (e.g. a library's background call while Slack is unreachable) is logged,
  // not allowed to kill a bot that may be in the middle of provisioning someone.
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', errorFields(reason));
  });
  // Handlers go in before the start: "bot ready" is logged inside startBot, and a SIGTERM
  // right after it must not hit Node's default action (exit by signal, no flush).
  let bot: Bot | undefined;
  let pendingSignal: string | undefined;
  const shutdown = (signal: string) => {
    if (!bot) {
      pendingSignal ??= signal;
      return;
    }
    logger.info(`${signal} received: stopping`);
    const hard = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    hard.unref();
    bot
      .stop(8_000)
      .then(() => {
        logger.info('stopped cleanly');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error('shutdown failed', errorFields(error));
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    await warmUp(config.warmupOnboardings, logger);
    bot = await startBot(config, { logger, preflight });
  } catch (error) {
    if (
      error instanceof StoreCorruptError ||
      error instanceof StoreLockedError ||
      error instanceof DatabaseUnavailableError ||
      error instanceof DatabaseUrlError
    ) {
      logger.error(error.message);
      process.exit(78);
    }
    logger.error('the bot could not start', errorFields(error));
    process.exit(1);
  }
  if (pendingSignal) shutdown(pendingSignal);
}

await main();
