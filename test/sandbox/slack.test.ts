import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderBlocks, renderMessage, renderView } from '../../src/sandbox/render.ts';
import {
  createSlackSimulator,
  type SlackSimulator,
  validateMessageBlocks,
  validateView,
} from '../../src/sandbox/slack/index.ts';

const TOKEN = 'xoxb-test-0000-simulated-bot-token';

let clock = 1_750_000_000_000;
let sim: SlackSimulator;
let slack: webApi.WebClient;

/** WebClient logs Slack's `response_metadata.messages`; the tests assert on them instead. */
const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => webApi.LogLevel.ERROR,
  setName() {},
};

const client = (token?: string) =>
  new webApi.WebClient(token, {
    slackApiUrl: sim.url,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: silent,
  });

/** The Slack error code of a rejected WebClient call. */
async function slackError(
  call: Promise<unknown>,
): Promise<{ error: string; data: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: Record<string, unknown> }).data ?? {};
    return { error: String(data.error), data };
  }
  throw new Error('expected the call to fail');
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (text: string, action_id: string) => ({
  type: 'button',
  text: { type: 'plain_text', text },
  action_id,
});
const modal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal' as const,
  title: { type: 'plain_text' as const, text: 'Invite' },
  blocks: [section('Hello')],
  ...extra,
});

beforeEach(async () => {
  clock = 1_750_000_000_000;
  sim = createSlackSimulator({
    botToken: TOKEN,
    now: () => clock,
    users: [
      {
        id: 'U0ADMIN01',
        name: 'alice',
        realName: 'Alice Admin',
        email: 'alice@example.com',
        isAdmin: true,
        tz: 'Europe/Berlin',
      },
      { id: 'U0MEMBER1', name: 'bob', realName: 'Bob Member', email: 'bob@example.com' },
      { id: 'U0OTHERBT', name: 'otherbot', isBot: true },
    ],
    channels: [
      { id: 'C0GENERAL', name: 'general', isMember: true, members: ['U0ADMIN01'] },
      { id: 'C0OUTSIDE', name: 'random', isMember: false },
      { id: 'C0SECRET1', name: 'secret', isPrivate: true, isMember: false },
      { id: 'C0ARCHIVE', name: 'old', isMember: true, isArchived: true },
    ],
  });
  await sim.start();
  slack = client(TOKEN);
});

afterEach(async () => {
  await sim.close();
});

describe('transport and auth', () => {
  it('serves /api/ and answers auth.test like Slack', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const res = await slack.auth.test();
    expect(res).toMatchObject({
      ok: true,
      url: 'https://sim-workspace.slack.com/',
      team: 'Simulated Workspace',
      user: 'onboarding-bot',
      team_id: 'T0SIM0001',
      user_id: 'U0SIMBOT1',
      bot_id: 'B0SIMBOT1',
    });
    const [call] = sim.callsTo('auth.test');
    expect(call).toMatchObject({ method: 'auth.test', token: '[redacted]', status: 200 });
  });

  it('answers not_authed without a token and invalid_auth with a wrong one', async () => {
    expect((await slackError(client().auth.test())).error).toBe('not_authed');
    expect((await slackError(client('xoxb-wrong').auth.test())).error).toBe('invalid_auth');
    expect(sim.calls.map((c) => c.token)).toEqual([undefined, '[redacted]']);
  });

  it('accepts the token as a form field and masks it in the call log', async () => {
    const res = await fetch(`${sim.url}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, user_id: 'U0SIMBOT1' });
    expect(sim.calls[0]!.args).toEqual({ token: '[redacted]' });
    expect(sim.allCallText()).not.toContain(TOKEN);
  });

  it('refuses a token in a JSON body (Slack only reads the header then)', async () => {
    const res = await fetch(`${sim.url}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(await res.json()).toEqual({ ok: false, error: 'not_authed' });
  });

  it('accepts JSON bodies with a bearer token', async () => {
    const res = await fetch(`${sim.url}chat.postMessage`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        authorization: `Bearer ${TOKEN}`,
      },
      body: JSON.stringify({ channel: 'C0GENERAL', text: 'json', blocks: [section('json')] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0GENERAL' });
    expect(sim.calls[0]!.args).toEqual({
      channel: 'C0GENERAL',
      text: 'json',
      blocks: [section('json')],
    });
  });

  it('answers unknown_method for methods it does not know', async () => {
    const { error, data } = await slackError(slack.apiCall('chat.frobnicate', {}));
    expect(error).toBe('unknown_method');
    expect(data.req_method).toBe('chat.frobnicate');
  });

  it('answers token_revoked after revokeToken()', async () => {
    sim.revokeToken();
    expect((await slackError(slack.auth.test())).error).toBe('token_revoked');
  });

  it('checks scopes', async () => {
    await sim.close();
    sim = createSlackSimulator({
      botToken: TOKEN,
      scopes: ['chat:write', 'users:read'],
      users: [{ id: 'U0MEMBER1', name: 'bob', email: 'bob@example.com' }],
    });
    await sim.start();
    slack = client(TOKEN);
    const { error, data } = await slackError(
      slack.users.lookupByEmail({ email: 'bob@example.com' }),
    );
    expect(error).toBe('missing_scope');
    expect(data.needed).toBe('users:read.email');
    const info = await slack.users.info({ user: 'U0MEMBER1' });
    expect(info.user?.profile?.email).toBeUndefined();
  });
});

describe('users and conversations', () => {
  it('usergroups.users.list answers the members, no_such_subteam, and needs usergroups:read', async () => {
    await sim.close();
    sim = createSlackSimulator({
      botToken: TOKEN,
      scopes: ['usergroups:read'],
      userGroups: { S0TEAM001: ['U0ADMIN01', 'U0MEMBER1'] },
    });
    await sim.start();
    slack = client(TOKEN);
    expect((await slack.usergroups.users.list({ usergroup: 'S0TEAM001' })).users).toEqual([
      'U0ADMIN01',
      'U0MEMBER1',
    ]);
    expect((await slackError(slack.usergroups.users.list({ usergroup: 'S0NOPE001' }))).error).toBe(
      'no_such_subteam',
    );
    expect((await slackError(slack.apiCall('usergroups.users.list', {}))).error).toBe(
      'invalid_arguments',
    );
    await sim.close();
    sim = createSlackSimulator({ botToken: TOKEN, scopes: ['chat:write'] });
    await sim.start();
    slack = client(TOKEN);
    const { error, data } = await slackError(
      slack.usergroups.users.list({ usergroup: 'S0TEAM001' }),
    );
    expect(error).toBe('missing_scope');
    expect(data.needed).toBe('usergroups:read');
  });

  it('users.info returns the Slack user shape', async () => {
    const res = await slack.users.info({ user: 'U0ADMIN01' });
    expect(res.user).toMatchObject({
      id: 'U0ADMIN01',
      name: 'alice',
      real_name: 'Alice Admin',
      is_admin: true,
      is_owner: false,
      is_bot: false,
      deleted: false,
      tz: 'Europe/Berlin',
      profile: { email: 'alice@example.com', real_name: 'Alice Admin' },
    });
    expect(typeof res.user?.tz_offset).toBe('number');
    expect((await slackError(slack.users.info({ user: 'U0NOBODY1' }))).error).toBe(
      'user_not_found',
    );
    const missing = await slackError(slack.apiCall('users.info', {}));
    expect(missing.error).toBe('invalid_arguments');
  });

  it('users.lookupByEmail finds by email, case-insensitively', async () => {
    const res = await slack.users.lookupByEmail({ email: 'BOB@example.com' });
    expect(res.user?.id).toBe('U0MEMBER1');
    const { error } = await slackError(slack.users.lookupByEmail({ email: 'nobody@example.com' }));
    expect(error).toBe('users_not_found');
  });

  it('conversations.open opens one DM per user', async () => {
    const first = await slack.conversations.open({ users: 'U0MEMBER1' });
    expect(first.channel?.id).toMatch(/^D/);
    const again = await slack.conversations.open({ users: 'U0MEMBER1', return_im: true });
    expect(again).toMatchObject({
      already_open: true,
      channel: { id: first.channel?.id, is_im: true },
    });
    expect(sim.dmWith('U0MEMBER1')).toBe(first.channel?.id);
    expect((await slackError(slack.conversations.open({ users: 'U0NOBODY1' }))).error).toBe(
      'user_not_found',
    );
    expect((await slackError(slack.conversations.open({ users: 'U0OTHERBT' }))).error).toBe(
      'cannot_dm_bot',
    );
  });

  it('conversations.info and conversations.join', async () => {
    const info = await slack.conversations.info({ channel: 'C0GENERAL' });
    expect(info.channel).toMatchObject({ id: 'C0GENERAL', name: 'general', is_member: true });
    const hidden = await slackError(slack.conversations.info({ channel: 'C0SECRET1' }));
    expect(hidden.error).toBe('channel_not_found');
    await slack.conversations.join({ channel: 'C0OUTSIDE' });
    expect(sim.channels.find((c) => c.id === 'C0OUTSIDE')?.isMember).toBe(true);
  });
});

describe('chat', () => {
  it('chat.postMessage stores the message and answers channel, ts and message', async () => {
    const res = await slack.chat.postMessage({
      channel: 'C0GENERAL',
      text: 'Welcome',
      blocks: [section('*Welcome*')],
    });
    expect(res).toMatchObject({ ok: true, channel: 'C0GENERAL', message: { text: 'Welcome' } });
    expect(res.ts).toMatch(/^\d+\.\d{6}$/);
    expect(sim.messagesIn('C0GENERAL')).toHaveLength(1);
    // blocks arrive form-encoded as JSON and are recorded parsed
    expect(sim.callsTo('chat.postMessage')[0]!.args.blocks).toEqual([section('*Welcome*')]);
  });

  it('posting to a user id lands in the DM', async () => {
    const res = await slack.chat.postMessage({ channel: 'U0MEMBER1', text: 'hi' });
    expect(res.channel).toMatch(/^D/);
    expect(sim.dmWith('U0MEMBER1')).toBe(res.channel);
  });

  it('chat.postMessage errors like Slack', async () => {
    const post = (args: Record<string, unknown>) =>
      slackError(slack.apiCall('chat.postMessage', args));
    expect((await post({ text: 'x' })).error).toBe('channel_not_found');
    expect((await post({ channel: 'C0NOWHERE', text: 'x' })).error).toBe('channel_not_found');
    expect((await post({ channel: 'C0OUTSIDE', text: 'x' })).error).toBe('not_in_channel');
    expect((await post({ channel: 'C0SECRET1', text: 'x' })).error).toBe('channel_not_found');
    expect((await post({ channel: 'C0ARCHIVE', text: 'x' })).error).toBe('is_archived');
    expect((await post({ channel: 'C0GENERAL' })).error).toBe('no_text');
    expect((await post({ channel: 'C0GENERAL', text: 'x'.repeat(40_001) })).error).toBe(
      'msg_too_long',
    );
    expect((await post({ channel: 'C0GENERAL', text: 'x', thread_ts: '1.000001' })).error).toBe(
      'thread_not_found',
    );
    expect(sim.messages).toHaveLength(0);
  });

  it('rejects 51 blocks in a message', async () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`line ${i}`));
    const { error, data } = await slackError(
      slack.chat.postMessage({ channel: 'C0GENERAL', text: 'x', blocks }),
    );
    expect(error).toBe('invalid_blocks');
    expect(data.errors).toEqual(['no more than 50 items allowed [json-pointer:/blocks]']);
    expect((data.response_metadata as { messages: string[] }).messages[0]).toMatch(/^\[ERROR\] /);
    await slack.chat.postMessage({ channel: 'C0GENERAL', text: 'x', blocks: blocks.slice(0, 50) });
  });

  it('rejects a header over 150 characters and mrkdwn in a header', async () => {
    const header = (text: string, type = 'plain_text') => ({
      type: 'header',
      text: { type, text },
    });
    const long = await slackError(
      slack.chat.postMessage({
        channel: 'C0GENERAL',
        text: 'x',
        blocks: [header('h'.repeat(151))],
      }),
    );
    expect(long.data.errors).toEqual([
      'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    ]);
    const md = await slackError(
      slack.chat.postMessage({ channel: 'C0GENERAL', text: 'x', blocks: [header('h', 'mrkdwn')] }),
    );
    expect(md.data.errors).toEqual(['must be plain_text [json-pointer:/blocks/0/text/type]']);
    await slack.chat.postMessage({
      channel: 'C0GENERAL',
      text: 'x',
      blocks: [header('h'.repeat(150))],
    });
  });

  it('rejects duplicate action_ids and block_ids', async () => {
    const blocks = [
      { type: 'actions', block_id: 'a', elements: [button('One', 'go'), button('Two', 'go')] },
      { type: 'divider', block_id: 'a' },
    ];
    const { error, data } = await slackError(
      slack.chat.postMessage({ channel: 'C0GENERAL', text: 'x', blocks }),
    );
    expect(error).toBe('invalid_blocks');
    expect(data.errors).toEqual([
      'duplicate action_id: go [json-pointer:/blocks/0/elements/1/action_id]',
      'duplicate block_id: a [json-pointer:/blocks/1/block_id]',
    ]);
  });

  it('rejects unknown blocks and over-long element fields', async () => {
    const blocks = [
      { type: 'video' },
      {
        type: 'actions',
        elements: [button('b'.repeat(76), 'x'), { ...button('ok', 'y'), value: 'v'.repeat(2001) }],
      },
      { type: 'section', text: { type: 'mrkdwn', text: 'ok', emoji: true } },
      {
        type: 'section',
        fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })),
      },
      { type: 'context', elements: [] },
      { type: 'section', text: { type: 'plain_text', text: '' } },
    ];
    expect(validateMessageBlocks(blocks)).toEqual([
      'unsupported block type: video [json-pointer:/blocks/0/type]',
      'must be less than 76 characters [json-pointer:/blocks/1/elements/0/text/text]',
      'must be less than 2001 characters [json-pointer:/blocks/1/elements/1/value]',
      'emoji is not allowed in mrkdwn [json-pointer:/blocks/2/text/emoji]',
      'no more than 10 items allowed [json-pointer:/blocks/3/fields]',
      'must provide at least 1 items [json-pointer:/blocks/4/elements]',
      'must be more than 0 characters [json-pointer:/blocks/5/text/text]',
    ]);
  });

  it('chat.postEphemeral', async () => {
    const res = await slack.chat.postEphemeral({
      channel: 'C0GENERAL',
      user: 'U0ADMIN01',
      text: 'psst',
    });
    expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(sim.ephemerals).toMatchObject([
      { channel: 'C0GENERAL', user: 'U0ADMIN01', text: 'psst' },
    ]);
    const outsider = await slackError(
      slack.chat.postEphemeral({ channel: 'C0GENERAL', user: 'U0MEMBER1', text: 'psst' }),
    );
    expect(outsider.error).toBe('user_not_in_channel');
  });

  it('chat.update and chat.delete', async () => {
    const posted = await slack.chat.postMessage({ channel: 'C0GENERAL', text: 'v1' });
    const updated = await slack.chat.update({
      channel: 'C0GENERAL',
      ts: posted.ts!,
      text: 'v2',
      blocks: [section('v2')],
    });
    expect(updated).toMatchObject({ ok: true, channel: 'C0GENERAL', ts: posted.ts, text: 'v2' });
    expect(sim.messagesIn('C0GENERAL')[0]).toMatchObject({ text: 'v2', blocks: [section('v2')] });
    const gone = await slackError(
      slack.chat.update({ channel: 'C0GENERAL', ts: '1.000000', text: 'x' }),
    );
    expect(gone.error).toBe('message_not_found');
    const theirs = sim.seedMessage({ channel: 'C0GENERAL', user: 'U0ADMIN01', text: 'mine' });
    const foreign = await slackError(
      slack.chat.update({ channel: 'C0GENERAL', ts: theirs.ts, text: 'x' }),
    );
    expect(foreign.error).toBe('cant_update_message');
    await slack.chat.delete({ channel: 'C0GENERAL', ts: posted.ts! });
    expect(sim.messagesIn('C0GENERAL').map((m) => m.ts)).toEqual([theirs.ts]);
  });
});

describe('views', () => {
  it('views.open with a fresh trigger answers the view with id and hash', async () => {
    const trigger = sim.mintTriggerId({ userId: 'U0ADMIN01' });
    const res = await slack.views.open({
      trigger_id: trigger,
      view: modal({ callback_id: 'invite' }),
    });
    expect(res.view).toMatchObject({
      type: 'modal',
      callback_id: 'invite',
      title: { type: 'plain_text', text: 'Invite' },
      root_view_id: res.view?.id,
    });
    expect(res.view?.id).toMatch(/^V/);
    expect(res.view?.hash).toMatch(/^\d+\.[0-9a-f]{8}$/);
    expect(sim.views[0]).toMatchObject({ userId: 'U0ADMIN01', closed: false });
  });

  it('trigger ids expire after 3 s, are single-use, and must be known', async () => {
    const used = sim.mintTriggerId();
    await slack.views.open({ trigger_id: used, view: modal() });
    expect((await slackError(slack.views.open({ trigger_id: used, view: modal() }))).error).toBe(
      'exchanged_trigger_id',
    );
    const late = sim.mintTriggerId();
    clock += 3_001;
    expect((await slackError(slack.views.open({ trigger_id: late, view: modal() }))).error).toBe(
      'expired_trigger_id',
    );
    const justInTime = sim.mintTriggerId();
    clock += 3_000;
    await slack.views.open({ trigger_id: justInTime, view: modal() });
    expect(
      (await slackError(slack.views.open({ trigger_id: '1.2.bogus', view: modal() }))).error,
    ).toBe('invalid_trigger_id');
  });

  it('validates modals with invalid_arguments and explanations', async () => {
    const trigger = sim.mintTriggerId();
    const bad = {
      type: 'modal',
      title: { type: 'plain_text', text: 'A title that is far too long' },
      private_metadata: 'm'.repeat(3001),
      blocks: [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Email' },
          element: { type: 'email_text_input', action_id: 'email' },
        },
      ],
    };
    const { error, data } = await slackError(
      slack.apiCall('views.open', { trigger_id: trigger, view: bad }),
    );
    expect(error).toBe('invalid_arguments');
    expect((data.response_metadata as { messages: string[] }).messages).toEqual([
      '[ERROR] must be less than 25 characters [json-pointer:/view/title/text]',
      '[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]',
      '[ERROR] submit is required when an input block is present [json-pointer:/view]',
    ]);
    // the rejected call did not spend the trigger
    expect(sim.views).toHaveLength(0);
    await slack.views.open({ trigger_id: trigger, view: modal() });
  });

  it('checks input blocks and their elements', () => {
    const view = modal({
      submit: { type: 'plain_text', text: 'Send' },
      blocks: [
        { type: 'input', element: { type: 'plain_text_input', action_id: 'a' } },
        { type: 'input', label: { type: 'plain_text', text: 'L' }, element: { type: 'button' } },
        {
          type: 'input',
          label: { type: 'plain_text', text: 'N' },
          element: { type: 'number_input' },
        },
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Pick' },
          element: {
            type: 'static_select',
            options: Array.from({ length: 101 }, (_, i) => ({
              text: { type: 'plain_text', text: `o${i}` },
              value: `v${i}`,
            })),
          },
        },
      ],
    });
    expect(validateView(view, 'modal')).toEqual([
      'missing required field: label [json-pointer:/view/blocks/0]',
      'button is not a valid element in an input block [json-pointer:/view/blocks/1/element/type]',
      'missing required field: is_decimal_allowed [json-pointer:/view/blocks/2/element]',
      'no more than 100 items allowed [json-pointer:/view/blocks/3/element/options]',
    ]);
    expect(
      validateView({ ...modal(), blocks: Array.from({ length: 101 }, () => section('x')) }),
    ).toEqual(['no more than 100 items allowed [json-pointer:/view/blocks]']);
  });

  it('views.update changes the hash every time and rejects a stale hash', async () => {
    const opened = await slack.views.open({ trigger_id: sim.mintTriggerId(), view: modal() });
    const id = opened.view!.id!;
    const first = await slack.views.update({
      view_id: id,
      hash: opened.view!.hash!,
      view: modal(),
    });
    expect(first.view?.hash).not.toBe(opened.view?.hash);
    const stale = await slackError(
      slack.views.update({ view_id: id, hash: opened.view!.hash!, view: modal() }),
    );
    expect(stale.error).toBe('hash_conflict');
    const second = await slack.views.update({ view_id: id, view: modal() });
    expect(second.view?.hash).not.toBe(first.view?.hash);
    expect(sim.views[0]!.history).toHaveLength(3);
    expect((await slackError(slack.views.update({ view_id: 'V0NOPE', view: modal() }))).error).toBe(
      'not_found',
    );
    sim.closeView(id);
    expect((await slackError(slack.views.update({ view_id: id, view: modal() }))).error).toBe(
      'not_found',
    );
  });

  it('views.update by external_id', async () => {
    await slack.views.open({
      trigger_id: sim.mintTriggerId(),
      view: modal({ external_id: 'inv-1' }),
    });
    const res = await slack.views.update({
      external_id: 'inv-1',
      view: modal({ external_id: 'inv-1' }),
    });
    expect(res.view?.external_id).toBe('inv-1');
    const dup = await slackError(
      slack.views.open({ trigger_id: sim.mintTriggerId(), view: modal({ external_id: 'inv-1' }) }),
    );
    expect(dup.error).toBe('duplicate_external_id');
  });

  it('views.push stacks at most 3 views', async () => {
    const root = await slack.views.open({ trigger_id: sim.mintTriggerId(), view: modal() });
    const rootId = root.view!.id!;
    const second = await slack.views.push({
      trigger_id: sim.mintTriggerId({ viewId: rootId }),
      view: modal(),
    });
    expect(second.view?.previous_view_id).toBe(rootId);
    expect(second.view?.root_view_id).toBe(rootId);
    await slack.views.push({
      trigger_id: sim.mintTriggerId({ viewId: second.view!.id! }),
      view: modal(),
    });
    expect(sim.viewStack(rootId)).toHaveLength(3);
    const full = await slackError(
      slack.views.push({ trigger_id: sim.mintTriggerId({ viewId: rootId }), view: modal() }),
    );
    expect(full.error).toBe('push_limit_reached');
    const noModal = await slackError(
      slack.views.push({ trigger_id: sim.mintTriggerId(), view: modal() }),
    );
    expect(noModal.error).toBe('invalid_trigger_id');
  });

  it('views.publish publishes home tabs with the same hash rules', async () => {
    const home = { type: 'home' as const, blocks: [section('Home')] };
    const first = await slack.views.publish({ user_id: 'U0ADMIN01', view: home });
    expect(first.view).toMatchObject({ type: 'home', blocks: [section('Home')] });
    const second = await slack.views.publish({
      user_id: 'U0ADMIN01',
      view: home,
      hash: first.view!.hash!,
    });
    expect(second.view?.id).toBe(first.view?.id);
    const stale = await slackError(
      slack.views.publish({ user_id: 'U0ADMIN01', view: home, hash: first.view!.hash! }),
    );
    expect(stale.error).toBe('hash_conflict');
    const notHome = await slackError(slack.views.publish({ user_id: 'U0ADMIN01', view: modal() }));
    expect(notHome.error).toBe('invalid_arguments');
    expect(sim.homeOf('U0ADMIN01')?.history).toHaveLength(2);
  });
});

describe('faults and rate limits', () => {
  it('answers 429 with Retry-After and ratelimited', async () => {
    sim.addFault({ method: 'chat.postMessage', status: 429, retryAfter: 7 });
    const raw = await fetch(`${sim.url}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'channel=C0GENERAL&text=hi',
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('7');
    expect(await raw.json()).toEqual({ ok: false, error: 'ratelimited' });

    sim.addFault({ method: 'chat.postMessage', status: 429, retryAfter: 1 });
    await expect(
      slack.chat.postMessage({ channel: 'C0GENERAL', text: 'hi' }),
    ).rejects.toMatchObject({
      code: webApi.ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    // the fault was used up: the next call goes through
    await slack.chat.postMessage({ channel: 'C0GENERAL', text: 'hi' });
    expect(sim.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 429, 200]);
  });

  it('injects error answers', async () => {
    sim.addFault({ method: 'users.info', error: 'fatal_error', times: 2 });
    expect((await slackError(slack.users.info({ user: 'U0ADMIN01' }))).error).toBe('fatal_error');
    expect((await slackError(slack.users.info({ user: 'U0ADMIN01' }))).error).toBe('fatal_error');
    await slack.users.info({ user: 'U0ADMIN01' });
  });

  it('records per-channel post times and can enforce a channel rate', async () => {
    await sim.close();
    sim = createSlackSimulator({
      botToken: TOKEN,
      now: () => clock,
      channels: [{ id: 'C0GENERAL', name: 'general', isMember: true }],
      channelRateLimit: { max: 1, windowMs: 1_000 },
    });
    await sim.start();
    slack = client(TOKEN);
    await slack.chat.postMessage({ channel: 'C0GENERAL', text: '1' });
    await expect(slack.chat.postMessage({ channel: 'C0GENERAL', text: '2' })).rejects.toMatchObject(
      {
        code: webApi.ErrorCode.RateLimitedError,
      },
    );
    clock += 1_000;
    await slack.chat.postMessage({ channel: 'C0GENERAL', text: '3' });
    expect(sim.postsPerChannel()).toEqual({ C0GENERAL: [1_750_000_000_000, 1_750_000_001_000] });
    expect(sim.maxPostsInWindow(1_000)).toBe(1);
  });
});

describe('response_url', () => {
  const post = (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('records posts, replaces the original, and answers { ok: true }', async () => {
    const posted = await slack.chat.postMessage({ channel: 'C0GENERAL', text: 'Pending' });
    const url = sim.responseUrl({
      channel: 'C0GENERAL',
      userId: 'U0ADMIN01',
      messageTs: posted.ts!,
    });
    expect(url.startsWith(`${sim.baseUrl}/response/`)).toBe(true);
    const res = await post(url, {
      replace_original: true,
      text: 'Done',
      blocks: [section('Done')],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(sim.responses[0]).toMatchObject({
      status: 200,
      body: { replace_original: true, text: 'Done' },
    });
    expect(sim.messagesIn('C0GENERAL')[0]).toMatchObject({ ts: posted.ts, text: 'Done' });
    await post(url, { response_type: 'ephemeral', text: 'Only you' });
    expect(sim.ephemerals.at(-1)).toMatchObject({
      user: 'U0ADMIN01',
      text: 'Only you',
      via: 'response_url',
    });
    await post(url, { delete_original: true });
    expect(sim.messagesIn('C0GENERAL')).toHaveLength(0);
    expect(sim.allCallText()).toContain('Only you');
  });

  it('validates blocks, 404s unknown ids, and allows 5 uses within 30 minutes', async () => {
    const url = sim.responseUrl({ channel: 'C0GENERAL', userId: 'U0ADMIN01' });
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    const bad = await post(url, { text: 'x', blocks: tooMany });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect((await post(`${sim.baseUrl}/response/deadbeef`, { text: 'x' })).status).toBe(404);
    for (let i = 0; i < 5; i++) expect((await post(url, { text: `use ${i}` })).status).toBe(200);
    const sixth = await post(url, { text: 'one more' });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toEqual({ ok: false, error: 'used_url' });

    const old = sim.responseUrl();
    clock += 30 * 60_000 + 1;
    expect(await (await post(old, { text: 'late' })).json()).toEqual({
      ok: false,
      error: 'expired_url',
    });
  });
});

describe('renderBlocks', () => {
  it('renders Block Kit as readable text', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'New teammate' } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*Bob* joins on Monday' },
        accessory: button('Details', 'details'),
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Number*\n+1 555 0100' },
          { type: 'plain_text', text: 'Status: invited' },
        ],
      },
      { type: 'divider' },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: 'Invited by Alice' },
          { type: 'plain_text', text: 'today' },
        ],
      },
      {
        type: 'actions',
        elements: [
          button('Resend', 'resend'),
          button('Cancel', 'cancel'),
          { type: 'static_select', placeholder: { type: 'plain_text', text: 'Role' }, options: [] },
        ],
      },
      {
        type: 'input',
        label: { type: 'plain_text', text: 'Email' },
        element: { type: 'email_text_input', action_id: 'email' },
      },
      {
        type: 'input',
        optional: true,
        label: { type: 'plain_text', text: 'Note' },
        element: { type: 'plain_text_input', action_id: 'note' },
      },
      { type: 'image', image_url: 'https://example.com/x.png', alt_text: 'diagram' },
    ];
    expect(renderBlocks(blocks)).toBe(
      [
        '== New teammate ==',
        '*Bob* joins on Monday  [Details]',
        '*Number*',
        '+1 555 0100',
        'Status: invited',
        '----',
        'Invited by Alice · today',
        '[Resend] [Cancel] [Role ▾]',
        'Email: <email_text_input>',
        'Note (optional): <plain_text_input>',
        '[image: diagram]',
      ].join('\n'),
    );
  });

  it('renders messages and views', () => {
    expect(renderMessage({ text: 'plain' })).toBe('plain');
    expect(renderMessage({ text: 'fallback', blocks: [section('rich')] })).toBe('rich');
    expect(
      renderView(
        modal({
          submit: { type: 'plain_text', text: 'Send' },
          close: { type: 'plain_text', text: 'Cancel' },
        }),
      ),
    ).toBe('[[ Invite ]]\nHello\n[Cancel] [Send]');
  });
});

describe('files', () => {
  it('a file put into a file_input is read with files.info and downloaded with the bot token only', async () => {
    const state = sim.uploadUserFile('U0ADMIN01', 'cohort.csv', 'first_name\nAda\n');
    expect(state.type).toBe('file_input');
    const id = state.files[0]!.id;
    const info = await slack.files.info({ file: id });
    expect(info.file).toMatchObject({ name: 'cohort.csv', filetype: 'csv', size: 15 });
    const url = info.file!.url_private_download!;
    const withToken = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await withToken.text()).toBe('first_name\nAda\n');
    // Without the token Slack sends its sign-in page, not the file.
    const anonymous = await fetch(url, { redirect: 'manual' });
    expect(anonymous.status).toBe(302);
    const wrong = await fetch(url, { redirect: 'manual', headers: { authorization: 'Bearer x' } });
    expect(wrong.status).toBe(302);
    await expect(slack.files.info({ file: 'F0NOPE' })).rejects.toThrow(/file_not_found/);
  });

  it('filesUploadV2: the two-step upload shares the file in a channel thread', async () => {
    const posted = await slack.chat.postMessage({ channel: 'C0GENERAL', text: 'summary' });
    await slack.filesUploadV2({
      channel_id: 'C0GENERAL',
      thread_ts: posted.ts!,
      filename: 'results.csv',
      content: 'row,state\n2,pending\n',
    });
    const [file] = sim.filesIn('C0GENERAL');
    expect(file?.content.toString()).toBe('row,state\n2,pending\n');
    const share = sim.messages.find((m) => m.files?.includes(file!.id));
    expect(share).toMatchObject({ channel: 'C0GENERAL', threadTs: posted.ts });
    await expect(
      slack.files.completeUploadExternal({ files: [{ id: file!.id }], channel_id: 'C0GENERAL' }),
    ).rejects.toThrow(/file_already_completed/);
    await expect(
      slack.filesUploadV2({ channel_id: 'C0OUTSIDE', filename: 'x.csv', content: 'x' }),
    ).rejects.toThrow(/not_in_channel/);
  });
});
