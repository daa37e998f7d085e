import { errorFields } from '../../../log.ts';
import { ActionRefused } from '../../../onboarding/service.ts';
import { esc } from '../../views/blocks.ts';
import type { ButtonListener } from './index.ts';
import { tellPrivately } from './report.ts';

/**
 * Retry failed, on a cohort's summary (`recordId` carries the cohort run's id):
 * only the failed rows run again, through the step engine; the summary message
 * turns back into the progress bar and then into the new summary.
 */
export const cohortRetry: ButtonListener = async (ctx, c) => {
  const tell = (text: string) =>
    c.container
      ? tellPrivately(ctx, c.client, c.container, c.userId, text, c.respond)
      : Promise.resolve();
  try {
    await ctx.service.cohorts.retryFailed(c.recordId, c.userId);
  } catch (error) {
    if (error instanceof ActionRefused) return tell(`:warning: ${esc(error.message)}`);
    ctx.logger.error('cohort retry failed', errorFields(error));
    return tell(
      ':x: The failed rows could not be retried (the data store did not answer). Try again in a minute.',
    );
  }
};
