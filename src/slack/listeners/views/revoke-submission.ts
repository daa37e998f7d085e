import type { RevokeMode } from '../../../onboarding/service.ts';
import type { SlackContext } from '../../context.ts';
import { REVOKE_INPUT } from '../../ids.ts';
import { checkDialog, type DialogArgs, runDialog } from './dialog.ts';

/** The revoke dialog's submission: revoke with the chosen SIP user handling, then report. */
export async function revokeSubmission(ctx: SlackContext, args: DialogArgs): Promise<void> {
  const { body, view } = args;
  const userId = body.user.id;
  const metadata = await checkDialog(ctx, args);
  if (!metadata) return;
  const selected =
    view.state.values[REVOKE_INPUT.mode]?.[`${REVOKE_INPUT.mode}_input`]?.selected_option?.value;
  const mode: RevokeMode = selected === 'deactivate' || selected === 'remove' ? selected : 'keep';
  await runDialog(ctx, args, metadata, 'revoked the invitation', () =>
    ctx.service.revoke(metadata.recordId, userId, mode),
  );
}
