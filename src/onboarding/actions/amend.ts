import type { Core } from '../core.ts';
import { newSteps, type OnboardingRecord } from '../model.ts';
import { assertAllowed } from '../policy.ts';
import type { OnboardingRequest } from '../record.ts';

export type Amendment = Omit<OnboardingRequest, 'submissionKey' | 'requestedBy'>;

/**
 * Corrects an onboarding whose SIP user could not be created (e.g. the login
 * was taken) and marks it to run again. Durable when it resolves; the caller
 * starts the run (after acking the person).
 */
export function amend(
  core: Core,
  id: string,
  by: string,
  input: Amendment,
): Promise<OnboardingRecord> {
  return core.perform(id, async (record) => {
    assertAllowed(record, 'amend');
    return core.update(id, (draft) => {
      draft.person = input.person;
      draft.lifetimeDays = input.lifetimeDays;
      draft.channels = input.channels;
      if (input.note) draft.note = input.note;
      if (input.startAt) draft.startAt = input.startAt.toISOString();
      else delete draft.startAt;
      draft.state = 'provisioning';
      draft.steps = newSteps();
      delete draft.failedStep;
      draft.audit.push({
        at: core.nowIso(),
        by,
        action: 'corrected',
        detail: `login ${input.person.login}`,
      });
    });
  });
}
