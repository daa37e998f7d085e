import { createLogger, type LogLevel } from '../../log.ts';
import { type SandboxSession, startSandboxSession } from '../session.ts';
import { SANDBOX, startWorld } from '../world.ts';
import { startWebServer } from './server.ts';

/**
 * The whole clickable sandbox in one process: the simulators, the real bot in
 * HTTP mode (startBot, as in production) and the web app that plays Slack.
 * With `port` P the web app listens on P, the bot on P+1 and the Slack,
 * Opentact, UserMgmt and Slyk simulators on P+2…P+5; with 0, on free ports.
 */
export type WebSandbox = {
  url: string;
  session: SandboxSession;
  ports: Record<'web' | 'bot' | 'slack' | 'opentact' | 'usermgmt' | 'slyk', number>;
  close(): Promise<void>;
};

export const DEFAULT_SANDBOX_PORT = 3100;

/** SANDBOX_PORT: a port for the web app (0: any free one), with a clear message when not. */
export function sandboxPort(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_SANDBOX_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_530) {
    throw new Error(
      `SANDBOX_PORT must be a port number from 0 to 65530 (the sandbox uses it and the next five), got "${value}"`,
    );
  }
  return port;
}

export async function startWebSandbox(
  options: { port?: number; logLevel?: LogLevel } = {},
): Promise<WebSandbox> {
  const base = options.port ?? DEFAULT_SANDBOX_PORT;
  const at = (n: number) => (base === 0 ? 0 : base + n);
  const world = await startWorld({
    ports: { slack: at(2), opentact: at(3), usermgmt: at(4), slyk: at(5) },
  });
  let session: SandboxSession;
  try {
    session = await startSandboxSession({
      world,
      env: {
        PORT: String(at(1)),
        LOG_LEVEL: options.logLevel ?? 'warn',
        // Rita may ask; her requests wait in their own channel for Grace.
        ONBOARDING_REQUESTERS: SANDBOX.requester,
        APPROVAL_CHANNEL: SANDBOX.approvalChannel,
      },
      bot: { logger: createLogger(options.logLevel ?? 'warn') },
    });
  } catch (error) {
    await world.close();
    throw error;
  }
  const web = await startWebServer(session, { port: at(0) }).catch(async (error: unknown) => {
    await session.close();
    await world.close();
    throw error;
  });
  const portOf = (url: string) => Number(new URL(url).port);
  return {
    url: web.url,
    session,
    ports: {
      web: portOf(web.url),
      bot: session.bot.port ?? 0,
      slack: portOf(world.slack.baseUrl),
      opentact: portOf(world.opentact.server.url),
      usermgmt: portOf(world.usermgmt.url),
      slyk: portOf(world.slyk.url),
    },
    async close() {
      await web.close();
      await session.close();
      await world.close();
    },
  };
}
