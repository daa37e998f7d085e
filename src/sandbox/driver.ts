import { createHmac } from 'node:crypto';
import type { SlackSimulator } from './slack/index.ts';

/**
 * Plays Slack's side of the HTTP interface: builds slash commands, view
 * submissions, button clicks and events the way Slack sends them, signs them
 * with the signing secret (v0 HMAC-SHA256 over `v0:<timestamp>:<body>`), posts
 * them to the bot's /slack/events, and applies the bot's answer to the
 * simulated Slack (a view_submission's response_action changes the modal).
 */

export type SignOptions = {
  /** Seconds to shift the timestamp by (negative: an old request). */
  skewSeconds?: number;
  /** Sign with another secret (a forged request). */
  secret?: string;
  /** Send no signature headers at all. */
  unsigned?: boolean;
  /** Slack's retry headers. */
  retryNum?: number;
  /** Submit with this private_metadata instead of the view's (a tampered dialog). */
  privateMetadata?: string;
};

/** Where a click happens: a message (`channel`, `ts`) or a modal. */
export type Where =
  | { channel: string; ts: string; ephemeral?: boolean; blocks?: unknown[] }
  | { viewId: string };

export type DriverResponse = { status: number; body: unknown; text: string; ms: number };

export class SlackDriver {
  readonly url: string;
  readonly secret: string;
  readonly slack: SlackSimulator;
  readonly teamId: string;

  /** `http`: signed POSTs to the bot's /slack/events; `socket`: envelopes over Socket Mode. */
  readonly transport: 'http' | 'socket';

  constructor(options: {
    url: string;
    signingSecret: string;
    slack: SlackSimulator;
    teamId: string;
    transport?: 'http' | 'socket';
  }) {
    this.url = options.url;
    this.secret = options.signingSecret;
    this.slack = options.slack;
    this.teamId = options.teamId;
    this.transport = options.transport ?? 'http';
  }

  /** Socket Mode: Slack sends the same payloads as envelopes; the ack carries the answer. */
  private async viaSocket(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: unknown,
  ): Promise<DriverResponse> {
    const started = performance.now();
    const ack = await this.slack.socketDeliver(type, payload);
    const text = ack === undefined ? '' : JSON.stringify(ack);
    return { status: 200, body: ack, text, ms: performance.now() - started };
  }

  async send(
    body: string,
    contentType: string,
    options: SignOptions = {},
  ): Promise<DriverResponse> {
    const timestamp = Math.floor(Date.now() / 1000) + (options.skewSeconds ?? 0);
    const signature = `v0=${createHmac('sha256', options.secret ?? this.secret)
      .update(`v0:${timestamp}:${body}`)
      .digest('hex')}`;
    const headers: Record<string, string> = { 'content-type': contentType };
    if (!options.unsigned) {
      headers['x-slack-request-timestamp'] = String(timestamp);
      headers['x-slack-signature'] = signature;
    }
    if (options.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(options.retryNum);
      headers['x-slack-retry-reason'] = 'http_timeout';
    }
    const started = performance.now();
    const response = await fetch(this.url, { method: 'POST', headers, body });
    const text = await response.text();
    const ms = performance.now() - started;
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // plain text answer
    }
    return { status: response.status, body: parsed, text, ms };
  }

  /** A slash command, as Slack posts it (form-encoded). */
  command(userId: string, text = '', options: SignOptions & { channelId?: string } = {}) {
    const channelId = options.channelId ?? 'C0GENERAL';
    const form = new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: this.teamId,
      team_domain: 'sandbox',
      channel_id: channelId,
      channel_name: 'general',
      user_id: userId,
      user_name: userId.toLowerCase(),
      command: '/onboard',
      text,
      api_app_id: 'A0SANDBOX',
      is_enterprise_install: 'false',
      response_url: this.slack.responseUrl({ channel: channelId, userId }),
      trigger_id: this.slack.mintTriggerId({ userId }),
    });
    if (this.transport === 'socket')
      return this.viaSocket('slash_commands', Object.fromEntries(form));
    return this.send(form.toString(), 'application/x-www-form-urlencoded', options);
  }

  /** What every interaction payload carries: its type, the team, the user, the app. */
  private envelope(type: string, userId: string) {
    return {
      type,
      team: { id: this.teamId, domain: 'sandbox' },
      user: { id: userId, team_id: this.teamId, name: userId.toLowerCase() },
      api_app_id: 'A0SANDBOX',
      token: 'deprecated-verification-token',
    };
  }

  /** The user closed a modal with `notify_on_close` (`cleared`: the whole stack). */
  viewClosed(userId: string, view: unknown, cleared: boolean, options: SignOptions = {}) {
    return this.interaction(
      {
        ...this.envelope('view_closed', userId),
        view,
        is_cleared: cleared,
        is_enterprise_install: false,
      },
      options,
    );
  }

  private interaction(payload: Record<string, unknown>, options: SignOptions = {}) {
    if (this.transport === 'socket') return this.viaSocket('interactive', payload);
    const form = new URLSearchParams({ payload: JSON.stringify(payload) });
    return this.send(form.toString(), 'application/x-www-form-urlencoded', options);
  }

  /**
   * Submits the modal `viewId` with `values` (block_id → action_id → element
   * state), then applies the bot's answer to the simulated view.
   */
  async submitView(
    viewId: string,
    userId: string,
    values: Record<string, Record<string, unknown>>,
    options: SignOptions = {},
  ): Promise<DriverResponse & { viewErrors: string[] }> {
    const view = this.slack.viewPayload(viewId);
    if (!view) throw new Error(`no view ${viewId} in the simulator`);
    const response = await this.interaction(
      {
        ...this.envelope('view_submission', userId),
        trigger_id: this.slack.mintTriggerId({ userId, viewId }),
        view: {
          ...view,
          state: { values },
          ...(options.privateMetadata !== undefined
            ? { private_metadata: options.privateMetadata }
            : {}),
        },
        response_urls: [],
        is_enterprise_install: false,
      },
      options,
    );
    const ack =
      response.body && typeof response.body === 'object'
        ? (response.body as Record<string, unknown>)
        : undefined;
    const viewErrors = response.status === 200 ? this.slack.applyViewAck(viewId, ack) : [];
    return { ...response, viewErrors };
  }

  /** Clicks a button in a message posted in `channel` (ts) or in a view. */
  click(
    userId: string,
    button: { action_id: string; value?: string; block_id?: string },
    where: Where,
    options: SignOptions & { actionTs?: string } = {},
  ) {
    const action = {
      type: 'button',
      action_id: button.action_id,
      block_id: button.block_id ?? 'b',
      value: button.value,
      text: { type: 'plain_text', text: 'button' },
      // The same action_ts twice is what a double click or Slack's retry looks like.
      action_ts: options.actionTs ?? String(Date.now() / 1000),
    };
    return this.act(userId, action, where, options);
  }

  /**
   * A block_actions payload for any element (`action` as Slack puts it in
   * `actions`: a button, a select, a date picker…), in a message or a view.
   * `values` is the view's state; `message` replaces the clicked message as
   * found in the simulator (an ephemeral carries only what was shown).
   */
  act(
    userId: string,
    action: Record<string, unknown>,
    where: Where,
    options: SignOptions & {
      values?: Record<string, Record<string, unknown>>;
      message?: Record<string, unknown>;
    } = {},
  ) {
    const base = {
      ...this.envelope('block_actions', userId),
      // A click inside a modal carries a trigger issued from it (views.push needs that).
      trigger_id: this.slack.mintTriggerId(
        'viewId' in where ? { userId, viewId: where.viewId } : { userId },
      ),
      actions: [action],
      is_enterprise_install: false,
    };
    if ('viewId' in where) {
      const view = this.slack.viewPayload(where.viewId);
      const state = options.values ? { state: { values: options.values } } : {};
      return this.interaction(
        {
          ...base,
          container: { type: 'view', view_id: where.viewId },
          view: { ...view, ...state },
        },
        options,
      );
    }
    const found = this.slack.messages.find((m) => m.channel === where.channel && m.ts === where.ts);
    return this.interaction(
      {
        ...base,
        container: {
          type: 'message',
          message_ts: where.ts,
          channel_id: where.channel,
          is_ephemeral: Boolean(where.ephemeral),
        },
        channel: { id: where.channel, name: 'channel' },
        message: options.message ?? {
          type: 'message',
          ts: where.ts,
          text: found?.text ?? '',
          blocks: where.blocks ?? found?.blocks ?? [],
        },
        response_url: this.slack.responseUrl({
          channel: where.channel,
          userId,
          messageTs: where.ts,
        }),
      },
      options,
    );
  }

  /**
   * Types into an input with `dispatch_action` inside the modal `viewId`: Slack
   * sends a block_actions payload carrying the view with its current state.
   */
  typeInto(
    userId: string,
    viewId: string,
    input: { block_id: string; action_id: string; value: string },
    values: Record<string, Record<string, unknown>>,
    options: SignOptions = {},
  ) {
    const view = this.slack.viewPayload(viewId);
    if (!view) throw new Error(`no view ${viewId} in the simulator`);
    return this.interaction(
      {
        ...this.envelope('block_actions', userId),
        trigger_id: this.slack.mintTriggerId({ userId, viewId }),
        container: { type: 'view', view_id: viewId },
        view: {
          ...view,
          state: { values },
          ...(options.privateMetadata !== undefined
            ? { private_metadata: options.privateMetadata }
            : {}),
        },
        actions: [{ type: 'plain_text_input', ...input, action_ts: String(Date.now() / 1000) }],
        is_enterprise_install: false,
      },
      options,
    );
  }

  /** An Events API callback. */
  event(event: Record<string, unknown>, options: SignOptions = {}) {
    const callback = {
      token: 'deprecated-verification-token',
      team_id: this.teamId,
      api_app_id: 'A0SANDBOX',
      event: { event_ts: String(Date.now() / 1000), ...event },
      type: 'event_callback',
      event_id: `Ev${Date.now()}`,
      event_time: Math.floor(Date.now() / 1000),
    };
    if (this.transport === 'socket') return this.viaSocket('events_api', callback);
    return this.send(JSON.stringify(callback), 'application/json', options);
  }
}

/** Finds a button by action_id prefix in a list of blocks. */
export function findButton(blocks: unknown[] | undefined, prefix: string) {
  for (const block of (blocks ?? []) as {
    type: string;
    block_id?: string;
    elements?: { type: string; action_id: string; value?: string }[];
  }[]) {
    if (block.type !== 'actions') continue;
    const button = block.elements?.find(
      (e) => e.type === 'button' && e.action_id.startsWith(prefix),
    );
    if (button) return { ...button, block_id: block.block_id };
  }
  return undefined;
}

/** Waits until `check` returns a truthy value (the bot works on after its ack). */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
  everyMs = 5,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The onboarding modal's state values as Slack sends them in a view_submission. */
export function modalValues(input: {
  first?: string;
  last?: string;
  email?: string;
  phone?: string;
  login?: string;
  lifetime?: string;
  /** 'both' | 'sms' | 'email' | 'none' (nothing selected). */
  channels?: string;
  note?: string;
  /** YYYY-MM-DD, as the date picker reports it; absent: none picked. */
  startDate?: string;
}) {
  const text = (value: string | undefined, type = 'plain_text_input') => ({
    type,
    value: value ?? null,
  });
  return {
    first_name: { first_name_input: text(input.first ?? 'Ada') },
    last_name: { last_name_input: text(input.last ?? 'Lovelace') },
    email: { email_input: text(input.email ?? 'ada@example.com', 'email_text_input') },
    phone: { phone_input: text(input.phone ?? '+4915112345678') },
    login: { login_input: text(input.login) },
    lifetime: { lifetime_input: text(input.lifetime ?? '7', 'number_input') },
    start_date: {
      start_date_input: { type: 'datepicker', selected_date: input.startDate ?? null },
    },
    channels: {
      channels_input: {
        type: 'radio_buttons',
        selected_option:
          input.channels === 'none'
            ? null
            : { value: input.channels ?? 'both', text: { type: 'plain_text', text: 'x' } },
      },
    },
    note: { note_input: text(input.note) },
  };
}
