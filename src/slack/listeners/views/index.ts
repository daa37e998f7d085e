import type { App, ViewSubmitAction } from '@slack/bolt';
import type { SlackContext } from '../../context.ts';
import { CALLBACK } from '../../ids.ts';
import { onboardSubmission } from './onboard-submission.ts';
import { resendSubmission } from './resend-submission.ts';
import { revokeSubmission } from './revoke-submission.ts';

/** Submissions of the onboarding modal and of the dialogs opened from buttons. */
export function register(app: App, ctx: SlackContext): void {
  app.view<ViewSubmitAction>(CALLBACK.onboardModal, (args) => onboardSubmission(ctx, args));
  app.view<ViewSubmitAction>(CALLBACK.revokeModal, (args) => revokeSubmission(ctx, args));
  app.view<ViewSubmitAction>(CALLBACK.resendModal, (args) => resendSubmission(ctx, args));
}
