import { writeSync } from 'node:fs';
import { type MessagePort, parentPort } from 'node:worker_threads';
import { type Bot, startBot } from '../bot.ts';
import { type Config, ConfigError, loadConfigFromProcess } from '../config.ts';
import { createLogger, errorFields } from '../log.ts';
import { runPreflight } from '../preflight.ts';
import { StoreLockedError } from '../store/lock.ts';
import { DatabaseUnavailableError, DatabaseUrlError } from '../store/postgres/errors.ts';
import { StoreCorruptError } from '../store/store.ts';
import { warmUp } from '../warmup.ts';
import type { ToWorker } from './protocol.ts';
import { serveThroughMain } from './worker-side.ts';

/**
 * The bot's thread (main-side.ts starts it): config → start-up checks and
 * warm-up → bot, its HTTP door served by the main thread. A bad setting or a
 * refused credential stops the start with one line per problem and exit 78
 * (EX_CONFIG); a clean exit 0 when the main thread passes on SIGTERM/SIGINT.
 * Output is written straight to stderr (a worker's process.stderr is relayed
 * through the main thread, and could lose the last lines at an exit).
 */
const stderr = (text: string) => writeSync(2, text);
const exit = (code: number): never => process.exit(code);

/** Starts the bot in this thread, its door served through `port`; resolves once it serves. */
export function runBotThread(port: MessagePort): Promise<Bot> {
  let stop: (signal: string) => void = () => exit(0);
  port.on('message', (message: ToWorker) => {
    if (message.t === 'stop') stop(message.signal);
  });
  return main(port, (handler) => {
    stop = handler;
  });
}

async function main(port: MessagePort, onStop: (handler: (signal: string) => void) => void) {
  let config: Config;
  try {
    config = loadConfigFromProcess();
  } catch (error) {
    if (error instanceof ConfigError) {
      stderr(`${error.message}\nSee .env.example and the README's configuration section.\n`);
      exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, {}, (line) => stderr(`${line}\n`));
  for (const warning of config.warnings) logger.warn(warning);
  // The warm-up is CPU work and the checks mostly wait for answers: both at once.
  const [preflight] = await Promise.all([
    runPreflight(config),
    warmUp(config.warmupOnboardings, logger),
  ]);
  if (preflight.fatal.length > 0) {
    stderr(
      `Start-up checks failed:\n  - ${preflight.fatal.join('\n  - ')}\n` +
        "See the README's configuration section.\n",
    );
    exit(78);
  }
  for (const note of preflight.notes) logger.warn(note);
  // A stray rejection (e.g. a library's background call while Slack is unreachable) is logged,
  // not allowed to kill a bot that may be in the middle of provisioning someone.
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', errorFields(reason));
  });
  // The handler goes in before the start: "bot ready" is logged inside startBot, and a stop
  // right after it must still flush.
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
      exit(1);
    }, 10_000);
    hard.unref();
    bot
      .stop(8_000)
      .then(() => {
        logger.info('stopped cleanly');
        exit(0);
      })
      .catch((error: unknown) => {
        logger.error('shutdown failed', errorFields(error));
        exit(1);
      });
  };
  onStop(shutdown);
  try {
    // Nothing of the bot's is open yet: a stop asked for meanwhile simply ends the start.
    if (pendingSignal) exit(0);
    bot = await startBot(config, {
      logger,
      preflight,
      serve: serveThroughMain(port, { logLevel: config.logLevel, nice: config.httpThreadNice }),
    });
  } catch (error) {
    if (
      error instanceof StoreCorruptError ||
      error instanceof StoreLockedError ||
      error instanceof DatabaseUnavailableError ||
      error instanceof DatabaseUrlError
    ) {
      logger.error(error.message);
      exit(78);
    }
    logger.error('the bot could not start', errorFields(error));
    exit(1);
  }
  if (pendingSignal) shutdown(pendingSignal);
  return bot!;
}

// Importing this module starts nothing (bench/bot-thread.ts and src/compile-cache.ts import it).
if (import.meta.main) await runBotThread(parentPort!);
