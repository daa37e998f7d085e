import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { SlackContext } from '../../context.ts';
import { ACTION, type ActionVerb, actionPattern } from '../../ids.ts';
import { requireAdmin } from '../../middleware/require-admin.ts';
import { approve } from './approve.ts';
import { cancel } from './cancel.ts';
import { cohortRetry } from './cohort-retry.ts';
import { type Clicked, containerOf } from './container.ts';
import { editRetry } from './edit-retry.ts';
import { extend } from './extend.ts';
import { registerLoginSuggestion } from './login-suggestion.ts';
import { offboard, reactivate, retryOffboard } from './offboard.ts';
import { reject } from './reject.ts';
import { tellPrivately } from './report.ts';
import { resend } from './resend.ts';
import { retry } from './retry.ts';
import { revoke } from './revoke.ts';
import { sendNow } from './send-now.ts';

export type ButtonListener = (ctx: SlackContext, clicked: Clicked) => Promise<void>;

const BUTTONS: Record<ActionVerb, ButtonListener> = {
  [ACTION.extend]: extend,
  [ACTION.resend]: resend,
  [ACTION.retry]: retry,
  [ACTION.editRetry]: editRetry,
  [ACTION.revoke]: revoke,
  [ACTION.cohortRetry]: cohortRetry,
  [ACTION.approve]: approve,
  [ACTION.reject]: reject,
  [ACTION.offboard]: offboard,
  [ACTION.retryOffboard]: retryOffboard,
  [ACTION.reactivate]: reactivate,
  [ACTION.sendNow]: sendNow,
  [ACTION.cancel]: cancel,
};

/** The buttons on an onboarding (`<verb>:<record id>`), and the modal's live login suggestion. */
export function register(app: App, ctx: SlackContext): void {
  const admin = requireAdmin(ctx);
  for (const [verb, listener] of Object.entries(BUTTONS) as [ActionVerb, ButtonListener][]) {
    app.action<BlockAction<ButtonAction>>(
      actionPattern(verb),
      admin,
      async ({ ack, body, action, respond }) => {
        const client = ctx.slack;
        await ack();
        const recordId = ctx.binder.open(verb, action.action_id, action.value);
        const clicked: Clicked = {
          userId: body.user.id,
          recordId: recordId ?? '',
          container: containerOf(body),
          blocks: (body.message?.blocks as KnownBlock[] | undefined) ?? undefined,
          messageText: typeof body.message?.text === 'string' ? body.message.text : undefined,
          triggerId: body.trigger_id,
          inModal: body.view?.type === 'modal',
          client,
          respond,
        };
        if (recordId === undefined) {
          ctx.logger.warn('refused a click on a button the bot did not render', {
            user: clicked.userId,
            action: verb,
          });
          await tellPrivately(
            ctx,
            client,
            clicked.container,
            clicked.userId,
            ':warning: That button could not be verified; nothing was done.',
            respond,
          );
          return;
        }
        await listener(ctx, clicked);
      },
    );
  }
  registerLoginSuggestion(app, ctx);
}
