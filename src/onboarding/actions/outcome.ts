import type { OnboardingRecord } from '../model.ts';

export type ActionOutcome = {
  record: OnboardingRecord;
  /** What happened, in a sentence for the person who clicked. */
  summary: string;
  /** True when nothing had to be done (already revoked, …). */
  noop?: boolean;
};

/** The answer to an action on an invitation that is already closed (revoked or accepted). */
export function alreadyClosed(record: OnboardingRecord, verb: string): ActionOutcome | undefined {
  if (record.state !== 'revoked' && record.state !== 'accepted') return undefined;
  return {
    record,
    summary: `Nothing to ${verb}: the invite is already ${record.state}.`,
    noop: true,
  };
}
