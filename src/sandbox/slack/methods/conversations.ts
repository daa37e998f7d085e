import { arg, fail, flag, type Method, missing, ok } from '../reply.ts';
import type { Workspace } from '../workspace.ts';

/** conversations.open, conversations.info, conversations.join (https://docs.slack.dev/reference/methods). */
export function conversationsMethods(ws: Workspace): Record<string, Method> {
  const { channels } = ws;
  return {
    'conversations.open': {
      scopes: ['im:write'],
      handler: (args) => {
        const channelRef = arg(args, 'channel');
        if (channelRef) {
          const ch = ws.findChannel(channelRef);
          if (!ch?.isIm) return fail('channel_not_found');
          return ok({ no_op: true, already_open: true, channel: { id: ch.id } });
        }
        const list = (arg(args, 'users') ?? '')
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean);
        if (list.length === 0) return fail('users_list_not_supplied');
        if (list.length > 8) return fail('too_many_users');
        for (const userId of list) {
          const user = ws.findUser(userId);
          if (!user) return fail('user_not_found');
          if (user.isBot && list.length === 1) return fail('cannot_dm_bot');
          if (user.deleted) return fail('user_disabled');
        }
        if (list.length > 1) {
          const members = [...list].sort();
          let mpim = channels.find(
            (ch) => ch.isMpim && ch.members?.slice().sort().join(',') === members.join(','),
          );
          const existed = !!mpim;
          if (!mpim) {
            mpim = {
              id: ws.id('G'),
              name: `mpdm-${members.join('--')}-1`,
              isMpim: true,
              isMember: true,
              members,
            };
            channels.push(mpim);
          }
          return ok({
            ...(existed ? { no_op: true, already_open: true } : {}),
            channel: { id: mpim.id },
          });
        }
        const { channel, existed } = ws.openDm(list[0]!);
        const body = flag(args, 'return_im') ? ws.channelJson(channel) : { id: channel.id };
        return ok({ ...(existed ? { no_op: true, already_open: true } : {}), channel: body });
      },
    },

    'conversations.info': {
      scopes: ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
      handler: (args) => {
        const ref = arg(args, 'channel');
        if (!ref) return missing('channel');
        const ch = channels.find((c) => c.id === ref);
        if (!ch || !ws.visible(ch)) return fail('channel_not_found');
        return ok({ channel: ws.channelJson(ch) });
      },
    },

    'conversations.join': {
      scopes: ['channels:join'],
      handler: (args) => {
        const ref = arg(args, 'channel');
        if (!ref) return missing('channel');
        const ch = channels.find((c) => c.id === ref);
        if (!ch || !ws.visible(ch)) return fail('channel_not_found');
        if (ch.isIm || ch.isMpim || ch.isPrivate)
          return fail('method_not_supported_for_channel_type');
        if (ch.isArchived) return fail('is_archived');
        const already = !!ch.isMember;
        ch.isMember = true;
        return ok({
          channel: ws.channelJson(ch),
          ...(already
            ? {
                warning: 'already_in_channel',
                response_metadata: { warnings: ['already_in_channel'] },
              }
            : {}),
        });
      },
    },
  };
}
