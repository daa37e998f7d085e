import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { SlackContext } from '../context.ts';
import { containerOf } from '../listeners/actions/container.ts';
import { tellPrivately } from '../listeners/actions/report.ts';
import { refusalText, refusalView } from '../views/lists.ts';

/**
 * Who may act, checked once for every button and every dialog or form
 * submission: anyone else is refused privately — a click acked and answered
 * with a private line, a submission answered with the refusal view — and
 * nothing happens. (The bare `/onboard` checks for itself: it must open the
 * modal within the trigger's 3 s, before a users.info answer may arrive.)
 */
export function requireAdmin(ctx: SlackContext): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as { type?: string; user?: { id?: string } };
    const userId = body.user?.id ?? '';
    if (await ctx.authz.isAllowed(userId)) return args.next();
    const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
    if (body.type === 'view_submission') {
      await ack?.({ response_action: 'update', view: refusalView(ctx.authz.adminList) });
      return;
    }
    await ack?.();
    if (body.type === 'block_actions') {
      const respond = (args as { respond?: Parameters<typeof tellPrivately>[5] }).respond;
      const container = containerOf(args.body as never);
      await tellPrivately(
        ctx,
        args.client,
        container,
        userId,
        refusalText(ctx.authz.adminList),
        respond,
      );
    }
  };
}
