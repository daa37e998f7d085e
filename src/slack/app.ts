import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  App,
  type Logger as BoltLogger,
  HTTPReceiver,
  LogLevel,
  SocketModeReceiver,
} from '@slack/bolt';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import type { SlackContext } from './context.ts';
import * as actions from './listeners/actions/index.ts';
import * as commands from './listeners/commands/index.ts';
import * as events from './listeners/events/index.ts';
import * as views from './listeners/views/index.ts';

/** Every listener, registered on the app once the context exists. */
export function registerListeners(app: App, ctx: SlackContext): void {
  for (const kind of [commands, views, actions, events]) kind.register(app, ctx);
}

export type SlackApp = {
  app: App;
  /** Starts the receiver; resolves with the HTTP port in HTTP mode. */
  start(): Promise<number | undefined>;
  /** Stops taking requests and waits (up to `timeoutMs`) for listener work in progress. */
  stop(timeoutMs?: number): Promise<void>;
};

/**
 * Builds the Bolt app: the HTTP receiver (`POST /slack/events`, `GET /health`)
 * or Socket Mode, a Web API client with finite retries and time-outs (Bolt's
 * default policy can hold a call for half an hour), and every listener.
 */
export function createSlackApp(
  config: Config,
  logger: Logger,
  health: () => Record<string, unknown>,
): SlackApp {
  const boltLogger = toBoltLogger(logger.child({ component: 'bolt' }));
  const clientOptions = {
    slackApiUrl: `${config.slack.apiUrl}/`,
    timeout: 10_000,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
    rejectRateLimitedCalls: false,
  };
  let httpServer: Server | undefined;
  const receiver =
    config.slack.mode === 'socket'
      ? new SocketModeReceiver({
          appToken: config.slack.appToken!,
          logger: boltLogger,
          installerOptions: { clientOptions } as never,
        })
      : new HTTPReceiver({
          signingSecret: config.slack.signingSecret!,
          endpoints: '/slack/events',
          logger: boltLogger,
          processBeforeResponse: false,
          unhandledRequestTimeoutMillis: 2_900,
          customRoutes: [
            {
              path: '/health',
              method: ['GET'],
              handler: (_req, res) => {
                res.writeHead(200, { 'content-type': 'application/json' });
                res.end(JSON.stringify({ ok: true, ...health() }));
              },
            },
          ],
        });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    logger: boltLogger,
    clientOptions,
  });
  // Listener errors reach one handler that logs once; listeners tell the user themselves.
  app.error(async (error) => {
    const original = (error as { original?: unknown }).original ?? error;
    logger.error('unhandled error in a Slack listener', errorFields(original));
  });
  // Every request's listener work (which goes on after the ack) is tracked, so
  // that a shutdown can let it finish instead of cutting a report in half.
  const inFlight = new Set<Promise<unknown>>();
  app.use(async ({ next }) => {
    const work = next();
    inFlight.add(work);
    try {
      await work;
    } finally {
      inFlight.delete(work);
    }
  });
  return {
    app,
    async start() {
      if (config.slack.mode === 'socket') {
        await app.start();
        return undefined;
      }
      httpServer = (await app.start(config.slack.port)) as Server;
      return (httpServer.address() as AddressInfo).port;
    },
    async stop(timeoutMs = 5_000) {
      await app.stop().catch(() => undefined);
      if (httpServer) httpServer.closeIdleConnections?.();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (httpServer) httpServer.closeAllConnections?.();
    },
  };
}

function toBoltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const join = (msg: unknown[]) =>
    msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => log.debug(join(msg)),
    info: (...msg) => log.info(join(msg)),
    warn: (...msg) => log.warn(join(msg)),
    error: (...msg) => log.error(join(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
