import type { AddressInfo } from 'node:net';
import type { App as BoltApp, Logger as BoltLogger } from '@slack/bolt';
import { LogLevel } from '@slack/web-api';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { keepAliveFetch, sharedAgent } from '../net/keep-alive.ts';
import { App, HTTPReceiver, SocketModeReceiver } from './bolt.ts';
import type { SlackContext } from './context.ts';
import { registerErrorHandler } from './error-handler.ts';
import { createFrontDoor, type FrontDoorOptions } from './front-door.ts';
import * as actions from './listeners/actions/index.ts';
import * as commands from './listeners/commands/index.ts';
import * as events from './listeners/events/index.ts';
import * as views from './listeners/views/index.ts';
import { oncePerClick } from './middleware/once-per-click.ts';
import { payloadGuard } from './middleware/payload-guard.ts';
import { SlackWebClient } from './web-client.ts';

/** Every listener, registered on the app once the context exists. */
export function registerListeners(app: BoltApp, ctx: SlackContext): void {
  for (const kind of [commands, views, actions, events]) kind.register(app, ctx);
}

/** What the HTTP server serves: everything of the front door's but where it listens and logs. */
export type Door = Omit<FrontDoorOptions, 'logger' | 'bodyLimitBytes'>;

/** A listening front door: its port; close() stops new connections, closeAll() ends the rest. */
export type Served = { port: number; close(): void; closeAll(): void };

/**
 * Puts a door on a port. By default a front door in this thread; main.ts runs
 * the bot in a worker thread and serves its door from the main thread instead
 * (src/thread/), so that /health never waits behind the bot's work.
 */
export type Serve = (door: Door, port: number, logger: Logger) => Promise<Served>;

export const serveInProcess: Serve = async (door, port, logger) => {
  const server = createFrontDoor({ ...door, logger });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.close();
      server.closeIdleConnections();
    },
    closeAll: () => server.closeAllConnections(),
  };
};

export type SlackApp = {
  app: BoltApp;
  /** Starts the HTTP server (and Socket Mode); resolves with the HTTP port. */
  start(serve?: Serve): Promise<number | undefined>;
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
  /** Records a click once across replicas (a shared store), or undefined for one process. */
  claimClick?: (key: string) => Promise<boolean>,
  /** GET /metrics, and an observer of the Web API calls' fetch (src/metrics/). */
  metrics?: {
    render: () => Promise<{ contentType: string; body: string }>;
    observeFetch: (inner: typeof fetch) => typeof fetch;
    slackFailed: (method: string, error: string) => void;
  },
): SlackApp {
  const boltLogger = toBoltLogger(logger.child({ component: 'bolt' }));
  const retryConfig = { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 };
  // Reused connections to Slack (web-api 8 calls fetch; it has no `agent` option any more).
  const fetch = metrics ? metrics.observeFetch(keepAliveFetch()) : keepAliveFetch();
  const clientOptions = {
    slackApiUrl: `${config.slack.apiUrl}/`,
    timeout: 10_000,
    retryConfig,
    rejectRateLimitedCalls: false,
    fetch,
  };
  let served: Served | undefined;
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
          // The front door (front-door.ts) checks every request's signature and age before it
          // hands it to this receiver, which is reachable no other way; checking twice showed
          // in the profile.
          signatureVerification: false,
        });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    logger: boltLogger,
    clientOptions,
    extendedErrorHandler: true,
    // Bolt's conversation store is unused here, and its look-up failed with a new Error (stack
    // trace included) on every request that names a channel.
    convoStore: false,
  });
  // The client of every call the bot makes (the notifier, the jobs, and the listeners through
  // their context), without the library's per-call debug serialisation (web-client.ts). Bolt
  // keeps its own pooled clients for the `client` argument; the listeners leave that one unused.
  app.client = new SlackWebClient(config.slack.botToken, {
    apiUrl: config.slack.apiUrl,
    timeoutMs: clientOptions.timeout,
    retry: retryConfig,
    logger: boltLogger,
    dispatcher: sharedAgent(),
    fetch,
    ...(metrics ? { failed: metrics.slackFailed } : {}),
  });
  // Before anything else: a payload our listeners cannot read is acked and dropped (Socket Mode;
  // in HTTP mode the front door refuses it with a 400 before Bolt sees it).
  app.use(payloadGuard(logger));
  app.use(oncePerClick(logger, claimClick));
  // Listener errors reach one handler that logs once; listeners tell the user themselves.
  registerErrorHandler(app, logger);
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
    async start(serve = serveInProcess) {
      // One HTTP server in both modes: /health always, /slack/events in HTTP mode (through the front door).
      served = await serve(
        {
          health,
          ...(metrics ? { metrics: metrics.render } : {}),
          ...(receiver instanceof HTTPReceiver
            ? {
                slack: {
                  signingSecret: config.slack.signingSecret!,
                  listener: receiver.requestListener,
                },
              }
            : {}),
        },
        config.slack.port,
        logger,
      );
      if (config.slack.mode === 'socket') await app.start();
      return served.port;
    },
    async stop(timeoutMs = 5_000) {
      if (config.slack.mode === 'socket') await app.stop().catch(() => undefined);
      served?.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      served?.closeAll();
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
