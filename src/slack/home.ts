import type { KnownBlock } from '@slack/types';
import { selectDigest } from '../onboarding/digest.ts';
import type { SlackContext } from './context.ts';
import { COMMAND } from './ids.ts';
import { section } from './views/blocks.ts';
import { homeBlocks } from './views/lists.ts';

/** The Home tab's blocks: state at a glance for admins, what the bot does for everyone else. */
export async function homeFor(
  ctx: SlackContext,
  isAdmin: boolean,
  /** May request onboardings (ONBOARDING_REQUESTERS): told how, instead of the refusal. */
  isRequester = false,
): Promise<KnownBlock[]> {
  const seal = ctx.binder.seal.bind(ctx.binder);
  if (!isAdmin) {
    const blocks = homeBlocks(false, [], undefined, ctx.authz.adminList, seal);
    if (!isRequester) return blocks;
    return [
      ...blocks.slice(0, -1),
      section(
        `You can ask for an onboarding with \`${COMMAND}\`: an admin approves it before anything is created, and you get the result by direct message.`,
      ),
    ];
  }
  const { service } = ctx;
  const digest = selectDigest(await service.listOpen(), ctx.clock(), {
    warningDays: ctx.config.expiryWarningDays,
    upstreamDrift: await service.drift(),
    counts: await service.counts(),
  });
  return homeBlocks(true, await service.recent(10), digest, ctx.authz.adminList, seal);
}
