import type { Core } from '../core.ts';
import { CHANNEL_LABEL, type OnboardingRecord, STEPS } from '../model.ts';
import type { Pipeline } from '../pipeline.ts';
import { assertAllowed, retryableChannels } from '../policy.ts';

/**
 * Runs again what failed for certain: the failed step of a failed onboarding,
 * or only the failed channels of a pending one. A step whose outcome is
 * unknown is looked up first; a delivery that may have gone out is not resent.
 */
export function retry(
  core: Core,
  pipeline: Pipeline,
  id: string,
  by: string,
): Promise<OnboardingRecord> {
  return core.perform(id, async (record) => {
    assertAllowed(record, 'retry');
    const channels = retryableChannels(record);
    await core.update(id, (draft) => {
      draft.state = 'provisioning';
      for (const name of STEPS) {
        if (draft.steps[name].status === 'failed') draft.steps[name].status = 'todo';
      }
      delete draft.failedStep;
      draft.audit.push({
        at: core.nowIso(),
        by,
        action: 'retried',
        ...(record.state === 'pending'
          ? { detail: channels.map((c) => CHANNEL_LABEL[c]).join(', ') }
          : {}),
      });
    });
    return pipeline.run(id, by);
  });
}
