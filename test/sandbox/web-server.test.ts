import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxPort, startWebSandbox, type WebSandbox } from '../../src/sandbox/web/sandbox.ts';
import { mask, maskPath } from '../../src/sandbox/web/state.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';

/**
 * The browser sandbox's server without a browser: its JSON API (what the page
 * calls), the files it serves, and the masking of what upstream received.
 */

let sandbox: WebSandbox;
const url = (path: string) => new URL(path, sandbox.url).toString();
const post = async (path: string, body: unknown) => {
  const response = await fetch(url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
type WebFile = { id: string; name: string; title: string; size: number };
const state = async (as: string = SANDBOX.admin) =>
  (await (await fetch(url(`/api/state?as=${as}`))).json()) as {
    users: { id: string; role: string }[];
    modal: { id: string; view: { callback_id: string; blocks: unknown[] } }[];
    conversations: {
      id: string;
      name: string;
      messages: { text?: string; ephemeral: boolean; files?: WebFile[]; threadTs?: string }[];
    }[];
  };
/** Polls the state until `pick` finds something (the bot answers some clicks after the ack). */
async function until<T>(
  pick: (s: Awaited<ReturnType<typeof state>>) => T | undefined,
  as?: string,
) {
  const deadline = Date.now() + 8_000;
  while (Date.now() < deadline) {
    const found = pick(await state(as));
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the state never showed it');
}
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

beforeAll(async () => {
  sandbox = await startWebSandbox({ port: 0, logLevel: 'error' });
});
afterAll(() => sandbox.close());

describe('API', () => {
  it('refuses malformed requests with a message naming the field', async () => {
    expect(
      await post('/api/type', { as: 'grace', channel: 'C0GENERAL', text: '/onboard' }),
    ).toEqual({
      status: 400,
      body: { ok: false, message: 'as: must be a Slack user id (U…)' },
    });
    expect((await post('/api/type', '{not json')).body.message).toBe('body: not JSON');
    expect((await post('/api/switch', { name: 'latency', ms: -1 })).body.message).toMatch(/^ms: /);
    expect(
      (await post('/api/submit', { as: SANDBOX.admin, viewId: 'nope', values: {} })).status,
    ).toBe(400);
    expect((await fetch(url('/api/state?as=<script>'))).status).toBe(400);
  });

  it('a slash command opens the modal through the real bot; closing it closes it', async () => {
    expect(
      await post('/api/type', { as: SANDBOX.admin, channel: 'C0GENERAL', text: '/onboard' }),
    ).toEqual({ status: 200, body: { ok: true } });
    const [modal] = (await state()).modal;
    expect(modal?.view.callback_id).toBe('onboard_modal');
    expect(sandbox.session.world.slack.callsTo('views.open')).toHaveLength(1);
    // Only the person who ran the command sees their modal.
    expect((await state(SANDBOX.member)).modal).toEqual([]);
    await post('/api/close', { as: SANDBOX.admin, viewId: modal!.id, all: true });
    expect((await state()).modal).toEqual([]);
  });

  it('answers what Slack would for other commands and plain text', async () => {
    await post('/api/type', { as: SANDBOX.member, channel: 'C0GENERAL', text: '/weather' });
    await post('/api/type', { as: SANDBOX.member, channel: 'C0GENERAL', text: 'hello bot' });
    const general = (await state(SANDBOX.member)).conversations.find((c) => c.name === 'general')!;
    expect(general.messages.map((m) => m.text)).toEqual([
      '/weather is not a valid command. In Slack, this app only has /onboard.',
      'The bot only listens to its slash command here: try `/onboard help`.',
    ]);
    expect(general.messages.every((m) => m.ephemeral)).toBe(true);
    // Another person does not see them.
    const other = (await state()).conversations.find((c) => c.name === 'general')!;
    expect(other.messages.filter((m) => m.text?.includes('/weather'))).toEqual([]);
  });

  it('an unchanged state answers 304 to its ETag', async () => {
    const first = await fetch(url(`/api/state?as=${SANDBOX.owner}`));
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetch(url(`/api/state?as=${SANDBOX.owner}`), {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
  });
});

describe('requests and file uploads', () => {
  it('the requester is in the picker and the approval channel has its own timeline', async () => {
    const s = await state(SANDBOX.requester);
    expect(s.users.find((u) => u.id === SANDBOX.requester)?.role).toBe(
      'requester — may ask, an admin approves',
    );
    expect(s.conversations.map((c) => c.name)).toEqual([
      'general',
      'telephony-onboarding',
      'onboarding-requests',
      'onboarding-bot',
    ]);
    expect(s.conversations[2]!.id).toBe(SANDBOX.approvalChannel);
  });

  it('a file chosen in /onboard bulk goes into Slack on submit; the results file downloads', async () => {
    const { world } = sandbox.session;
    await post('/api/type', { as: SANDBOX.admin, channel: 'C0GENERAL', text: '/onboard bulk' });
    const upload = await until((s) => s.modal.find((m) => m.view.callback_id === 'cohort_upload'));
    const csv = 'first_name,last_name,email,mobile\nMary,Cohort,mary@example.com,+447700900777\n';
    const file = (name: string, content = csv) => ({
      as: SANDBOX.admin,
      viewId: upload.id,
      values: {},
      uploads: [
        {
          block_id: 'cohort_file',
          action_id: 'cohort_file_input',
          files: [{ name, content: base64(content) }],
        },
      ],
    });
    // What Slack's client refuses: a type the element does not take, two files where one fits,
    // an input the view does not have; nothing reaches Slack or the bot.
    expect((await post('/api/submit', file('people.xlsx'))).body).toEqual({
      ok: false,
      errors: { cohort_file: 'people.xlsx: this file type is not accepted here (csv, txt).' },
    });
    const two = file('a.csv');
    two.uploads[0]!.files.push({ name: 'b.csv', content: base64(csv) });
    expect((await post('/api/submit', two)).body.errors).toEqual({
      cohort_file: 'You can upload at most 1 file.',
    });
    const elsewhere = file('a.csv');
    elsewhere.uploads[0]!.block_id = 'cohort_text';
    expect((await post('/api/submit', elsewhere)).body.errors).toEqual({
      cohort_text: 'This view has no file input cohort_text/cohort_file_input.',
    });
    expect(
      (
        await post('/api/submit', {
          ...file('a.csv'),
          uploads: [{ ...file('a.csv').uploads[0], files: [{ name: 'a.csv', content: '%%%' }] }],
        })
      ).body.message,
    ).toMatch(/^uploads\.0\.files\.0\.content: /);
    expect(world.slack.files).toHaveLength(0);

    expect((await post('/api/submit', file('people.csv'))).body).toEqual({ ok: true });
    expect(world.slack.files.map((f) => [f.name, f.user, f.content.toString('utf8')])).toEqual([
      ['people.csv', SANDBOX.admin, csv],
    ]);
    const preview = await until((s) =>
      s.modal.find((m) => m.view.callback_id === 'cohort_confirm'),
    );
    expect(JSON.stringify(preview.view.blocks)).toContain('*1 person* will be onboarded');
    expect(
      (await post('/api/submit', { as: SANDBOX.admin, viewId: preview.id, values: {} })).body,
    ).toEqual({ ok: true });

    // The results CSV, in the summary's thread in the DM: listed with the message, downloadable.
    const shared = await until((s) =>
      s.conversations.find((c) => c.name === 'onboarding-bot')?.messages.find((m) => m.files),
    );
    expect(shared.threadTs).toMatch(/^\d+\.\d+$/);
    const [results] = shared.files!;
    expect(results!.name).toMatch(/\.csv$/);
    const download = await fetch(url(`/api/file?as=${SANDBOX.admin}&id=${results!.id}`));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain('attachment;');
    // Byte for byte what the bot uploaded (its BOM too: a spreadsheet opens it as UTF-8).
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.toString('utf8')).toContain('Mary Cohort,mary@example.com,mary.cohort,pending');
    expect(bytes.equals(world.slack.files.find((f) => f.id === results!.id)!.content)).toBe(true);
    // Only where the person can see it; the page's state never holds a file's URL or the token.
    expect((await fetch(url(`/api/file?as=${SANDBOX.member}&id=${results!.id}`))).status).toBe(404);
    expect((await fetch(url(`/api/file?as=${SANDBOX.admin}&id=nope`))).status).toBe(400);
    // /onboard export: its CSV, shared in the DM, downloads the same way.
    await post('/api/type', {
      as: SANDBOX.admin,
      channel: 'C0GENERAL',
      text: '/onboard export all',
    });
    const exported = await until((s) =>
      s.conversations
        .find((c) => c.name === 'onboarding-bot')
        ?.messages.flatMap((m) => m.files ?? [])
        .find((f) => f.id !== results!.id),
    );
    const sheet = await fetch(url(`/api/file?as=${SANDBOX.admin}&id=${exported.id}`));
    expect(await sheet.text()).toContain('mary@example.com');
    const raw = await (await fetch(url(`/api/state?as=${SANDBOX.admin}`))).text();
    expect(raw).not.toContain('files-pri');
    expect(raw).not.toContain(SANDBOX.slackBotToken);
  });
});

describe('files', () => {
  it('serves the page, its modules and preact/htm from node_modules, and nothing else', async () => {
    const page = await fetch(url('/'));
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('"preact": "/vendor/preact.mjs"');
    for (const path of ['/app.js', '/vendor/preact.mjs', '/vendor/hooks.mjs', '/vendor/htm.mjs']) {
      const response = await fetch(url(path));
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/javascript/);
    }
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/server.ts', '/state.ts'])
      expect((await fetch(url(path))).status, path).toBe(404);
  });
});

describe('masking', () => {
  it('hides values under secret keys and known secrets anywhere', () => {
    expect(
      mask(
        {
          login: 'ada.lovelace',
          password: 'p4ss',
          nested: [{ api_key: 'k' }, 'Bearer sandbox-opentact-jwt'],
          'filter[code]': 'in:ABC,DEF',
          url: 'https://slyk/i/ABC',
          expired_on: '2026-01-01',
        },
        [SANDBOX.opentactToken],
      ),
    ).toEqual({
      login: 'ada.lovelace',
      password: '••• hidden',
      nested: [{ api_key: '••• hidden' }, 'Bearer ••• hidden'],
      'filter[code]': '••• hidden',
      url: '••• hidden',
      expired_on: '2026-01-01',
    });
  });

  it('hides secret path parameters', () => {
    expect(maskPath('/invites/:code/cancel', '/invites/ABC123/cancel')).toBe(
      '/invites/••• hidden/cancel',
    );
    expect(maskPath('/sip/connection/:uuid/user', '/sip/connection/66eb/user')).toBe(
      '/sip/connection/66eb/user',
    );
  });

  it('SANDBOX_PORT: a port, with a clear message when not', () => {
    expect(sandboxPort(undefined)).toBe(3100);
    expect(sandboxPort('0')).toBe(0);
    expect(sandboxPort('4100')).toBe(4100);
    expect(() => sandboxPort('abc')).toThrow(
      'SANDBOX_PORT must be a port number from 0 to 65530 (the sandbox uses it and the next five), got "abc"',
    );
  });
});
