import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { type SandboxSession, startSandboxSession } from '../../src/sandbox/session.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { freePort } from './crash-helpers.ts';
import { eventually, modalValues } from './harness.ts';

/**
 * PostgreSQL stops under a running bot and comes back: the bot refuses new
 * work with a clear message meanwhile, /health says so, nothing recorded is
 * lost, and it recovers by itself.
 */

let world: World | undefined;
let session: SandboxSession | undefined;
let server: ChildProcess | undefined;
afterAll(async () => {
  await session?.close();
  server?.kill('SIGTERM');
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Directly under the temp dir: PostgreSQL runs as its own user and must reach the directory.
const dir = join(tmpdir(), `onboard-outage-${randomBytes(6).toString('hex')}`);
const password = randomBytes(8).toString('hex');

async function startPostgres(port: number): Promise<string> {
  server = spawn(process.execPath, [resolve('test/helpers/postgres-process.ts')], {
    env: { ...process.env, PG_DIR: dir, PG_PORT: String(port), PG_PASSWORD: password },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const child = server;
  return new Promise((ok, fail) => {
    child.stdout!.once('data', (chunk) => ok(String(chunk).trim()));
    child.once('exit', (code) => fail(new Error(`PostgreSQL exited (${code})`)));
  });
}

async function stopPostgres(): Promise<void> {
  const child = server!;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function submit(s: SandboxSession, login: string, email: string) {
  const before = world!.slack.views.length;
  await s.driver.command(SANDBOX.admin, '');
  const view = await eventually(() =>
    world!.slack.views.slice(before).find((v) => v.type === 'modal'),
  );
  return s.driver.submitView(view.id, SANDBOX.admin, modalValues({ login, email }));
}

const health = async (s: SandboxSession) => {
  const response = await fetch(`http://127.0.0.1:${s.bot.port}/health`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

test('the database stops and comes back: refused meanwhile, nothing lost, recovers by itself', {
  timeout: 60_000,
}, async () => {
  world = await startWorld();
  const port = await freePort();
  const admin = await startPostgres(port);
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query('CREATE DATABASE outage');
  await client.end();
  const url = admin.replace(/\/postgres$/, '/outage');
  const log: string[] = [];
  session = await startSandboxSession({
    world,
    env: { DATABASE_URL: url },
    bot: { logger: createLogger('error', {}, (line) => log.push(line)) },
  });
  const s = session;

  expect((await submit(s, 'ada.lovelace', 'ada@example.com')).body).toMatchObject({
    response_action: 'update',
  });
  await eventually(
    async () => (await s.bot.store.findByEmailOrLogin('ada.lovelace'))?.state === 'pending',
    10_000,
  );

  await stopPostgres();
  const refused = await submit(s, 'alan.turing', 'alan@example.com');
  expect(refused.ms, 'answered in Slack’s 3 s').toBeLessThan(3_000);
  expect(JSON.stringify(refused.body)).toContain('Nothing was created');
  expect(await health(s)).toMatchObject({
    status: 503,
    body: { ok: false, storeReachable: false },
  });

  await startPostgres(port);
  // The store's probe notices by itself; no request needed.
  await eventually(async () => (await health(s)).status === 200, 15_000, 200);
  expect((await submit(s, 'alan.turing', 'alan@example.com')).body).toMatchObject({
    response_action: 'update',
  });
  await eventually(
    async () => (await s.bot.store.findByEmailOrLogin('alan.turing'))?.state === 'pending',
    10_000,
  );
  expect(
    (await s.bot.store.findByEmailOrLogin('ada.lovelace'))?.state,
    'recorded before the outage',
  ).toBe('pending');
  expect([...world.opentact.state.users.values()].map((u) => u.login).sort()).toEqual([
    'ada.lovelace',
    'alan.turing',
  ]);
});
