import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { SlackContext } from '../context.ts';
import { refusalView } from '../views/lists.ts';

/**
 * The onboarding form's submission: admins onboard, requesters
 * (ONBOARDING_REQUESTERS) ask for an onboarding that an admin approves; anyone
 * else gets the refusal view and nothing happens.
 */
export function requireRequester(ctx: SlackContext): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as { user?: { id?: string } };
    if ((await ctx.authz.role(body.user?.id ?? '')) !== 'none') return args.next();
    const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
    await ack?.({ response_action: 'update', view: refusalView(ctx.authz.adminList) });
  };
}
