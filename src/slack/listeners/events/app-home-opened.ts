import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../../context.ts';
import { homeFor } from '../../home.ts';

type Args = AllMiddlewareArgs & SlackEventMiddlewareArgs<'app_home_opened'>;

/** The Home tab: state at a glance for admins, what the bot does for everyone else. */
export async function appHomeOpened(ctx: SlackContext, { event }: Args): Promise<void> {
  const client = ctx.slack;
  if (event.tab !== 'home') return;
  const role = await ctx.authz.role(event.user);
  await client.views.publish({
    user_id: event.user,
    view: { type: 'home', blocks: await homeFor(ctx, role === 'admin', role === 'requester') },
  });
}
