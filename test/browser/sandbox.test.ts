import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, onTestFailed, test } from 'vitest';
import { startWebSandbox, type WebSandbox } from '../../src/sandbox/web/sandbox.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';

/**
 * The clickable sandbox, driven as a person would in a real browser (Debian's
 * Chromium, headless): /onboard, a field error, the DM result, Retry through
 * its confirm dialog, Extend, Revoke through its dialog, the digest, the
 * upstream panel. Every click goes to the real bot as a signed Slack request.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'sandbox.png');

let sandbox: WebSandbox;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser test needs it (apt-get install chromium, as .ci/run does, or set CHROMIUM_PATH).`,
    );
  }
  sandbox = await startWebSandbox({ port: 0, logLevel: 'error' });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // CI runs as root, where Chromium's own sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.setViewport({ width: 1440, height: 900 });
  await page.goto(sandbox.url);
  await page.waitForSelector('[data-testid=composer]');
  expect(problems).toEqual([]);
}, 30_000);

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
/** The newest message in the open conversation that has a button whose action id starts so. */
const button = (prefix: string) => `${$('timeline')} [data-testid^="button-${prefix}"]`;

test('a person onboards someone, fixes a field, retries, extends and revokes, all in the page', async () => {
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
  const state = await (await fetch(`${sandbox.url}api/state?as=${SANDBOX.admin}`)).text();
  const secrets = [
    SANDBOX.slackBotToken,
    SANDBOX.signingSecret,
    SANDBOX.opentactToken,
    SANDBOX.usermgmtToken,
    SANDBOX.slykApiKey,
    ...world.opentact.server.calls.map((c) => (c.body as { password?: string })?.password),
    ...world.slyk.invites().flatMap((i) => [i.code, i.url]),
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
  expect(secrets.length).toBeGreaterThan(6);
  expect(secrets.filter((s) => state.includes(s))).toEqual([]);
}, 45_000);
