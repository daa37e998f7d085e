import { arg, fail, type Method, missing, ok } from '../reply.ts';
import type { Workspace } from '../workspace.ts';

/**
 * users.info, users.lookupByEmail, usergroups.users.list
 * (https://docs.slack.dev/reference/methods).
 */
export function usersMethods(
  ws: Workspace,
  userGroups: Map<string, string[]>,
): Record<string, Method> {
  return {
    // usergroups.users.list: `usergroup` required; unknown id → no_such_subteam; answers { users }.
    'usergroups.users.list': {
      scopes: ['usergroups:read'],
      handler: (args) => {
        const group = arg(args, 'usergroup');
        if (!group) return missing('usergroup');
        const members = userGroups.get(group);
        return members ? ok({ users: [...members] }) : fail('no_such_subteam');
      },
    },

    'users.info': {
      scopes: ['users:read'],
      handler: (args) => {
        const userId = arg(args, 'user');
        if (!userId) return missing('user');
        const user = ws.findUser(userId);
        return user ? ok({ user: ws.userJson(user) }) : fail('user_not_found');
      },
    },

    'users.lookupByEmail': {
      scopes: ['users:read.email'],
      handler: (args) => {
        const email = arg(args, 'email');
        if (!email) return missing('email');
        const user = ws.users.find((u) => u.email?.toLowerCase() === email.toLowerCase());
        return user ? ok({ user: ws.userJson(user) }) : fail('users_not_found');
      },
    },
  };
}
