import { createLogger } from '../log.ts';
import { findButton, modalValues, waitFor } from './driver.ts';
import { renderBlocks, renderView } from './render.ts';
import { startSandboxSession } from './session.ts';
import { SANDBOX, SANDBOX_CREDENTIALS } from './world.ts';

/**
 * `npm run demo`: the real bot in HTTP mode against the built-in simulators,
 * driven through correctly signed Slack requests. Prints what Slack would show
 * at each step and what each upstream API received. Same code as production;
 * only the URLs differ.
 */

const out = (text = '') => process.stdout.write(`${text}\n`);
const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
const step = (n: number, title: string) =>
  out(`\n━━ ${n}. ${title} ${'━'.repeat(Math.max(0, 66 - title.length))}`);

const { world, bot, driver, close } = await startSandboxSession({
  env: { LOG_LEVEL: 'warn' },
  bot: { logger: createLogger('warn') },
});
const until = <T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  _what: string,
) => waitFor(check, 10_000);
const admin = SANDBOX.admin;
let upstreamSeen = 0;
const upstream = () => {
  const lines: string[] = [];
  const all = [
    ...world.opentact.server.calls.map((c) => ({ api: 'Opentact', c })),
    ...world.usermgmt.calls.map((c) => ({ api: 'UserMgmt', c })),
    ...world.slyk.calls.map((c) => ({ api: 'Slyk', c })),
  ].sort((a, b) => a.c.at - b.c.at);
  for (const { api, c } of all.slice(upstreamSeen)) {
    const body =
      c.body && typeof c.body === 'object'
        ? JSON.stringify(c.body, (k, v) => (k === 'password' ? '[generated, not shown]' : v))
        : '';
    const query = Object.keys(c.query).length ? `?${new URLSearchParams(c.query).toString()}` : '';
    lines.push(
      `${api.padEnd(8)} ${c.method.padEnd(6)} ${c.path}${query} → ${c.status}${body ? `  ${body}` : ''}`,
    );
  }
  upstreamSeen = all.length;
  return lines.length
    ? `  Upstream received:\n${indent(lines.join('\n'))}`
    : '  Upstream received: nothing';
};
const lastModal = () => world.slack.views.filter((v) => v.type === 'modal').at(-1)!;
/** Opentact invite tokens seen while they existed (Revoke removes them upstream). */
const inviteTokens = new Set<string>();
const collectInviteTokens = () => {
  for (const invite of world.opentact.state.invites.values()) {
    const token = (invite as { token?: string }).token;
    if (token) inviteTokens.add(token);
  }
};

const values = (email: string, lifetime: string) =>
  modalValues({ email, phone: '+44 7700 900123', lifetime, note: 'Starts Monday, support team' });

try {
  out(
    'Telephony onboarding bot — sandbox demo (real bot, simulated Slack, Opentact, UserMgmt and Slyk)',
  );

  step(1, `${admin} types /onboard`);
  await driver.command(admin, '');
  const modalId = await until(() => lastModal()?.id, 'the modal');
  out(indent(renderView(lastModal().view as never)));

  step(2, 'Submits a bad e-mail');
  const bad = await driver.submitView(modalId, admin, values('ada-at-example', '1'));
  out(
    `  Slack shows the field errors from the ack: ${JSON.stringify((bad.body as { errors: unknown }).errors)}`,
  );
  out(upstream());

  step(3, 'Submits valid details (lifetime 1 day)');
  const good = await driver.submitView(modalId, admin, values('ada@example.com', '1'));
  out(`  Ack (${good.ms.toFixed(0)} ms): modal now shows`);
  out(indent(renderView((good.body as { view: never }).view)));
  const record = await until(
    () => bot.lowdb!.all().find((r) => r.state !== 'provisioning'),
    'the pipeline',
  );
  const dmChannel = await until(() => world.slack.dmWith(admin), 'the DM');
  const dm = await until(() => world.slack.messagesIn(dmChannel).at(-1), 'the result DM');
  out('  Direct message to the requester:');
  out(indent(renderBlocks(dm.blocks as never)));
  out(
    `  Audit line in #telephony-onboarding: ${world.slack.messagesIn(SANDBOX.digestChannel).at(-1)?.text}`,
  );
  out(upstream());
  out(
    `  Record ${record.id}: state ${record.state}, SMS ${record.deliveries.sms.status}, e-mail ${record.deliveries.email.status}`,
  );

  step(4, '/onboard list');
  await driver.command(admin, 'list');
  const list = await until(() => world.slack.responses.at(-1), 'the list');
  out(indent(renderBlocks((list.body as { blocks: never }).blocks)));

  step(5, '/onboard digest');
  await driver.command(admin, 'digest');
  const digest = await until(
    () =>
      world.slack
        .messagesIn(SANDBOX.digestChannel)
        .find((m) => m.text?.startsWith('Invitation digest')),
    'the digest',
  );
  out(indent(renderBlocks(digest.blocks as never)));
  out(upstream());

  step(6, 'Clicks Extend on the digest');
  const extend = findButton(digest.blocks, 'extend:')!;
  await driver.click(admin, extend, { channel: SANDBOX.digestChannel, ts: digest.ts });
  await until(
    async () => (await bot.store.get(record.id))?.audit.some((a) => a.action === 'extended'),
    'the extension',
  );
  await until(() => world.slack.callsTo('chat.update').length > 0, 'the message update');
  out('  The digest message, updated in place:');
  out(
    indent(
      renderBlocks(
        world.slack.messagesIn(SANDBOX.digestChannel).find((m) => m.ts === digest.ts)!
          .blocks as never,
      ),
    ),
  );
  out(upstream());

  collectInviteTokens();
  step(7, 'Clicks Revoke, chooses "Deactivate the SIP user"');
  const updatedDigest = world.slack
    .messagesIn(SANDBOX.digestChannel)
    .find((m) => m.ts === digest.ts)!;
  await driver.click(admin, findButton(updatedDigest.blocks, 'revoke:')!, {
    channel: SANDBOX.digestChannel,
    ts: digest.ts,
  });
  const dialog = await until(
    () =>
      world.slack.views.find(
        (v) => (v.view as { callback_id?: string }).callback_id === 'revoke_modal',
      ),
    'the dialog',
  );
  out(indent(renderView(dialog.view as never)));
  await driver.submitView(dialog.id, admin, {
    revoke_mode: {
      revoke_mode_input: { type: 'radio_buttons', selected_option: { value: 'deactivate' } },
    },
  });
  const revoked = await until(async () => {
    const current = await bot.store.get(record.id);
    return current?.state === 'revoked' ? current : undefined;
  }, 'the revocation');
  out(`  Record state: ${revoked.state}; audit: ${revoked.audit.at(-1)?.detail}`);
  out(upstream());

  step(8, 'Done');
} finally {
  await close();
}

// Checked, not claimed: no secret reached Slack (after the bot stopped, so every call is counted).
const slackText = world.slack.allCallText();
const secrets = [
  ...SANDBOX_CREDENTIALS,
  ...world.opentact.server.calls.map(
    (c) => (c.body as { password?: string } | undefined)?.password,
  ),
  ...inviteTokens,
  ...world.slyk.invites().flatMap((i) => [i.url, i.code]),
].filter((s): s is string => typeof s === 'string' && s.length > 0);
const leaked = secrets.filter((secret) => slackText.includes(secret));
if (leaked.length > 0) {
  out(`  LEAK: ${leaked.length} secret(s) appeared in Slack calls`);
  process.exitCode = 1;
} else {
  out(
    `  ${world.slack.calls.length} Slack Web API calls checked: none contains any of ${secrets.length} secrets (tokens, SIP password, invite tokens and links).`,
  );
}
