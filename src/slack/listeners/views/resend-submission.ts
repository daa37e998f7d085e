import { CHANNELS, type Channel } from '../../../onboarding/model.ts';
import type { SlackContext } from '../../context.ts';
import { RESEND_INPUT } from '../../ids.ts';
import { checkDialog, type DialogArgs, runDialog } from './dialog.ts';

/** The resend dialog's submission: send the picked channels, then report. */
export async function resendSubmission(ctx: SlackContext, args: DialogArgs): Promise<void> {
  const { ack, body, view } = args;
  const userId = body.user.id;
  const metadata = await checkDialog(ctx, args);
  if (!metadata) return;
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
  await runDialog(ctx, args, metadata, 'resent the invitation', () =>
    ctx.service.resend(metadata.recordId, userId, channels),
  );
}
