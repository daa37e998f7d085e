import { afterEach, describe, expect, test } from 'vitest';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { eventually, type Harness, modalValues, startHarness } from './harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Opens the modal as `user` and returns its view id. */
async function openModal(user: string = SANDBOX.admin): Promise<string> {
  const response = await h.driver.command(user, '');
  expect(response.status).toBe(200);
  const call = await eventually(() => h.world.slack.callsTo('views.open').at(-1));
  return await eventually(
    () =>
      h.world.slack.views.find((v) => v.type === 'modal' && v.history[0] === call.args.view)?.id ??
      h.world.slack.views.at(-1)?.id,
  );
}

describe('/onboard end to end', () => {
  test('happy path: modal → SIP user → invite → SMS and e-mail → record → result', async () => {
    h = await startHarness();
    const viewId = await openModal();
    // views.open is the first outbound Web API call of the command.
    expect(h.world.slack.calls.filter((c) => c.method !== 'auth.test')[0]?.method).toBe(
      'views.open',
    );

    const submitted = await h.driver.submitView(viewId, SANDBOX.admin, modalValues({}));
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ response_action: 'update' });
    expect(submitted.viewErrors).toEqual([]);

    const record = await eventually(() => {
      const r = h.bot.lowdb!.all()[0];
      return r && r.state !== 'provisioning' ? r : undefined;
    });
    expect(record.state).toBe('pending');
    expect(record.person.login).toBe('ada.lovelace');
    expect(record.deliveries.sms.status).toBe('sent');
    expect(record.deliveries.email.status).toBe('sent');
    expect(record.requestedBy).toBe(SANDBOX.admin);

    // Upstream saw exactly one of each.
    const users = [...h.world.opentact.state.users.values()];
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ login: 'ada.lovelace', email: 'ada@example.com' });
    expect(h.world.opentact.state.invites.size).toBe(1);
    expect(h.world.usermgmt.sent.map((s) => s.id)).toEqual([record.sipUser!.uuid]);
    expect(h.world.slyk.outbox.map((m) => m.email)).toEqual(['ada@example.com']);

    // The requester gets a DM with the result; the audit channel gets a line.
    const dm = await eventually(() =>
      h.world.slack.messagesIn(h.world.slack.dmWith(SANDBOX.admin) ?? '').at(-1),
    );
    expect(JSON.stringify(dm.blocks)).toContain('ada.lovelace');
    const audit = await eventually(() => h.world.slack.messagesIn(SANDBOX.digestChannel).at(-1));
    expect(audit.text).toContain(`<@${SANDBOX.admin}> onboarded *Ada Lovelace*`);
    // The modal shows the result.
    await eventually(() => h.world.slack.callsTo('views.update').length > 0);
  });

  test('each invalid field is answered inside the ack, keyed by block_id, with no upstream call', async () => {
    h = await startHarness();
    const viewId = await openModal();
    const response = await h.driver.submitView(
      viewId,
      SANDBOX.admin,
      modalValues({
        first: '',
        last: 'X'.repeat(25),
        email: 'not-an-email',
        phone: '01511234',
        login: 'abc',
        lifetime: '0',
      }),
    );
    expect(response.body).toMatchObject({
      response_action: 'errors',
      errors: {
        first_name: expect.stringContaining('first name'),
        last_name: expect.stringContaining('24'),
        email: expect.stringContaining('e-mail'),
        phone: expect.stringContaining('international format'),
        login: expect.stringContaining('7–15'),
        lifetime: expect.stringContaining('1 day'),
      },
    });
    expect(h.world.opentact.server.calls).toHaveLength(0);
    expect(h.bot.lowdb!.size).toBe(0);
  });

  test('a non-admin is refused privately and nothing happens', async () => {
    h = await startHarness();
    const response = await h.driver.command(SANDBOX.member, '');
    expect(response.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining(`<@${SANDBOX.admin}>`),
    });
    expect(h.world.slack.callsTo('views.open')).toHaveLength(0);
    const list = await h.driver.command(SANDBOX.member, 'list');
    expect(list.status).toBe(200);
    const reply = await eventually(() => h.world.slack.responses.at(-1));
    expect(JSON.stringify(reply.body)).toContain('Only');
    expect(h.world.opentact.server.calls).toHaveLength(0);
  });

  test('unsigned, forged and stale requests are rejected with no effect', async () => {
    h = await startHarness();
    for (const options of [
      { unsigned: true },
      { secret: 'wrong-secret-0000000000000000' },
      { skewSeconds: -6 * 60 },
    ]) {
      const response = await h.driver.command(SANDBOX.admin, '', options);
      expect(response.status).toBe(401);
    }
    expect(h.world.slack.callsTo('views.open')).toHaveLength(0);
  });

  test('a duplicate submission (Slack retry, double click) creates one SIP user', async () => {
    h = await startHarness();
    const viewId = await openModal();
    const values = modalValues({});
    const [a, b] = await Promise.all([
      h.driver.submitView(viewId, SANDBOX.admin, values),
      h.driver.submitView(viewId, SANDBOX.admin, values, { retryNum: 1 }),
    ]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    await eventually(() => h.bot.lowdb!.all()[0]?.state === 'pending');
    await new Promise((r) => setTimeout(r, 100));
    expect(h.bot.lowdb!.size).toBe(1);
    expect(h.world.opentact.server.callsTo('POST', '/sip/connection/user')).toHaveLength(1);
  });

  test('a login already taken upstream is reported naming the field; Edit and retry fixes it', async () => {
    h = await startHarness();
    h.world.opentact.seedUser({ login: 'ada.lovelace', connectionUuid: SANDBOX.connection });
    const viewId = await openModal();
    await h.driver.submitView(viewId, SANDBOX.admin, modalValues({}));
    const record = await eventually(() =>
      h.bot.lowdb!.all()[0]?.state === 'failed' ? h.bot.lowdb!.all()[0] : undefined,
    );
    expect(record.failedStep).toBe('sip_user');
    expect(record.steps.sip_user.fields).toHaveProperty('body.login');
    expect(record.steps.invite.status).toBe('todo'); // nothing that depends on the user was called
    expect(
      h.world.opentact.server.callsTo('POST', '/sip/connection/:sip_connection_uuid/invites'),
    ).toHaveLength(0);
    expect(h.world.usermgmt.sent).toHaveLength(0);
    const dm = await eventually(() =>
      h.world.slack.messagesIn(h.world.slack.dmWith(SANDBOX.admin) ?? '').at(-1),
    );
    expect(JSON.stringify(dm.blocks)).toContain('SIP login');
  });
});

describe('authorisation without ONBOARDING_ADMINS (workspace admins and owners)', () => {
  test('an owner onboards; a member sees the modal turn into a refusal and nothing else happens', async () => {
    h = await startHarness({ ONBOARDING_ADMINS: '' });
    // Owner: views.open first (the trigger is short-lived) with a "checking" view; users.info
    // says is_owner, and the view becomes the form — the form is never shown before the check.
    await h.driver.command(SANDBOX.owner, '');
    const ownerView = await eventually(() =>
      h.world.slack.views.find((v) => v.userId === SANDBOX.owner),
    );
    expect(h.world.slack.calls.filter((c) => c.method !== 'auth.test')[0]?.method).toBe(
      'views.open',
    );
    expect(JSON.stringify(h.world.slack.callsTo('views.open')[0]?.args.view)).not.toContain(
      'onboard_modal',
    );
    await eventually(() => JSON.stringify(ownerView.view).includes('onboard_modal'));

    // Member: the checking view turns into the refusal; the form never appears.
    await h.driver.command(SANDBOX.member, '');
    const memberView = await eventually(() =>
      h.world.slack.views.find((v) => v.userId === SANDBOX.member),
    );
    await eventually(() => JSON.stringify(memberView.view).includes('onboard_refused'));
    expect(JSON.stringify(memberView.view)).toContain('workspace admins and owners');
    expect(
      JSON.stringify(
        h.world.slack.calls.filter((c) => JSON.stringify(c.args).includes(SANDBOX.member)),
      ),
    ).not.toContain('onboard_modal');
    // The refusal has no submit button, so nothing can be submitted from it.
    expect((memberView.view as { submit?: unknown }).submit).toBeUndefined();
    expect(h.world.opentact.server.calls).toHaveLength(0);
    expect(h.bot.lowdb!.size).toBe(0);
  });
});

describe('SIP login suggestion', () => {
  test('typing the name shows the suggested login in the modal; an empty login becomes it', async () => {
    h = await startHarness();
    const viewId = await openModal();
    const values = modalValues({ first: 'Grace', last: 'Hopper-Brewster' });
    const typed = await h.driver.typeInto(
      SANDBOX.admin,
      viewId,
      { block_id: 'last_name', action_id: 'last_name_input', value: 'Hopper-Brewster' },
      values,
    );
    expect(typed.status).toBe(200);
    const updated = await eventually(() =>
      h.world.slack.callsTo('views.update').find((c) => c.args.view_id === viewId),
    );
    expect(updated.args.hash).toBeTruthy(); // sent with the hash: a stale update is refused, not applied
    const view = h.world.slack.views.find((v) => v.id === viewId)!;
    expect(JSON.stringify(view.view)).toContain('Suggested: g.hopperbrewste');
    // Submitting with the login left empty uses that suggestion.
    await h.driver.submitView(viewId, SANDBOX.admin, values);
    const record = await eventually(() => h.bot.lowdb!.all()[0]);
    expect(record.person.login).toBe('g.hopperbrewste'); // 15 characters at most (Opentact);
  });
});
