import { afterAll, beforeAll, expect, test } from 'vitest';
import { findButton } from '../../src/sandbox/driver.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { eventually, type Harness, modalValues, startHarness } from './harness.ts';

/**
 * Hostile names through every surface — the result modal and DM, the audit
 * line, the digest, the Home tab, /onboard list and status, the dialogs and
 * the updates after a click — then every mrkdwn text the bot sent is scanned:
 * no live mention, no formatting marker from a user's text.
 */

const HOSTILE: [string, string][] = [
  ['<!channel>', 'Lovelace'],
  ['<@U0ADMIN01>', '*Star*'],
  ['_Ita_', '~Strike~'],
  ['`Code`', 'A&B <#C0DIGEST1>'],
  ['שלום', '😀 <!here>'],
  ['X'.repeat(24), '<http://x.io|go>'],
];

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (const [i, [first, last]] of HOSTILE.entries()) {
    const before = h.world.slack.views.length;
    await h.driver.command(SANDBOX.admin, '');
    const view = await eventually(() =>
      h.world.slack.views.slice(before).find((v) => v.type === 'modal'),
    );
    const submitted = await h.driver.submitView(
      view.id,
      SANDBOX.admin,
      modalValues({
        first,
        last,
        login: `hostile.${i}00`,
        email: `hostile${i}@example.com`,
        note: `${first} ${last}`,
      }),
    );
    expect(submitted.body, `${first} ${last} is accepted`).toMatchObject({
      response_action: 'update',
    });
  }
  await eventually(
    () => h.bot.lowdb!.all().filter((r) => r.slack.ts).length === HOSTILE.length,
    10_000,
  );
}, 30_000);
afterAll(() => h.close());

/** Every mrkdwn string in a Slack payload: `mrkdwn` text objects, and top-level `text`. */
function mrkdwnTexts(value: unknown, out: string[] = [], topLevel = true): string[] {
  if (Array.isArray(value)) for (const item of value) mrkdwnTexts(item, out, false);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
    if (topLevel && typeof o.text === 'string' && o.mrkdwn !== false) out.push(o.text);
    for (const [key, item] of Object.entries(o))
      if (key !== 'text' || typeof item !== 'string') mrkdwnTexts(item, out, false);
  }
  return out;
}

test('no user text becomes a live mention or a formatting marker in any Slack text', async () => {
  const { driver, world } = h;
  // Surfaces beyond the DM: list, status, digest, Home, dialogs, an update after a click.
  await driver.command(SANDBOX.admin, 'list');
  await driver.command(SANDBOX.admin, 'status hostile.000');
  await driver.command(SANDBOX.admin, 'status <!here>');
  await driver.command(SANDBOX.admin, '<!channel> *x*');
  await h.bot.jobs.digest({ requestedBy: SANDBOX.admin });
  await driver.event({ type: 'app_home_opened', user: SANDBOX.admin, tab: 'home' });
  const record = h.bot.lowdb!.all()[0]!;
  const dm = world.slack.messages.find(
    (m) => m.channel === record.slack.channel && m.ts === record.slack.ts,
  )!;
  await driver.click(SANDBOX.admin, findButton(dm.blocks, 'extend:')!, {
    channel: dm.channel,
    ts: dm.ts,
  });
  await driver.click(SANDBOX.admin, findButton(dm.blocks, 'resend:')!, {
    channel: dm.channel,
    ts: dm.ts,
  });
  await eventually(
    () => world.slack.callsTo('chat.update').length > 0 && world.slack.responses.length >= 4,
  );

  const texts = [
    ...world.slack.calls.map((c) => c.args),
    ...world.slack.responses.map((r) => r.body),
  ].flatMap((p) => mrkdwnTexts(p));
  expect(texts.length).toBeGreaterThan(30);
  // The bot's own mentions (the requester, who acted) are fine; the users' strings must be inert.
  const live = /<!(channel|here|everyone)>|<#C0DIGEST1>|<http:\/\/x\.io|\*<@U0ADMIN01>/;
  const markers = /\*Star\*|_Ita_|~Strike~|`Code`/;
  expect(texts.filter((t) => live.test(t))).toEqual([]);
  expect(texts.filter((t) => markers.test(t))).toEqual([]);
  // Still readable: the names appear, escaped.
  expect(texts.some((t) => t.includes('&lt;!channel&gt;'))).toBe(true);
  expect(texts.some((t) => t.includes('A&amp;B'))).toBe(true);
});
