import { errorFields } from '../../../log.ts';
import type { OnboardingRecord } from '../../../onboarding/model.ts';
import type { ButtonListener } from './index.ts';
import { applyOutcome } from './report.ts';

/**
 * Approve (admins only, never the requester's own request): the onboarding
 * runs as if an admin had submitted it — through admission and the pipeline;
 * the request's message says who approved and when, the requester gets the
 * result by DM.
 */
export const approve: ButtonListener = async (ctx, c) => {
  let approved: OnboardingRecord | undefined;
  const onApprovalMessage = c.container.kind === 'message' && !c.container.ephemeral;
  await applyOutcome(ctx, c.client, {
    ...c,
    // The request's own message is redrawn whole below; a digest or Home item is replaced in place.
    blocks: onApprovalMessage && isApprovalMessage(c.blocks) ? undefined : c.blocks,
    verb: 'approved the onboarding request',
    run: async () => {
      approved = await ctx.service.approve(c.recordId, c.userId);
      return { record: approved, summary: 'Approved: the onboarding is running now.' };
    },
  });
  if (!approved) return;
  await ctx.notifier.updateApprovalMessage(approved);
  try {
    const final = await ctx.service.run(approved.id);
    await ctx.notifier.reportOnboarding(final);
    await ctx.notifier.updateApprovalMessage(final);
  } catch (error) {
    // Recorded as provisioning: it resumes from where it stopped at the next start.
    ctx.logger.error('an approved onboarding could not run', errorFields(error));
  }
};

const isApprovalMessage = (blocks: { block_id?: string }[] | undefined) =>
  blocks?.some((b) => b.block_id?.startsWith('approval:')) ?? false;
