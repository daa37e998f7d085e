import type { Bot } from '../../bot.ts';
import type { RecordedCall } from '../http.ts';
import { SANDBOX, SANDBOX_CREDENTIALS, type World } from '../world.ts';

/**
 * What the browser sees of the simulated Slack for one person: the
 * conversations (with that person's ephemerals), their open modal stack, their
 * App Home, what each upstream API received (secrets masked), and every
 * refusal Slack answered the bot. Built from the simulators' public state only.
 */

export const GENERAL_CHANNEL = 'C0GENERAL';
const HIDDEN = '••• hidden';
const MAX_UPSTREAM = 200;
const MAX_REFUSALS = 50;

export type WebMessage = {
  ts: string;
  /** Who wrote it: the bot's user id, a person's, or `USLACKBOT` for Slack's own notes. */
  user: string;
  text?: string | undefined;
  blocks?: unknown[] | undefined;
  ephemeral: boolean;
  edited: boolean;
  /** Set on a reply in a thread: the parent's ts. */
  threadTs?: string | undefined;
  /** Files the bot shared with the message; the page downloads them from /api/file. */
  files?: WebFile[] | undefined;
};

export type WebFile = { id: string; name: string; title: string; size: number };

export type Conversation = {
  id: string;
  name: string;
  kind: 'channel' | 'dm';
  /** False while the bot has not opened the DM yet (nothing can be typed there). */
  open: boolean;
  messages: WebMessage[];
};

export type Refusal = { at: number; where: string; error: string; detail: string[] };

/** Things the sandbox says itself (as Slack would: the command failed, the app did not answer). */
export type LocalNote = WebMessage & { channel: string; forUser: string };

export type Snapshot = {
  me: string;
  botUserId: string;
  users: { id: string; name: string; realName: string; role: string }[];
  conversations: Conversation[];
  modal: { id: string; hash: string; view: Record<string, unknown> }[];
  home: { id: string; hash: string; view: Record<string, unknown> } | null;
  upstream: {
    api: string;
    method: string;
    path: string;
    query: Record<string, string>;
    status: number;
    body: unknown;
    at: number;
  }[];
  refusals: Refusal[];
  switches: { latencyMs: number; smsFailArmed: boolean };
};

/** Values that open something: never shown, wherever they turn up. */
const SECRET_KEY =
  /pass|token|secret|key|auth|ha1|signature|credential|link|(?:^|[^a-z])(?:code|url)(?:[^a-z]|$)/i;

export function mask(value: unknown, secrets: string[], depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') {
    let out = value;
    for (const secret of secrets)
      if (secret && out.includes(secret)) out = out.split(secret).join(HIDDEN);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => mask(v, secrets, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) && item != null ? HIDDEN : mask(item, secrets, depth + 1);
    }
    return out;
  }
  return value;
}

/** The called path with secret path parameters (a Slyk invite code) masked, from the route pattern. */
export function maskPath(pattern: string, url: string): string {
  const names = pattern.split('/');
  const parts = url.split('/');
  if (names.length !== parts.length) return url;
  return parts
    .map((part, i) =>
      names[i]?.startsWith(':') && SECRET_KEY.test(names[i].slice(1)) ? HIDDEN : part,
    )
    .join('/');
}

function roleOf(
  user: { id: string; isOwner?: boolean; isAdmin?: boolean },
  admins: string[],
  requesters: string[],
) {
  if (admins.includes(user.id)) return 'onboarding admin';
  if (requesters.includes(user.id)) return 'requester — may ask, an admin approves';
  if (user.isOwner) return 'workspace owner';
  if (user.isAdmin) return 'workspace admin';
  return 'member';
}

export function buildSnapshot(
  world: World,
  bot: Bot,
  me: string,
  extra: { notes: LocalNote[]; refusals: Refusal[]; smsFailArmed: boolean; latencyMs: number },
): Snapshot {
  const slack = world.slack;
  // Besides anything under a secret-looking key: the credentials, and every invite code and link.
  const secrets = [
    ...world.slyk.invites().flatMap((i) => [i.url, i.code]),
    ...[...world.opentact.state.invites.values()].map((i) => i.token),
    ...SANDBOX_CREDENTIALS,
  ];
  const fileOf = (id: string): WebFile[] => {
    const f = slack.files.find((file) => file.id === id);
    return f ? [{ id: f.id, name: f.name, title: f.title ?? f.name, size: f.content.length }] : [];
  };
  const timeline = (channel: string): WebMessage[] => {
    const posted = slack.messagesIn(channel).map((m) => ({
      ts: m.ts,
      user: m.user,
      text: m.text,
      blocks: m.blocks,
      ephemeral: false,
      edited: Boolean(m.edited),
      ...(m.threadTs ? { threadTs: m.threadTs } : {}),
      ...(m.files?.length ? { files: m.files.flatMap(fileOf) } : {}),
    }));
    const ephemeral = slack.ephemerals
      .filter((e) => e.channel === channel && e.user === me)
      .map((e) => ({
        ts: e.ts,
        user: slack.botUserId,
        text: e.text,
        blocks: e.blocks,
        ephemeral: true,
        edited: false,
      }));
    const notes = extra.notes
      .filter((n) => n.channel === channel && n.forUser === me)
      .map(({ channel: _c, forUser: _f, ...n }) => n);
    return [...posted, ...ephemeral, ...notes].sort((a, b) => Number(a.ts) - Number(b.ts));
  };
  const dm = slack.dmWith(me);
  const digest = slack.channels.find((c) => c.id === SANDBOX.digestChannel);
  // Requests wait in APPROVAL_CHANNEL: its own timeline when it is not the digest's channel.
  const approvalId = bot.config.approvals.channel;
  const approval =
    approvalId && approvalId !== SANDBOX.digestChannel
      ? slack.channels.find((c) => c.id === approvalId)
      : undefined;
  const conversations: Conversation[] = [
    {
      id: GENERAL_CHANNEL,
      name: 'general',
      kind: 'channel',
      open: true,
      messages: timeline(GENERAL_CHANNEL),
    },
    {
      id: SANDBOX.digestChannel,
      name: digest?.name ?? 'telephony-onboarding',
      kind: 'channel',
      open: true,
      messages: timeline(SANDBOX.digestChannel),
    },
    ...(approval
      ? [
          {
            id: approval.id,
            name: approval.name,
            kind: 'channel' as const,
            open: true,
            messages: timeline(approval.id),
          },
        ]
      : []),
    {
      id: dm ?? '',
      name: 'onboarding-bot',
      kind: 'dm',
      open: Boolean(dm),
      messages: dm ? timeline(dm) : [],
    },
  ];

  // The person's open modal stack, bottom first (at most one stack is open at a time).
  const mine = slack.views.filter((v) => v.type === 'modal' && v.userId === me && !v.closed);
  const top = mine.at(-1);
  const modal = top
    ? slack.viewStack(top.id).flatMap((id) => {
        const view = slack.views.find((v) => v.id === id);
        return view && !view.closed ? [{ id: view.id, hash: view.hash, view: view.view }] : [];
      })
    : [];
  const home = slack.homeOf(me);

  const from = (api: string, calls: RecordedCall[]) =>
    calls.map((c) => ({
      api,
      method: c.method,
      path: maskPath(c.path, c.url),
      query: mask(c.query, secrets) as Record<string, string>,
      status: c.status,
      body: mask(c.body, secrets),
      at: c.at,
    }));
  const upstream = [
    ...from('Opentact', world.opentact.server.calls),
    ...from('UserMgmt', world.usermgmt.calls),
    ...from('Slyk', world.slyk.calls),
  ]
    .sort((a, b) => a.at - b.at)
    .slice(-MAX_UPSTREAM);

  const refusals: Refusal[] = [
    ...slack.calls
      .filter((c) => c.response.ok === false)
      .map((c) => {
        const meta = c.response.response_metadata as { messages?: string[] } | undefined;
        return {
          at: c.at,
          where: c.method,
          error: String(c.response.error),
          detail: meta?.messages ?? [],
        };
      }),
    ...slack.responses
      .filter((r) => r.error)
      .map((r) => ({ at: r.at, where: 'response_url', error: String(r.error), detail: [] })),
    ...extra.refusals,
  ]
    .sort((a, b) => a.at - b.at)
    .slice(-MAX_REFUSALS);

  const admins = bot.config.admins ?? [];
  const requesters = bot.config.approvals.requesters;
  return {
    me,
    botUserId: slack.botUserId,
    users: slack.users
      .filter((u) => !u.isBot)
      .map((u) => ({
        id: u.id,
        name: u.name,
        realName: u.realName ?? u.name,
        role: roleOf(u, admins, requesters),
      })),
    conversations,
    modal,
    home: home ? { id: home.id, hash: home.hash, view: home.view } : null,
    upstream,
    refusals: mask(refusals, secrets) as Refusal[],
    switches: { latencyMs: extra.latencyMs, smsFailArmed: extra.smsFailArmed },
  };
}
