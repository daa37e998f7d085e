import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { runPreflight } from '../src/preflight.ts';
import { SANDBOX, startWorld, type World } from '../src/sandbox/world.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});

const check = (patch: Record<string, string | undefined> = {}) =>
  runPreflight(loadConfig({ ...world.env, ...patch }), { timeoutMs: 2_000 });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const SECRETS = [
  SANDBOX.slackBotToken,
  SANDBOX.slackAppToken,
  SANDBOX.opentactToken,
  SANDBOX.usermgmtToken,
  SANDBOX.slykApiKey,
  'xoxb-wrong-bot-token',
  'wrong-opentact-jwt',
  'wrong-slyk-key',
];

function expectNoSecret(text: string) {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('preflight', () => {
  test('a good configuration: every dependency ok, UserMgmt unchecked, nothing to say', async () => {
    const result = await check();
    expect(result).toEqual({
      fatal: [],
      notes: [],
      dependencies: {
        slack: 'ok',
        slackApp: 'disabled',
        opentact: 'ok',
        slyk: 'ok',
        usermgmt: 'unchecked',
      },
    });
    expect(world.slack.callsTo('auth.test').length).toBeGreaterThan(0);
  });

  test('Socket Mode: the app token is checked with apps.connections.open', async () => {
    const before = world.slack.callsTo('apps.connections.open').length;
    const result = await check({ SLACK_APP_TOKEN: SANDBOX.slackAppToken });
    expect(result.dependencies.slackApp).toBe('ok');
    expect(world.slack.callsTo('apps.connections.open')).toHaveLength(before + 1);
    const wrong = await check({ SLACK_APP_TOKEN: 'xapp-wrong-app-token' });
    expect(wrong.fatal).toEqual([
      expect.stringMatching(/^SLACK_APP_TOKEN was refused by Slack \(invalid_auth\)/),
    ]);
    expect(wrong.fatal.join()).not.toContain('xapp-wrong-app-token');
  });

  test('channels not configured are disabled, not checked', async () => {
    const result = await check({ SLYK_API_KEY: '', USERMGMT_API_URL: '', USERMGMT_TOKEN: '' });
    expect(result.dependencies).toMatchObject({ slyk: 'disabled', usermgmt: 'disabled' });
    expect(result.fatal).toEqual([]);
  });

  test.each([
    [
      'wrong bot token',
      { SLACK_BOT_TOKEN: 'xoxb-wrong-bot-token' },
      /^SLACK_BOT_TOKEN was refused by Slack \(invalid_auth\): /,
    ],
    [
      'wrong Opentact token',
      { OPENTACT_TOKEN: 'wrong-opentact-jwt' },
      /^OPENTACT_TOKEN was refused by Opentact \(HTTP 401: /,
    ],
    [
      'unknown SIP connection',
      { OPENTACT_SIP_CONNECTION_UUID: '00000000-0000-4000-8000-000000000000' },
      /^OPENTACT_SIP_CONNECTION_UUID is not a SIP connection Opentact knows \(HTTP 404: /,
    ],
    [
      'wrong Slyk key',
      { SLYK_API_KEY: 'wrong-slyk-key' },
      /^SLYK_API_KEY was refused by Slyk \(HTTP 401: /,
    ],
  ])('%s → one fatal line naming the variable, no secret', async (_, patch, line) => {
    const result = await check(patch);
    expect(result.fatal).toEqual([expect.stringMatching(line)]);
    expectNoSecret([...result.fatal, ...result.notes].join('\n'));
  });

  test('every refusal is reported in one round', async () => {
    const result = await check({
      SLACK_BOT_TOKEN: 'xoxb-wrong-bot-token',
      OPENTACT_TOKEN: 'wrong-opentact-jwt',
      SLYK_API_KEY: 'wrong-slyk-key',
    });
    expect(result.fatal.map((line) => line.split(' ')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'OPENTACT_TOKEN',
      'SLYK_API_KEY',
    ]);
  });

  test('Opentact unreachable (closed port) is not fatal: unreachable, with a note', async () => {
    const port = await closedPort();
    const result = await check({ OPENTACT_API_URL: `http://127.0.0.1:${port}/rest` });
    expect(result.fatal).toEqual([]);
    expect(result.dependencies).toMatchObject({ slack: 'ok', opentact: 'unreachable', slyk: 'ok' });
    expect(result.notes).toEqual([
      expect.stringMatching(
        /^Opentact could not be reached at start \(could not connect \(ECONNREFUSED\)\); onboardings will fail until it is$/,
      ),
    ]);
  });

  test('a service that does not answer in time is unreachable, within the time-out', async () => {
    const hanging = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const { port } = hanging.address() as { port: number };
    try {
      const started = Date.now();
      const result = await runPreflight(
        loadConfig({ ...world.env, SLYK_API_URL: `http://127.0.0.1:${port}` }),
        { timeoutMs: 300 },
      );
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(result.fatal).toEqual([]);
      expect(result.dependencies.slyk).toBe('unreachable');
      expect(result.notes).toEqual([expect.stringContaining('Slyk could not be reached at start')]);
    } finally {
      hanging.close();
    }
  });

  test('Slack 5xx or no connection is not fatal; the injected fetch is used for Slack', async () => {
    const down = (async () => new Response('upstream down', { status: 503 })) as typeof fetch;
    const result = await runPreflight(loadConfig(world.env), { fetch: down, timeoutMs: 2_000 });
    expect(result.fatal).toEqual([]);
    expect(result.dependencies.slack).toBe('unreachable');
    expect(result.notes).toEqual([
      expect.stringContaining('Slack could not be reached at start (HTTP 503)'),
    ]);
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    const offline = await runPreflight(loadConfig(world.env), { fetch: refused });
    expect(offline.notes).toEqual([expect.stringContaining('could not connect (ECONNREFUSED)')]);
  });
});
