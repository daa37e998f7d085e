import type {
  AllMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewClosedAction,
  ViewSubmitAction,
} from '@slack/bolt';
import { errorFields } from '../../../log.ts';
import { ActionRefused } from '../../../onboarding/service.ts';
import type { SlackContext } from '../../context.ts';
import { COHORT_INPUT, METADATA_KIND } from '../../ids.ts';
import { failureView } from '../../views/onboard.ts';

type Args = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;
type Metadata = { id?: unknown; invalid?: unknown };
type State = Record<string, Record<string, { selected_options?: { value: string }[] }>>;

/** "Onboard N people": the draft starts, the modal closes, progress arrives as a message. */
export async function cohortConfirm(ctx: SlackContext, { ack, body, view }: Args): Promise<void> {
  const meta = ctx.binder.openMetadata<Metadata>(METADATA_KIND.cohort, view.private_metadata);
  if (typeof meta?.id !== 'string' || typeof meta.invalid !== 'number') {
    ctx.logger.warn('refused a cohort confirmation the bot did not write', { user: body.user.id });
    await ack({
      response_action: 'update',
      view: failureView(
        'This form could not be verified. Upload the file again with /onboard bulk.',
      ),
    });
    return;
  }
  const skip = (view.state.values as State)[COHORT_INPUT.skip]?.[`${COHORT_INPUT.skip}_input`];
  if (meta.invalid > 0 && !skip?.selected_options?.some((o) => o.value === 'skip')) {
    await ack({
      response_action: 'errors',
      errors: {
        [COHORT_INPUT.skip]:
          'Tick this to skip the invalid rows — or cancel, fix the file and upload it again.',
      },
    });
    return;
  }
  let confirmed: Awaited<ReturnType<typeof ctx.service.cohorts.confirm>>;
  try {
    confirmed = await ctx.service.cohorts.confirm(meta.id, body.user.id);
  } catch (error) {
    if (!(error instanceof ActionRefused))
      ctx.logger.error('cohort not started', errorFields(error));
    const message =
      error instanceof ActionRefused
        ? error.message
        : 'the bot could not record it (its data store did not answer). Try again in a minute.';
    await ack({ response_action: 'update', view: failureView(`Nothing was created: ${message}`) });
    return;
  }
  await ack({ response_action: 'clear' });
  if (!confirmed.started) return; // a repeated delivery: the first one drives the run
  ctx.service.cohorts.drive(confirmed.run.id).catch((error) => {
    if (ctx.service.isAccepting) ctx.logger.error('cohort run stopped', errorFields(error));
  });
}

/** The preview closed without starting: the draft is dropped. */
export async function cohortClosed(
  ctx: SlackContext,
  { ack, view }: AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewClosedAction>,
): Promise<void> {
  await ack();
  const meta = ctx.binder.openMetadata<Metadata>(METADATA_KIND.cohort, view.private_metadata);
  if (typeof meta?.id === 'string')
    await ctx.service.cohorts.discard(meta.id).catch(() => undefined);
}
