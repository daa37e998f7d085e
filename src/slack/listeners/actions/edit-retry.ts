import { localDate } from '../../../onboarding/clock.ts';
import { METADATA_KIND } from '../../ids.ts';
import { onboardModal, UPSTREAM_FIELD_TO_INPUT } from '../../views/onboard.ts';
import { openDialog } from './container.ts';
import type { ButtonListener } from './index.ts';
import { tellPrivately } from './report.ts';

/** Edit and retry: the form again, filled in, with Opentact's per-field problems. */
export const editRetry: ButtonListener = async (ctx, c) => {
  const record = await ctx.service.get(c.recordId);
  if (record?.state !== 'failed') {
    await tellPrivately(
      ctx,
      c.client,
      c.container,
      c.userId,
      'Nothing to correct: this onboarding is not failed any more.',
    );
    return;
  }
  const problems = Object.entries(record.steps.sip_user.fields ?? {})
    .map(([field, message]) => `${UPSTREAM_FIELD_TO_INPUT[field] ?? field}: ${message}`)
    .join('; ');
  await openDialog(
    c,
    onboardModal(
      ctx.service.enabledChannels(),
      {
        ...record.person,
        lifetimeDays: record.lifetimeDays,
        channels: record.channels,
        ...(record.note ? { note: record.note } : {}),
        ...(record.startAt && Date.parse(record.startAt) > ctx.clock().getTime()
          ? { startDate: localDate(new Date(record.startAt), ctx.config.digest.timezone) }
          : {}),
        sendTime: { hour: ctx.config.sendHour, timeZone: ctx.config.digest.timezone },
      },
      ctx.binder.sealMetadata(METADATA_KIND.onboard, { retryOf: record.id }),
      `Opentact refused: ${problems}. Correct it and submit again.`,
    ),
  );
};
