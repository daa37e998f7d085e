import type { App, ViewClosedAction, ViewSubmitAction } from '@slack/bolt';
import type { SlackContext } from '../../context.ts';
import { CALLBACK } from '../../ids.ts';
import { requireAdmin } from '../../middleware/require-admin.ts';
import { requireRequester } from '../../middleware/require-requester.ts';
import { cohortClosed, cohortConfirm } from './cohort-confirm.ts';
import { cohortUpload } from './cohort-upload.ts';
import { offboardSubmission } from './offboard-submission.ts';
import { onboardSubmission } from './onboard-submission.ts';
import { rejectSubmission } from './reject-submission.ts';
import { resendSubmission } from './resend-submission.ts';
import { revokeSubmission } from './revoke-submission.ts';

/** Submissions of the onboarding modal and of the dialogs opened from buttons. */
export function register(app: App, ctx: SlackContext): void {
  const admin = requireAdmin(ctx);
  // Requesters submit the form too (their onboarding waits for an admin); the dialogs are admins' only.
  app.view<ViewSubmitAction>(CALLBACK.onboardModal, requireRequester(ctx), (args) =>
    onboardSubmission(ctx, args),
  );
  app.view<ViewSubmitAction>(CALLBACK.revokeModal, admin, (args) => revokeSubmission(ctx, args));
  app.view<ViewSubmitAction>(CALLBACK.resendModal, admin, (args) => resendSubmission(ctx, args));
  app.view<ViewSubmitAction>(CALLBACK.rejectModal, admin, (args) => rejectSubmission(ctx, args));
  app.view<ViewSubmitAction>(CALLBACK.offboardModal, admin, (args) =>
    offboardSubmission(ctx, args),
  );
  app.view<ViewSubmitAction>(CALLBACK.cohortUpload, admin, (args) => cohortUpload(ctx, args));
  app.view<ViewSubmitAction>(CALLBACK.cohortConfirm, admin, (args) => cohortConfirm(ctx, args));
  app.view<ViewClosedAction>({ callback_id: CALLBACK.cohortConfirm, type: 'view_closed' }, (args) =>
    cohortClosed(ctx, args),
  );
}
