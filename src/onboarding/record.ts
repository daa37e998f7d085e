import { randomUUID } from 'node:crypto';
import {
  type Approval,
  CHANNEL_LABEL,
  type Channel,
  newSteps,
  type OnboardingRecord,
  type Person,
} from './model.ts';

export type OnboardingRequest = {
  /** Idempotency key: the same key never creates a second record. */
  submissionKey: string;
  requestedBy: string;
  person: Person;
  lifetimeDays: number;
  channels: Channel[];
  note?: string | undefined;
  /** A start date in the future: the SIP user is created now, the invite and invitations then. */
  startAt?: Date | undefined;
  /** Where the requester's Slack result lives (the modal's view id). */
  slack?: OnboardingRecord['slack'];
  /** The cohort run and row, for onboardings from a CSV upload. */
  cohort?: OnboardingRecord['cohort'];
  /** Set when an admin must approve it first: the record starts `requested`, undecided until then. */
  approvalExpiresAt?: Date | undefined;
};

/** The one way a record comes into being: the service, the tests and the benchmarks use it. */
export function newRecord(
  request: OnboardingRequest,
  now: Date,
  id: string = randomUUID(),
): OnboardingRecord {
  const at = now.toISOString();
  return {
    id,
    submissionKey: request.submissionKey,
    createdAt: at,
    updatedAt: at,
    requestedBy: request.requestedBy,
    person: request.person,
    ...(request.note ? { note: request.note } : {}),
    ...(request.startAt ? { startAt: request.startAt.toISOString() } : {}),
    lifetimeDays: request.lifetimeDays,
    channels: request.channels,
    state: request.approvalExpiresAt ? 'requested' : 'provisioning',
    ...(request.approvalExpiresAt
      ? { approval: { expiresAt: request.approvalExpiresAt.toISOString() } }
      : {}),
    steps: newSteps(),
    deliveries: {
      sms: { status: 'pending', attempts: [] },
      email: { status: 'pending', attempts: [] },
    },
    slack: { ...request.slack },
    ...(request.cohort ? { cohort: request.cohort } : {}),
    audit: [
      {
        at,
        by: request.requestedBy,
        action: 'requested',
        detail:
          `channels: ${request.channels.map((c) => CHANNEL_LABEL[c]).join(', ') || 'none'}` +
          (request.approvalExpiresAt ? '; waiting for approval' : '') +
          (request.startAt ? `; invite goes out ${request.startAt.toISOString()}` : ''),
      },
    ],
  };
}

/**
 * The record's approval with the decision written in: who decided and when
 * (`system` for an expiry). An approval that was never asked for gets `at` as
 * its expiry, so that the decision has one to stand beside.
 */
export function decideApproval(
  draft: OnboardingRecord,
  decision: NonNullable<Approval['decision']>,
  by: string,
  at: string,
  reason?: string | undefined,
): void {
  draft.approval = {
    expiresAt: at,
    ...draft.approval,
    decision,
    decidedBy: by,
    decidedAt: at,
    ...(reason ? { reason } : {}),
  };
}
