import { afterEach, describe, expect, test } from 'vitest';
import { findButton } from '../../src/sandbox/driver.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { eventually, type Harness, modalValues, postDigest, startHarness } from './harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function onboard(lifetime = '1') {
  await h.driver.command(SANDBOX.admin, '');
  const call = await eventually(() => h.world.slack.callsTo('views.open').at(-1));
  const viewId = await eventually(
    () =>
      h.world.slack.views.find((v) => v.type === 'modal' && v.history[0] === call.args.view)?.id ??
      h.world.slack.views.at(-1)?.id,
  );
  await h.driver.submitView(viewId, SANDBOX.admin, modalValues({ lifetime }));
  return await eventually(() => {
    const r = h.bot.lowdb!.all()[0];
    return r?.state === 'pending' ? r : undefined;
  });
}

describe('invite lifecycle through the digest', () => {
  test('digest → Extend → Resend → Revoke (deactivate) → already revoked', async () => {
    h = await startHarness();
    const record = await onboard('1');
    const digest = await postDigest(h);
    expect(JSON.stringify(digest.blocks)).toContain('Expiring soon');
    expect(JSON.stringify(digest.blocks)).toContain(record.person.login);
    const where = { channel: SANDBOX.digestChannel, ts: digest.ts };

    // Extend: moves expired_on upstream, updates the digest message in place.
    const inviteBefore = h.world.opentact.state.invites.get(record.invite!.uuid)!.expired_on;
    const extend = findButton(digest.blocks, 'extend:')!;
    expect(extend.value?.startsWith(`${record.id}.`)).toBe(true); // bound: id + MAC
    expect((await h.driver.click(SANDBOX.admin, extend, where)).status).toBe(200);
    // The digest is updated in place (the requester's DM is updated too, in any order).
    const update = await eventually(() =>
      h.world.slack.callsTo('chat.update').find((c) => c.args.channel === SANDBOX.digestChannel),
    );
    expect(update.args).toMatchObject({ channel: SANDBOX.digestChannel, ts: digest.ts });
    expect(JSON.stringify(update.args.blocks)).toContain(`<@${SANDBOX.admin}> extended`);
    const inviteAfter = await eventually(() => {
      const v = h.world.opentact.state.invites.get(
        h.bot.lowdb!.all().find((x) => x.id === record.id)!.invite!.uuid,
      );
      return v && v.expired_on !== inviteBefore ? v.expired_on : undefined;
    });
    expect(Date.parse(inviteAfter)).toBeGreaterThan(Date.parse(inviteBefore));

    // Resend: a dialog first (it reaches an outside person); both were confirmed, so both are
    // preselected; the admin unticks SMS and sends the e-mail alone.
    const sms = h.world.usermgmt.sent.length;
    const mails = h.world.slyk.outbox.length;
    const current = h.world.slack
      .messagesIn(SANDBOX.digestChannel)
      .find((m) => m.ts === digest.ts)!;
    const resend = findButton(current.blocks, 'resend:')!;
    await h.driver.click(SANDBOX.admin, resend, where);
    const resendDialog = await eventually(() =>
      h.world.slack.views.find((v) => JSON.stringify(v).includes('resend_modal')),
    );
    expect(JSON.stringify(resendDialog)).toContain('sent');
    expect(h.world.usermgmt.sent.length).toBe(sms); // nothing sent by the click itself
    await h.driver.submitView(resendDialog.id, SANDBOX.admin, {
      resend_channels: {
        resend_channels_input: { type: 'checkboxes', selected_options: [{ value: 'email' }] },
      },
    });
    await eventually(() => h.world.slyk.outbox.length > mails);
    expect(h.world.usermgmt.sent.length).toBe(sms);

    // Revoke: a dialog; submitting with "deactivate" revokes everything upstream.
    const opens = h.world.slack.callsTo('views.open').length;
    const revoke = findButton(current.blocks, 'revoke:')!;
    await h.driver.click(SANDBOX.admin, revoke, where);
    await eventually(() => h.world.slack.callsTo('views.open').length > opens);
    const dialog = await eventually(() =>
      h.world.slack.views.find((v) => JSON.stringify(v).includes('revoke_modal')),
    );
    const slykCode = h.bot.lowdb!.all().find((x) => x.id === record.id)!.slykCode!;
    const inviteUuid = h.bot.lowdb!.all().find((x) => x.id === record.id)!.invite!.uuid;
    await h.driver.submitView(dialog.id, SANDBOX.admin, {
      revoke_mode: {
        revoke_mode_input: { type: 'radio_buttons', selected_option: { value: 'deactivate' } },
      },
    });
    const revoked = await eventually(() => {
      const r = h.bot.lowdb!.all().find((x) => x.id === record.id)!;
      return r.state === 'revoked' ? r : undefined;
    });
    expect(h.world.opentact.state.invites.has(inviteUuid)).toBe(false);
    expect(h.world.slyk.invite(slykCode)?.status).toBe('canceled');
    expect(h.world.opentact.state.users.get(revoked.sipUser!.uuid)?.is_active).toBe(false);

    // A second Revoke: "Already revoked", privately, no dialog.
    // (after the first revoke's own private summary has arrived)
    await eventually(() =>
      h.world.slack.ephemerals.some((e) => JSON.stringify(e).includes('Revoked:')),
    );
    const opensNow = h.world.slack.callsTo('views.open').length;
    const ephemerals = h.world.slack.ephemerals.length;
    await h.driver.click(SANDBOX.admin, revoke, where);
    const reply = await eventually(() => h.world.slack.ephemerals.slice(ephemerals)[0]);
    expect(JSON.stringify(reply)).toContain('Already revoked');
    expect(h.world.slack.callsTo('views.open')).toHaveLength(opensNow);
  });

  test('a non-admin click is refused privately and changes nothing', async () => {
    h = await startHarness();
    const record = await onboard('1');
    const digest = await postDigest(h);
    const where = { channel: SANDBOX.digestChannel, ts: digest.ts };
    const expiresOn = h.world.opentact.state.invites.get(record.invite!.uuid)!.expired_on;
    const ephemerals = h.world.slack.ephemerals.length;
    const sms = h.world.usermgmt.sent.length;
    for (const prefix of ['extend:', 'resend:', 'revoke:']) {
      await h.driver.click(SANDBOX.member, findButton(digest.blocks, prefix)!, where);
    }
    await eventually(() => h.world.slack.ephemerals.length >= ephemerals + 3);
    expect(JSON.stringify(h.world.slack.ephemerals.slice(ephemerals))).toContain('Only');
    expect(h.world.opentact.state.invites.get(record.invite!.uuid)!.expired_on).toBe(expiresOn);
    expect(h.world.usermgmt.sent).toHaveLength(sms);
    expect(h.world.slack.callsTo('chat.update')).toHaveLength(0);
    expect(h.bot.lowdb!.all().find((x) => x.id === record.id)!.state).toBe('pending');
    expect(h.world.slack.callsTo('views.open')).toHaveLength(1); // the onboarding modal only
  });

  test('App Home: counts for the admin, what the bot does for everyone else', async () => {
    h = await startHarness();
    await onboard('7');
    await h.driver.event({ type: 'app_home_opened', user: SANDBOX.admin, tab: 'home' });
    const home = await eventually(() => h.world.slack.homeOf(SANDBOX.admin));
    expect(JSON.stringify(home)).toContain('*1*');
    expect(JSON.stringify(home)).toContain('ada.lovelace');
    await h.driver.event({ type: 'app_home_opened', user: SANDBOX.member, tab: 'home' });
    const other = await eventually(() => h.world.slack.homeOf(SANDBOX.member));
    expect(JSON.stringify(other)).toContain('This bot sets up new team members');
    expect(JSON.stringify(other)).not.toContain('ada.lovelace');
  });
});
