import type { OnboardingRecord } from '../model.ts';
import { isClosedInvite } from '../policy.ts';

export type ActionOutcome = {
  record: OnboardingRecord;
  /** What happened, in a sentence for the person who clicked. */
  summary: string;
  /** True when nothing had to be done (already revoked, …). */
  noop?: boolean;
  /** True when it was only partly done (the summary says what failed). */
  partial?: boolean;
};

/** The answer to an action on an invitation that is already closed (revoked, accepted, offboarded). */
export function alreadyClosed(record: OnboardingRecord, verb: string): ActionOutcome | undefined {
  if (!isClosedInvite(record.state)) return undefined;
  return {
    record,
    summary: `Nothing to ${verb}: the invite is already ${record.state === 'offboarded' ? 'used and the member offboarded' : record.state}.`,
    noop: true,
  };
}
