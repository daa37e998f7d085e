import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authMethods } from './methods/auth.ts';
import { chatMethods } from './methods/chat.ts';
import { conversationsMethods } from './methods/conversations.ts';
import { createFiles } from './methods/files.ts';
import { usersMethods } from './methods/users.ts';
import { viewsMethods } from './methods/views.ts';
import { createModals } from './modals.ts';
import { sendJson } from './reply.ts';
import { createResponseUrls } from './response-url.ts';
import { createSocketMode } from './socket-mode.ts';
import type { SimMessage, SlackSimulatorOptions } from './types.ts';
import { createWebApi } from './web-api.ts';
import { createWorkspace } from './workspace.ts';

/**
 * A strict simulator of the Slack Web API (the subset the bot uses), plus the
 * `response_url`s Slack hands out with interactions, and Socket Mode.
 *
 * Like Slack: every method answers HTTP 200 `{ ok: false, error }` on failure
 * (rate limits: HTTP 429 + `Retry-After`), accepts form-encoded bodies (nested
 * fields JSON-encoded, as @slack/web-api sends them) or JSON bodies (token only in
 * the `Authorization` header), and validates Block Kit payloads against the
 * documented limits. Where Slack's behaviour is unknown, the simulator is the
 * stricter of the plausible choices: a lenient simulator hides bugs.
 *
 * Limits cite the Block Kit reference, https://docs.slack.dev/reference/block-kit
 * (blocks/…, block-elements/…, composition-objects/…, views), and the method pages
 * under https://docs.slack.dev/reference/methods.
 *
 * This module composes the parts: the workspace state (workspace.ts), views and
 * modal stacks (modals.ts), the Web API endpoint (web-api.ts) with one module per
 * method family (methods/), response_urls (response-url.ts), Socket Mode
 * (socket-mode.ts) and the Block Kit rules (blockkit.ts, blockkit-fields.ts).
 */

export {
  BLOCK_TYPES,
  INPUT_ELEMENTS,
  MAX_BLOCKS,
  type Surface,
  validateMessageBlocks,
  validateView,
} from './blockkit.ts';
export * from './types.ts';

export type SlackSimulator = ReturnType<typeof createSlackSimulator>;

export function createSlackSimulator(options: SlackSimulatorOptions) {
  let server: Server | undefined;
  let base = '';
  const baseUrl = () => base;

  const ws = createWorkspace(options);
  const { users, channels, messages, ephemerals, views, posts } = ws;
  const modals = createModals(ws);
  const userGroups = new Map(Object.entries(options.userGroups ?? {}));
  const socketMode = createSocketMode(ws, baseUrl);
  const responseUrls = createResponseUrls(ws, baseUrl);
  const files = createFiles(ws, baseUrl, options.botToken);
  const api = createWebApi(ws, options, {
    ...authMethods(ws, socketMode.openUrl),
    ...usersMethods(ws, userGroups),
    ...conversationsMethods(ws),
    ...chatMethods(ws, options),
    ...viewsMethods(ws, modals),
    ...files.methods,
  });
  const { calls } = api;
  const { responses } = responseUrls;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const text = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const upload = /^\/upload\/([A-Z0-9]+)$/.exec(url.pathname);
    if (upload) return files.handleUpload(req, res, upload[1]!, bytes);
    const download = /^\/files-pri\/[A-Z0-9]+-([A-Z0-9]+)\/(?:download\/)?[^/]+$/.exec(
      url.pathname,
    );
    if (download && req.method === 'GET') return files.handleDownload(req, res, download[1]!);
    const method = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (method) return api.handle(req, res, method[1]!, text, url.searchParams);
    const response = /^\/response\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (response) return responseUrls.handle(req, res, response[1]!, text);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found');
  };

  return {
    /** The Web API base, `http://127.0.0.1:<port>/api/` (for WebClient's `slackApiUrl`). */
    get url() {
      return base ? `${base}/api/` : '';
    },
    /** `http://127.0.0.1:<port>` (response_urls live under it). */
    get baseUrl() {
      return base;
    },
    botToken: options.botToken,
    teamId: ws.teamId,
    botUserId: ws.botUserId,
    botId: ws.botId,
    appId: ws.appId,
    calls,
    callsTo: api.callsTo,
    users,
    channels,
    messages,
    ephemerals,
    views,
    responses,
    /** Messages (not deleted) in a channel, oldest first. */
    messagesIn: (channel: string) => messages.filter((m) => m.channel === channel && !m.deleted),
    /** The bot's DM channel id with a user, if open. */
    dmWith: (userId: string) => channels.find((ch) => ch.isIm && ch.user === userId)?.id,
    /** Timestamps (ms, simulator clock) of accepted chat.postMessage calls per channel. */
    postsPerChannel: (): Record<string, number[]> =>
      Object.fromEntries([...posts].map(([ch, times]) => [ch, [...times]])),
    /** The most accepted posts any channel got within any `windowMs` window. */
    maxPostsInWindow: (windowMs = 1_000) => {
      let best = 0;
      for (const times of posts.values()) {
        for (let i = 0, j = 0; i < times.length; i++) {
          while (times[i]! - times[j]! >= windowMs) j++;
          best = Math.max(best, i - j + 1);
        }
      }
      return best;
    },
    /** A trigger id as an interaction payload carries; `viewId` when from inside a modal. */
    mintTriggerId: modals.mintTriggerId,
    /** A response_url as an interaction payload carries (needs a started server). */
    responseUrl: responseUrls.mint,
    /** Simulates the user closing a modal: it and every view pushed above it. */
    closeView: modals.closeView,
    /**
     * What Slack does with a view_submission's HTTP answer: `update` replaces the
     * view (validated like views.update, new hash), `clear` closes the stack,
     * `errors` leaves it open, an empty answer closes the submitted view.
     * Returns the validation errors Slack would show (empty when accepted).
     */
    applyViewAck: modals.applyViewAck,
    /** The view as the bot's listeners would receive it in a payload. */
    viewPayload: modals.viewPayload,
    /** Open views of a modal stack, bottom first. */
    viewStack: modals.viewStack,
    /** The user's home tab view, if published. */
    homeOf: modals.homeOf,
    /** Seeds a message not written by the bot (e.g. to test cant_update_message). */
    seedMessage: (m: { channel: string; user: string; text: string }) => {
      const message: SimMessage = { ...m, ts: ws.nextTs(), via: 'seed' };
      messages.push(message);
      return message;
    },
    /** Every recorded call's args and every response_url body, as one string. */
    allCallText: () =>
      [
        ...calls.map((c) => JSON.stringify(c.args)),
        ...responses.map((r) => JSON.stringify(r.body)),
      ].join('\n'),
    /** Files uploaded by people (uploadUserFile) and by the bot (the two-step upload). */
    files: files.files,
    /** A person puts a file into a modal's file_input: returns the element's state value. */
    uploadUserFile: files.uploadUserFile,
    /** Files the bot shared in a channel, with their content. */
    filesIn: files.filesIn,
    /** User groups by id → member ids (tests change them). */
    userGroups,
    addFault: api.addFault,
    clearFaults: api.clearFaults,
    /** Sets (or lifts) the chat.update rate limit per channel while running. */
    setUpdateRateLimit: (limit: SlackSimulatorOptions['updateRateLimit']) => {
      options.updateRateLimit = limit;
    },
    /** Latency added to every Web API call. */
    setLatency: api.setLatency,
    /** Open Socket Mode connections. */
    socketConnections: socketMode.connections,
    /**
     * Delivers an envelope over Socket Mode, as Slack does, and resolves with the
     * app's acknowledgement payload (what an HTTP app would have answered).
     * Rejects when no app is connected or none acknowledges within 3 s.
     */
    socketDeliver: socketMode.deliver,
    /** Every later call answers `token_revoked`. */
    revokeToken: api.revokeToken,
    start: (port = 0) =>
      new Promise<string>((resolvePromise, reject) => {
        server = createServer((req, res) => {
          handle(req, res).catch((error: unknown) => {
            if (!res.headersSent) sendJson(res, 500, { ok: false, error: String(error) });
          });
        });
        server.keepAliveTimeout = 1_000;
        socketMode.attach(server);
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          const address = server!.address() as AddressInfo;
          base = `http://127.0.0.1:${address.port}`;
          resolvePromise(`${base}/api/`);
        });
      }),
    close: () =>
      new Promise<void>((resolvePromise) => {
        socketMode.close();
        if (!server) return resolvePromise();
        server.closeAllConnections();
        server.close(() => resolvePromise());
      }),
  };
}
