import { afterEach, describe, expect, test } from 'vitest';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { findButton } from '../../src/sandbox/driver.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { eventually, type Harness, modalValues, startHarness } from './harness.ts';

/** Approvals end to end: requesters ask, admins approve or reject, requests expire. */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const REQUESTER = SANDBOX.member;
/** A workspace owner, but not in ONBOARDING_ADMINS and not a requester: a stranger here. */
const STRANGER = SANDBOX.owner;

const records = () => h.bot.lowdb!.all();
const current = (id: string) => records().find((r) => r.id === id)!;

/** Opens the form as `user` (directly, or through the "checking" view) and returns its view id. */
async function openForm(user: string): Promise<string> {
  const opens = h.world.slack.callsTo('views.open').length;
  const response = await h.driver.command(user, '');
  expect(response.status).toBe(200);
  await eventually(() => h.world.slack.callsTo('views.open').length > opens);
  return await eventually(() => {
    const view = h.world.slack.views.filter((v) => v.type === 'modal').at(-1);
    return view && JSON.stringify(view).includes('onboard_modal') ? view.id : undefined;
  });
}

/** A request by `user`: the form submitted, acked with "waits for approval", the request posted. */
async function request(user: string, values: Parameters<typeof modalValues>[0] = {}) {
  const viewId = await openForm(user);
  const submitted = await h.driver.submitView(viewId, user, modalValues(values));
  expect(submitted.status).toBe(200);
  expect(JSON.stringify(submitted.body)).toContain('waits for approval');
  const withMessage = await eventually(() =>
    records().find((r) => r.requestedBy === user && r.state === 'requested' && r.approval?.ts),
  );
  const message = h.world.slack
    .messagesIn(SANDBOX.digestChannel)
    .find((m) => m.ts === withMessage.approval!.ts)!;
  // The simulator updates messages in place: keep the blocks as first posted (the old buttons).
  return { record: withMessage, message: structuredClone(message), submitted };
}

const where = (record: OnboardingRecord) => ({
  channel: record.approval!.channel!,
  ts: record.approval!.ts!,
});

function approvalMessage(record: OnboardingRecord) {
  return h.world.slack
    .messagesIn(record.approval!.channel!)
    .find((m) => m.ts === record.approval!.ts)!;
}

async function clickAndWaitForEphemeral(
  user: string,
  prefix: string,
  record: OnboardingRecord,
  /** The message as it was (an old copy still shows the buttons); default: as it is now. */
  blocks: unknown[] | undefined = approvalMessage(record).blocks,
) {
  const before = h.world.slack.ephemerals.filter((e) => e.user === user).length;
  const button = findButton(blocks, prefix)!;
  expect(button).toBeDefined();
  const response = await h.driver.click(user, button, where(record));
  expect(response.status).toBe(200);
  return await eventually(() => h.world.slack.ephemerals.filter((e) => e.user === user)[before]);
}

/** What would exist upstream: any write to Opentact, any SMS or e-mail (reads such as reconciliation's are fine). */
const upstreamCalls = () =>
  h.world.opentact.server.calls.filter((c) => c.method !== 'GET').length +
  h.world.usermgmt.sent.length +
  h.world.slyk.outbox.length;

describe('onboarding requests and approvals', () => {
  test('a requester asks, their own and a stranger’s Approve are refused, an admin approves: it runs once', async () => {
    h = await startHarness({ ONBOARDING_REQUESTERS: REQUESTER });
    const { record, message, submitted } = await request(REQUESTER);
    // The requester is told who decides; nothing exists upstream.
    expect(JSON.stringify(submitted.body)).toContain(`<@${SANDBOX.admin}>`);
    expect(record.state).toBe('requested');
    expect(record.requestedBy).toBe(REQUESTER);
    expect(upstreamCalls()).toBe(0);
    // The request names the person, the details and who asked; no secret exists to show.
    const text = JSON.stringify(message.blocks);
    for (const part of ['Ada Lovelace', 'ada.lovelace', 'ada@example.com', '+4915112345678'])
      expect(text).toContain(part);
    expect(text).toContain(`<@${REQUESTER}> asks`);
    expect(findButton(message.blocks, 'approve:')?.value?.startsWith(`${record.id}.`)).toBe(true);
    expect(findButton(message.blocks, 'reject:')).toBeDefined();

    // The requester's own click and a stranger's: refused privately, nothing changes.
    for (const user of [REQUESTER, STRANGER]) {
      const reply = await clickAndWaitForEphemeral(user, 'approve:', record);
      expect(reply.text).toContain('Only');
    }
    expect(current(record.id).state).toBe('requested');
    expect(upstreamCalls()).toBe(0);
    expect(h.world.slack.callsTo('chat.update')).toHaveLength(0);

    // Shown as waiting in /onboard list and status.
    await h.driver.command(SANDBOX.admin, 'status ada.lovelace');
    const status = await eventually(() => h.world.slack.responses.at(-1));
    expect(JSON.stringify(status.body)).toContain('waiting for approval');

    // A value the bot did not seal for Approve (Reject's, moved over) is refused.
    const approveButton = findButton(message.blocks, 'approve:')!;
    const rejectButton = findButton(message.blocks, 'reject:')!;
    const forged = h.world.slack.ephemerals.length;
    await h.driver.click(
      SANDBOX.admin,
      { ...approveButton, value: rejectButton.value! },
      where(record),
    );
    const refusedForgery = await eventually(() => h.world.slack.ephemerals[forged]);
    expect(refusedForgery.text).toContain('could not be verified');
    expect(current(record.id).state).toBe('requested');

    // An admin approves — a double click (one action_ts twice) acts once: the pipeline runs once.
    const before = h.world.slack.ephemerals.filter((e) => e.user === SANDBOX.admin).length;
    const actionTs = String(Date.now() / 1000);
    await Promise.all([
      h.driver.click(SANDBOX.admin, approveButton, where(record), { actionTs }),
      h.driver.click(SANDBOX.admin, approveButton, where(record), { actionTs }),
    ]);
    const reply = await eventually(
      () => h.world.slack.ephemerals.filter((e) => e.user === SANDBOX.admin)[before],
    );
    expect(reply.text).toContain('Approved');
    const done = await eventually(() => {
      const r = current(record.id);
      return r.state === 'pending' ? r : undefined;
    });
    expect(done.approval).toMatchObject({ decision: 'approved', decidedBy: SANDBOX.admin });
    expect(done.audit.map((a) => a.action)).toContain('approved');
    expect(h.world.opentact.state.users.size).toBe(1);
    expect(h.world.opentact.state.invites.size).toBe(1);
    expect(h.world.usermgmt.sent).toHaveLength(1);
    expect(h.world.slyk.outbox).toHaveLength(1);
    // The request's message now says who approved; the requester gets the result by DM.
    const updated = await eventually(() =>
      h.world.slack
        .callsTo('chat.update')
        .find(
          (c) =>
            c.args.ts === record.approval!.ts &&
            JSON.stringify(c.args.blocks).includes('approved by'),
        ),
    );
    expect(JSON.stringify(updated.args.blocks)).toContain(`<@${SANDBOX.admin}>`);
    expect(findButton(approvalMessage(done).blocks, 'approve:')).toBeUndefined();
    const dm = await eventually(() =>
      h.world.slack
        .messagesIn(h.world.slack.dmWith(REQUESTER) ?? '')
        .find((m) => JSON.stringify(m.blocks ?? '').includes('ada.lovelace')),
    );
    expect(dm.text).toContain('is invited');

    // The repeated delivery of the double click did nothing, not even a refusal.
    expect(
      h.world.slack.ephemerals.filter((e) => e.user === SANDBOX.admin).slice(before),
    ).toHaveLength(1);
    // A second admin click (a new click, not a replay): already approved, nothing runs again.
    const again = await h.driver.click(
      SANDBOX.admin,
      findButton(message.blocks, 'approve:')!,
      where(record),
    );
    expect(again.status).toBe(200);
    await eventually(() =>
      h.world.slack.ephemerals.some(
        (e) => e.user === SANDBOX.admin && e.text?.includes('already approved'),
      ),
    );
    expect(h.world.opentact.state.users.size).toBe(1);
    expect(h.world.usermgmt.sent).toHaveLength(1);
  });

  test('an admin rejects with a reason: nothing is created, the requester is told', async () => {
    h = await startHarness({ ONBOARDING_REQUESTERS: REQUESTER });
    const { record } = await request(REQUESTER);

    // Waiting for approval in the digest and on the admin's Home tab.
    await h.driver.command(SANDBOX.admin, 'digest');
    const digest = await eventually(() =>
      h.world.slack
        .messagesIn(SANDBOX.digestChannel)
        .find((m) => m.text?.startsWith('Invitation digest')),
    );
    expect(JSON.stringify(digest.blocks)).toContain('Waiting for approval');
    expect(findButton(digest.blocks, 'approve:')).toBeDefined();
    await h.driver.event({ type: 'app_home_opened', user: SANDBOX.admin, tab: 'home' });
    const home = await eventually(() => h.world.slack.homeOf(SANDBOX.admin));
    expect(JSON.stringify(home)).toContain('Waiting for approval');
    // The requester's Home tab says how to ask, not "only admins".
    await h.driver.event({ type: 'app_home_opened', user: REQUESTER, tab: 'home' });
    const requesterHome = await eventually(() => h.world.slack.homeOf(REQUESTER));
    expect(JSON.stringify(requesterHome)).toContain('You can ask for an onboarding');
    expect(JSON.stringify(requesterHome)).not.toContain('ada.lovelace');

    const opens = h.world.slack.callsTo('views.open').length;
    await h.driver.click(
      SANDBOX.admin,
      findButton(approvalMessage(record).blocks, 'reject:')!,
      where(record),
    );
    await eventually(() => h.world.slack.callsTo('views.open').length > opens);
    const dialog = await eventually(() =>
      h.world.slack.views.find((v) => JSON.stringify(v).includes('reject_modal')),
    );
    expect(current(record.id).state).toBe('requested'); // the click alone changes nothing
    await h.driver.submitView(dialog.id, SANDBOX.admin, {
      reject_reason: {
        reject_reason_input: { type: 'plain_text_input', value: 'Starts next quarter' },
      },
    });
    const rejected = await eventually(() => {
      const r = current(record.id);
      return r.state === 'rejected' ? r : undefined;
    });
    expect(rejected.approval).toMatchObject({
      decision: 'rejected',
      decidedBy: SANDBOX.admin,
      reason: 'Starts next quarter',
    });
    expect(upstreamCalls()).toBe(0);
    const dm = await eventually(() =>
      h.world.slack
        .messagesIn(h.world.slack.dmWith(REQUESTER) ?? '')
        .find((m) => m.text?.includes('rejected')),
    );
    expect(dm.text).toContain('Starts next quarter');
    expect(dm.text).toContain(`<@${SANDBOX.admin}>`);
    await eventually(() =>
      JSON.stringify(approvalMessage(rejected).blocks).includes('rejected by') ? true : undefined,
    );
    expect(findButton(approvalMessage(rejected).blocks, 'approve:')).toBeUndefined();
  });

  test('REQUIRE_APPROVAL: an admin’s own onboarding waits for a second admin', async () => {
    h = await startHarness({
      REQUIRE_APPROVAL: 'true',
      ONBOARDING_ADMINS: `${SANDBOX.admin},${SANDBOX.owner}`,
    });
    const { record, submitted } = await request(SANDBOX.admin);
    expect(JSON.stringify(submitted.body)).toContain(`<@${SANDBOX.owner}>`); // the other admin decides
    expect(record.state).toBe('requested');
    const own = await clickAndWaitForEphemeral(SANDBOX.admin, 'approve:', record);
    expect(own.text).toContain('another admin');
    expect(current(record.id).state).toBe('requested');
    expect(upstreamCalls()).toBe(0);

    await clickAndWaitForEphemeral(SANDBOX.owner, 'approve:', record);
    const done = await eventually(() => {
      const r = current(record.id);
      return r.state === 'pending' ? r : undefined;
    });
    expect(done.approval?.decidedBy).toBe(SANDBOX.owner);
    expect(h.world.opentact.state.users.size).toBe(1);
  });

  test('a request nobody decides expires after APPROVAL_TTL_DAYS; the requester is told', async () => {
    let offset = 0;
    h = await startHarness(
      { ONBOARDING_REQUESTERS: REQUESTER, APPROVAL_TTL_DAYS: '2' },
      { now: () => new Date(Date.now() + offset) },
    );
    const { record, message } = await request(REQUESTER);
    offset = 1 * 86_400_000;
    await h.bot.jobs.sweep();
    expect(current(record.id).state).toBe('requested');
    offset = 2 * 86_400_000 + 60_000;
    await h.bot.jobs.sweep();
    const expired = current(record.id);
    expect(expired.state).toBe('request_expired');
    expect(expired.audit.map((a) => a.action)).toContain('request_expired');
    const dm = await eventually(() =>
      h.world.slack
        .messagesIn(h.world.slack.dmWith(REQUESTER) ?? '')
        .find((m) => m.text?.includes('expired')),
    );
    expect(dm.text).toContain('Nothing was created');
    // The message lost its buttons; an Approve on an old copy of it does nothing now.
    await eventually(() =>
      findButton(approvalMessage(expired).blocks, 'approve:') ? undefined : true,
    );
    const reply = await clickAndWaitForEphemeral(SANDBOX.admin, 'approve:', record, message.blocks);
    expect(reply.text).toContain('already expired');
    expect(current(record.id).state).toBe('request_expired');
    expect(upstreamCalls()).toBe(0);
  });

  test('a user-group requester is resolved with usergroups.users.list; others are refused', async () => {
    h = await startHarness({ ONBOARDING_REQUESTERS: 'S0TEAM001' });
    h.world.slack.userGroups.set('S0TEAM001', [REQUESTER]);
    const { record } = await request(REQUESTER);
    expect(record.state).toBe('requested');
    const lookups = h.world.slack.callsTo('usergroups.users.list');
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups[0]!.args.usergroup).toBe('S0TEAM001');

    // Not in the group (the membership is cached now): refused privately, no form.
    const opens = h.world.slack.callsTo('views.open').length;
    const refused = await h.driver.command(STRANGER, '');
    expect(JSON.stringify(refused.body)).toContain('Only');
    expect(h.world.slack.callsTo('views.open')).toHaveLength(opens);
    expect(records()).toHaveLength(1);
  });

  test('login and e-mail are checked when asking and again when approving', async () => {
    h = await startHarness({ ONBOARDING_REQUESTERS: REQUESTER });
    const { record } = await request(REQUESTER);
    // The same login or e-mail again: answered on the field, nothing recorded.
    const viewId = await openForm(REQUESTER);
    const clash = await h.driver.submitView(
      viewId,
      REQUESTER,
      modalValues({ email: 'ada2@example.com' }),
    );
    expect(clash.body).toMatchObject({
      response_action: 'errors',
      errors: { login: expect.stringContaining('ada.lovelace') },
    });
    const emailView = await openForm(REQUESTER);
    const emailClash = await h.driver.submitView(
      emailView,
      REQUESTER,
      modalValues({ login: 'ada.other' }),
    );
    expect(emailClash.body).toMatchObject({
      response_action: 'errors',
      errors: { email: expect.stringContaining('ada@example.com') },
    });
    expect(records()).toHaveLength(1);

    // An admin's direct onboarding cannot take the waiting request's login either.
    const adminView = await openForm(SANDBOX.admin);
    const taken = await h.driver.submitView(adminView, SANDBOX.admin, modalValues({}));
    expect(taken.body).toMatchObject({
      response_action: 'errors',
      errors: { login: expect.any(String) },
    });

    // Meanwhile an admin onboards the same e-mail under another login: approving now is refused.
    const direct = await openForm(SANDBOX.admin);
    await h.driver.submitView(direct, SANDBOX.admin, modalValues({ login: 'ada.direct' }));
    await eventually(() =>
      records().find((r) => r.person.login === 'ada.direct' && r.state === 'pending'),
    );
    const users = h.world.opentact.state.users.size;
    const reply = await clickAndWaitForEphemeral(SANDBOX.admin, 'approve:', record);
    expect(reply.text).toContain('already has an onboarding');
    expect(current(record.id).state).toBe('requested');
    expect(h.world.opentact.state.users.size).toBe(users);
  });
});
