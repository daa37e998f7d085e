import type { ButtonListener } from './index.ts';
import { applyOutcome } from './report.ts';

/** Cancel: a scheduled onboarding ends before anything is sent; its reserved SIP user is removed. */
export const cancel: ButtonListener = (ctx, c) =>
  applyOutcome(ctx, c.client, {
    ...c,
    verb: 'cancelled the scheduled onboarding',
    run: () => ctx.service.cancel(c.recordId, c.userId),
  });
