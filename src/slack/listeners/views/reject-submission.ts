import type { OnboardingRecord } from '../../../onboarding/model.ts';
import type { SlackContext } from '../../context.ts';
import { REJECT_INPUT } from '../../ids.ts';
import { requestClosedText } from '../../views/approval.ts';
import { applyOutcome } from '../actions/report.ts';
import { checkDialog, type DialogArgs } from './dialog.ts';

/** The reject dialog's submission: the request is closed, its message updated, the requester told. */
export async function rejectSubmission(ctx: SlackContext, args: DialogArgs): Promise<void> {
  const { ack, body, view } = args;
  const client = ctx.slack;
  const userId = body.user.id;
  const metadata = await checkDialog(ctx, args);
  if (!metadata) return;
  const reason = view.state.values[REJECT_INPUT.reason]?.[`${REJECT_INPUT.reason}_input`]?.value;
  await ack();
  let rejected: OnboardingRecord | undefined;
  const remembered = ctx.dialogs.take(view.id);
  await applyOutcome(ctx, client, {
    userId,
    recordId: metadata.recordId,
    container: metadata.container,
    // The request's own message is redrawn whole below.
    ...(remembered.blocks?.some((b) => b.block_id?.startsWith('approval:')) ? {} : remembered),
    verb: 'rejected the onboarding request',
    run: async () => {
      rejected = await ctx.service.reject(metadata.recordId, userId, reason ?? undefined);
      return { record: rejected, summary: 'Rejected: nothing was created; the requester is told.' };
    },
  });
  if (!rejected) return;
  await ctx.notifier.updateApprovalMessage(rejected);
  await ctx.notifier.tellRequester(rejected, requestClosedText(rejected));
}
