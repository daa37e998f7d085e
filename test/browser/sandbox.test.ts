import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, expect, onTestFailed, test } from 'vitest';
import { startWebSandbox, type WebSandbox } from '../../src/sandbox/web/sandbox.ts';
import { SANDBOX, SANDBOX_CREDENTIALS } from '../../src/sandbox/world.ts';

/**
 * The clickable sandbox, driven as a person would in a real browser (Debian's
 * Chromium, headless): /onboard, a field error, the DM result, Retry through
 * its confirm dialog, Extend, Revoke through its dialog, the digest, the
 * upstream panel; a requester's requests approved or rejected by the admin in
 * the approval channel; a cohort from a CSV file chosen in the modal, with its
 * results file. Every click goes to the real bot as a signed Slack request.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The README's screenshot is rewritten only on request (UPDATE_SCREENSHOT=1), so a test run leaves
// the tree clean; otherwise it goes to the temporary directory, to look at when a test fails.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'sandbox.png')
  : join(tmpdir(), 'onboard-sandbox.png');

let sandbox: WebSandbox;
let browser: Browser;
let page: Page;
/** Errors thrown in the page: any fails the test it happened in. */
const problems: string[] = [];

const missing = existsSync(CHROMIUM)
  ? undefined
  : `Chromium not found at ${CHROMIUM}: the browser test needs it (apt-get install chromium, as .ci/run does, or set CHROMIUM_PATH).`;
/** Each test fails (never skips) when the browser is missing. */
const needBrowser = () => {
  if (missing) throw new Error(missing);
};

beforeAll(async () => {
  if (missing) return;
  sandbox = await startWebSandbox({ port: 0, logLevel: 'error' });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // CI runs as root, where Chromium's own sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage();
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.setViewport({ width: 1440, height: 900 });
  await page.goto(sandbox.url);
  await page.waitForSelector('[data-testid=composer]');
  expect(problems).toEqual([]);
}, 30_000);

afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
});

const $ = (testid: string) => `[data-testid="${testid}"]`;
const textOf = (selector: string) => page.$eval(selector, (el) => el.textContent ?? '');
/** Waits until the element exists and its text matches. */
const waitText = async (selector: string, pattern: RegExp, timeoutMs = 8_000) => {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await page.$(selector)) ? await textOf(selector) : '(not on the page)';
    if (pattern.test(last)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${selector} never matched ${pattern}; its text: ${last.slice(0, 500)}`);
};
const clear = async (selector: string) => {
  await page.click(selector, { clickCount: 3 });
  await page.keyboard.press('Backspace');
};
/** Picks who you are, and waits until the page shows that person's Slack. */
const actAs = async (userId: string) => {
  await page.select($('user-picker'), userId);
  await page.waitForSelector(`${$('app')}[data-me="${userId}"]`);
};
/** The newest message in the open conversation that has a button whose action id starts so. */
const button = (prefix: string) => `${$('timeline')} [data-testid^="button-${prefix}"]`;

/** Nothing the page receives holds a credential, a SIP password, or an invite code or link. */
async function expectNoSecretInThePage() {
  const { world } = sandbox.session;
  const state = await (await fetch(`${sandbox.url}api/state?as=${SANDBOX.admin}`)).text();
  const secrets = [
    ...SANDBOX_CREDENTIALS,
    ...world.opentact.server.calls.map((c) => (c.body as { password?: string })?.password),
    ...world.slyk.invites().flatMap((i) => [i.code, i.url]),
    ...[...world.opentact.state.invites.values()].map((i) => i.token),
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
  expect(secrets.length).toBeGreaterThan(6);
  expect(secrets.filter((s) => state.includes(s))).toEqual([]);
}

test('a person onboards someone, fixes a field, retries, extends and revokes, all in the page', async () => {
  needBrowser();
  onTestFailed(async () => {
    const path = join(tmpdir(), 'sandbox-failure.png');
    await page.screenshot({ path });
    process.stderr.write(`browser test failed: the page as it was is in ${path}\n`);
  });
  const { world, bot } = sandbox.session;

  // The next SMS fails (a sandbox switch), so the result offers Retry with its confirm dialog.
  await page.click($('switch-sms-fail'));
  await waitText($('switch-sms-fail'), /Next SMS will fail/);

  await page.type($('composer'), '/onboard');
  await page.keyboard.press('Enter');
  await page.waitForSelector($('modal'));
  expect(await textOf($('modal-title'))).toBe('Onboard a member');
  await page.type($('input-first_name'), 'Ada');
  await page.type($('input-last_name'), 'Lovelace');
  await page.type($('input-email'), 'ada@example.com');
  await page.type($('input-phone'), '12345');
  await page.click($('modal-submit'));
  // The bot's response_action: errors, shown on the field; nothing reached upstream.
  await waitText($('error-phone'), /international format/i);
  expect(world.opentact.server.calls).toHaveLength(0);

  await clear($('input-phone'));
  await page.type($('input-phone'), '+4915112345678');
  await page.click($('modal-submit'));
  // The modal follows the onboarding (response_action: update, then views.update) to its result.
  await waitText($('modal'), /is invited/);
  expect(await textOf($('modal'))).toMatch(/SMS: failed/);
  await page.click($('modal-x'));
  await page.waitForSelector($('modal'), { hidden: true });

  // The requester's DM: invited, SMS failed, Retry offered.
  await page.click($('nav-dm'));
  await waitText($('timeline'), /is invited/);
  await waitText($('timeline'), /SMS: failed/);

  await page.click(button('retry:'));
  await page.waitForSelector($('confirm-dialog'));
  expect(await textOf($('confirm-dialog'))).toMatch(/Retry the onboarding\?/);
  await page.click($('confirm-yes'));
  await waitText($('timeline'), /SMS: sent/);
  expect(world.usermgmt.sent).toHaveLength(1);

  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });

  // Resend: a dialog with checkboxes (both preselected: both were sent); only the SMS again.
  await page.click(button('resend:'));
  await page.waitForSelector(`${$('modal')}[data-callback="resend_modal"]`);
  await page.click($('option-resend_channels-email'));
  await page.click($('modal-submit'));
  await page.waitForSelector($('modal'), { hidden: true });
  await waitText($('timeline'), /resent|sent again/i);
  expect(world.usermgmt.sent).toHaveLength(2);
  expect(world.slyk.outbox).toHaveLength(1);

  const record = bot.lowdb!.all()[0]!;
  const expiryBefore = record.invite!.expiresAt;
  await page.click(button('extend:'));
  await waitText($('timeline'), /extended the invitation/);
  const extended = await bot.store.get(record.id);
  expect(extended!.audit.some((a) => a.action === 'extended')).toBe(true);
  expect(extended!.invite!.expiresAt >= expiryBefore).toBe(true);

  await page.click(button('revoke:'));
  await page.waitForSelector(`${$('modal')}[data-callback="revoke_modal"]`);
  await page.click($('option-revoke_mode-deactivate'));
  await page.click($('modal-submit'));
  await page.waitForSelector($('modal'), { hidden: true });
  await waitText($('timeline'), /revoked/i);
  expect((await bot.store.get(record.id))!.state).toBe('revoked');

  // The digest, on demand, in its channel.
  await page.click($('switch-digest'));
  await page.click($('nav-telephony-onboarding'));
  await waitText($('timeline'), /Invitation digest/);

  // The upstream panel lists what each API received, and no secret reaches the page.
  for (const api of ['Opentact', 'UserMgmt', 'Slyk'])
    expect(Number((await textOf($(`count-${api}`))).split(' ')[1])).toBeGreaterThan(0);
  await page.click(`${$('upstream-call')}[data-api="Opentact"]:last-child button`);
  const body = await textOf($('upstream-body'));
  expect(body).toContain('••• hidden');
  await expectNoSecretInThePage();
}, 45_000);

test('Block Kit and mrkdwn render as Slack shows them, and nothing in a message becomes markup', async () => {
  needBrowser();
  const blocks = [
    { type: 'header', text: { type: 'plain_text', text: 'Weekly <b>digest</b>' } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*bold* _italic_ ~strike~ `code` <https://example.com|a link> <@U0ADMIN01> <!date^1700000000^{date}|14 Nov 2023> :white_check_mark: &lt;img src=x onerror="window.__pwned=1"&gt; <javascript:window.__pwned=1|bad link>',
      },
      fields: [
        { type: 'mrkdwn', text: '*Login*\nada.lovelace' },
        { type: 'plain_text', text: '<script>window.__pwned=1</script>' },
      ],
      accessory: { type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' } },
    },
    { type: 'divider' },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: 'posted by <@U0MEMBER1>' },
        { type: 'image', image_url: 'javascript:window.__pwned=1', alt_text: 'evil' },
      ],
    },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'a1',
          text: { type: 'plain_text', text: 'One' },
          style: 'primary',
        },
        {
          type: 'overflow',
          action_id: 'more',
          options: [
            { text: { type: 'plain_text', text: 'First' }, value: '1' },
            { text: { type: 'plain_text', text: 'Second' }, value: '2' },
          ],
        },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: '```\nline <b>one</b>\nline two\n```' } },
    { type: 'image', image_url: 'https://example.com/a.png', alt_text: 'a picture' },
  ];
  // The page's own renderer, imported through its import map, drawn into a fixture.
  const result = await page.evaluate(`(async () => {
    const [{ render }, { html }, { Blocks }] = await Promise.all([
      import('preact'), import('/html.js'), import('/blocks.js'),
    ]);
    const root = document.createElement('div');
    root.id = 'fixture';
    document.body.append(root);
    const users = [{ id: 'U0ADMIN01', name: 'grace' }, { id: 'U0MEMBER1', name: 'linus' }];
    render(html\`<\${Blocks} blocks=\${${JSON.stringify(blocks)}} ctx=\${{ users, act() {}, confirm() {} }} />\`, root);
    await new Promise((r) => setTimeout(r, 50));
    const q = (s) => [...root.querySelectorAll(s)].map((e) => e.textContent);
    return {
      header: q('.bk-header'), bold: q('b'), italic: q('i'), strike: q('s'), code: q('code'),
      links: [...root.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.textContent]),
      mentions: q('.mention'), dates: q('.date'), fields: q('.bk-field').length,
      dividers: q('hr').length, pre: q('pre.code-block'), buttons: q('button'),
      images: [...root.querySelectorAll('img')].map((i) => i.getAttribute('src')),
      scripts: root.querySelectorAll('script').length,
      handlers: [...root.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      emoji: q('.emoji'), text: root.textContent, pwned: window.__pwned ?? null,
    };
  })()`);
  expect(result).toMatchObject({
    header: ['Weekly <b>digest</b>'],
    bold: ['bold', 'Login'],
    italic: ['italic'],
    strike: ['strike'],
    code: ['code'],
    links: [['https://example.com', 'a link']],
    mentions: ['@grace', '@linus'],
    dates: ['14 Nov 2023'],
    fields: 2,
    dividers: 1,
    pre: ['line <b>one</b>\nline two'],
    buttons: ['Go', 'One', '⋯'],
    images: ['https://example.com/a.png'],
    scripts: 0,
    handlers: 0,
    emoji: ['✔'],
    pwned: null,
  });
  const text = (result as { text: string }).text;
  expect(text).toContain('<img src=x onerror="window.__pwned=1">');
  expect(text).toContain('bad link');
  expect(text).toContain('<script>window.__pwned=1</script>');
  expect(text).toContain('[evil]');
  await page.evaluate(`document.getElementById('fixture').remove()`);
});

test("a modal with selects, date pickers, checkboxes and numbers: Slack's own checks before sending", async () => {
  needBrowser();
  const opt = (value: string) => ({ text: { type: 'plain_text', text: `Option ${value}` }, value });
  const input = (block_id: string, element: Record<string, unknown>, extra = {}) => ({
    type: 'input',
    block_id,
    label: { type: 'plain_text', text: block_id },
    element: { action_id: `${block_id}_input`, ...element },
    ...extra,
  });
  const view = {
    type: 'modal',
    callback_id: 'fixture',
    title: { type: 'plain_text', text: 'Fixture' },
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      input('team', { type: 'static_select', options: [opt('a'), opt('b')] }),
      input('start', { type: 'datepicker' }),
      input('tools', { type: 'checkboxes', options: [opt('x'), opt('y')] }),
      input('seats', {
        type: 'number_input',
        is_decimal_allowed: false,
        min_value: '1',
        max_value: '5',
      }),
      input('note', { type: 'plain_text_input', multiline: true }, { optional: true }),
    ],
  };
  // The page's own Modal, with a view id the sandbox does not know (as if it had been closed).
  await page.evaluate(`(async () => {
    const [{ render }, { html }, { Modal }] = await Promise.all([
      import('preact'), import('/html.js'), import('/modal.js'),
    ]);
    const root = document.createElement('div');
    root.id = 'fixture';
    document.body.append(root);
    const stack = [{ id: 'V0FIXTURE1', hash: '1', view: ${JSON.stringify(view)} }];
    render(html\`<\${Modal} stack=\${stack} me="U0ADMIN01" users=\${[]} refresh=\${() => {}} act=\${() => {}} confirm=\${() => {}} />\`, root);
  })()`);
  const fixture = (testid: string) => `#fixture ${$(testid)}`;
  await page.click(fixture('modal-submit'));
  for (const field of ['team', 'start', 'tools', 'seats'])
    await waitText(fixture(`error-${field}`), /Please complete this required field/);
  expect(await page.$(fixture('error-note'))).toBeNull();

  await page.select(fixture('input-team'), 'b');
  await page.$eval(fixture('input-start'), (el) => {
    (el as unknown as { value: string }).value = '2026-12-24';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.click(fixture('option-tools-y'));
  await page.type(fixture('input-seats'), '9');
  await page.click(fixture('modal-submit'));
  await waitText(fixture('error-seats'), /Must be at most 5/);
  for (const field of ['team', 'start', 'tools'])
    expect(await page.$(fixture(`error-${field}`))).toBeNull();

  await clear(fixture('input-seats'));
  await page.type(fixture('input-seats'), '3');
  const sent = page.waitForRequest((r) => r.url().endsWith('/api/submit'));
  await page.click(fixture('modal-submit'));
  // The state as Slack reports it in view_submission: block_id → action_id → element state.
  expect(JSON.parse((await sent).postData() ?? '{}').values).toEqual({
    team: { team_input: { type: 'static_select', selected_option: opt('b') } },
    start: { start_input: { type: 'datepicker', selected_date: '2026-12-24' } },
    tools: { tools_input: { type: 'checkboxes', selected_options: [opt('y')] } },
    seats: { seats_input: { type: 'number_input', value: '3' } },
    note: { note_input: { type: 'plain_text_input', value: null } },
  });
  // Everything passed Slack's checks and went to the sandbox, which no longer has this view.
  await waitText(fixture('modal-error'), /This modal is no longer open/);
  await page.evaluate(`document.getElementById('fixture').remove()`);
});

test('a file_input: its filetypes and max_files are checked in the page; the chosen files go with the submission', async () => {
  needBrowser();
  const view = {
    type: 'modal',
    callback_id: 'files_fixture',
    title: { type: 'plain_text', text: 'Files' },
    submit: { type: 'plain_text', text: 'Send' },
    blocks: [
      {
        type: 'input',
        block_id: 'sheet',
        label: { type: 'plain_text', text: 'Sheets' },
        element: { type: 'file_input', action_id: 'sheet_input', filetypes: ['csv'], max_files: 2 },
      },
    ],
  };
  await page.evaluate(`(async () => {
    const [{ render }, { html }, { Modal }] = await Promise.all([
      import('preact'), import('/html.js'), import('/modal.js'),
    ]);
    const root = document.createElement('div');
    root.id = 'fixture';
    document.body.append(root);
    const stack = [{ id: 'V0FIXTURE2', hash: '1', view: ${JSON.stringify(view)} }];
    render(html\`<\${Modal} stack=\${stack} me="U0ADMIN01" users=\${[]} refresh=\${() => {}} act=\${() => {}} confirm=\${() => {}} />\`, root);
  })()`);
  const fixture = (testid: string) => `#fixture ${$(testid)}`;
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-files-'));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  expect(await page.$eval(fixture('input-sheet'), (el) => el.getAttribute('accept'))).toBe('.csv');
  expect(await page.$eval(fixture('input-sheet'), (el) => el.hasAttribute('multiple'))).toBe(true);
  await page.click(fixture('modal-submit'));
  await waitText(fixture('error-sheet'), /Please complete this required field/);

  // A type the element does not take (the picker's accept can be bypassed) and a third file.
  const picker = async () => (await page.$(fixture('input-sheet')))!;
  await (await picker()).uploadFile(write('notes.txt', 'hello'));
  await page.click(fixture('modal-submit'));
  await waitText(fixture('error-sheet'), /notes\.txt: this file type is not accepted here \(csv\)/);
  await page.click(`${fixture('files-sheet')} button`);
  await (await picker()).uploadFile(write('a.csv', 'x,y\n1,2\n'), write('b.csv', 'z\n'));
  await (await picker()).uploadFile(write('c.csv', 'w\n'));
  await page.click(fixture('modal-submit'));
  await waitText(fixture('error-sheet'), /You can upload at most 2 files/);
  await page.click(`${fixture('files-sheet')} li:last-child button`);
  await waitText(fixture('files-sheet'), /^(?![\s\S]*c\.csv)[\s\S]*a\.csv[\s\S]*b\.csv/);

  const sent = page.waitForRequest((r) => r.url().endsWith('/api/submit'));
  await page.click(fixture('modal-submit'));
  const body = JSON.parse((await sent).postData() ?? '{}');
  // The state carries no file until Slack has it; the bytes go alongside, for the server to upload.
  expect(body.values).toEqual({ sheet: { sheet_input: { type: 'file_input', files: [] } } });
  expect(body.uploads).toEqual([
    {
      block_id: 'sheet',
      action_id: 'sheet_input',
      files: [
        { name: 'a.csv', content: Buffer.from('x,y\n1,2\n').toString('base64') },
        { name: 'b.csv', content: Buffer.from('z\n').toString('base64') },
      ],
    },
  ]);
  await waitText(fixture('modal-error'), /This modal is no longer open/);
  await page.evaluate(`document.getElementById('fixture').remove()`);
});

test('a member is refused; the Home tab; the modal stack; the accept switch; Slack refusals shown', async () => {
  needBrowser();
  const { world, bot } = sandbox.session;

  // Linus is neither an onboarding admin nor a workspace admin.
  await actAs(SANDBOX.member);
  await page.click($('nav-general'));
  await page.type($('composer'), '/onboard list');
  await page.keyboard.press('Enter');
  await waitText($('timeline'), /Only @grace can onboard people/);
  expect(await page.$eval(`${$('message')}:last-child`, (el) => el.textContent)).toMatch(
    /Only visible to you/,
  );
  await page.click($('nav-home'));
  await waitText($('home'), /onboard|invitation/i);

  // Back to Grace: her Home tab, a new onboarding, and Revoke from inside the result modal.
  await actAs(SANDBOX.admin);
  await page.click($('nav-general'));
  await page.type($('composer'), '/onboard');
  await page.keyboard.press('Enter');
  await page.waitForSelector($('input-first_name'));
  await page.type($('input-first_name'), 'Alan');
  await page.type($('input-last_name'), 'Turing');
  await page.type($('input-email'), 'alan@example.com');
  await page.type($('input-phone'), '+447700900123');
  await page.click($('modal-submit'));
  await waitText($('modal'), /is invited/);
  await page.click(`${$('modal')} [data-testid^="button-revoke:"]`);
  // views.push: the dialog stacks on the result, with a back arrow.
  await page.waitForSelector(`${$('modal')}[data-depth="2"]`);
  expect(await textOf($('modal-title'))).toBe('Revoke invitation');
  await page.click($('modal-back'));
  await page.waitForSelector(`${$('modal')}[data-depth="1"]`);
  await page.click($('modal-x'));
  await page.waitForSelector($('modal'), { hidden: true });

  // The invitee accepts (upstream); the bot's reconciliation notices.
  await page.click($('switch-accept'));
  await waitText($('switch-notice'), /Alan Turing accepted.*found 1 accepted/);
  const alan = bot.lowdb!.all().find((r) => r.person.firstName === 'Alan')!;
  expect(alan.state).toBe('accepted');

  // Upstream latency: every Opentact, UserMgmt and Slyk call waits.
  await page.select($('switch-latency'), '500');
  await waitText($('switch-notice'), /Every upstream call now waits 500 ms/);
  const started = Date.now();
  await fetch(`${world.slyk.url}/invites`);
  expect(Date.now() - started).toBeGreaterThanOrEqual(480);
  await page.select($('switch-latency'), '0');
  await waitText($('switch-notice'), /No added latency/);

  // Slack refuses the bot's Home tab: the page says so, as Slack would show an error.
  world.slack.addFault({ method: 'views.publish', error: 'invalid_blocks' });
  await page.click($('nav-home'));
  await waitText($('toast'), /Slack refused the bot's views\.publish: invalid_blocks/);
  await waitText($('refusals'), /views\.publish → invalid_blocks/);
  // And the next opening works again, showing the admin's Home.
  await page.click($('nav-general'));
  await page.click($('nav-home'));
  await waitText($('home'), /accepted/i);
  await expectNoSecretInThePage();
}, 30_000);

/** Opens the onboarding form from #general and fills it in (the form's own test ids). */
async function requestOnboarding(first: string, last: string, email: string, phone: string) {
  await page.click($('nav-general'));
  await page.type($('composer'), '/onboard');
  await page.keyboard.press('Enter');
  await page.waitForSelector($('input-first_name'));
  await page.type($('input-first_name'), first);
  await page.type($('input-last_name'), last);
  await page.type($('input-email'), email);
  await page.type($('input-phone'), phone);
  await page.click($('modal-submit'));
}

test('a requester asks; the admin approves in the approval channel (confirm dialog) or rejects with a reason', async () => {
  needBrowser();
  const { world, bot } = sandbox.session;
  const label = await page.$eval(
    `${$('user-picker')} option[value="${SANDBOX.requester}"]`,
    (el) => el.textContent ?? '',
  );
  expect(label).toBe('Rita Requester — requester — may ask, an admin approves');

  await actAs(SANDBOX.requester);
  const writes = () => world.opentact.server.calls.filter((c) => c.method !== 'GET').length;
  const before = writes();
  await requestOnboarding('Katherine', 'Johnson', 'katherine@example.com', '+12025550123');
  // The form turns into "waits for approval"; nothing exists upstream yet.
  await waitText($('modal'), /waits for approval/);
  await page.click($('modal-x'));
  await page.waitForSelector($('modal'), { hidden: true });
  await requestOnboarding('Dorothy', 'Vaughan', 'dorothy@example.com', '+12025550124');
  await waitText($('modal'), /waits for approval/);
  await page.click($('modal-x'));
  expect(writes()).toBe(before);
  const requested = (first: string) =>
    bot.lowdb!.all().find((r) => r.person.firstName === first && r.state === 'requested')!;
  const katherine = requested('Katherine');
  const dorothy = requested('Dorothy');

  // The admin sees both requests in #onboarding-requests, each with Approve and Reject.
  await actAs(SANDBOX.admin);
  await page.click($('nav-onboarding-requests'));
  await waitText($('conversation-onboarding-requests'), /Katherine Johnson[\s\S]*Dorothy Vaughan/);
  await page.click($(`button-approve:${katherine.id}`));
  await page.waitForSelector($('confirm-dialog'));
  expect(await textOf($('confirm-dialog'))).toMatch(/Approve the onboarding\?/);
  await page.click($('confirm-yes'));
  // Updated in place: who approved, no more buttons.
  await waitText($('timeline'), /approved by/);
  expect(await page.$($(`button-approve:${katherine.id}`))).toBeNull();

  await page.click($(`button-reject:${dorothy.id}`));
  await page.waitForSelector(`${$('modal')}[data-callback="reject_modal"]`);
  await page.type($('input-reject_reason'), 'Starts next quarter');
  await page.click($('modal-submit'));
  await page.waitForSelector($('modal'), { hidden: true });
  await waitText($('timeline'), /rejected by/);

  // The requester's DM: the approved onboarding's result, and the rejection with its reason.
  await actAs(SANDBOX.requester);
  await page.click($('nav-dm'));
  await waitText($('timeline'), /Katherine Johnson[\s\S]*is invited/);
  await waitText($('timeline'), /Dorothy Vaughan[\s\S]*rejected[\s\S]*Starts next quarter/);
  expect((await bot.store.get(katherine.id))!.state).toBe('pending');
  expect((await bot.store.get(dorothy.id))!.state).toBe('rejected');
  await expectNoSecretInThePage();
}, 20_000);

test('a cohort from a CSV file: chosen in the modal, previewed, invalid rows skipped, the results file in the DM', async () => {
  needBrowser();
  const { world } = sandbox.session;
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-cohort-'));
  const csv = join(dir, 'cohort.csv');
  writeFileSync(
    csv,
    [
      'first_name,last_name,email,mobile,channels',
      'Hedy,Lamarr,hedy@example.com,+447700900301,sms+email',
      'Bad,Row,bad@example.com,123,sms',
      'Annie,Easley,annie@example.com,+447700900302,email',
    ].join('\r\n'),
  );
  await actAs(SANDBOX.admin);
  await page.click($('nav-dm'));
  await page.type($('composer'), '/onboard bulk');
  await page.keyboard.press('Enter');
  await page.waitForSelector(`${$('modal')}[data-callback="cohort_upload"]`);
  // The native picker takes what file_input allows.
  expect(await page.$eval($('input-cohort_file'), (el) => el.getAttribute('accept'))).toBe(
    '.csv,.txt',
  );
  const picker = await page.$($('input-cohort_file'));
  await picker!.uploadFile(csv);
  await waitText($('files-cohort_file'), /cohort\.csv/);
  await page.click($('modal-submit'));

  // The preview: two people, one invalid row; Onboard needs "skip invalid rows" ticked.
  await page.waitForSelector(`${$('modal')}[data-callback="cohort_confirm"]`);
  await waitText($('modal'), /2 people will be onboarded/);
  expect(await textOf($('modal'))).toMatch(/Row 3, mobile:/);
  expect(world.slack.files.find((f) => f.name === 'cohort.csv')?.user).toBe(SANDBOX.admin);
  await page.click($('modal-submit'));
  await page.waitForSelector($('error-cohort_skip'));
  await page.click($('option-cohort_skip-skip'));
  await page.click($('modal-submit'));
  await page.waitForSelector($('modal'), { hidden: true });

  // The progress message becomes the summary; the results CSV is in its thread.
  await waitText($('timeline'), /Cohort finished: 2 invited, 1 skipped, 0 failed/, 15_000);
  await page.waitForSelector($('shared-file'));
  const name = await page.$eval($('shared-file'), (el) => el.getAttribute('data-name') ?? '');
  expect(name).toMatch(/\.csv$/);
  const href = await page.$eval($('shared-file'), (el) => el.getAttribute('href') ?? '');
  expect(href).not.toContain('files-pri');
  const results = await page.evaluate(
    async (url) => new TextDecoder().decode(await (await fetch(url)).arrayBuffer()),
    href,
  );
  expect(results).toContain('Hedy Lamarr,hedy@example.com,hedy.lamarr,pending');
  expect(results).toContain('Annie Easley,annie@example.com,annie.easley,pending');
  await expectNoSecretInThePage();
}, 25_000);
