import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { errorFields } from '../../../log.ts';
import type { SlackContext } from '../../context.ts';
import { CALLBACK, INPUT, inputActionId } from '../../ids.ts';
import { readModal, suggestLogin } from '../../validation.ts';
import { withLoginSuggestion } from '../../views/onboard.ts';

type Args = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

/** The SIP login suggestion follows the name as it is typed (first/last name dispatch actions). */
export function registerLoginSuggestion(app: App, ctx: SlackContext): void {
  const suggest = async ({ ack, body }: Args) => {
    const client = ctx.slack;
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
}
