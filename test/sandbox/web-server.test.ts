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
const state = async (as: string = SANDBOX.admin) =>
  (await (await fetch(url(`/api/state?as=${as}`))).json()) as {
    modal: { id: string; view: { callback_id: string } }[];
    conversations: { name: string; messages: { text?: string; ephemeral: boolean }[] }[];
  };

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
