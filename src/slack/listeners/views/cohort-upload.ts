import { randomUUID } from 'node:crypto';
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import { errorFields } from '../../../log.ts';
import { type CsvResult, parseCohortCsv } from '../../cohort/csv.ts';
import { downloadCsv } from '../../cohort/download.ts';
import { planCohort } from '../../cohort/plan.ts';
import type { SlackContext } from '../../context.ts';
import { COHORT_INPUT, METADATA_KIND } from '../../ids.ts';
import { previewModal, problemLines, problemView } from '../../views/cohort.ts';
import { checkingView, failureView } from '../../views/onboard.ts';

type Args = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;
type State = Record<string, Record<string, { value?: string | null; files?: { id: string }[] }>>;

/** At most this many problems are shown as field errors; more go to the preview. */
const INLINE_PROBLEMS = 3;

/**
 * The upload modal's submission. Pasted text is checked before the ack, so
 * its problems show on the field; a file is downloaded after the ack, behind a
 * pushed "checking" view that the preview or the problem then replaces. The
 * form stays below either: going back is how a file is fixed.
 */
export async function cohortUpload(ctx: SlackContext, { ack, body, view }: Args) {
  const client = ctx.slack;
  const values = view.state.values as State;
  const fileId = values[COHORT_INPUT.file]?.[`${COHORT_INPUT.file}_input`]?.files?.[0]?.id;
  const pasted = values[COHORT_INPUT.text]?.[`${COHORT_INPUT.text}_input`]?.value ?? '';
  const { maxRows } = ctx.config.bulk;
  if (!fileId && pasted.trim() === '') {
    await ack({
      response_action: 'errors',
      errors: { [COHORT_INPUT.file]: 'Upload a CSV file or paste the CSV below.' },
    });
    return;
  }
  if (fileId && pasted.trim() !== '') {
    await ack({
      response_action: 'errors',
      errors: { [COHORT_INPUT.text]: 'Use either the file or the pasted text, not both.' },
    });
    return;
  }
  if (!fileId) {
    const parsed = parseCohortCsv(pasted, maxRows);
    const next = await preview(ctx, body.user.id, parsed).catch(storeDown(ctx));
    if ('errors' in next) {
      await ack({ response_action: 'errors', errors: { [COHORT_INPUT.text]: next.errors } });
      return;
    }
    // Pushed: closing the preview goes back to the form, to fix the file and check it again.
    await ack({ response_action: 'push', view: next.view });
    return;
  }
  // The pushed view's id is not in the ack: an external_id lets the bot replace it.
  const externalId = `cohort-check-${randomUUID()}`;
  await ack({
    response_action: 'push',
    view: { ...checkingView('Reading the CSV file…'), external_id: externalId },
  });
  let next: ModalView;
  try {
    const file = await downloadCsv(
      client,
      fileId,
      ctx.config.slack.botToken,
      ctx.config.slack.apiUrl,
    );
    const result =
      'error' in file
        ? { errors: file.error }
        : await preview(ctx, body.user.id, parseCohortCsv(file.text, maxRows));
    next = 'errors' in result ? problemView(result.errors) : result.view;
  } catch (error) {
    ctx.logger.warn('cohort file not read', errorFields(error));
    next = failureView('The file could not be read from Slack. Nothing was created.');
  }
  await client.views.update({ external_id: externalId, view: next });
}

/** The preview of a parsed file (its draft recorded), or the problems to show on the input. */
async function preview(
  ctx: SlackContext,
  userId: string,
  parsed: CsvResult,
): Promise<{ view: ModalView } | { errors: string }> {
  if (!parsed.ok) return { errors: parsed.error };
  const enabled = ctx.service.enabledChannels();
  const plan = await planCohort(parsed.rows, ctx.service, {
    enabled,
    defaultLifetimeDays: ctx.config.inviteTtlDays,
    schedule: {
      now: ctx.clock(),
      timeZone: ctx.config.digest.timezone,
      sendHour: ctx.config.sendHour,
    },
  });
  const lines = problemLines(plan.invalid);
  const onboard = plan.rows.filter((r) => r.request).length;
  // Nothing valid to start and a short list: the problems belong on the field.
  if (onboard === 0 && lines.length > 0 && lines.length <= INLINE_PROBLEMS) {
    return { errors: `Nothing was created. ${lines.join(' · ')}` };
  }
  const run = await ctx.service.cohorts.draft(userId, plan.rows);
  const metadata = ctx.binder.sealMetadata(METADATA_KIND.cohort, {
    id: run.id,
    invalid: plan.invalid.length,
  });
  return { view: previewModal(run, plan.invalid, metadata, enabled) };
}

const storeDown = (ctx: SlackContext) => (error: unknown) => {
  ctx.logger.error('cohort not recorded', errorFields(error));
  return {
    errors:
      'Nothing was created: the bot could not record the upload (its data store did not answer). Try again in a minute.',
  };
};
