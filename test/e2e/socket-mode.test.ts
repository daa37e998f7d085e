import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { findButton, modalValues, waitFor } from '../../src/sandbox/driver.ts';
import { type SandboxSession, startSandboxSession } from '../../src/sandbox/session.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';

/** The same bot over Socket Mode: apps.connections.open, a WebSocket, envelopes and acks. */

let s: SandboxSession | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('Socket Mode', () => {
  test('connects with the app token and runs /onboard → submission → result → Extend', async () => {
    s = await startSandboxSession({ socketMode: true });
    // Socket Mode has /health too (an HTTP listener on PORT), and no /slack/events.
    const health = await fetch(`http://127.0.0.1:${s.bot.port}/health`);
    expect(await health.json()).toMatchObject({ ok: true, mode: 'socket' });
    expect(
      (await fetch(`http://127.0.0.1:${s.bot.port}/slack/events`, { method: 'POST' })).status,
    ).toBe(404);
    expect(s.world.slack.callsTo('apps.connections.open')).toHaveLength(1);
    expect(s.world.slack.socketConnections()).toBe(1);

    await s.driver.command(SANDBOX.admin, '');
    const modal = await waitFor(() => s!.world.slack.views.find((v) => v.type === 'modal'));
    const bad = await s.driver.submitView(modal.id, SANDBOX.admin, modalValues({ email: 'nope' }));
    expect(bad.body).toMatchObject({
      response_action: 'errors',
      errors: { email: expect.any(String) },
    });

    const good = await s.driver.submitView(modal.id, SANDBOX.admin, modalValues({}));
    expect(good.body).toMatchObject({ response_action: 'update' });
    const record = await waitFor(() => s!.bot.lowdb!.all().find((r) => r.state === 'pending'));
    expect(s.world.usermgmt.sent).toHaveLength(1);
    expect(s.world.slyk.outbox).toHaveLength(1);

    const dmChannel = await waitFor(() => s!.world.slack.dmWith(SANDBOX.admin));
    const dm = await waitFor(() => s!.world.slack.messagesIn(dmChannel).at(-1));
    const extend = findButton(dm.blocks, 'extend:')!;
    const before = record.invite!.expiresAt;
    await s.driver.click(SANDBOX.admin, extend, { channel: dmChannel, ts: dm.ts });
    await waitFor(
      () => s!.bot.lowdb!.all().find((x) => x.id === record.id)!.invite!.expiresAt !== before,
    );

    // The Home tab over events_api.
    await s.driver.event({ type: 'app_home_opened', user: SANDBOX.admin, tab: 'home' });
    await waitFor(() => s!.world.slack.homeOf(SANDBOX.admin));
  });

  test('a wrong app token fails the start with invalid_auth, and says so in the log', async () => {
    const lines: string[] = [];
    await expect(
      startSandboxSession({
        socketMode: true,
        env: { SLACK_APP_TOKEN: 'xapp-wrong-token' },
        bot: { logger: createLogger('error', {}, (line) => lines.push(line)) },
      }),
    ).rejects.toThrow(/invalid_auth/);
    expect(lines.join('\n')).toContain('invalid_auth');
  });
});
