import { addDays } from '../../../onboarding/clock.ts';
import type { ButtonListener } from './index.ts';
import { applyOutcome } from './report.ts';

/** Extend: the invite lives `INVITE_TTL_DAYS` from now. */
export const extend: ButtonListener = (ctx, c) =>
  applyOutcome(ctx, c.client, {
    ...c,
    verb: 'extended the invitation',
    run: () =>
      ctx.service.extend(c.recordId, c.userId, addDays(ctx.clock(), ctx.config.inviteTtlDays)),
  });
