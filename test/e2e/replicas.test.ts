import { afterAll, beforeAll, expect, test } from 'vitest';
import { newRecord } from '../../src/onboarding/record.ts';
import { findButton } from '../../src/sandbox/driver.ts';
import { type SandboxSession, startSandboxSession } from '../../src/sandbox/session.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { freshDatabaseUrl } from '../helpers/postgres.ts';
import { eventually, modalValues } from './harness.ts';

/**
 * Two bots on one PostgreSQL database behave as one: shared records, one
 * onboarding for a submission delivered to both, work of a dead replica taken
 * over once its lease lapses, one digest per slot.
 */

let world: World;
let a: SandboxSession;
let b: SandboxSession;
beforeAll(async () => {
  world = await startWorld();
  const env = { DATABASE_URL: await freshDatabaseUrl('replicas') };
  const bot = { resumeEveryMs: 200 };
  a = await startSandboxSession({ world, env, bot });
  b = await startSandboxSession({ world, env, bot });
}, 30_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await world?.close();
});

const sipUsers = (login: string) =>
  [...world.opentact.state.users.values()].filter((u) => u.login === login).length;

test('the same submission delivered to both replicas at once onboards one person once', async () => {
  await a.driver.command(SANDBOX.admin, '');
  const view = await eventually(() => world.slack.views.find((v) => v.type === 'modal'));
  const values = modalValues({ login: 'ada.lovelace', email: 'ada@example.com' });
  const [ra, rb] = await Promise.all([
    a.driver.submitView(view.id, SANDBOX.admin, values),
    b.driver.submitView(view.id, SANDBOX.admin, values),
  ]);
  expect([ra.status, rb.status]).toEqual([200, 200]);
  const record = await eventually(async () => {
    const r = await b.bot.store.findByEmailOrLogin('ada.lovelace');
    return r?.state === 'pending' ? r : undefined;
  }, 10_000);
  // Shared state: what one replica recorded, the other reads.
  expect((await a.bot.store.get(record.id))?.state).toBe('pending');
  expect(sipUsers('ada.lovelace')).toBe(1);
  expect(
    [...world.opentact.state.invites.values()].filter((i) => i.name === 'ada.lovelace'),
  ).toHaveLength(1);
  expect(world.usermgmt.sent).toHaveLength(1);
  expect(world.slyk.outbox.filter((m) => m.email === 'ada@example.com')).toHaveLength(1);
});

test('work left by a replica that died is finished by a live one once its lease lapses', async () => {
  const request = {
    submissionKey: 'VDEAD1',
    requestedBy: SANDBOX.admin,
    person: {
      firstName: 'Alan',
      lastName: 'Turing',
      email: 'alan@example.com',
      phone: '+4915112345679',
      login: 'alan.turing',
    },
    lifetimeDays: 7,
    channels: ['sms', 'email'] as ('sms' | 'email')[],
  };
  // As a killed replica leaves it: provisioning, the SIP user step running, its lease about to lapse.
  const orphan = newRecord(request, new Date());
  orphan.steps.sip_user = { status: 'running', attempts: 1 };
  orphan.lease = { owner: 'a-replica-that-died', until: new Date(Date.now() + 500).toISOString() };
  await a.bot.store.insert(orphan);
  await new Promise((r) => setTimeout(r, 300));
  expect((await a.bot.store.get(orphan.id))?.state, 'not taken while the lease holds').toBe(
    'provisioning',
  );
  const done = await eventually(async () => {
    const r = await a.bot.store.get(orphan.id);
    // Finished, and the lease given back (it is released just after the last step is recorded).
    return r?.state === 'pending' && !r.lease ? r : undefined;
  }, 10_000);
  expect(done.audit.some((e) => e.action === 'sip_user_created')).toBe(true);
  expect(sipUsers('alan.turing')).toBe(1);
  expect(world.slyk.outbox.filter((m) => m.email === 'alan@example.com')).toHaveLength(1);
});

test('a digest slot scheduled on both replicas is posted once', async () => {
  const slot = new Date('2026-12-01T09:00:00Z');
  const before = world.slack
    .messagesIn(SANDBOX.digestChannel)
    .filter((m) => m.text?.startsWith('Invitation digest')).length;
  const results = await Promise.all([a.bot.jobs.digest({ slot }), b.bot.jobs.digest({ slot })]);
  expect(results.filter((r) => r.posted)).toHaveLength(1);
  const after = world.slack
    .messagesIn(SANDBOX.digestChannel)
    .filter((m) => m.text?.startsWith('Invitation digest')).length;
  expect(after - before).toBe(1);
});

test('the same click delivered to both replicas (a retry through the load balancer) acts once', async () => {
  const record = (await a.bot.store.findByEmailOrLogin('ada.lovelace'))!;
  const dm = world.slack.messages.find(
    (m) => m.channel === record.slack.channel && m.ts === record.slack.ts,
  )!;
  const extend = findButton(dm.blocks, 'extend:')!;
  const route = '/sip/connection/:sip_connection_uuid/invites/:uuid';
  const patches = world.opentact.server.callsTo('PATCH', route).length;
  const where = { channel: dm.channel, ts: dm.ts };
  const click = { actionTs: '1764583000.000200' };
  await Promise.all([
    a.driver.click(SANDBOX.admin, extend, where, click),
    b.driver.click(SANDBOX.admin, extend, where, click),
  ]);
  await eventually(
    () =>
      world.slack.callsTo('chat.update').length > 0 &&
      world.opentact.server.callsTo('PATCH', route).length > patches,
  );
  await new Promise((r) => setTimeout(r, 400));
  expect(world.opentact.server.callsTo('PATCH', route)).toHaveLength(patches + 1);
});
