import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { RevokeMode } from '../../../onboarding/service.ts';
import type { SlackContext } from '../../context.ts';
import { METADATA_KIND, REVOKE_INPUT } from '../../ids.ts';
import { refusalView } from '../../views/lists.ts';
import { failureView } from '../../views/onboard.ts';
import type { Container } from '../actions/container.ts';
import { applyOutcome } from '../actions/report.ts';

type Args = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;
export type DialogMetadata = { recordId: string; container: Container };

/** The revoke dialog's submission: revoke with the chosen SIP user handling, then report. */
export async function revokeSubmission(
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
    view.state.values[REVOKE_INPUT.mode]?.[`${REVOKE_INPUT.mode}_input`]?.selected_option?.value;
  const mode: RevokeMode = selected === 'deactivate' || selected === 'remove' ? selected : 'keep';
  await ack();
  await applyOutcome(ctx, client, {
    userId,
    recordId: metadata.recordId,
    container: metadata.container,
    ...ctx.dialogs.take(view.id),
    run: () => ctx.service.revoke(metadata.recordId, userId, mode),
    verb: 'revoked the invitation',
  });
}
