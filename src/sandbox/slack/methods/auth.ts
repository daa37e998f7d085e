import { type Method, ok } from '../reply.ts';
import type { Workspace } from '../workspace.ts';

/**
 * auth.test, and apps.connections.open (Socket Mode: a one-time WebSocket URL
 * served by this simulator, minted by `socketUrl`).
 */
export function authMethods(ws: Workspace, socketUrl: () => string): Record<string, Method> {
  return {
    'apps.connections.open': {
      scopes: [],
      handler: () => ok({ url: socketUrl() }),
    },

    'auth.test': {
      scopes: [],
      handler: () =>
        ok({
          url: `https://${ws.teamDomain}.slack.com/`,
          team: ws.teamName,
          user: ws.botName,
          team_id: ws.teamId,
          user_id: ws.botUserId,
          bot_id: ws.botId,
          is_enterprise_install: false,
        }),
    },
  };
}
