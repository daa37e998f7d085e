import type { ButtonListener } from './index.ts';
import { applyOutcome } from './report.ts';

/** Retry: what failed for certain runs again; nothing that may have gone out is repeated. */
export const retry: ButtonListener = (ctx, c) =>
  applyOutcome(ctx, c.client, {
    ...c,
    verb: 'retried the onboarding',
    run: async () => {
      const record = await ctx.service.retry(c.recordId, c.userId);
      const failed = record.failedStep ? record.steps[record.failedStep].reason : undefined;
      return {
        record,
        summary: record.state === 'failed' ? `It failed again: ${failed ?? ''}` : 'Done.',
      };
    },
  });
