import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { errorFields } from '../../../log.ts';
import { addDays } from '../../../onboarding/clock.ts';
import type { OnboardingRecord } from '../../../onboarding/model.ts';
import { ActionRefused } from '../../../onboarding/service.ts';
import type { SlackContext } from '../../context.ts';
import { INPUT } from '../../ids.ts';
import type { ModalInput } from '../../validation.ts';
import { approversText, requestSentView } from '../../views/approval.ts';
import { esc } from '../../views/blocks.ts';
import { failureView } from '../../views/onboard.ts';
import { yieldToIo } from '../io.ts';

type Args = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;

const STORE_DOWN =
  'the bot could not record it (its data store did not answer). Try again in a minute.';

/**
 * A submission that needs an admin's approval (a requester's, or an admin's
 * own with REQUIRE_APPROVAL): login and e-mail checked, the request recorded
 * durably (nothing upstream), acked with who decides, then posted with
 * Approve and Reject to APPROVAL_CHANNEL.
 */
export async function requestSubmission(
  ctx: SlackContext,
  { ack, body, view }: Pick<Args, 'ack' | 'body' | 'view'>,
  input: ModalInput,
): Promise<void> {
  const userId = body.user.id;
  let recorded: { record: OnboardingRecord; created: boolean };
  try {
    const clash = await ctx.service.clashes(input.person, { submissionKey: view.id });
    if (clash.login || clash.email) {
      await ack({
        response_action: 'errors',
        errors: {
          ...(clash.login ? { [INPUT.login]: `${clash.login} Choose another login.` } : {}),
          ...(clash.email ? { [INPUT.email]: clash.email } : {}),
        },
      });
      return;
    }
    recorded = await ctx.service.request(
      { submissionKey: view.id, requestedBy: userId, ...input, slack: { viewId: view.id } },
      addDays(ctx.clock(), ctx.config.approvals.ttlDays),
    );
  } catch (error) {
    const message = error instanceof ActionRefused ? error.message : STORE_DOWN;
    if (!(error instanceof ActionRefused))
      ctx.logger.error('onboarding request not recorded', errorFields(error));
    await ack({
      response_action: 'update',
      view: failureView(`Nothing was requested: ${message}`),
    });
    return;
  }
  const channel = ctx.config.approvals.channel;
  const approvers = approversText(
    ctx.authz.adminList.filter((id) => id !== userId),
    channel,
  );
  await ack({ response_action: 'update', view: requestSentView(recorded.record, approvers) });
  if (!recorded.created || !channel) return; // a retried delivery: the request is posted once
  await yieldToIo();
  try {
    const where = await ctx.notifier.postApprovalRequest(recorded.record, channel);
    if (where) await ctx.service.rememberApprovalMessage(recorded.record.id, where);
  } catch (error) {
    ctx.logger.warn('could not post an onboarding request for approval', errorFields(error));
    await ctx.notifier.tellRequester(
      recorded.record,
      `:warning: Your request to onboard ${esc(`${input.person.firstName} ${input.person.lastName}`)} is recorded, but its message could not be posted to <#${channel}>. Admins still see it in \`/onboard list\`, the digest and the Home tab.`,
    );
  }
}
