import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { findButton } from '../../src/sandbox/driver.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { eventually, type Harness, modalValues, startHarness } from './harness.ts';

/**
 * What the bot reads back from Slack is bound to what it rendered: a button
 * value, a dialog's private_metadata or a modal's retryOf that was changed is
 * refused and changes nothing.
 */

let h: Harness;
let a: OnboardingRecord;
let b: OnboardingRecord;
beforeAll(async () => {
  h = await startHarness();
  a = await onboard('ada.lovelace', 'ada@example.com');
  b = await onboard('alan.turing', 'alan@example.com');
});
afterAll(() => h.close());

async function onboard(login: string, email: string): Promise<OnboardingRecord> {
  const before = h.world.slack.views.length;
  await h.driver.command(SANDBOX.admin, '');
  const view = await eventually(() =>
    h.world.slack.views.slice(before).find((v) => v.type === 'modal'),
  );
  await h.driver.submitView(view.id, SANDBOX.admin, modalValues({ login, email }));
  return eventually(() => {
    const r = h.bot.lowdb!.all().find((x) => x.person.login === login);
    return r && r.state === 'pending' && r.slack.ts ? r : undefined;
  });
}

const dmOf = (r: OnboardingRecord) =>
  h.world.slack.messages.find((m) => m.channel === r.slack.channel && m.ts === r.slack.ts)!;
const where = (r: OnboardingRecord) => ({ channel: r.slack.channel!, ts: r.slack.ts! });
const refused = () =>
  h.world.slack.ephemerals.filter((e) => JSON.stringify(e).includes('could not be verified'))
    .length;

describe('bound buttons', () => {
  test('an Extend whose value names another record is refused; no PATCH is sent', async () => {
    const extendA = findButton(dmOf(a).blocks, 'extend:')!;
    const extendB = findButton(dmOf(b).blocks, 'extend:')!;
    const patches = h.world.opentact.server.callsTo(
      'PATCH',
      '/sip/connection/:sip_connection_uuid/invites/:uuid',
    ).length;
    const before = refused();
    // action id of A, value (with its valid MAC) of B
    await h.driver.click(SANDBOX.admin, { ...extendA, value: extendB.value }, where(a));
    // both changed consistently: a button the bot never rendered
    await h.driver.click(
      SANDBOX.admin,
      { action_id: `extend:${b.id}`, value: `${b.id}.forgedmac0000000000000` },
      where(a),
    );
    await h.driver.click(SANDBOX.admin, { action_id: `extend:${b.id}`, value: b.id }, where(a));
    await eventually(() => refused() >= before + 3);
    expect(
      h.world.opentact.server.callsTo(
        'PATCH',
        '/sip/connection/:sip_connection_uuid/invites/:uuid',
      ),
    ).toHaveLength(patches);
  });

  test('a revoke dialog whose private_metadata was changed revokes nothing', async () => {
    const revokeA = findButton(dmOf(a).blocks, 'revoke:')!;
    await h.driver.click(SANDBOX.admin, revokeA, where(a));
    const dialog = await eventually(() =>
      h.world.slack.views.find((v) => JSON.stringify(v).includes('revoke_modal')),
    );
    const sealed = JSON.parse(String(h.world.slack.viewPayload(dialog.id)?.private_metadata)) as {
      d: string;
      m: string;
    };
    const tampered = JSON.stringify({ ...sealed, d: sealed.d.replace(a.id, b.id) });
    const response = await h.driver.submitView(
      dialog.id,
      SANDBOX.admin,
      {
        revoke_mode: {
          revoke_mode_input: { type: 'radio_buttons', selected_option: { value: 'remove' } },
        },
      },
      { privateMetadata: tampered },
    );
    expect(JSON.stringify(response.body)).toContain('could not be verified');
    expect(h.bot.lowdb!.all().find((x) => x.id === b.id)!.state).toBe('pending');
    expect(h.bot.lowdb!.all().find((x) => x.id === a.id)!.state).toBe('pending');
  });

  test('a fresh modal with a made-up retryOf is refused before anything is recorded', async () => {
    const before = h.world.slack.views.length;
    await h.driver.command(SANDBOX.admin, '');
    const view = await eventually(() =>
      h.world.slack.views.slice(before).find((v) => v.type === 'modal'),
    );
    const records = h.bot.lowdb!.all().length;
    const response = await h.driver.submitView(
      view.id,
      SANDBOX.admin,
      modalValues({ login: 'grace.hopper', email: 'grace@example.com' }),
      {
        privateMetadata: JSON.stringify({ retryOf: a.id }),
      },
    );
    expect(JSON.stringify(response.body)).toContain('could not be verified');
    expect(h.bot.lowdb!.all()).toHaveLength(records);
  });
});

describe('one action per click', () => {
  test('the same click arriving twice (a double click, a retry) extends once', async () => {
    const extendA = findButton(dmOf(a).blocks, 'extend:')!;
    const route = '/sip/connection/:sip_connection_uuid/invites/:uuid';
    const patches = h.world.opentact.server.callsTo('PATCH', route).length;
    const click = { actionTs: '1764582000.000100' };
    const [first, second] = await Promise.all([
      h.driver.click(SANDBOX.admin, extendA, where(a), click),
      h.driver.click(SANDBOX.admin, extendA, where(a), click),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await eventually(() => h.world.opentact.server.callsTo('PATCH', route).length > patches);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.world.opentact.server.callsTo('PATCH', route)).toHaveLength(patches + 1);
    // A new click (another action_ts) acts again.
    await h.driver.click(SANDBOX.admin, extendA, where(a));
    await eventually(() => h.world.opentact.server.callsTo('PATCH', route).length === patches + 2);
  });
});

describe('one admin check for buttons and dialogs', () => {
  test('a member submitting an admin’s revoke dialog is refused and nothing is revoked', async () => {
    const revokeB = findButton(dmOf(b).blocks, 'revoke:')!;
    const before = h.world.slack.views.length;
    await h.driver.click(SANDBOX.admin, revokeB, where(b));
    const dialog = await eventually(() =>
      h.world.slack.views.slice(before).find((v) => JSON.stringify(v).includes('revoke_modal')),
    );
    const deletes = h.world.opentact.server.calls.filter((c) => c.method === 'DELETE').length;
    const response = await h.driver.submitView(dialog.id, SANDBOX.member, {
      revoke_mode: {
        revoke_mode_input: { type: 'radio_buttons', selected_option: { value: 'remove' } },
      },
    });
    expect(JSON.stringify(response.body)).toContain('onboard_refused');
    expect(h.world.opentact.server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(
      deletes,
    );
    expect(h.bot.lowdb!.all().find((x) => x.id === b.id)!.state).toBe('pending');
  });
});
