import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { errorFields } from '../../../log.ts';
import { displayName, type OnboardingRecord } from '../../../onboarding/model.ts';
import type { Amendment } from '../../../onboarding/service.ts';
import { ActionRefused } from '../../../onboarding/service.ts';
import type { SlackContext } from '../../context.ts';
import { INPUT, METADATA_KIND } from '../../ids.ts';
import { validateModal } from '../../validation.ts';
import { esc } from '../../views/blocks.ts';
import { failureView, type ModalMetadata, progressView } from '../../views/onboard.ts';
import { yieldToIo } from '../io.ts';
import { requestSubmission } from './request-submission.ts';

const STORE_DOWN =
  'the bot could not record it (its data store did not answer). Try again in a minute.';

type Args = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;

/**
 * The onboarding modal's submission: validate, check the login, record the
 * onboarding durably, ack, then run it and report. A request that needs an
 * admin's approval goes to request-submission.ts instead.
 */
export async function onboardSubmission(
  ctx: SlackContext,
  { ack, body, view }: Args,
): Promise<void> {
  const userId = body.user.id;
  const enabled = ctx.service.enabledChannels();
  const result = validateModal(view.state.values as never, enabled, {
    schedule: {
      now: ctx.clock(),
      timeZone: ctx.config.digest.timezone,
      sendHour: ctx.config.sendHour,
    },
  });
  if (!result.ok) {
    await ack({ response_action: 'errors', errors: result.errors });
    return;
  }
  // A correction names the failed record it corrects; the id must be the one the bot sealed.
  const metadata: ModalMetadata | undefined = view.private_metadata
    ? ctx.binder.openMetadata<ModalMetadata>(METADATA_KIND.onboard, view.private_metadata)
    : {};
  if (!metadata || (metadata.retryOf !== undefined && typeof metadata.retryOf !== 'string')) {
    ctx.logger.warn('refused a submission whose metadata the bot did not write', { user: userId });
    await ack({
      response_action: 'update',
      view: failureView('This form could not be verified. Open it again with /onboard.'),
    });
    return;
  }
  const { input } = result;
  // A requester asks; with REQUIRE_APPROVAL an admin's own new onboarding waits for a second admin.
  const role = await ctx.authz.role(userId);
  if (role !== 'admin' && metadata.retryOf) {
    await ack({
      response_action: 'update',
      view: failureView('Only admins can correct an onboarding.'),
    });
    return;
  }
  if (role === 'requester' || (ctx.config.approvals.requireApproval && !metadata.retryOf)) {
    await requestSubmission(ctx, { ack, body, view }, input);
    return;
  }
  let clash: OnboardingRecord | undefined;
  try {
    clash = await ctx.service.loginInUse(input.person.login, {
      id: metadata.retryOf,
      submissionKey: view.id,
    });
  } catch (error) {
    ctx.logger.error('onboarding not recorded', errorFields(error));
    await ack({
      response_action: 'update',
      view: failureView(`Nothing was created: ${STORE_DOWN}`),
    });
    return;
  }
  if (clash) {
    await ack({
      response_action: 'errors',
      errors: {
        [INPUT.login]: `${input.person.login} is already used for ${displayName(clash.person)} (${clash.state}). Choose another login.`,
      },
    });
    return;
  }

  // Durable before the ack: once Slack shows the progress view, the onboarding is on disk.
  let recorded: { record: OnboardingRecord; created: boolean };
  try {
    recorded = metadata.retryOf
      ? await amendOnce(ctx, metadata.retryOf, userId, input)
      : await ctx.service.submit({
          submissionKey: view.id,
          requestedBy: userId,
          ...input,
          slack: { viewId: view.id },
        });
  } catch (error) {
    // Not a refusal: the record could not be written (the disk or the database did not answer).
    const message = error instanceof ActionRefused ? error.message : STORE_DOWN;
    if (!(error instanceof ActionRefused))
      ctx.logger.error('onboarding not recorded', errorFields(error));
    await ack({
      response_action: 'update',
      view: failureView(`Nothing was created: ${message}`),
    });
    return;
  }
  await ack({
    response_action: 'update',
    view: progressView(displayName(input.person), input.channels),
  });
  if (!recorded.created) return; // Slack retried or the button was double-clicked: one onboarding only.
  await yieldToIo();

  try {
    const { record } = recorded;
    if (metadata.retryOf) await ctx.service.rememberSlack(record.id, { viewId: view.id });
    const final = await ctx.service.run(record.id);
    await ctx.notifier.reportOnboarding(final);
  } catch (error) {
    // Stopping: the store refuses late writes and the domain new work; the record resumes at start.
    if (!ctx.service.isAccepting) {
      ctx.logger.info('shutdown interrupted an onboarding; it resumes at the next start');
      return;
    }
    ctx.logger.error('onboarding could not run', errorFields(error));
    // The onboarding is recorded: it resumes from the step it reached once the store answers.
    const message =
      error instanceof ActionRefused
        ? error.message
        : 'the bot could not save a step (its data store did not answer); it resumes from where it stopped at the next start, and nothing is sent twice.';
    await ctx.notifier.audit(`:x: Onboarding by <@${userId}> could not run: ${esc(message)}`);
    await ctx.slack.chat
      .postMessage({ channel: userId, text: `:x: The onboarding could not run: ${esc(message)}` })
      .catch(() => undefined);
  }
}

/** A correction of a failed onboarding; a second delivery of the same submission finds it running. */
async function amendOnce(
  ctx: SlackContext,
  id: string,
  userId: string,
  input: Amendment,
): Promise<{ record: OnboardingRecord; created: boolean }> {
  const current = await ctx.service.get(id);
  if (current?.state === 'provisioning') return { record: current, created: false };
  return { record: await ctx.service.amend(id, userId, input), created: true };
}
