import { arg, fail, type Method, missing, ok } from '../reply.ts';
import type { Workspace } from '../workspace.ts';

/** users.info, users.lookupByEmail (https://docs.slack.dev/reference/methods). */
export function usersMethods(ws: Workspace): Record<string, Method> {
  return {
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
