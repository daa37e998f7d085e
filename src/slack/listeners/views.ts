import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';

import { errorFields } from '../../log.ts';
import { displayName, type OnboardingRecord } from '../../onboarding/model.ts';
import type { Amendment, RevokeMode } from '../../onboarding/service.ts';
import { ActionRefused, describeError } from '../../onboarding/service.ts';
import { StoreClosedError } from '../../store/store.ts';
import type { SlackContext } from '../context.ts';
import { CALLBACK, INPUT, inputActionId, REVOKE_INPUT } from '../ids.ts';
import { readModal, suggestLogin, validateModal } from '../validation.ts';
import { refusalView } from '../views/lists.ts';
import {
  failureView,
  type ModalMetadata,
  progressView,
  withLoginSuggestion,
} from '../views/onboard.ts';
import { applyOutcome, type RevokeMetadata, takePendingBlocks } from './actions.ts';
import { yieldToIo } from './commands.ts';

type SuggestArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

/** Submissions of the onboarding modal and the revoke dialog, and the modal's live login suggestion. */
export function registerViews(app: App, ctx: SlackContext): void {
  app.view(CALLBACK.onboardModal, async ({ ack, body, view, client }) => {
    const userId = body.user.id;
    if (!(await ctx.authz.isAllowed(userId))) {
      await ack({ response_action: 'update', view: refusalView(ctx.authz.adminList) });
      return;
    }
    const enabled = ctx.service.enabledChannels();
    const result = validateModal(view.state.values as never, enabled);
    if (!result.ok) {
      await ack({ response_action: 'errors', errors: result.errors });
      return;
    }
    const metadata = parseMetadata<ModalMetadata>(view.private_metadata);
    const { input } = result;
    const clash = await ctx.service.loginInUse(input.person.login, {
      id: metadata.retryOf,
      submissionKey: view.id,
    });
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
      const message = error instanceof ActionRefused ? error.message : describeError(error);
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
      if (
        error instanceof StoreClosedError ||
        (error instanceof ActionRefused && !ctx.service.isAccepting)
      ) {
        ctx.logger.info('shutdown interrupted an onboarding; it resumes at the next start');
        return;
      }
      ctx.logger.error('onboarding could not run', errorFields(error));
      const message = error instanceof ActionRefused ? error.message : describeError(error);
      await ctx.notifier.audit(`:x: Onboarding by <@${userId}> could not run: ${message}`);
      await client.chat
        .postMessage({ channel: userId, text: `:x: The onboarding could not run: ${message}` })
        .catch(() => undefined);
    }
  });

  // The SIP login suggestion follows the name as it is typed (first/last name dispatch actions).
  const suggest = async ({ ack, body, client }: SuggestArgs) => {
    await ack();
    const view = body.view;
    if (!view || view.callback_id !== CALLBACK.onboardModal) return;
    const raw = readModal(view.state.values as never);
    const first = raw[INPUT.firstName]?.trim() ?? '';
    const last = raw[INPUT.lastName]?.trim() ?? '';
    if (!first && !last) return;
    try {
      await client.views.update({
        view_id: view.id,
        hash: view.hash,
        view: withLoginSuggestion(view as never, suggestLogin(first, last)),
      });
    } catch (error) {
      // hash_conflict: a newer keystroke already updated the modal.
      ctx.logger.debug('login suggestion not shown', errorFields(error));
    }
  };
  app.action(inputActionId(INPUT.firstName), suggest);
  app.action(inputActionId(INPUT.lastName), suggest);

  app.view(CALLBACK.revokeModal, async ({ ack, body, view, client }) => {
    const userId = body.user.id;
    if (!(await ctx.authz.isAllowed(userId))) {
      await ack({ response_action: 'update', view: refusalView(ctx.authz.adminList) });
      return;
    }
    const metadata = parseMetadata<RevokeMetadata>(view.private_metadata);
    const selected =
      view.state.values[REVOKE_INPUT.mode]?.[`${REVOKE_INPUT.mode}_input`]?.selected_option?.value;
    const mode: RevokeMode = selected === 'deactivate' || selected === 'remove' ? selected : 'keep';
    await ack();
    await applyOutcome(ctx, client, {
      userId,
      recordId: metadata.recordId,
      container: metadata.container,
      blocks: takePendingBlocks(view.id),
      run: () => ctx.service.revoke(metadata.recordId, userId, mode),
      verb: 'revoked the invitation',
    });
  });
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

function parseMetadata<T extends object>(text: string | undefined): Partial<T> & T {
  try {
    return (text ? JSON.parse(text) : {}) as Partial<T> & T;
  } catch {
    return {} as Partial<T> & T;
  }
}
