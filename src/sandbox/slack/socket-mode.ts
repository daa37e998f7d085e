import type { Server } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Workspace } from './workspace.ts';

/**
 * Socket Mode: apps.connections.open hands out a one-time `/socket-mode?ticket=…`
 * URL; the app connects, gets `hello`, is pinged, and acknowledges the envelopes
 * the simulator delivers (slash commands, interactions, events).
 */

export function createSocketMode(ws: Workspace, baseUrl: () => string) {
  const socketTickets = new Set<string>();
  const sockets = new Set<WebSocket>();
  const pendingEnvelopes = new Map<string, (payload: unknown) => void>();
  const wss = new WebSocketServer({ noServer: true });
  let pingTimer: NodeJS.Timeout | undefined;

  /** A one-time WebSocket URL (what apps.connections.open answers). */
  const openUrl = () => {
    const ticket = ws.hex(16);
    socketTickets.add(ticket);
    return `${baseUrl().replace(/^http/, 'ws')}/socket-mode?ticket=${ticket}`;
  };

  /** Accepts WebSocket upgrades on `server` and starts pinging. */
  const attach = (server: Server) => {
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://sim.local');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== '/socket-mode' || !socketTickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (client) => {
        sockets.add(client);
        client.on('close', () => sockets.delete(client));
        client.on('message', (data) => {
          // The app acknowledges an envelope: { envelope_id, payload? }.
          try {
            const message = JSON.parse(String(data)) as {
              envelope_id?: string;
              payload?: unknown;
            };
            const resolve = message.envelope_id
              ? pendingEnvelopes.get(message.envelope_id)
              : undefined;
            if (resolve && message.envelope_id) {
              pendingEnvelopes.delete(message.envelope_id);
              resolve(message.payload);
            }
          } catch {
            // ignored, as Slack ignores garbage
          }
        });
        client.send(
          JSON.stringify({
            type: 'hello',
            num_connections: sockets.size,
            debug_info: { host: 'sim', approximate_connection_time: 18060 },
            connection_info: { app_id: ws.appId },
          }),
        );
      });
    });
    // Slack pings every connection; the client reconnects when pings stop.
    pingTimer = setInterval(() => {
      for (const client of sockets) client.ping();
    }, 5_000);
    pingTimer.unref();
  };

  const deliver = (
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: unknown,
  ): Promise<unknown> => {
    const client = [...sockets].find((w) => w.readyState === w.OPEN);
    if (!client) return Promise.reject(new Error('no Socket Mode connection'));
    const envelopeId = `${ws.hex(8)}-${ws.hex(4)}-${ws.hex(4)}-${ws.hex(4)}-${ws.hex(12)}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pendingEnvelopes.delete(envelopeId);
        reject(new Error(`envelope ${type} not acknowledged within 3 s`));
      }, 3_000);
      pendingEnvelopes.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      client.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          retry_attempt: 0,
          retry_reason: '',
        }),
      );
    });
  };

  /** Stops pinging and drops every connection. */
  const close = () => {
    clearInterval(pingTimer);
    for (const client of sockets) client.terminate();
  };

  return { openUrl, attach, deliver, close, connections: () => sockets.size };
}
