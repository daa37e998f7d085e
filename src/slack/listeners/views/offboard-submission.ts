import type { OffboardMode } from '../../../onboarding/service.ts';
import type { SlackContext } from '../../context.ts';
import { OFFBOARD_INPUT } from '../../ids.ts';
import { checkDialog, type DialogArgs, runDialog } from './dialog.ts';

/** The offboard dialog's submission: offboard with the chosen SIP user handling, then report. */
export async function offboardSubmission(ctx: SlackContext, args: DialogArgs): Promise<void> {
  const { ack, body, view } = args;
  const userId = body.user.id;
  const metadata = await checkDialog(ctx, args);
  if (!metadata) return;
  const selected =
    view.state.values[OFFBOARD_INPUT.mode]?.[`${OFFBOARD_INPUT.mode}_input`]?.selected_option
      ?.value;
  if (selected !== 'deactivate' && selected !== 'remove') {
    await ack({
      response_action: 'errors',
      errors: { [OFFBOARD_INPUT.mode]: 'Choose whether to deactivate or remove the SIP user.' },
    });
    return;
  }
  const mode: OffboardMode = selected;
  await runDialog(ctx, args, metadata, 'offboarded the member', () =>
    ctx.service.offboard(metadata.recordId, userId, mode),
  );
}
