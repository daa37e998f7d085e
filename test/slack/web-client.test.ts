import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { type Logger, LogLevel, WebClient } from '@slack/web-api';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { lightFetch } from '../../src/net/light-fetch.ts';
import { SlackWebClient } from '../../src/slack/web-client.ts';

/**
 * The bot's Web API client against the library's own, on one scripted server:
 * for every case the server must see the same requests and the caller the same
 * result or the same error (class, code, message, data).
 */
type Seen = { method: string; body: string; authorization: string | undefined };
let seen: Seen[] = [];
const attempts = new Map<string, number>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await text(req);
    const method = (req.url ?? '').replace(/^\/api\//, '');
    seen.push({ method, body, authorization: req.headers.authorization });
    const n = (attempts.get(method) ?? 0) + 1;
    attempts.set(method, n);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
      res
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(value));
    switch (method) {
      case 'chat.postMessage':
        return json(
          200,
          { ok: true, ts: '1.2', response_metadata: { warnings: ['missing_charset'] } },
          { 'x-oauth-scopes': 'chat:write, commands', 'x-accepted-oauth-scopes': 'chat:write' },
        );
      case 'platform.error':
        return json(200, { ok: false, error: 'channel_not_found' });
      case 'not.json':
        return res.writeHead(200).end('<html>maintenance</html>');
      case 'flaky.500':
        return n < 3 ? json(500, { oops: true }) : json(200, { ok: true, after: n });
      case 'always.503':
        return res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      case 'rate.limited':
        return n < 2 ? json(429, { ok: false }, { 'retry-after': '0' }) : json(200, { ok: true });
      case 'rate.no-header':
        return json(429, { ok: false });
      case 'drop':
        return req.socket.destroy();
      case 'slow':
        return setTimeout(() => json(200, { ok: true }), 400);
      default:
        return json(404, { ok: false, error: 'unknown_method' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  attempts.clear();
});

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
const retry = { retries: 2, factor: 2, minTimeout: 5, maxTimeout: 20 };
const agent = new Agent({ keepAliveTimeout: 1_000 });

function clients(failed: string[] = []) {
  const library = new WebClient('xoxb-test', {
    slackApiUrl: `${base}/`,
    timeout: 200,
    retryConfig: retry,
    rejectRateLimitedCalls: false,
    logger: quiet,
    fetch: lightFetch(agent),
  });
  const ours = new SlackWebClient('xoxb-test', {
    apiUrl: base,
    timeoutMs: 200,
    retry,
    logger: quiet,
    dispatcher: agent,
    fetch: lightFetch(agent),
    failed: (method, error) => failed.push(`${method} ${error}`),
  });
  return { library, ours };
}

/** What a caller can observe of one call. */
async function outcome(call: Promise<unknown>) {
  try {
    return { result: await call };
  } catch (error) {
    const e = error as Error & Record<string, unknown>;
    return {
      error: e.constructor.name,
      code: e.code,
      message: e.message,
      data: e.data,
      statusCode: e.statusCode,
      body: e.body,
      original: (e.original as Error | undefined)?.name,
    };
  }
}

async function both(method: string, args: Record<string, unknown> = {}) {
  const { library, ours } = clients();
  const fromLibrary = await outcome(library.apiCall(method, args));
  const libraryRequests = seen;
  seen = [];
  attempts.clear();
  const fromOurs = await outcome(ours.apiCall(method, args));
  return { fromLibrary, fromOurs, libraryRequests, ourRequests: seen };
}

describe('SlackWebClient behaves as the library’s WebClient', () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      'chat.postMessage',
      {
        channel: 'C1',
        text: 'a & b = c',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi* <@U1>' } }],
        unfurl_links: false,
        thread_ts: undefined,
        metadata: null,
        token: 'xoxb-other',
      },
    ],
    ['platform.error', { channel: 'C404' }],
    ['not.json', {}],
    ['flaky.500', {}],
    ['always.503', {}],
    ['rate.limited', {}],
    ['rate.no-header', {}],
    ['drop', {}],
    ['slow', {}],
  ];
  test.each(cases)('%s', async (method, args) => {
    const run = await both(method, args);
    expect(run.fromOurs).toEqual(run.fromLibrary);
    expect(run.ourRequests).toEqual(run.libraryRequests);
  });

  test('the request is form-encoded with objects as JSON, the token as a bearer header; nothing is serialised for a debug log', async () => {
    const debug: string[] = [];
    const ours = new SlackWebClient('xoxb-test', {
      apiUrl: base,
      timeoutMs: 200,
      retry,
      logger: { ...quiet, debug: (...m: unknown[]) => debug.push(m.join(' ')) },
      dispatcher: agent,
      fetch: lightFetch(agent),
    });
    await ours.chat.postMessage({ channel: 'C1', text: 'x', blocks: [{ type: 'divider' }] });
    expect(debug.filter((line) => line.includes('http request'))).toEqual([]);
    expect(seen).toHaveLength(1);
    const form = new URLSearchParams(seen[0]!.body);
    expect(Object.fromEntries(form)).toEqual({
      channel: 'C1',
      text: 'x',
      blocks: '[{"type":"divider"}]',
    });
    expect(seen[0]!.authorization).toBe('Bearer xoxb-test');
  });

  test('each failed attempt is counted with a short label', async () => {
    const failed: string[] = [];
    const { ours } = clients(failed);
    await outcome(ours.apiCall('platform.error'));
    await outcome(ours.apiCall('flaky.500'));
    await outcome(ours.apiCall('rate.limited'));
    await outcome(ours.apiCall('slow'));
    expect(failed).toEqual([
      'platform.error channel_not_found',
      'flaky.500 http_500',
      'flaky.500 http_500',
      'rate.limited ratelimited',
      'slow timeout',
      'slow timeout',
      'slow timeout',
    ]);
  });
});
