import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { ActionOutcome } from '../../../onboarding/service.ts';
import type { SlackContext } from '../../context.ts';
import { METADATA_KIND } from '../../ids.ts';
import { failureView } from '../../views/onboard.ts';
import type { Container } from '../actions/container.ts';
import { applyOutcome } from '../actions/report.ts';

export type DialogArgs = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;
export type DialogMetadata = { recordId: string; container: Container };

/**
 * What every dialog submission checks first: the submitter may act, and the
 * metadata is the one the bot sealed. Answers the submission and returns
 * undefined when either fails.
 */
export async function checkDialog(
  ctx: SlackContext,
  { ack, body, view }: DialogArgs,
): Promise<DialogMetadata | undefined> {
  const userId = body.user.id;
  const metadata = ctx.binder.openMetadata<DialogMetadata>(
    METADATA_KIND.dialog,
    view.private_metadata,
  );
  if (typeof metadata?.recordId === 'string' && metadata.container) return metadata;
  ctx.logger.warn('refused a dialog whose metadata the bot did not write', { user: userId });
  await ack({
    response_action: 'update',
    view: failureView('This dialog could not be verified; nothing was done.'),
  });
  return undefined;
}

/**
 * A checked dialog's action: the submission is answered first, then the action
 * runs and is reported where the dialog was opened from (the remembered message).
 */
export async function runDialog(
  ctx: SlackContext,
  { ack, body, view }: DialogArgs,
  metadata: DialogMetadata,
  verb: string,
  run: () => Promise<ActionOutcome>,
): Promise<void> {
  await ack();
  await applyOutcome(ctx, ctx.slack, {
    userId: body.user.id,
    recordId: metadata.recordId,
    container: metadata.container,
    ...ctx.dialogs.take(view.id),
    run,
    verb,
  });
}
