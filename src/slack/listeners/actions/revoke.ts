import { METADATA_KIND } from '../../ids.ts';
import { slackDate, user } from '../../views/blocks.ts';
import { revokeDialog } from '../../views/dialogs.ts';
import { openDialog } from './container.ts';
import type { ButtonListener } from './index.ts';
import { tellPrivately } from './report.ts';

/** Revoke destroys access: a dialog asks what to do with the SIP user. */
export const revoke: ButtonListener = async (ctx, c) => {
  const record = await ctx.service.get(c.recordId);
  if (!record) {
    await tellPrivately(ctx, c.client, c.container, c.userId, 'That onboarding no longer exists.');
    return;
  }
  if (record.state === 'revoked') {
    const by = [...record.audit].reverse().find((a) => a.action === 'revoked');
    const when = by ? ` by ${user(by.by)} ${slackDate(by.at)}` : '';
    await tellPrivately(ctx, c.client, c.container, c.userId, `Already revoked${when}.`);
    return;
  }
  const metadata = ctx.binder.sealMetadata(METADATA_KIND.dialog, {
    recordId: record.id,
    container: c.container,
  });
  const opened = await openDialog(
    c,
    revokeDialog(record, metadata, ctx.config.opentact.sipDomain !== undefined),
  );
  if (opened.view?.id && c.blocks) ctx.dialogs.remember(opened.view.id, c.blocks, c.messageText);
};
