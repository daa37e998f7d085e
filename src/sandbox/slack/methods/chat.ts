import {
  type Args,
  arg,
  checkContent,
  fail,
  type Method,
  missing,
  ok,
  type Reply,
  type Result,
} from '../reply.ts';
import type { SimChannel, SimMessage, SlackSimulatorOptions } from '../types.ts';
import type { Workspace } from '../workspace.ts';

/**
 * chat.postMessage, chat.postEphemeral, chat.update, chat.delete
 * (https://docs.slack.dev/reference/methods), with the opt-in per-channel post rate.
 */
export function chatMethods(ws: Workspace, options: SlackSimulatorOptions): Record<string, Method> {
  const { messages, ephemerals, posts, botUserId, botId, scopes } = ws;
  const updates = new Map<string, number[]>();

  /** Logs an accepted call per channel; with `limit`, answers 429 instead when it is spent. */
  const rateLimited = (
    log: Map<string, number[]>,
    channel: string,
    limit: { max: number; windowMs: number } | undefined,
  ): Reply | undefined => {
    const times = log.get(channel) ?? [];
    if (limit) {
      const recent = times.filter((t) => ws.now() - t < limit.windowMs);
      if (recent.length >= limit.max) {
        const wait = limit.windowMs - (ws.now() - recent[recent.length - limit.max]!);
        return {
          status: 429,
          headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) },
          body: { ok: false, error: 'ratelimited' },
        };
      }
    }
    times.push(ws.now());
    log.set(channel, times);
    return undefined;
  };

  /** Resolves `channel` for posting; `U…` ids post into the bot's DM with that user. */
  const postTarget = (ref: string | undefined): Result<SimChannel> => {
    if (!ref) return { reply: fail('channel_not_found') };
    const user = ref.startsWith('U') || ref.startsWith('W') ? ws.findUser(ref) : undefined;
    if (user) {
      if (user.isBot) return { reply: fail('cannot_dm_bot') };
      if (user.deleted) return { reply: fail('user_disabled') };
      return { value: ws.openDm(user.id).channel };
    }
    const ch = ws.findChannel(ref);
    if (!ch || !ws.visible(ch)) return { reply: fail('channel_not_found') };
    if (ch.isArchived) return { reply: fail('is_archived') };
    // Without chat:write.public the bot must be a member (chat.postMessage docs).
    if (!ch.isIm && !ch.isMember && !(scopes.has('chat:write.public') && !ch.isPrivate)) {
      return { reply: fail('not_in_channel') };
    }
    return { value: ch };
  };

  /** chat.update / chat.delete: the message named by `channel` + `ts`, which the bot must have written. */
  const ownMessage = (
    args: Args,
    notOwn: string,
  ): { reply: Reply } | { ch: SimChannel; ts: string; message: SimMessage } => {
    const ch = ws.findChannel(arg(args, 'channel'));
    if (!ch || !ws.visible(ch)) return { reply: fail('channel_not_found') };
    const ts = arg(args, 'ts');
    if (!ts) return { reply: missing('ts') };
    const message = ws.findMessage(ch.id, ts);
    if (!message) return { reply: fail('message_not_found') };
    if (message.user !== botUserId) return { reply: fail(notOwn) };
    return { ch, ts, message };
  };

  return {
    'chat.postMessage': {
      scopes: ['chat:write'],
      handler: (args) => {
        const resolved = postTarget(arg(args, 'channel'));
        if (resolved.reply) return resolved.reply;
        const target = resolved.value;
        const bad = checkContent(args, true);
        if (bad) return bad;
        const threadTs = arg(args, 'thread_ts');
        if (threadTs && !ws.findMessage(target.id, threadTs)) return fail('thread_not_found');
        const limited = rateLimited(posts, target.id, options.channelRateLimit);
        if (limited) return limited;
        const message: SimMessage = {
          channel: target.id,
          ts: ws.nextTs(),
          text: typeof args.text === 'string' ? args.text : undefined,
          blocks: Array.isArray(args.blocks) ? args.blocks : undefined,
          user: botUserId,
          botId,
          threadTs,
          via: 'chat.postMessage',
        };
        messages.push(message);
        return ok({ channel: target.id, ts: message.ts, message: ws.messageJson(message) });
      },
    },

    'chat.postEphemeral': {
      scopes: ['chat:write'],
      handler: (args) => {
        const ref = arg(args, 'channel');
        const userId = arg(args, 'user');
        if (!userId) return missing('user');
        const user = ws.findUser(userId);
        if (!user) return fail('user_not_found');
        const ch = ws.findChannel(ref);
        if (!ch || !ws.visible(ch)) return fail('channel_not_found');
        if (ch.isArchived) return fail('is_archived');
        if (!ch.isIm && !ch.isMember) return fail('not_in_channel');
        const inChannel = ch.isIm ? ch.user === userId : !ch.members || ch.members.includes(userId);
        if (!inChannel) return fail('user_not_in_channel');
        const bad = checkContent(args, true);
        if (bad) return bad;
        const ts = ws.nextTs();
        ephemerals.push({
          channel: ch.id,
          user: userId,
          ts,
          text: typeof args.text === 'string' ? args.text : undefined,
          blocks: Array.isArray(args.blocks) ? args.blocks : undefined,
          via: 'chat.postEphemeral',
        });
        return ok({ message_ts: ts });
      },
    },

    'chat.update': {
      scopes: ['chat:write'],
      handler: (args) => {
        const own = ownMessage(args, 'cant_update_message');
        if ('reply' in own) return own.reply;
        const { ch, ts, message } = own;
        if (ch.isArchived) return fail('is_archived');
        const limited = rateLimited(updates, ch.id, options.updateRateLimit);
        if (limited) return limited;
        const bad = checkContent(args, true);
        if (bad) return bad;
        // Fields left out keep their previous value (chat.update docs).
        if (typeof args.text === 'string') message.text = args.text;
        if (Array.isArray(args.blocks)) message.blocks = args.blocks;
        message.edited = { user: botUserId, ts: ws.nextTs() };
        return ok({
          channel: ch.id,
          ts,
          text: message.text ?? '',
          message: ws.messageJson(message),
        });
      },
    },

    'chat.delete': {
      scopes: ['chat:write'],
      handler: (args) => {
        const own = ownMessage(args, 'cant_delete_message');
        if ('reply' in own) return own.reply;
        const { ch, ts, message } = own;
        message.deleted = true;
        return ok({ channel: ch.id, ts });
      },
    },
  };
}
