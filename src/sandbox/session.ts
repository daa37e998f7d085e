import { type Bot, type BotOptions, startBot } from '../bot.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { SlackDriver } from './driver.ts';
import { SANDBOX, startWorld, type World } from './world.ts';

/**
 * The real bot in HTTP mode against a world of simulators, with a driver that
 * sends it signed Slack requests: what the demo, the e2e tests and the
 * benchmarks all run. Only the URLs differ from production.
 */
export type SandboxSession = {
  world: World;
  bot: Bot;
  driver: SlackDriver;
  close(): Promise<void>;
};

export async function startSandboxSession(
  options: {
    /** An existing world (kept open at close); default: a fresh one. */
    world?: World;
    /** Overrides on top of the world's environment. */
    env?: Record<string, string | undefined>;
    dataFile?: string;
    bot?: BotOptions;
    /** Socket Mode instead of HTTP: the bot connects to the simulator's WebSocket. */
    socketMode?: boolean;
  } = {},
): Promise<SandboxSession> {
  const world =
    options.world ?? (await startWorld(options.dataFile ? { dataFile: options.dataFile } : {}));
  const socket = options.socketMode ? { SLACK_APP_TOKEN: SANDBOX.slackAppToken } : {};
  const bot = await startBot(loadConfig({ ...world.env, ...socket, ...options.env }), {
    schedule: false,
    postIntervalMs: 0,
    logger: createLogger('error'),
    ...options.bot,
  });
  const driver = new SlackDriver({
    url: `http://127.0.0.1:${bot.port}/slack/events`,
    signingSecret: SANDBOX.signingSecret,
    slack: world.slack,
    teamId: SANDBOX.teamId,
    transport: options.socketMode ? 'socket' : 'http',
  });
  return {
    world,
    bot,
    driver,
    async close() {
      await bot.stop(5_000);
      if (!options.world) await world.close();
    },
  };
}
