import type { App, ViewSubmitAction } from '@slack/bolt';
import type { SlackContext } from '../../context.ts';
import { CALLBACK } from '../../ids.ts';
import { requireAdmin } from '../../middleware/require-admin.ts';
import { offboardSubmission } from './offboard-submission.ts';
import { onboardSubmission } from './onboard-submission.ts';
import { resendSubmission } from './resend-submission.ts';
import { revokeSubmission } from './revoke-submission.ts';

/** Submissions of the onboarding modal and of the dialogs opened from buttons. */
export function register(app: App, ctx: SlackContext): void {
  const admin = requireAdmin(ctx);
  app.view<ViewSubmitAction>(CALLBACK.onboardModal, admin, (args) => onboardSubmission(ctx, args));
  app.view<ViewSubmitAction>(CALLBACK.revokeModal, admin, (args) => revokeSubmission(ctx, args));
  app.view<ViewSubmitAction>(CALLBACK.resendModal, admin, (args) => resendSubmission(ctx, args));
  app.view<ViewSubmitAction>(CALLBACK.offboardModal, admin, (args) =>
    offboardSubmission(ctx, args),
  );
}
