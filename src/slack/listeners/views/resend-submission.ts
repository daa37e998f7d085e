import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { CHANNELS, type Channel } from '../../../onboarding/model.ts';
import type { SlackContext } from '../../context.ts';
import { METADATA_KIND, RESEND_INPUT } from '../../ids.ts';
import { refusalView } from '../../views/lists.ts';
import { failureView } from '../../views/onboard.ts';
import { applyOutcome } from '../actions/report.ts';
import type { DialogMetadata } from './revoke-submission.ts';

type Args = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;

/** The resend dialog's submission: send the picked channels, then report. */
export async function resendSubmission(
  ctx: SlackContext,
  { ack, body, view, client }: Args,
): Promise<void> {
  const userId = body.user.id;
  if (!(await ctx.authz.isAllowed(userId))) {
    await ack({ response_action: 'update', view: refusalView(ctx.authz.adminList) });
    return;
  }
  const metadata = ctx.binder.openMetadata<DialogMetadata>(
    METADATA_KIND.dialog,
    view.private_metadata,
  );
  if (typeof metadata?.recordId !== 'string' || !metadata.container) {
    ctx.logger.warn('refused a dialog whose metadata the bot did not write', { user: userId });
    await ack({
      response_action: 'update',
      view: failureView('This dialog could not be verified; nothing was done.'),
    });
    return;
  }
  const selected =
    view.state.values[RESEND_INPUT.channels]?.[`${RESEND_INPUT.channels}_input`]
      ?.selected_options ?? [];
  const channels = selected
    .map((o) => o.value)
    .filter((v): v is Channel => (CHANNELS as readonly string[]).includes(v ?? ''));
  if (channels.length === 0) {
    await ack({
      response_action: 'errors',
      errors: { [RESEND_INPUT.channels]: 'Pick at least one channel.' },
    });
    return;
  }
  await ack();
  await applyOutcome(ctx, client, {
    userId,
    recordId: metadata.recordId,
    container: metadata.container,
    ...ctx.dialogs.take(view.id),
    run: () => ctx.service.resend(metadata.recordId, userId, channels),
    verb: 'resent the invitation',
  });
}
