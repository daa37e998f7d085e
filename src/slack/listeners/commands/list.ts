import { listBlocks } from '../../views/lists.ts';
import type { Subcommand } from './index.ts';

/** `/onboard list`: the open onboardings, soonest expiry first. */
export const list: Subcommand = async (ctx, { respond }) => {
  const blocks = listBlocks(await ctx.service.listOpen(), ctx.clock());
  await respond({ response_type: 'ephemeral', text: 'Pending invitations', blocks });
};
