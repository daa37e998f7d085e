import { afterEach, describe, expect, test } from 'vitest';
import { lastSlotAtOrBefore, localSlotKey } from '../../src/jobs/schedule.ts';
import { DAY_MS } from '../../src/onboarding/clock.ts';
import type { OnboardingRecord } from '../../src/onboarding/model.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { Store } from '../../src/store/store.ts';
import { eventually, type Harness, startHarness } from '../e2e/harness.ts';
import { makeRecord } from '../helpers/records.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const digests = (harness: Harness) =>
  harness.world.slack
    .messagesIn(SANDBOX.digestChannel)
    .filter((m) => m.text?.startsWith('Invitation digest'));

/** A pending record backed by a real Opentact invite (and a Slyk invite when `slyk`). */
async function seedPending(
  harness: Harness,
  name: string,
  options: { slyk?: boolean; expiresInMs?: number } = {},
): Promise<{ record: OnboardingRecord; inviteUuid: string; slykCode?: string }> {
  const expiresAt = new Date(Date.now() + (options.expiresInMs ?? 5 * DAY_MS));
  const invite = harness.world.opentact.seedInvite({
    name,
    expiredOn: expiresAt,
    connectionUuid: SANDBOX.connection,
  });
  const base = makeRecord();
  const slyk = options.slyk
    ? harness.world.slyk.seed({ email: base.person.email, expiredAt: expiresAt })
    : undefined;
  const record = await insert(harness, {
    ...base,
    invite: { uuid: invite.uuid, expiresAt: expiresAt.toISOString() },
    ...(slyk ? { slykCode: slyk.code } : {}),
  });
  return { record, inviteUuid: invite.uuid, ...(slyk ? { slykCode: slyk.code } : {}) };
}

/** Stores a record as given (the test builds it whole). */
async function insert(harness: Harness, record: OnboardingRecord): Promise<OnboardingRecord> {
  return (await harness.bot.store.insert(record)).record;
}

describe('digest catch-up', () => {
  test('after downtime the missed slot is posted exactly once, and not again after a restart', async () => {
    h = await startHarness();
    const twoDaysAgo = new Date(Date.now() - 2 * DAY_MS);
    const oldSlot = lastSlotAtOrBefore('0 9 * * *', 'UTC', twoDaysAgo)!;
    await h.bot.store.setJobRun('digest', {
      lastRunAt: twoDaysAgo.toISOString(),
      lastSlot: localSlotKey(oldSlot, 'UTC'),
    });

    const [a, b] = await Promise.all([h.bot.jobs.catchUp(), h.bot.jobs.catchUp()]);
    const again = await h.bot.jobs.catchUp();
    expect([a?.posted, b?.posted].filter(Boolean)).toHaveLength(1);
    expect(again).toBeUndefined();
    expect(digests(h)).toHaveLength(1);
    const expectedSlot = lastSlotAtOrBefore('0 9 * * *', 'UTC', new Date())!;
    expect((await h.bot.store.jobRun('digest')).lastSlot).toBe(localSlotKey(expectedSlot, 'UTC'));

    // Restart on the same data file: the stored slot key loads and nothing is posted again.
    const world = h.world;
    await h.bot.stop(2_000);
    const reopened = await startHarness({}, { world });
    try {
      // Let Bolt's start-up auth.test finish before the world closes (it is not awaited on stop).
      await eventually(() => world.slack.callsTo('auth.test').length >= 2);
      expect(await reopened.bot.jobs.catchUp()).toBeUndefined();
      expect(digests(reopened)).toHaveLength(1);
    } finally {
      await reopened.close();
    }
    await world.close();
    h = undefined;
  });

  test('the very first start never posts; it only remembers the current slot', async () => {
    h = await startHarness();
    expect(await h.bot.store.jobRun('digest')).toEqual({});
    expect(await h.bot.jobs.catchUp()).toBeUndefined();
    expect(await h.bot.jobs.catchUp()).toBeUndefined();
    expect(digests(h)).toHaveLength(0);
    expect((await h.bot.store.jobRun('digest')).lastSlot).toBe(
      localSlotKey(lastSlotAtOrBefore('0 9 * * *', 'UTC', new Date())!, 'UTC'),
    );
    expect(h.world.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});

describe('expiry sweep', () => {
  test('marks pending invites past their expiry as expired, and only those', async () => {
    h = await startHarness();
    const past = new Date(Date.now() - 60_000).toISOString();
    const due = await insert(
      h,
      makeRecord({ invite: { uuid: crypto.randomUUID(), expiresAt: past } }),
    );
    const fresh = await insert(
      h,
      makeRecord({
        invite: {
          uuid: crypto.randomUUID(),
          expiresAt: new Date(Date.now() + DAY_MS).toISOString(),
        },
      }),
    );
    const accepted = await insert(
      h,
      makeRecord({
        state: 'accepted',
        invite: { uuid: crypto.randomUUID(), expiresAt: past },
        // Changed just now: the fixture's fixed date would make it archivable after 90 days.
        updatedAt: new Date().toISOString(),
      }),
    );
    expect(await h.bot.jobs.sweep()).toBe(1);
    expect(await h.bot.store.get(due.id)).toMatchObject({ state: 'expired', expiredAt: past });
    expect((await await h.bot.store.get(due.id))!.audit.at(-1)).toMatchObject({
      by: 'system',
      action: 'expired',
    });
    expect((await await h.bot.store.get(fresh.id))!.state).toBe('pending');
    expect((await await h.bot.store.get(accepted.id))!.state).toBe('accepted');
    expect(await h.bot.jobs.sweep()).toBe(0);
  });
});

describe('reconciliation', () => {
  test('Slyk accepted → accepted', async () => {
    h = await startHarness();
    const { record, slykCode } = await seedPending(h, 'Ada', { slyk: true });
    h.world.slyk.accept(slykCode!);
    const report = await h.bot.jobs.reconcile();
    expect(report.errors).toEqual([]);
    expect(report.accepted).toBe(1);
    const after = (await await h.bot.store.get(record.id))!;
    expect(after.state).toBe('accepted');
    expect(after.audit.at(-1)?.detail).toContain('Slyk');
  });

  test('the Opentact invite consumed → accepted', async () => {
    h = await startHarness();
    const { record, inviteUuid } = await seedPending(h, 'Grace', { slyk: true });
    const untouched = await seedPending(h, 'Linus', { slyk: true });
    expect(h.world.opentact.acceptInvite(inviteUuid)).toBe(true);
    const report = await h.bot.jobs.reconcile();
    expect(report.errors).toEqual([]);
    expect(report.accepted).toBe(1);
    const after = (await await h.bot.store.get(record.id))!;
    expect(after.state).toBe('accepted');
    expect(after.invite?.goneAt).toBeDefined();
    expect((await await h.bot.store.get(untouched.record.id))!.state).toBe('pending');
    expect(report.drift).toEqual([]);
  });

  test('an upstream-only invite is reported as drift in the digest', async () => {
    h = await startHarness();
    await seedPending(h, 'Known');
    h.world.opentact.seedInvite({
      name: 'Mystery Caller',
      expiredOn: new Date(Date.now() + DAY_MS),
      connectionUuid: SANDBOX.connection,
    });
    const report = await h.bot.jobs.reconcile();
    expect(report.drift).toEqual([
      expect.objectContaining({
        kind: 'upstream-only',
        api: 'opentact',
        what: expect.stringContaining('Mystery Caller'),
      }),
    ]);
    const result = await h.bot.jobs.digest({ requestedBy: SANDBOX.admin });
    expect(result.posted).toBe(true);
    const [message] = digests(h);
    const text = JSON.stringify(message!.blocks);
    expect(text).toContain('Drift between the records and upstream');
    expect(text).toContain('Mystery Caller');
    expect(text).toContain('exists upstream, no record here');
    expect(text).not.toContain('Known');
  });
});

describe('digest posting', () => {
  test('is paced to about one post per second per channel', async () => {
    h = await startHarness({}, { postIntervalMs: 1_000 });
    const started = Date.now();
    const results = await Promise.all([1, 2, 3].map(() => h!.bot.jobs.digest()));
    expect(results.every((r) => r.posted)).toBe(true);
    expect(digests(h)).toHaveLength(3);
    expect(h.world.slack.maxPostsInWindow(1_000)).toBeLessThanOrEqual(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });
});

// The store must reload whatever the jobs wrote (job run slot keys included).
test('a data file written by the jobs opens again', async () => {
  h = await startHarness();
  await h.bot.jobs.digest({ slot: new Date('2026-11-24T09:00:00Z') });
  await h.bot.store.flush();
  const file = h.bot.config.dataFile;
  await h.close();
  h = undefined;
  const store = await Store.open(file);
  try {
    expect((await store.jobRun('digest')).lastSlot).toBe('2026-11-24T09:00');
  } finally {
    await store.close();
  }
});
