import { METADATA_KIND } from '../../ids.ts';
import { offboardDialog } from '../../views/dialogs.ts';
import { openDialog } from './container.ts';
import type { ButtonListener } from './index.ts';
import { applyOutcome, tellPrivately } from './report.ts';

/** Offboard ends access: a dialog asks whether to deactivate or remove the SIP user. */
export const offboard: ButtonListener = async (ctx, c) => {
  const record = await ctx.service.getOrRestore(c.recordId);
  if (!record) {
    await tellPrivately(
      ctx,
      c.client,
      c.container,
      c.userId,
      'That onboarding no longer exists; nothing was done.',
    );
    return;
  }
  const metadata = ctx.binder.sealMetadata(METADATA_KIND.dialog, {
    recordId: record.id,
    container: c.container,
  });
  const opened = await openDialog(c, offboardDialog(record, metadata, ctx.service.canDeactivate));
  if (opened.view?.id && c.blocks) ctx.dialogs.remember(opened.view.id, c.blocks, c.messageText);
};

/** Retry offboarding: the parts that failed run again, with the mode first chosen. */
export const retryOffboard: ButtonListener = (ctx, c) =>
  applyOutcome(ctx, c.client, {
    ...c,
    verb: 'retried the offboarding',
    run: () => ctx.service.retryOffboard(c.recordId, c.userId),
  });

/** Reactivate: a deactivated member's SIP user is active again (Slack asks to confirm first). */
export const reactivate: ButtonListener = (ctx, c) =>
  applyOutcome(ctx, c.client, {
    ...c,
    verb: 'reactivated the SIP user',
    run: () => ctx.service.reactivate(c.recordId, c.userId),
  });
