import { afterEach, describe, expect, test } from 'vitest';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { findButton } from '../../src/sandbox/driver.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { eventually, type Harness, modalValues, startHarness } from './harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const DOMAIN_PATCH = ['PATCH', '/sip/domain/:domain/user/:uuid'] as const;

const current = (id: string) => h.bot.lowdb!.all().find((r) => r.id === id)!;

/** Onboards Ada through the modal, then she uses the Opentact invite: accepted. */
async function acceptedMember(): Promise<OnboardingRecord> {
  await h.driver.command(SANDBOX.admin, '');
  const modal = await eventually(() =>
    h.world.slack.views.find((v) => JSON.stringify(v.view).includes('onboard_modal')),
  );
  await h.driver.submitView(modal.id, SANDBOX.admin, modalValues({}));
  const pending = await eventually(() => {
    const r = h.bot.lowdb!.all()[0];
    return r?.state === 'pending' ? r : undefined;
  });
  expect(h.world.opentact.acceptInvite(pending.invite!.uuid)).toBe(true);
  await h.bot.service.reconcile();
  const accepted = current(pending.id);
  expect(accepted.state).toBe('accepted');
  return accepted;
}

/** Sends a command and returns what the bot posted to its response_url (the n-th answer). */
async function ask(text: string, user: string = SANDBOX.admin) {
  const before = h.world.slack.responses.length;
  expect((await h.driver.command(user, text)).status).toBe(200);
  const reply = await eventually(() => h.world.slack.responses[before]);
  return reply.body as { text?: string; blocks?: unknown[] };
}

/** `/onboard offboard <query>`, then the dialog is submitted with `mode`. */
async function offboardByCommand(query: string, mode: 'deactivate' | 'remove') {
  const opens = h.world.slack.callsTo('views.open').length;
  const responses = h.world.slack.responses.length;
  expect((await h.driver.command(SANDBOX.admin, `offboard ${query}`)).status).toBe(200);
  await eventually(() => h.world.slack.callsTo('views.open').length > opens);
  const dialog = await eventually(() =>
    h.world.slack.views.find((v) => JSON.stringify(v.view).includes('offboard_modal')),
  );
  const submitted = await h.driver.submitView(dialog.id, SANDBOX.admin, {
    offboard_mode: {
      offboard_mode_input: { type: 'radio_buttons', selected_option: { value: mode } },
    },
  });
  expect(submitted.status).toBe(200);
  // The outcome is answered through the command's response_url.
  const reply = await eventually(() => h.world.slack.responses.slice(responses)[0]);
  return JSON.stringify(reply.body);
}

/** The status answer as an ephemeral message, and where to click its buttons. */
async function statusOf(query: string) {
  const before = h.world.slack.ephemerals.length;
  await h.driver.command(SANDBOX.admin, `status ${query}`);
  const message = await eventually(() => h.world.slack.ephemerals.slice(before)[0]);
  const where = {
    channel: message.channel,
    ts: message.ts,
    ephemeral: true,
    blocks: message.blocks ?? [],
  };
  return { message, where, text: JSON.stringify(message.blocks) };
}

describe('offboarding', () => {
  test('/onboard offboard deactivates, closes open invites; status shows it; Reactivate undoes it', async () => {
    h = await startHarness();
    const record = await acceptedMember();
    // Open invites of the member that must not outlive the offboarding.
    const strayInvite = h.world.opentact.seedInvite({
      name: record.person.login,
      expiredOn: new Date(Date.now() + 86_400_000),
    });
    const strayMail = h.world.slyk.seed({ email: record.person.email });
    const otherMail = h.world.slyk.seed({ email: 'someone.else@example.com' });

    const reply = await offboardByCommand('ADA@example.com', 'deactivate');
    expect(reply).toContain('Offboarded');
    const offboarded = current(record.id);
    expect(offboarded.state).toBe('offboarded');
    expect(offboarded.offboarding).toMatchObject({ mode: 'deactivate', by: SANDBOX.admin });
    expect(offboarded.offboarding!.finishedAt).toBeDefined();
    expect(offboarded.offboarding!.parts).toMatchObject({
      sip_user: { status: 'done', detail: 'deactivated' },
      invites: { status: 'done', detail: '1 removed' },
      email: { status: 'done', detail: '2 cancelled' },
    });
    expect(offboarded.sipUser).toMatchObject({ active: false, removed: false });
    expect(offboarded.audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['offboarding', 'offboarded']),
    );
    const user = h.world.opentact.state.users.get(record.sipUser!.uuid)!;
    expect(user.is_active).toBe(false);
    expect(h.world.opentact.state.invites.has(strayInvite.uuid)).toBe(false);
    expect(h.world.slyk.invite(record.slykCode!)?.status).toBe('canceled');
    expect(h.world.slyk.invite(strayMail.code)?.status).toBe('canceled');
    expect(h.world.slyk.invite(otherMail.code)?.status).toBe('pending');
    const audit = await eventually(() =>
      h.world.slack
        .messagesIn(SANDBOX.digestChannel)
        .find((m) => m.text?.includes('offboarded the member')),
    );
    expect(audit.text).toContain('ada.lovelace');
    // The requester's result message is kept current.
    const dm = await eventually(() =>
      h.world.slack.messages.find(
        (m) => m.ts === record.slack.ts && JSON.stringify(m.blocks).includes('was offboarded'),
      ),
    );
    expect(JSON.stringify(dm.blocks)).toContain('SIP user deactivated by');

    // Status: the offboarding part by part, who did it, and a Reactivate button (no Offboard).
    const status = await statusOf('ada.lovelace');
    expect(status.text).toContain('offboarded');
    expect(status.text).toContain('SIP user deactivated by');
    expect(status.text).toContain('*Offboarding* (deactivate the SIP user');
    expect(findButton(status.message.blocks, 'offboard:')).toBeUndefined();
    const reactivate = findButton(status.message.blocks, 'reactivate:')!;
    expect(reactivate).toBeDefined();

    // A second /onboard offboard: already offboarded, no dialog.
    const opens = h.world.slack.callsTo('views.open').length;
    expect(JSON.stringify(await ask('offboard ada.lovelace'))).toContain('Already offboarded');
    expect(h.world.slack.callsTo('views.open')).toHaveLength(opens);

    // Reactivate: active upstream again, the record accepted again, the audit trail says so.
    await h.driver.click(SANDBOX.admin, reactivate, status.where);
    const back = await eventually(() => {
      const r = current(record.id);
      return r.state === 'accepted' ? r : undefined;
    });
    expect(h.world.opentact.state.users.get(record.sipUser!.uuid)!.is_active).toBe(true);
    expect(back.sipUser!.active).toBe(true);
    expect(back.offboarding).toBeUndefined();
    expect(back.audit.at(-1)).toMatchObject({ action: 'reactivated', by: SANDBOX.admin });
    await eventually(() =>
      h.world.slack.ephemerals.some((e) => e.text?.includes('Reactivated: the SIP user')),
    );
    // Its status offers Offboard again.
    expect(findButton((await statusOf('ada.lovelace')).message.blocks, 'offboard:')).toBeDefined();
  });

  test('the Offboard button on the Home tab removes the SIP user; a removed one cannot be reactivated', async () => {
    h = await startHarness();
    const record = await acceptedMember();
    await h.driver.event({ type: 'app_home_opened', user: SANDBOX.admin, tab: 'home' });
    const home = await eventually(() => h.world.slack.homeOf(SANDBOX.admin));
    const button = findButton(home.view.blocks as unknown[], 'offboard:')!;
    expect(button).toBeDefined();
    await h.driver.click(SANDBOX.admin, button, { viewId: home.id });
    const dialog = await eventually(() =>
      h.world.slack.views.find((v) => JSON.stringify(v.view).includes('offboard_modal')),
    );
    expect(JSON.stringify(dialog.view)).toContain('Remove the SIP user (cannot be undone)');
    await h.driver.submitView(dialog.id, SANDBOX.admin, {
      offboard_mode: {
        offboard_mode_input: { type: 'radio_buttons', selected_option: { value: 'remove' } },
      },
    });
    const removed = await eventually(() => {
      const r = current(record.id);
      return r.offboarding?.finishedAt ? r : undefined;
    });
    expect(removed.state).toBe('offboarded');
    expect(removed.sipUser).toMatchObject({ removed: true });
    expect(removed.offboarding!.parts.sip_user).toMatchObject({
      status: 'done',
      detail: 'removed',
    });
    expect(h.world.opentact.state.users.has(record.sipUser!.uuid)).toBe(false);
    // The Home tab is published again: the record shows as offboarded, with no button left.
    const republished = await eventually(() => {
      const view = h.world.slack.homeOf(SANDBOX.admin);
      const text = JSON.stringify(view?.view);
      return text.includes('SIP user removed by') ? view : undefined;
    });
    const blocks = republished.view.blocks as unknown[];
    expect(JSON.stringify(blocks)).toContain(':wave: offboarded: *1*');
    expect(findButton(blocks, 'reactivate:')).toBeUndefined();
    expect(findButton(blocks, 'offboard:')).toBeUndefined();
    await expect(h.bot.service.reactivate(record.id, SANDBOX.admin)).rejects.toThrow(
      'cannot be reactivated',
    );
    // The login stays free for a new onboarding only because the SIP user is gone.
    expect(await h.bot.service.loginInUse(record.person.login)).toBeUndefined();
  });

  test('a member whose onboarding was archived long ago is offboarded too', async () => {
    h = await startHarness();
    const record = await acceptedMember();
    expect(await h.bot.service.archive(-1)).toBe(1);
    expect(await h.bot.service.get(record.id)).toBeUndefined();
    const reply = await offboardByCommand('ada.lovelace', 'deactivate');
    expect(reply).toContain('Offboarded');
    const offboarded = current(record.id); // live again
    expect(offboarded).toMatchObject({ state: 'offboarded', sipUser: { active: false } });
    expect(offboarded.audit.slice(0, -2)).toEqual(record.audit); // its history kept
    expect(h.world.opentact.state.users.get(record.sipUser!.uuid)!.is_active).toBe(false);
    // And it stays live: a deactivated member may be reactivated.
    expect(await h.bot.service.archive(-1)).toBe(0);
  });

  test('a part that fails is recorded; Retry offboarding finishes only what is left', async () => {
    h = await startHarness();
    const record = await acceptedMember();
    h.world.slyk.addFault({
      method: 'POST',
      route: '/invites/:code/cancel',
      status: 500,
      times: 20,
    });
    const reply = await offboardByCommand('ada.lovelace', 'deactivate');
    expect(reply).toContain('Offboarding incomplete');
    expect(reply).toContain('Pending e-mail invites');
    const partial = current(record.id);
    expect(partial.state).toBe('offboarded');
    expect(partial.offboarding!.finishedAt).toBeUndefined();
    expect(partial.offboarding!.parts.sip_user.status).toBe('done');
    expect(partial.offboarding!.parts.invites.status).toBe('done');
    expect(partial.offboarding!.parts.email).toMatchObject({ status: 'failed', attempts: 1 });
    expect(partial.offboarding!.parts.email.detail).toContain('Slyk');
    expect(partial.audit.at(-1)?.action).toBe('offboarding_incomplete');
    expect(h.world.slyk.invite(record.slykCode!)?.status).toBe('pending');

    const status = await statusOf('ada.lovelace');
    expect(status.text).toContain('incomplete');
    const retry = findButton(status.message.blocks, 'retry_offboard:')!;
    expect(retry).toBeDefined();

    h.world.slyk.clearFaults();
    const patches = h.world.opentact.server.callsTo(...DOMAIN_PATCH).length;
    await h.driver.click(SANDBOX.admin, retry, status.where);
    const done = await eventually(() => {
      const r = current(record.id);
      return r.offboarding?.finishedAt ? r : undefined;
    });
    expect(done.offboarding!.parts.email).toMatchObject({ status: 'done', attempts: 2 });
    expect(done.offboarding!.parts.sip_user.attempts).toBe(1); // not repeated
    expect(h.world.opentact.server.callsTo(...DOMAIN_PATCH)).toHaveLength(patches);
    expect(h.world.slyk.invite(record.slykCode!)?.status).toBe('canceled');
    expect(done.audit.map((a) => a.action).slice(-2)).toEqual([
      'offboarding_retried',
      'offboarded',
    ]);
  });

  test('an e-mail or login the bot does not know, or a member not yet accepted: said so, nothing done', async () => {
    h = await startHarness();
    const nobody = JSON.stringify(await ask('offboard nobody@example.com'));
    expect(nobody).toContain('No member onboarded by this bot');
    expect(nobody).toContain('`nobody@example.com`');
    expect(nobody).toContain('nothing was done');
    expect(JSON.stringify(await ask('offboard'))).toContain('Usage');
    expect(h.world.slack.callsTo('views.open')).toHaveLength(0);
    expect(h.world.opentact.server.calls).toHaveLength(0);

    // Invited but not accepted yet: Revoke is the way, not offboarding.
    await h.driver.command(SANDBOX.admin, '');
    const modal = await eventually(() => h.world.slack.views[0]);
    await h.driver.submitView(modal.id, SANDBOX.admin, modalValues({}));
    await eventually(() => h.bot.lowdb!.all()[0]?.state === 'pending');
    const pending = JSON.stringify(await ask('offboard ada.lovelace'));
    expect(pending).toContain('Only a member who accepted the invitation can be offboarded');
    expect(h.world.slack.callsTo('views.open')).toHaveLength(1); // the onboarding modal only
    expect(h.bot.lowdb!.all()[0]!.state).toBe('pending');
  });

  test('a non-admin is refused: the command, the button and the dialog change nothing', async () => {
    h = await startHarness();
    const record = await acceptedMember();
    const refused = JSON.stringify(await ask('offboard ada.lovelace', SANDBOX.member));
    expect(refused).toContain('Only');
    expect(h.world.slack.callsTo('views.open')).toHaveLength(1); // the onboarding modal only

    // A button rendered for the admin, clicked by a member.
    const status = await statusOf('ada.lovelace');
    const ephemerals = h.world.slack.ephemerals.length;
    await h.driver.click(SANDBOX.member, findButton(status.message.blocks, 'offboard:')!, {
      channel: status.where.channel,
      ts: status.where.ts,
      ephemeral: true,
      blocks: status.where.blocks,
    });
    await eventually(() =>
      h.world.slack.ephemerals.slice(ephemerals).some((e) => e.text?.includes('Only')),
    );
    expect(h.world.slack.callsTo('views.open')).toHaveLength(1);

    // The admin's dialog, submitted by a member: the refusal view, nothing done.
    await h.driver.command(SANDBOX.admin, 'offboard ada.lovelace');
    const dialog = await eventually(() =>
      h.world.slack.views.find((v) => JSON.stringify(v.view).includes('offboard_modal')),
    );
    const answer = await h.driver.submitView(dialog.id, SANDBOX.member, {
      offboard_mode: {
        offboard_mode_input: { type: 'radio_buttons', selected_option: { value: 'remove' } },
      },
    });
    expect(JSON.stringify(answer.body)).toContain('Only');
    expect(current(record.id).state).toBe('accepted');
    expect(h.world.opentact.state.users.get(record.sipUser!.uuid)?.is_active).toBe(true);
    expect(h.world.opentact.server.callsTo(...DOMAIN_PATCH)).toHaveLength(0);
  });
});
