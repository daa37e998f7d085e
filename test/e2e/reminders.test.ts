import { afterEach, describe, expect, test } from 'vitest';
import { DAY_MS } from '../../src/onboarding/clock.ts';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import {
  eventually,
  fakeClock,
  type Harness,
  modalValues,
  postDigest,
  startHarness,
} from './harness.ts';

const HOUR = 3_600_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PEOPLE = {
  ada: { first: 'Ada', last: 'Lovelace', email: 'ada@example.com', phone: '+4915112345678' },
  bob: { first: 'Bob', last: 'Builder', email: 'bob@example.com', phone: '+4915112345679' },
  cy: { first: 'Cy', last: 'Young', email: 'cy.young@example.com', phone: '+4915112345670' },
} as const;

/** Onboards through the modal (signed requests) and waits for the pending record. */
async function onboard(
  harness: Harness,
  who: keyof typeof PEOPLE,
  lifetime: string,
): Promise<OnboardingRecord> {
  const p = PEOPLE[who];
  const opens = harness.world.slack.callsTo('views.open').length;
  await harness.driver.command(SANDBOX.admin, '');
  await eventually(() => harness.world.slack.callsTo('views.open').length > opens);
  const viewId = harness.world.slack.views.at(-1)!.id;
  await harness.driver.submitView(viewId, SANDBOX.admin, modalValues({ ...p, lifetime }));
  return await eventually(() => {
    const r = harness.bot.lowdb!.all().find((x) => x.person.email === p.email);
    return r?.state === 'pending' ? r : undefined;
  });
}

const current = (harness: Harness, id: string) =>
  harness.bot.lowdb!.all().find((r) => r.id === id)!;

const sentCounts = (harness: Harness) => ({
  sms: harness.world.usermgmt.sent.length,
  email: harness.world.slyk.outbox.length,
});

describe('automatic reminders', () => {
  test('one reminder REMINDER_HOURS_BEFORE_EXPIRY before expiry, by the channels sent, never twice (not after a restart either)', async () => {
    const clock = fakeClock();
    h = await startHarness({}, { now: clock.now });
    const record = await onboard(h, 'ada', '3');
    const expires = Date.parse(record.invite!.expiresAt);
    const before = sentCounts(h);

    clock.set(expires - 24 * HOUR - 60_000);
    expect(await h.bot.jobs.timed()).toMatchObject({ reminders: 0 });
    expect(sentCounts(h)).toEqual(before);

    clock.set(expires - 24 * HOUR + 60_000);
    expect(await h.bot.jobs.timed()).toMatchObject({ reminders: 1 });
    expect(sentCounts(h)).toEqual({ sms: before.sms + 1, email: before.email + 1 });
    const reminded = current(h, record.id);
    expect(reminded.reminder).toMatchObject({ status: 'sent', channels: ['sms', 'email'] });
    expect(reminded.audit.at(-1)).toMatchObject({ action: 'reminded', by: 'system' });

    // Not again: a later run, a run at the same minute.
    clock.set(expires - 2 * HOUR);
    expect(await h.bot.jobs.timed()).toMatchObject({ reminders: 0 });
    expect(sentCounts(h)).toEqual({ sms: before.sms + 1, email: before.email + 1 });

    // Status shows it; the digest says it went out since the last one.
    const responses = h.world.slack.responses.length;
    await h.driver.command(SANDBOX.admin, `status ${record.person.login}`);
    const status = await eventually(() => h!.world.slack.responses[responses]);
    expect(JSON.stringify(status.body)).toContain('Reminder');
    expect(JSON.stringify(status.body)).toContain('SMS sent; E-mail sent');
    const digest = await postDigest(h);
    expect(JSON.stringify(digest.blocks)).toContain('Reminders sent since the last digest');
    expect(digest.text).toContain('1 reminded');

    // Restart on the same data: the start-up run and a job run send nothing.
    const world = h.world;
    await h.bot.stop(2_000);
    h = undefined;
    const reopened = await startHarness({}, { world, now: clock.now });
    try {
      // Let Bolt's start-up auth.test finish before the world closes (it is not awaited on stop).
      await eventually(() => world.slack.callsTo('auth.test').length >= 2);
      expect(await reopened.bot.jobs.timed()).toMatchObject({ reminders: 0 });
      expect(sentCounts(reopened)).toEqual({ sms: before.sms + 1, email: before.email + 1 });
    } finally {
      await reopened.close();
      await world.close();
    }
  });

  test('none for an invite living no longer than the reminder window, or one revoked, used or expired', async () => {
    const clock = fakeClock();
    h = await startHarness({}, { now: clock.now });
    const start = clock.now().getTime();
    const short = await onboard(h, 'ada', '1'); // lives 24 h = REMINDER_HOURS_BEFORE_EXPIRY
    const revoked = await onboard(h, 'bob', '3');
    const used = await onboard(h, 'cy', '3');
    await h.bot.service.revoke(revoked.id, SANDBOX.admin, 'remove');
    // Used: the Opentact invite is gone, reconciliation has not run yet.
    h.world.opentact.state.invites.delete(used.invite!.uuid);
    const before = sentCounts(h);

    for (const at of [start + 12 * HOUR, start + 2 * DAY_MS + HOUR, start + 2.9 * DAY_MS]) {
      clock.set(at);
      expect(await h.bot.jobs.timed()).toMatchObject({ reminders: 0 });
    }
    expect(sentCounts(h)).toEqual(before);
    for (const r of [short, revoked, used]) expect(current(h, r.id).reminder).toBeUndefined();

    // Expired before any run reached its window: none after the expiry either.
    await h.bot.service.reconcile();
    expect(current(h, used.id).state).toBe('accepted');
    clock.set(start + 4 * DAY_MS);
    expect(await h.bot.service.sweepExpired()).toBeGreaterThan(0);
    expect(await h.bot.jobs.timed()).toMatchObject({ reminders: 0 });
    expect(sentCounts(h)).toEqual(before);
  });

  test('a reminder whose answer was lost is "not confirmed" and never repeated automatically', async () => {
    const clock = fakeClock();
    h = await startHarness({}, { now: clock.now });
    const record = await onboard(h, 'ada', '3');
    const before = sentCounts(h);
    h.world.usermgmt.addFault({
      method: 'POST',
      route: '/UserMgmt/SendSmsInvite',
      after: 'truncate',
    });
    clock.set(Date.parse(record.invite!.expiresAt) - 23 * HOUR);
    expect(await h.bot.jobs.timed()).toMatchObject({ reminders: 1 }); // the e-mail went out
    const reminded = current(h, record.id);
    expect(reminded.reminder).toMatchObject({ status: 'partial' });
    expect(reminded.reminder!.results.find((r) => r.channel === 'sms')?.outcome).toBe('unknown');
    // The SMS reached the gateway (its answer was cut off): it is not sent again.
    expect(sentCounts(h)).toEqual({ sms: before.sms + 1, email: before.email + 1 });
    clock.set(Date.parse(record.invite!.expiresAt) - 22 * HOUR);
    expect(await h.bot.jobs.timed()).toMatchObject({ reminders: 0 });
    expect(sentCounts(h)).toEqual({ sms: before.sms + 1, email: before.email + 1 });
    expect(JSON.stringify(reminded.audit.at(-1))).toContain('SMS not confirmed');
  });

  test('REMINDER_HOURS_BEFORE_EXPIRY=0 turns reminders off', async () => {
    const clock = fakeClock();
    h = await startHarness({ REMINDER_HOURS_BEFORE_EXPIRY: '0' }, { now: clock.now });
    const record = await onboard(h, 'ada', '3');
    const before = sentCounts(h);
    clock.set(Date.parse(record.invite!.expiresAt) - HOUR);
    expect(await h.bot.jobs.timed()).toMatchObject({ reminders: 0 });
    expect(sentCounts(h)).toEqual(before);
  });
});
