import { refusal } from '../../../onboarding/policy.ts';
import { METADATA_KIND } from '../../ids.ts';
import { rejectDialog } from '../../views/approval.ts';
import { esc } from '../../views/blocks.ts';
import { openDialog } from './container.ts';
import type { ButtonListener } from './index.ts';
import { tellPrivately } from './report.ts';

/** Reject: a dialog asks for an optional reason first (the requester sees it). */
export const reject: ButtonListener = async (ctx, c) => {
  const record = await ctx.service.get(c.recordId);
  const refused = record ? refusal(record, 'reject') : 'That onboarding no longer exists.';
  if (!record || refused) {
    await tellPrivately(ctx, c.client, c.container, c.userId, `:warning: ${esc(refused ?? '')}`);
    return;
  }
  const metadata = ctx.binder.sealMetadata(METADATA_KIND.dialog, {
    recordId: record.id,
    container: c.container,
  });
  const opened = await openDialog(c, rejectDialog(record, metadata));
  if (opened.view?.id && c.blocks) ctx.dialogs.remember(opened.view.id, c.blocks, c.messageText);
};
