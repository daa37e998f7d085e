import { afterEach, describe, expect, test } from 'vitest';
import { DAY_MS, localDate, zonedTime } from '../../src/onboarding/clock.ts';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { findButton } from '../../src/sandbox/driver.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import {
  eventually,
  fakeClock,
  type Harness,
  modalValues,
  postDigest,
  startHarness,
} from './harness.ts';

const TZ = 'Europe/Berlin';
// No automatic reminder: depending on the hour the suite runs, a 3-day invite sent
// now can be inside the reminder window at the start date, which is not what these
// tests are about (test/e2e/reminders.test.ts is).
const ENV = { DIGEST_TIMEZONE: TZ, SEND_HOUR: '9', REMINDER_HOURS_BEFORE_EXPIRY: '0' };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A start date two days ahead, and when its invitations are due: 09:00 Berlin time that day. */
function startInTwoDays(now: Date) {
  const date = localDate(new Date(now.getTime() + 2 * DAY_MS), TZ);
  return { date, at: zonedTime(date, 9, TZ).getTime() };
}

async function openForm(harness: Harness): Promise<string> {
  const opens = harness.world.slack.callsTo('views.open').length;
  await harness.driver.command(SANDBOX.admin, '');
  await eventually(() => harness.world.slack.callsTo('views.open').length > opens);
  return harness.world.slack.views.at(-1)!.id;
}

/** Submits the form with a start date and waits for the record to settle (scheduled). */
async function onboardOn(harness: Harness, startDate: string): Promise<OnboardingRecord> {
  const viewId = await openForm(harness);
  await harness.driver.submitView(viewId, SANDBOX.admin, modalValues({ lifetime: '3', startDate }));
  return await eventually(() => {
    const r = harness.bot.lowdb!.all()[0];
    return r?.state === 'scheduled' && r.slack.ts ? r : undefined;
  });
}

const current = (harness: Harness, id: string) =>
  harness.bot.lowdb!.all().find((r) => r.id === id)!;

const sent = (harness: Harness) => ({
  sms: harness.world.usermgmt.sent.length,
  email: harness.world.slyk.outbox.length,
  invites: harness.world.opentact.state.invites.size,
});

/** The requester's result message (a DM), as the simulator holds it now. */
const resultMessage = (harness: Harness, record: OnboardingRecord) =>
  harness.world.slack.messages.find(
    (m) => m.channel === record.slack.channel && m.ts === record.slack.ts,
  )!;

describe('start dates', () => {
  test('a future start date reserves the login now and sends at SEND_HOUR on that day, once', async () => {
    const clock = fakeClock();
    h = await startHarness(ENV, { now: clock.now });
    const start = startInTwoDays(clock.now());
    const record = await onboardOn(h, start.date);
    expect(record.startAt).toBe(new Date(start.at).toISOString());
    expect(h.world.opentact.state.users.get(record.sipUser!.uuid)).toBeDefined();
    expect(sent(h)).toEqual({ sms: 0, email: 0, invites: 0 });
    expect(record.steps.invite.status).toBe('todo');
    const dm = resultMessage(h, record);
    expect(dm.text).toContain('is scheduled');
    expect(findButton(dm.blocks, 'send_now:')).toBeDefined();
    expect(findButton(dm.blocks, 'cancel:')).toBeDefined();

    // The login is taken while it waits.
    const viewId = await openForm(h);
    const clash = await h.driver.submitView(viewId, SANDBOX.admin, modalValues({}));
    expect(JSON.stringify(clash.body)).toContain('already used');

    // Listed in /onboard list and in the digest.
    const responses = h.world.slack.responses.length;
    await h.driver.command(SANDBOX.admin, 'list');
    const list = await eventually(() => h!.world.slack.responses[responses]);
    expect(JSON.stringify(list.body)).toContain('scheduled');
    const digest = await postDigest(h);
    expect(JSON.stringify(digest.blocks)).toContain(':calendar: Scheduled');
    expect(findButton(digest.blocks, 'send_now:')).toBeDefined();
    await h.driver.event({ type: 'app_home_opened', user: SANDBOX.admin, tab: 'home' });
    const home = JSON.stringify(await eventually(() => h!.world.slack.homeOf(SANDBOX.admin)));
    expect(home).toContain(':calendar: Scheduled');
    expect(home).toContain(`cancel:${record.id}`);

    clock.set(start.at - 60_000);
    expect(await h.bot.jobs.timed()).toMatchObject({ sent: 0 });
    expect(current(h, record.id).state).toBe('scheduled');

    clock.set(start.at + 30_000);
    expect(await h.bot.jobs.timed()).toMatchObject({ sent: 1 });
    const invited = current(h, record.id);
    expect(invited.state).toBe('pending');
    expect(sent(h)).toEqual({ sms: 1, email: 1, invites: 1 });
    // The lifetime counts from the send.
    expect(Date.parse(invited.invite!.expiresAt)).toBe(start.at + 30_000 + 3 * DAY_MS);
    expect(invited.steps.sip_user.attempts).toBe(1); // not repeated
    expect(invited.audit.map((a) => a.action)).toContain('start_date_reached');
    // The requester's message is updated to the result.
    await eventually(() =>
      h!.world.slack
        .callsTo('chat.update')
        .some((c) => c.args.ts === record.slack.ts && String(c.args.text).includes('is invited')),
    );

    clock.set(start.at + 120_000);
    expect(await h.bot.jobs.timed()).toMatchObject({ sent: 0 });
    expect(sent(h)).toEqual({ sms: 1, email: 1, invites: 1 });
  });

  test('Send now sends at once; the start-date run later sends nothing', async () => {
    const clock = fakeClock();
    h = await startHarness(ENV, { now: clock.now });
    const start = startInTwoDays(clock.now());
    const record = await onboardOn(h, start.date);
    const dm = resultMessage(h, record);
    const where = { channel: dm.channel, ts: dm.ts };
    // Kept: the message itself is updated in place once it is sent.
    const button = findButton(dm.blocks, 'send_now:')!;
    await h.driver.click(SANDBOX.admin, button, where);
    const invited = await eventually(() => {
      const r = current(h!, record.id);
      return r.state === 'pending' ? r : undefined;
    });
    expect(Date.parse(invited.invite!.expiresAt)).toBe(clock.now().getTime() + 3 * DAY_MS);
    expect(sent(h)).toEqual({ sms: 1, email: 1, invites: 1 });
    expect(invited.audit.find((a) => a.action === 'sent_now')?.by).toBe(SANDBOX.admin);

    clock.set(start.at + 60_000);
    expect(await h.bot.jobs.timed()).toEqual({ sent: 0, reminders: 0 });
    // A second click (an old message) is answered, and sends nothing.
    const ephemerals = h.world.slack.ephemerals.length;
    await h.driver.click(SANDBOX.admin, button, where);
    await eventually(() =>
      h!.world.slack.ephemerals
        .slice(ephemerals)
        .some((e) => JSON.stringify(e).includes('not scheduled any more')),
    );
    expect(sent(h)).toEqual({ sms: 1, email: 1, invites: 1 });
  });

  test('Cancel removes the reserved SIP user, ends the record, sends nothing, frees the login', async () => {
    const clock = fakeClock();
    h = await startHarness(ENV, { now: clock.now });
    const start = startInTwoDays(clock.now());
    const record = await onboardOn(h, start.date);
    const dm = resultMessage(h, record);
    await h.driver.click(SANDBOX.admin, findButton(dm.blocks, 'cancel:')!, {
      channel: dm.channel,
      ts: dm.ts,
    });
    const cancelled = await eventually(() => {
      const r = current(h!, record.id);
      return r.state === 'revoked' ? r : undefined;
    });
    expect(cancelled.audit.at(-1)).toMatchObject({ action: 'cancelled', by: SANDBOX.admin });
    expect(h.world.opentact.state.users.has(record.sipUser!.uuid)).toBe(false);

    clock.set(start.at + 60_000);
    expect(await h.bot.jobs.timed()).toMatchObject({ sent: 0 });
    expect(sent(h)).toEqual({ sms: 0, email: 0, invites: 0 });
    expect(await h.bot.service.loginInUse(record.person.login)).toBeUndefined();
  });

  test('a send time that passed while the bot was down goes out at start, once', async () => {
    const clock = fakeClock();
    h = await startHarness(ENV, { now: clock.now });
    const start = startInTwoDays(clock.now());
    const record = await onboardOn(h, start.date);
    const world = h.world;
    await h.bot.stop(2_000);
    h = undefined;

    clock.set(start.at + 3 * 3_600_000);
    const reopened = await startHarness(ENV, { world, now: clock.now });
    try {
      const invited = await eventually(() => {
        const r = reopened.bot.lowdb!.all().find((x) => x.id === record.id)!;
        return r.state === 'pending' ? r : undefined;
      });
      expect(Date.parse(invited.invite!.expiresAt)).toBe(start.at + 3 * 3_600_000 + 3 * DAY_MS);
      expect(await reopened.bot.jobs.timed()).toMatchObject({ sent: 0 });
      expect(sent(reopened)).toEqual({ sms: 1, email: 1, invites: 1 });
    } finally {
      await reopened.close();
      await world.close();
    }
  });

  test('a start date in the past is refused on its field', async () => {
    const clock = fakeClock();
    h = await startHarness(ENV, { now: clock.now });
    const viewId = await openForm(h);
    const yesterday = localDate(new Date(clock.now().getTime() - DAY_MS), TZ);
    const answer = await h.driver.submitView(
      viewId,
      SANDBOX.admin,
      modalValues({ startDate: yesterday }),
    );
    expect(answer.body).toMatchObject({
      response_action: 'errors',
      errors: { start_date: expect.stringContaining('in the past') },
    });
    expect(h.bot.lowdb!.all()).toHaveLength(0);
  });
});
