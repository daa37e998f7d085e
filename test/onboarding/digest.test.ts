import { describe, expect, test } from 'vitest';
import { DAY_MS } from '../../src/onboarding/clock.ts';
import { selectDigest } from '../../src/onboarding/digest.ts';
import type { DriftItem, OnboardingRecord } from '../../src/onboarding/model.ts';
import { validateMessageBlocks } from '../../src/sandbox/slack/index.ts';
import { digestBlocks, MESSAGE_BLOCK_LIMIT } from '../../src/slack/views/lists.ts';
import { makeRecord } from '../helpers/records.ts';
import { testSeal } from '../helpers/seal.ts';

const NOW = new Date('2026-11-24T09:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const HOUR = 3_600_000;

/** A pending record whose invite expires `ms` from NOW. */
function pending(ms: number, overrides: Partial<OnboardingRecord> = {}): OnboardingRecord {
  const r = makeRecord(overrides);
  return { ...r, invite: { uuid: r.invite!.uuid, expiresAt: at(ms) } };
}

function expired(expiredAgoMs: number): OnboardingRecord {
  const r = makeRecord({ state: 'expired' });
  return {
    ...r,
    invite: { uuid: r.invite!.uuid, expiresAt: at(-expiredAgoMs) },
    expiredAt: at(-expiredAgoMs),
  };
}

const failedSms = (reason: string) =>
  ({ status: 'failed', reason, attempts: [] }) as OnboardingRecord['deliveries']['sms'];

describe('selectDigest', () => {
  const soon2h = pending(2 * HOUR);
  const soon1d = pending(DAY_MS);
  const soon30m = pending(30 * 60_000);
  const later = pending(5 * DAY_MS); // beyond EXPIRY_WARNING_DAYS=2
  const pastButPending = pending(-HOUR); // not yet swept: not "expiring soon"
  const expiredRecently = expired(3 * HOUR);
  const expiredJustNow = expired(HOUR);
  const expiredLongAgo = expired(3 * DAY_MS);
  const deliveryFailed = makeRecord({
    deliveries: { sms: failedSms('number unreachable'), email: { status: 'sent', attempts: [] } },
  });
  const noReason = makeRecord({
    deliveries: {
      sms: { status: 'sent', attempts: [] },
      email: { status: 'failed', attempts: [] },
    },
  });
  const stepFailed = makeRecord({ state: 'failed', failedStep: 'invite' });
  const stepAndDeliveryFailed = makeRecord({
    state: 'failed',
    failedStep: 'sms',
    deliveries: { sms: failedSms('gateway down'), email: { status: 'sent', attempts: [] } },
  });
  // A closed onboarding's failed delivery does not matter any more.
  const acceptedWithFailure = makeRecord({
    state: 'accepted',
    deliveries: { sms: failedSms('old'), email: { status: 'sent', attempts: [] } },
  });
  const revoked = makeRecord({ state: 'revoked' });
  // Offboarded: counted, never listed (its invite and deliveries are history).
  const offboarded = makeRecord({
    state: 'offboarded',
    deliveries: { sms: failedSms('old'), email: { status: 'sent', attempts: [] } },
  });
  const provisioning = makeRecord({ state: 'provisioning', invite: undefined });
  const drifting = makeRecord({ drift: 'the e-mail invite is missing at Slyk' });
  const upstream: DriftItem[] = [
    { kind: 'upstream-only', api: 'opentact', what: 'SIP user invite "x"', at: NOW.toISOString() },
  ];
  const records = [
    later,
    soon1d,
    expiredLongAgo,
    soon2h,
    expiredRecently,
    deliveryFailed,
    noReason,
    stepFailed,
    stepAndDeliveryFailed,
    acceptedWithFailure,
    revoked,
    offboarded,
    provisioning,
    soon30m,
    expiredJustNow,
    pastButPending,
    drifting,
  ];
  const since = new Date(NOW.getTime() - DAY_MS);
  const digest = selectDigest(records, NOW, { warningDays: 2, since, upstreamDrift: upstream });

  test('expiring soonest first, only within the warning window and still in the future', () => {
    expect(digest.expiringSoon.map((r) => r.id)).toEqual([soon30m.id, soon2h.id, soon1d.id]);
  });

  test('expired since the last digest only, most recent first', () => {
    expect(digest.expiredSince.map((r) => r.id)).toEqual([expiredJustNow.id, expiredRecently.id]);
    // With an older "since" the long-ago one is included too.
    const wider = selectDigest(records, NOW, {
      warningDays: 2,
      since: new Date(NOW.getTime() - 4 * DAY_MS),
    });
    expect(wider.expiredSince.map((r) => r.id)).toEqual([
      expiredJustNow.id,
      expiredRecently.id,
      expiredLongAgo.id,
    ]);
    // Default "since": a day ago.
    const byDefault = selectDigest(records, NOW, { warningDays: 2 });
    expect(byDefault.expiredSince).toHaveLength(2);
  });

  test('failed deliveries of open onboardings, with the reason', () => {
    expect(digest.failedDeliveries.map((f) => [f.record.id, f.channel, f.reason])).toEqual([
      [deliveryFailed.id, 'sms', 'number unreachable'],
      [noReason.id, 'email', 'unknown reason'],
      [stepAndDeliveryFailed.id, 'sms', 'gateway down'],
    ]);
    // A failed onboarding already listed by its delivery is not listed twice.
    expect(digest.failed.map((r) => r.id)).toEqual([stepFailed.id]);
  });

  test('counts every state; drift from records and upstream', () => {
    expect(digest.counts).toEqual({
      requested: 0,
      provisioning: 1,
      scheduled: 0,
      pending: 8,
      failed: 2,
      accepted: 1,
      expired: 3,
      revoked: 1,
      rejected: 0,
      request_expired: 0,
      offboarded: 1,
    });
    expect(digest.drift.records.map((r) => r.id)).toEqual([drifting.id]);
    expect(digest.drift.upstream).toEqual(upstream);
  });

  test('is a pure function of records and clock', () => {
    const copy = structuredClone(records);
    const again = selectDigest(copy, NOW, { warningDays: 2, since, upstreamDrift: upstream });
    expect(JSON.parse(JSON.stringify(again))).toEqual(JSON.parse(JSON.stringify(digest)));
    expect(copy).toEqual(records);
    const blocks = digestBlocks(digest, 'UTC', testSeal);
    expect(validateMessageBlocks(blocks)).toEqual([]);
  });
});

describe('digestBlocks', () => {
  test('an empty digest is one line under the header', () => {
    const digest = selectDigest([makeRecord({ state: 'accepted' })], NOW, { warningDays: 2 });
    const blocks = digestBlocks(digest, 'UTC', testSeal);
    expect(validateMessageBlocks(blocks)).toEqual([]);
    const body = blocks.filter((b) => b.type === 'section');
    expect(body).toHaveLength(1);
    expect(JSON.stringify(body[0])).toContain('Nothing needs attention');
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  test('200 items stay within 50 blocks, point to /onboard list, and have unique action_ids', () => {
    const records = Array.from({ length: 200 }, (_, i) => pending((i + 1) * 60_000));
    const digest = selectDigest(records, NOW, { warningDays: 2 });
    expect(digest.expiringSoon).toHaveLength(200);
    const blocks = digestBlocks(digest, 'UTC', testSeal);
    expect(blocks.length).toBeLessThanOrEqual(MESSAGE_BLOCK_LIMIT);
    expect(validateMessageBlocks(blocks)).toEqual([]);

    const ids = blocks.flatMap((b) =>
      b.type === 'actions' ? b.elements.map((e) => (e as { action_id: string }).action_id) : [],
    );
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);

    const shown = blocks.filter((b) => b.type === 'actions').length;
    const more = JSON.stringify(blocks.find((b) => JSON.stringify(b).includes('more item')));
    expect(more).toContain(`…and ${200 - shown} more items`);
    expect(more).toContain('/onboard list');
    // The soonest are the ones shown.
    expect(JSON.stringify(blocks)).toContain(records[0]!.id);
    expect(JSON.stringify(blocks)).not.toContain(records[199]!.id);
  });

  test('200 items across every section still validate', () => {
    const records = [
      ...Array.from({ length: 50 }, (_, i) => pending((i + 1) * 60_000)),
      ...Array.from({ length: 50 }, (_, i) => expired((i + 1) * 60_000)),
      ...Array.from({ length: 50 }, () =>
        makeRecord({
          deliveries: { sms: failedSms('<bad> & "x"'), email: { status: 'sent', attempts: [] } },
        }),
      ),
      ...Array.from({ length: 50 }, () => makeRecord({ drift: 'gone upstream' })),
    ];
    const blocks = digestBlocks(
      selectDigest(records, NOW, { warningDays: 2 }),
      'Europe/Berlin',
      testSeal,
    );
    expect(blocks.length).toBeLessThanOrEqual(MESSAGE_BLOCK_LIMIT);
    expect(validateMessageBlocks(blocks)).toEqual([]);
    expect(JSON.stringify(blocks)).toContain('/onboard list');
  });

  test('reminders sent since the last digest are listed once, beside "expiring soon"', () => {
    const reminder = (ago: number): OnboardingRecord['reminder'] => ({
      status: 'sent',
      at: at(-ago),
      channels: ['sms'],
      results: [{ channel: 'sms', outcome: 'sent' }],
    });
    const recent = pending(20 * HOUR, { reminder: reminder(4 * HOUR) });
    const old = pending(3 * HOUR, { reminder: reminder(2 * DAY_MS) });
    const digest = selectDigest([recent, old, pending(DAY_MS)], NOW, {
      warningDays: 2,
      since: new Date(NOW.getTime() - DAY_MS),
    });
    expect(digest.remindedSince.map((r) => r.id)).toEqual([recent.id]);
    const blocks = digestBlocks(digest, 'UTC', testSeal);
    expect(validateMessageBlocks(blocks)).toEqual([]); // the record is also "expiring soon"
    const text = JSON.stringify(blocks);
    expect(text).toContain('Reminders sent since the last digest* (1)');
    expect(text).toContain('SMS sent');
  });
});
