import type { App } from '@slack/bolt';
import type { SlackContext } from '../context.ts';
import { homeFor } from './actions.ts';

/** The Home tab: state at a glance for admins, what the bot does for everyone else. */
export function registerEvents(app: App, ctx: SlackContext): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const isAdmin = await ctx.authz.isAllowed(event.user);
    await client.views.publish({
      user_id: event.user,
      view: { type: 'home', blocks: await homeFor(ctx, isAdmin) },
    });
  });
}
