import { afterAll, beforeAll, expect, test } from 'vitest';
import { localSlotKey } from '../../src/jobs/schedule.ts';
import { DAY_MS, localDate, zonedTime } from '../../src/onboarding/clock.ts';
import { type SandboxSession, startSandboxSession } from '../../src/sandbox/session.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { freshDatabaseUrl } from '../helpers/postgres.ts';
import { eventually, modalValues } from './harness.ts';

/**
 * Two bots on one PostgreSQL database, one clock: a reminder and a scheduled
 * send are done once although both replicas run the timed job at the same
 * moment (the slot claim aside: each record's lease and what it records).
 */

let world: World;
let a: SandboxSession;
let b: SandboxSession;
let t = Date.now();
const now = () => new Date(t);

beforeAll(async () => {
  world = await startWorld();
  const env = { DATABASE_URL: await freshDatabaseUrl('timed'), DIGEST_TIMEZONE: 'UTC' };
  a = await startSandboxSession({ world, env, bot: { clock: now } });
  b = await startSandboxSession({ world, env, bot: { clock: now } });
}, 30_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await world?.close();
});

async function submit(values: Record<string, Record<string, unknown>>) {
  const opens = world.slack.callsTo('views.open').length;
  await a.driver.command(SANDBOX.admin, '');
  await eventually(() => world.slack.callsTo('views.open').length > opens);
  await a.driver.submitView(world.slack.views.at(-1)!.id, SANDBOX.admin, values);
}

test('both replicas run the timed job at once: one reminder, one scheduled send', async () => {
  await submit(modalValues({ lifetime: '3' }));
  const reminded = await eventually(async () => {
    const r = await a.bot.store.findByEmailOrLogin('ada.lovelace');
    return r?.state === 'pending' ? r : undefined;
  });
  const startDate = localDate(new Date(t + 2 * DAY_MS), 'UTC');
  await submit(
    modalValues({
      first: 'Bob',
      last: 'Builder',
      email: 'bob@example.com',
      phone: '+4915112345679',
      lifetime: '3',
      startDate,
    }),
  );
  const scheduled = await eventually(async () => {
    const r = await a.bot.store.findByEmailOrLogin('bob.builder');
    return r?.state === 'scheduled' ? r : undefined;
  });
  const sms = world.usermgmt.sent.length;
  const mails = world.slyk.outbox.length;

  // The scheduled send is due and so is the reminder (3-day invite, 24 h before expiry).
  t = Math.max(
    zonedTime(startDate, 9, 'UTC').getTime() + 60_000,
    Date.parse(reminded.invite!.expiresAt) - 23 * 3_600_000,
  );
  t = Math.min(t, Date.parse(reminded.invite!.expiresAt) - 60_000);
  const runs = await Promise.all([
    a.bot.jobs.timed(),
    b.bot.jobs.timed(),
    a.bot.jobs.timed(),
    b.bot.jobs.timed(),
  ]);
  expect(runs.reduce((n, r) => n + r.sent, 0)).toBe(1);
  expect(runs.reduce((n, r) => n + r.reminders, 0)).toBe(1);
  const bob = await b.bot.store.get(scheduled.id);
  expect(bob?.state).toBe('pending');
  expect((await b.bot.store.get(reminded.id))?.reminder?.status).toBe('sent');
  // Bob's invitations (SMS + e-mail) and Ada's reminder (SMS + e-mail): once each.
  expect(world.usermgmt.sent.length - sms).toBe(2);
  expect(world.slyk.outbox.length - mails).toBe(2);

  // A cron slot is claimed by one replica (the other finds it taken).
  const slot = new Date(Math.floor(t / 60_000) * 60_000);
  await Promise.all([a.bot.jobs.timed(slot), b.bot.jobs.timed(slot)]);
  expect(await a.bot.service.claimJobSlot('timed', localSlotKey(slot, 'UTC'))).toBe(false);
  expect(world.usermgmt.sent.length - sms).toBe(2);
});
