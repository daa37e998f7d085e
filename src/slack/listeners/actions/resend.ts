import { METADATA_KIND } from '../../ids.ts';
import { resendDialog } from '../../views/dialogs.ts';
import { openDialog } from './container.ts';
import type { ButtonListener } from './index.ts';
import { tellPrivately } from './report.ts';

/** Resend reaches an outside person: a dialog first, where the admin picks the channels. */
export const resend: ButtonListener = async (ctx, c) => {
  const record = await ctx.service.get(c.recordId);
  if (!record) {
    await tellPrivately(ctx, c.client, c.container, c.userId, 'That onboarding no longer exists.');
    return;
  }
  const enabled = ctx.service.enabledChannels();
  const channels = record.channels.filter((ch) => enabled.includes(ch));
  if (channels.length === 0) {
    await tellPrivately(
      ctx,
      c.client,
      c.container,
      c.userId,
      ':warning: No channel this onboarding asked for is configured.',
    );
    return;
  }
  const opened = await openDialog(
    c,
    resendDialog(
      record,
      channels,
      ctx.binder.sealMetadata(METADATA_KIND.dialog, {
        recordId: record.id,
        container: c.container,
      }),
    ),
  );
  if (opened.view?.id && c.blocks) ctx.dialogs.remember(opened.view.id, c.blocks, c.messageText);
};
