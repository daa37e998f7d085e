import type { KnownBlock } from '@slack/types';
import { selectDigest } from '../onboarding/digest.ts';
import type { SlackContext } from './context.ts';
import { homeBlocks } from './views/lists.ts';

/** The Home tab's blocks: state at a glance for admins, what the bot does for everyone else. */
export async function homeFor(ctx: SlackContext, isAdmin: boolean): Promise<KnownBlock[]> {
  const seal = ctx.binder.seal.bind(ctx.binder);
  if (!isAdmin) return homeBlocks(false, [], undefined, ctx.authz.adminList, seal);
  const { service } = ctx;
  const digest = selectDigest(await service.listOpen(), ctx.clock(), {
    warningDays: ctx.config.expiryWarningDays,
    upstreamDrift: await service.drift(),
    counts: await service.counts(),
  });
  return homeBlocks(true, await service.recent(10), digest, ctx.authz.adminList, seal);
}
