import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { modalValues, waitFor } from '../../src/sandbox/driver.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { freshDatabaseUrl } from '../helpers/postgres.ts';
import { driverOn, freePort, person, writeDotEnv } from './crash-helpers.ts';

/**
 * Two bot processes (`src/main.ts`) on one PostgreSQL database: one is
 * SIGKILLed while onboardings are in flight and the other finishes them,
 * nothing doubled; a SIGTERMed one exits at once while the other serves.
 */

const children: ChildProcess[] = [];
let world: World | undefined;
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await world?.close();
});

async function bot(dir: string, port: number) {
  const child = spawn(process.execPath, [resolve('src/main.ts')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  await waitFor(() => stderr.includes('bot ready'), 15_000);
  const driver = driverOn(port, world!.slack);
  return { child, driver, port };
}

test('a replica killed mid-onboarding: the other finishes its work; SIGTERM exits at once', {
  timeout: 90_000,
}, async () => {
  world = await startWorld();
  const url = await freshDatabaseUrl('processes');
  const dir = mkdtempSync(join(tmpdir(), 'onboard-replicas-'));
  const env = { ...world.env, DATABASE_URL: url, LEASE_SECONDS: '2', LOG_LEVEL: 'info' };
  delete (env as Record<string, string>).PORT;
  writeDotEnv(dir, env);
  const a = await bot(dir, await freePort());
  const b = await bot(dir, await freePort());
  for (const sim of [world.opentact.server, world.usermgmt, world.slyk]) sim.setLatency(150);

  // Six onboardings through A; A dies while they run.
  const people = Array.from({ length: 6 }, (_, i) => person(200 + i));
  for (const p of people) {
    const before = world.slack.views.length;
    await a.driver.command(SANDBOX.admin, '');
    const view = await waitFor(() =>
      world!.slack.views.slice(before).find((v) => v.type === 'modal'),
    );
    const answer = await a.driver.submitView(view.id, SANDBOX.admin, modalValues(p));
    expect(answer.body).toMatchObject({ response_action: 'update' });
  }
  await waitFor(() => world!.opentact.server.calls.length > 3);
  a.child.kill('SIGKILL');
  const killedAt = Date.now();

  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await waitFor(
      async () => {
        const { rows } = await db.query<{ state: string }>('SELECT state FROM onboardings');
        return rows.length === people.length && rows.every((r) => r.state === 'pending');
      },
      60_000,
      100,
    );
  } finally {
    await db.end();
  }
  const failoverMs = Date.now() - killedAt;
  expect(failoverMs).toBeLessThan(60_000);
  for (const p of people) {
    const users = [...world.opentact.state.users.values()].filter((u) => u.login === p.login);
    expect(users, p.login).toHaveLength(1);
    expect(
      [...world.opentact.state.invites.values()].filter((i) => i.name === p.login),
    ).toHaveLength(1);
    expect(world.usermgmt.sent.filter((s) => s.id === users[0]!.uuid).length).toBeLessThanOrEqual(
      1,
    );
    expect(world.slyk.outbox.filter((m) => m.email === p.email).length).toBeLessThanOrEqual(1);
  }
  console.log(
    `replica failover: ${people.length} onboardings finished ${failoverMs} ms after the kill`,
  );

  // A new replica joins; B is stopped with SIGTERM and exits quickly, the new one keeps serving.
  for (const sim of [world.opentact.server, world.usermgmt, world.slyk]) sim.setLatency(0);
  const c = await bot(dir, await freePort());
  const stopped = Date.now();
  const exited = new Promise<number | null>((r) => b.child.once('exit', r));
  b.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(Date.now() - stopped).toBeLessThan(10_000);
  const health = await fetch(`http://127.0.0.1:${c.port}/health`);
  expect(await health.json()).toMatchObject({ ok: true, store: 'postgres' });
});
