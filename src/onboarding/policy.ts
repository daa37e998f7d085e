import { ActionRefused } from './errors.ts';
import {
  type Channel,
  OFFBOARD_PARTS,
  type OffboardPart,
  type OnboardingRecord,
  type OnboardingState,
} from './model.ts';

/**
 * Which states are open, which actions a record allows: defined once, used by
 * the buttons, the lists, the digest, the store and the actions themselves.
 */

/** Still being worked on or still actionable by an admin. */
export const OPEN_STATES: readonly OnboardingState[] = [
  // A request holds its login and e-mail while it waits: approving it must not clash.
  'requested',
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
  'rejected',
  'request_expired',
];

/** A request that was never approved: nothing was created upstream. */
export const REQUEST_STATES: readonly OnboardingState[] = [
  'requested',
  'rejected',
  'request_expired',
];

export const isOpen = (record: Pick<OnboardingRecord, 'state'>): boolean =>
  OPEN_STATES.includes(record.state);

export type ActionName =
  | 'retry'
  | 'amend'
  | 'extend'
  | 'resend'
  | 'revoke'
  | 'approve'
  | 'reject'
  | 'offboard'
  | 'retryOffboard'
  | 'reactivate'
  | 'send_now'
  | 'cancel';

const REQUEST_LABEL: Partial<Record<OnboardingState, string>> = {
  requested: 'still waiting for approval',
  rejected: 'a request that was rejected',
  request_expired: 'a request that expired undecided',
};
/** The offboarding parts still to do (failed, or interrupted before they ran). */
export function unfinishedOffboardParts(record: OnboardingRecord): OffboardPart[] {
  const parts = record.offboarding?.parts;
  if (!parts) return [];
  return OFFBOARD_PARTS.filter((p) => parts[p].status === 'todo' || parts[p].status === 'failed');
}

/** An invitation that is closed for good (accepted, revoked or offboarded). */
export const isClosedInvite = (state: OnboardingState) =>
  state === 'revoked' || state === 'accepted' || state === 'offboarded';

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
  if (action === 'approve' || action === 'reject') {
    if (state === 'requested') return undefined;
    const decided = record.approval?.decision;
    return decided
      ? `This request was already ${decided}; nothing was changed.`
      : `There is no request to decide: this onboarding is ${state}.`;
  }
  if (REQUEST_STATES.includes(state))
    return `Nothing was created for this onboarding: it is ${REQUEST_LABEL[state]}.`;
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
      if (isClosedInvite(state)) return `Nothing to extend: the invite is already ${state}.`;
      if (state === 'provisioning') return 'The onboarding is still running; try again shortly.';
      if (!record.invite)
        return 'There is no SIP user invite to extend yet; retry the onboarding first.';
      return undefined;
    case 'resend':
      if (state === 'scheduled') return NOT_YET;
      if (isClosedInvite(state)) return `Nothing to resend: the invite is already ${state}.`;
      if (state === 'provisioning') return 'The onboarding is still running; try again shortly.';
      if (state === 'expired') return 'The invite has expired: extend it first, then resend.';
      if (!record.invite || !record.sipUser)
        return 'The SIP user or its invite does not exist yet; retry the onboarding first.';
      return undefined;
    case 'revoke':
      if (state === 'scheduled') return 'It is scheduled: use Cancel instead.';
      if (state === 'revoked') return 'Already revoked.';
      if (state === 'accepted' || state === 'offboarded')
        return `Nothing to revoke: the invite is already ${state === 'accepted' ? 'accepted' : 'used and the member offboarded'}.`;
      if (state === 'provisioning') return 'The onboarding is still running; try again shortly.';
      if (!record.invite && !record.sipUser) return 'Nothing was created upstream to revoke.';
      return undefined;
    case 'offboard':
      if (state === 'offboarded')
        return unfinishedOffboardParts(record).length > 0
          ? 'This member is being offboarded already and some parts failed: use Retry offboarding.'
          : 'Already offboarded.';
      if (state !== 'accepted')
        return `Only a member who accepted the invitation can be offboarded; this onboarding is ${state}. Use Revoke for an invitation not used yet.`;
      return undefined;
    case 'retryOffboard':
      if (state !== 'offboarded') return 'This member is not being offboarded.';
      if (unfinishedOffboardParts(record).length === 0)
        return 'Nothing to retry: offboarding finished.';
      return undefined;
    case 'reactivate':
      if (state !== 'offboarded' || !record.offboarding)
        return `Nothing to reactivate: this onboarding is ${state}.`;
      if (record.sipUser?.removed || !record.sipUser)
        return 'The SIP user was removed, so it cannot be reactivated; onboard the member again instead.';
      if (record.sipUser.active)
        return 'The SIP user is still active: nothing to reactivate (retry the offboarding to finish it).';
      return undefined;
    case 'send_now':
    case 'cancel':
      if (state === 'scheduled') return undefined;
      return `It is not scheduled any more: this onboarding is ${state}.`;
  }
}

/**
 * Who may approve a request, beyond being an admin (the Slack side checks that):
 * never the person who asked for it — with REQUIRE_APPROVAL an admin's own
 * request waits for a second admin.
 */
export function approverRefusal(record: OnboardingRecord, by: string): string | undefined {
  if (by === record.requestedBy)
    return 'You asked for this onboarding, so another admin has to approve it.';
  return undefined;
}

/** Throws the refusal, for the person who asked, when the record does not allow `action` now. */
export function assertAllowed(record: OnboardingRecord, action: ActionName): void {
  const refused = refusal(record, action);
  if (refused) throw new ActionRefused(refused);
}

/** The actions a record allows now, in the order buttons show them. */
export function allowedActions(record: OnboardingRecord): ActionName[] {
  const names: ActionName[] = [
    'approve',
    'reject',
    'send_now',
    'retry',
    'amend',
    'extend',
    'resend',
    'revoke',
    'retryOffboard',
    'reactivate',
    'offboard',
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
