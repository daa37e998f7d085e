import { randomBytes } from 'node:crypto';
import type { Json } from './blockkit-fields.ts';
import {
  DEFAULT_SCOPES,
  type SimChannel,
  type SimEphemeral,
  type SimMessage,
  type SimUser,
  type SimView,
  type SlackSimulatorOptions,
} from './types.ts';

/**
 * The simulated workspace's state: who the team and the bot are, the users,
 * channels, messages and views, the clock, and the ids and JSON shapes Slack
 * gives them. The method families read and change it; nothing here answers HTTP.
 */

export type Workspace = ReturnType<typeof createWorkspace>;

export function createWorkspace(options: SlackSimulatorOptions) {
  const now = options.now ?? Date.now;
  const teamId = options.teamId ?? 'T0SIM0001';
  const botUserId = options.botUserId ?? 'U0SIMBOT1';
  const botId = options.botId ?? 'B0SIMBOT1';
  const botName = options.botName ?? 'onboarding-bot';
  const appId = options.appId ?? 'A0SIMAPP1';
  const scopes = new Set(options.scopes ?? DEFAULT_SCOPES);

  const users: SimUser[] = [...(options.users ?? [])];
  if (!users.some((u) => u.id === botUserId)) {
    users.push({ id: botUserId, name: botName, realName: botName, isBot: true });
  }
  const channels: SimChannel[] = [...(options.channels ?? [])];
  const messages: SimMessage[] = [];
  const ephemerals: SimEphemeral[] = [];
  const views: SimView[] = [];
  /** Times (simulator clock) of accepted chat.postMessage calls per channel. */
  const posts = new Map<string, number[]>();
  let seq = 0;
  let lastTsMicros = 0;

  /** One counter for ids and trigger ids, so a run's ids are reproducible. */
  const nextSeq = () => ++seq;
  const id = (prefix: string) =>
    `${prefix}0SIM${nextSeq().toString(36).toUpperCase().padStart(5, '0')}`;
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  const newHash = () => `${Math.floor(now() / 1000)}.${hex(4)}`;
  const nextTs = () => {
    lastTsMicros = Math.max(Math.floor(now() * 1000), lastTsMicros + 1);
    return `${Math.floor(lastTsMicros / 1e6)}.${String(lastTsMicros % 1e6).padStart(6, '0')}`;
  };

  const findUser = (userId: string | undefined) => users.find((u) => u.id === userId);
  const findChannel = (ref: string | undefined) => {
    if (!ref) return undefined;
    const name = ref.startsWith('#') ? ref.slice(1) : ref;
    return channels.find((ch) => ch.id === ref || (!ch.isIm && ch.name === name));
  };
  const findMessage = (channel: string, ts: string) =>
    messages.find((m) => m.channel === channel && m.ts === ts && !m.deleted);

  const tzOffset = (tz: string) => {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
      .formatToParts(now())
      .find((x) => x.type === 'timeZoneName')?.value;
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? '');
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
  };

  const userJson = (u: SimUser) => {
    const realName = u.realName ?? u.name;
    const tz = u.tz ?? 'Europe/London';
    const profile: Json = { real_name: realName, display_name: u.displayName ?? '' };
    // Emails are only visible with users:read.email (users.info docs).
    if (u.email && scopes.has('users:read.email')) profile.email = u.email;
    if (u.isBot) profile.bot_id = u.id === botUserId ? botId : undefined;
    return {
      id: u.id,
      team_id: teamId,
      name: u.name,
      deleted: u.deleted ?? false,
      real_name: realName,
      tz,
      tz_offset: tzOffset(tz),
      is_admin: u.isAdmin ?? false,
      is_owner: u.isOwner ?? false,
      is_primary_owner: u.isPrimaryOwner ?? false,
      is_restricted: u.isRestricted ?? false,
      is_ultra_restricted: false,
      is_bot: u.isBot ?? false,
      is_app_user: false,
      updated: Math.floor(now() / 1000),
      profile,
    };
  };

  const channelJson = (ch: SimChannel) => ({
    id: ch.id,
    name: ch.isIm ? undefined : ch.name,
    is_channel: !ch.isIm && !ch.isMpim && !ch.isPrivate,
    is_group: !!ch.isPrivate && !ch.isMpim,
    is_im: !!ch.isIm,
    is_mpim: !!ch.isMpim,
    is_private: !!ch.isPrivate || !!ch.isIm || !!ch.isMpim,
    is_archived: !!ch.isArchived,
    is_member: ch.isIm ? undefined : !!ch.isMember,
    user: ch.isIm ? ch.user : undefined,
    created: 1_700_000_000,
  });

  /** The DM between the bot and `userId`, opened when needed. */
  const openDm = (userId: string): { channel: SimChannel; existed: boolean } => {
    const existing = channels.find((ch) => ch.isIm && ch.user === userId);
    if (existing) return { channel: existing, existed: true };
    const channel: SimChannel = {
      id: id('D'),
      name: userId,
      isIm: true,
      user: userId,
      isMember: true,
    };
    channels.push(channel);
    return { channel, existed: false };
  };

  /** Whether the bot can see `ch` at all (private channels it is not in are invisible). */
  const visible = (ch: SimChannel) => ch.isIm || !ch.isPrivate || ch.isMember;

  const messageJson = (m: SimMessage) => ({
    type: 'message',
    user: m.user,
    bot_id: m.botId,
    app_id: m.botId ? appId : undefined,
    text: m.text ?? '',
    blocks: m.blocks,
    ts: m.ts,
    thread_ts: m.threadTs,
    team: teamId,
    edited: m.edited,
  });

  return {
    now,
    teamId,
    teamName: options.teamName ?? 'Simulated Workspace',
    teamDomain: options.teamDomain ?? 'sim-workspace',
    botUserId,
    botId,
    botName,
    appId,
    scopes,
    users,
    channels,
    messages,
    ephemerals,
    views,
    posts,
    nextSeq,
    id,
    hex,
    newHash,
    nextTs,
    findUser,
    findChannel,
    findMessage,
    userJson,
    channelJson,
    openDm,
    visible,
    messageJson,
  };
}
