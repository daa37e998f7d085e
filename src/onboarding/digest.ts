import { DAY_MS } from './clock.ts';
import type { Channel, DriftItem, OnboardingRecord, OnboardingState } from './model.ts';
import { STATES } from './model.ts';

export type FailedDelivery = {
  record: OnboardingRecord;
  channel: Channel;
  /** `unknown`: sent, but not confirmed. */
  status: 'failed' | 'unknown';
  reason: string;
};

export type Digest = {
  now: Date;
  /** Requests waiting for an admin's approval, oldest first. */
  awaitingApproval: OnboardingRecord[];
  /** Pending invites expiring within the warning window, soonest first. */
  expiringSoon: OnboardingRecord[];
  /** Invites that expired since the previous digest, most recent first. */
  expiredSince: OnboardingRecord[];
  /** Onboardings waiting for their start date, soonest first. */
  scheduled: OnboardingRecord[];
  /** Automatic reminders sent (or tried) since the previous digest, most recent first. */
  remindedSince: OnboardingRecord[];
  /** Open onboardings with a delivery that failed or is not confirmed. */
  failedDeliveries: FailedDelivery[];
  /** Onboardings stuck in `failed` (a step failed). */
  failed: OnboardingRecord[];
  /** Records whose upstream state disagrees, and upstream objects with no record. */
  drift: { records: OnboardingRecord[]; upstream: DriftItem[] };
  counts: Record<OnboardingState, number>;
};

export type DigestOptions = {
  warningDays: number;
  /** When the previous digest was posted; default: a day ago. */
  since?: Date | undefined;
  upstreamDrift?: readonly DriftItem[];
  /** Counts of every state (the records given are only the open ones). */
  counts?: Record<OnboardingState, number>;
};

/** One pass over the records; a pure function of records and clock. */
export function selectDigest(
  records: readonly OnboardingRecord[],
  now: Date,
  options: DigestOptions,
): Digest {
  const nowMs = now.getTime();
  const horizon = nowMs + options.warningDays * DAY_MS;
  const since = (options.since ?? new Date(nowMs - DAY_MS)).getTime();
  const counted = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<OnboardingState, number>;
  const expiringSoon: { record: OnboardingRecord; at: number }[] = [];
  const expiredSince: { record: OnboardingRecord; at: number }[] = [];
  const remindedSince: { record: OnboardingRecord; at: number }[] = [];
  const scheduled: { record: OnboardingRecord; at: number }[] = [];
  const failedDeliveries: FailedDelivery[] = [];
  const failed: OnboardingRecord[] = [];
  const awaitingApproval: OnboardingRecord[] = [];
  const driftRecords: OnboardingRecord[] = [];

  for (const record of records) {
    counted[record.state] += 1;
    if (record.drift) driftRecords.push(record);
    if (record.state === 'requested') awaitingApproval.push(record);
    if (record.state === 'pending' && record.invite) {
      const at = Date.parse(record.invite.expiresAt);
      if (at > nowMs && at <= horizon) expiringSoon.push({ record, at });
    }
    if (record.state === 'expired') {
      const at = Date.parse(record.expiredAt ?? record.invite?.expiresAt ?? record.updatedAt);
      if (at > since && at <= nowMs) expiredSince.push({ record, at });
    }
    if (record.state === 'failed') failed.push(record);
    if (record.state === 'scheduled') {
      scheduled.push({ record, at: Date.parse(record.startAt ?? record.createdAt) });
    }
    if (record.reminder) {
      const at = Date.parse(record.reminder.at);
      if (at > since && at <= nowMs) remindedSince.push({ record, at });
    }
    if (record.state === 'pending' || record.state === 'failed') {
      for (const channel of ['sms', 'email'] as const) {
        const delivery = record.deliveries[channel];
        if (delivery.status === 'failed') {
          failedDeliveries.push({
            record,
            channel,
            status: 'failed',
            reason: delivery.reason ?? 'unknown reason',
          });
        } else if (delivery.status === 'unknown') {
          const reason = `${delivery.reason ?? 'no answer'}; the person may already have it`;
          failedDeliveries.push({ record, channel, status: 'unknown', reason });
        }
      }
    }
  }
  expiringSoon.sort((a, b) => a.at - b.at);
  expiredSince.sort((a, b) => b.at - a.at);
  remindedSince.sort((a, b) => b.at - a.at);
  scheduled.sort((a, b) => a.at - b.at);
  return {
    now,
    awaitingApproval,
    expiringSoon: expiringSoon.map((e) => e.record),
    expiredSince: expiredSince.map((e) => e.record),
    remindedSince: remindedSince.map((e) => e.record),
    scheduled: scheduled.map((e) => e.record),
    failedDeliveries,
    failed: failed.filter((r) => !failedDeliveries.some((f) => f.record === r)),
    drift: { records: driftRecords, upstream: [...(options.upstreamDrift ?? [])] },
    counts: options.counts ?? counted,
  };
}

export function isDigestEmpty(digest: Digest): boolean {
  return (
    digest.awaitingApproval.length === 0 &&
    digest.expiringSoon.length === 0 &&
    digest.expiredSince.length === 0 &&
    digest.remindedSince.length === 0 &&
    digest.scheduled.length === 0 &&
    digest.failedDeliveries.length === 0 &&
    digest.failed.length === 0 &&
    digest.drift.records.length === 0 &&
    digest.drift.upstream.length === 0
  );
}
