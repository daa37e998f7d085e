import { ActionRefused } from './errors.ts';
import type { Channel, OnboardingRecord, OnboardingState } from './model.ts';

/**
 * Which states are open, which actions a record allows: defined once, used by
 * the buttons, the lists, the digest, the store and the actions themselves.
 */

/** Still being worked on or still actionable by an admin. */
export const OPEN_STATES: readonly OnboardingState[] = [
  'provisioning',
  'scheduled',
  'pending',
  'failed',
  'expired',
];

/** Closed for good; moved to the archive once older than ARCHIVE_AFTER_DAYS. */
export const ARCHIVABLE_STATES: readonly OnboardingState[] = [
  'accepted',
  'revoked',
  'expired',
  'failed',
];

export const isOpen = (record: Pick<OnboardingRecord, 'state'>): boolean =>
  OPEN_STATES.includes(record.state);

export type ActionName = 'retry' | 'amend' | 'extend' | 'resend' | 'revoke' | 'send_now' | 'cancel';

const NOT_YET = 'The invite is not created yet: it goes out on the start date (or use Send now).';

/** The channels whose delivery failed definitely: Retry sends these again (never `unknown` ones). */
export function retryableChannels(record: OnboardingRecord): Channel[] {
  return record.channels.filter((c) => record.deliveries[c].status === 'failed');
}

/** The channels Resend offers by default: requested and not confirmed sent. */
export function unconfirmedChannels(record: OnboardingRecord): Channel[] {
  return record.channels.filter((c) => {
    const status = record.deliveries[c].status;
    return status !== 'sent' && status !== 'skipped';
  });
}

/** Why an action is not allowed now, or undefined when it is. */
export function refusal(record: OnboardingRecord, action: ActionName): string | undefined {
  const { state } = record;
  switch (action) {
    case 'retry':
      if (state === 'failed') return undefined;
      if (state === 'pending' && retryableChannels(record).length > 0) return undefined;
      return `Nothing to retry: this onboarding is ${state}.`;
    case 'amend':
      if (state === 'failed' && !record.sipUser) return undefined;
      return 'Only an onboarding whose SIP user could not be created can be corrected.';
    case 'extend':
      if (state === 'scheduled') return NOT_YET;
      if (state === 'revoked' || state === 'accepted')
        return `Nothing to extend: the invite is already ${state}.`;
      if (state === 'provisioning') return 'The onboarding is still running; try again shortly.';
      if (!record.invite)
        return 'There is no SIP user invite to extend yet; retry the onboarding first.';
      return undefined;
    case 'resend':
      if (state === 'scheduled') return NOT_YET;
      if (state === 'revoked' || state === 'accepted')
        return `Nothing to resend: the invite is already ${state}.`;
      if (state === 'provisioning') return 'The onboarding is still running; try again shortly.';
      if (state === 'expired') return 'The invite has expired: extend it first, then resend.';
      if (!record.invite || !record.sipUser)
        return 'The SIP user or its invite does not exist yet; retry the onboarding first.';
      return undefined;
    case 'revoke':
      if (state === 'scheduled') return 'It is scheduled: use Cancel instead.';
      if (state === 'revoked') return 'Already revoked.';
      if (state === 'accepted') return 'Nothing to revoke: the invite is already accepted.';
      if (state === 'provisioning') return 'The onboarding is still running; try again shortly.';
      if (!record.invite && !record.sipUser) return 'Nothing was created upstream to revoke.';
      return undefined;
    case 'send_now':
    case 'cancel':
      if (state === 'scheduled') return undefined;
      return `It is not scheduled any more: this onboarding is ${state}.`;
  }
}

/** Throws the refusal, for the person who asked, when the record does not allow `action` now. */
export function assertAllowed(record: OnboardingRecord, action: ActionName): void {
  const refused = refusal(record, action);
  if (refused) throw new ActionRefused(refused);
}

/** The actions a record allows now, in the order buttons show them. */
export function allowedActions(record: OnboardingRecord): ActionName[] {
  const names: ActionName[] = [
    'send_now',
    'retry',
    'amend',
    'extend',
    'resend',
    'revoke',
    'cancel',
  ];
  return names.filter((name) => {
    if (refusal(record, name)) return false;
    // Amend needs per-field problems to correct; Extend needs a live invite.
    if (name === 'amend') return Boolean(record.steps.sip_user.fields);
    if (name === 'extend') return Boolean(record.invite && !record.invite.goneAt);
    return true;
  });
}
