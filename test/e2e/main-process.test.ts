import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { modalValues, SlackDriver, waitFor } from '../../src/sandbox/driver.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { driverOn, writeDotEnv } from './crash-helpers.ts';

/** `npm start`'s code path, as a process, configured by a .env file that points at the simulators. */

let child: ChildProcess | undefined;
let world: World | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await world?.close();
});

test('node src/main.ts with a .env onboards a person end to end, then stops cleanly', async () => {
  world = await startWorld();
  // Only PATH and HOME from outside: everything else comes from the .env file.
  const { output, exit } = runWithEnv({ ...world.env, PORT: '0', LOG_LEVEL: 'info' });
  const stderr = () => output.stderr;
  const port = await waitFor(() => /HTTP mode on port (\d+)/.exec(stderr())?.[1], 10_000);
  expect(stderr()).toContain('invitations by sms and email');
  // The warm-up ran against its own simulators: this world has seen only the start-up checks.
  expect(stderr()).toContain('"msg":"warmed up","onboardings":3');
  expect(world.slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
  expect(world.opentact.server.calls).toHaveLength(1);

  const driver = driverOn(port, world.slack);
  await driver.command(SANDBOX.admin, '');
  const modal = await waitFor(() => world!.slack.views.find((v) => v.type === 'modal'));
  const submitted = await driver.submitView(modal.id, SANDBOX.admin, modalValues({}));
  expect(submitted.body).toMatchObject({ response_action: 'update' });
  const dm = await waitFor(() =>
    world!.slack.messagesIn(world!.slack.dmWith(SANDBOX.admin) ?? '').at(-1),
  );
  expect(dm.text).toContain('Ada Lovelace is invited');
  expect(world.usermgmt.sent).toHaveLength(1);
  expect(world.slyk.outbox).toHaveLength(1);

  child!.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect(stderr()).toContain('stopped cleanly');
  // Nothing secret in the log.
  for (const secret of [
    SANDBOX.slackBotToken,
    SANDBOX.signingSecret,
    SANDBOX.opentactToken,
    SANDBOX.usermgmtToken,
    SANDBOX.slykApiKey,
  ]) {
    expect(stderr()).not.toContain(secret);
  }
});

test('node src/main.ts in Socket Mode: the bot thread holds the socket, the main thread serves /health', async () => {
  world = await startWorld();
  const { output, exit } = runWithEnv({
    ...world.env,
    SLACK_APP_TOKEN: SANDBOX.slackAppToken,
    PORT: '0',
    LOG_LEVEL: 'info',
  });
  const port = await waitFor(() => /health on port (\d+)/.exec(output.stderr)?.[1], 10_000);
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  expect(await health.json()).toMatchObject({ ok: true, mode: 'socket' });
  // No Slack requests over HTTP in Socket Mode.
  expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST' })).status).toBe(
    404,
  );

  const driver = new SlackDriver({
    url: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SANDBOX.signingSecret,
    slack: world.slack,
    teamId: SANDBOX.teamId,
    transport: 'socket',
  });
  await waitFor(() => world!.slack.socketConnections() > 0, 5_000);
  await driver.command(SANDBOX.admin, '');
  const modal = await waitFor(() => world!.slack.views.find((v) => v.type === 'modal'));
  const submitted = await driver.submitView(modal.id, SANDBOX.admin, modalValues({}));
  expect(submitted.body).toMatchObject({ response_action: 'update' });
  await waitFor(() => world!.slyk.outbox.length === 1 && world!.usermgmt.sent.length === 1);

  child!.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect(output.stderr).toContain('stopped cleanly');
});

/** Spawns main.ts in a fresh directory whose .env holds `env`; resolves with its exit and stderr. */
function runWithEnv(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'onboard-start-'));
  writeDotEnv(dir, env);
  child = spawn(process.execPath, [resolve('src/main.ts')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const running = child;
  const output = { stderr: '' };
  running.stderr!.on('data', (chunk) => {
    output.stderr += String(chunk);
  });
  const exit = new Promise<number | null>((r) => running.once('exit', r));
  return { output, exit };
}

test('a bot token Slack refuses stops the start: exit 78, one line naming SLACK_BOT_TOKEN', async () => {
  world = await startWorld();
  const wrong = 'xoxb-wrong-bot-token-e2e';
  const { output, exit } = runWithEnv({ ...world.env, SLACK_BOT_TOKEN: wrong, LOG_LEVEL: 'info' });
  expect(await exit).toBe(78);
  const named = output.stderr.split('\n').filter((line) => line.includes('SLACK_BOT_TOKEN'));
  expect(named).toEqual([
    expect.stringMatching(/^\s*- SLACK_BOT_TOKEN was refused by Slack \(invalid_auth\): /),
  ]);
  expect(output.stderr).not.toContain(wrong);
  expect(output.stderr).not.toContain('bot ready');
  expect(world.slack.callsTo('auth.test')).toHaveLength(1);
});

test('Opentact unreachable at start: the bot starts degraded and says so', async () => {
  world = await startWorld();
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  const { output } = runWithEnv({
    ...world.env,
    OPENTACT_API_URL: `http://127.0.0.1:${port}/rest`,
    LOG_LEVEL: 'info',
  });
  await waitFor(() => output.stderr.includes('bot ready'), 10_000);
  expect(output.stderr).toContain('Opentact could not be reached at start');
  expect(output.stderr).toContain('onboardings will fail until it is');
});
