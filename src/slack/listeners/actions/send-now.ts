import type { ButtonListener } from './index.ts';
import { applyOutcome } from './report.ts';

/** Send now: a scheduled onboarding's invite and invitations go out at once. */
export const sendNow: ButtonListener = (ctx, c) =>
  applyOutcome(ctx, c.client, {
    ...c,
    verb: 'sent the scheduled invitation now',
    run: () => ctx.service.sendNow(c.recordId, c.userId),
  });
