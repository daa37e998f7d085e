import { afterEach, describe, expect, test, vi } from 'vitest';
import { lastSlotAtOrBefore, localSlotKey, scheduleJob } from '../../src/jobs/schedule.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { type Harness, startHarness } from '../e2e/harness.ts';

const BERLIN = 'Europe/Berlin';
const d = (iso: string) => new Date(iso);

describe('localSlotKey', () => {
  test('is the wall-clock minute in the zone', () => {
    expect(localSlotKey(d('2026-11-24T09:00:00Z'), 'UTC')).toBe('2026-11-24T09:00');
    expect(localSlotKey(d('2026-11-24T09:00:00Z'), BERLIN)).toBe('2026-11-24T10:00'); // CET
    expect(localSlotKey(d('2026-07-01T09:00:00Z'), BERLIN)).toBe('2026-07-01T11:00'); // CEST
    expect(localSlotKey(d('2026-12-31T23:30:00Z'), BERLIN)).toBe('2027-01-01T00:30');
    expect(localSlotKey(d('2026-11-24T00:05:59Z'), 'UTC')).toBe('2026-11-24T00:05');
  });

  test('the two instants of the repeated hour at the DST fall-back share one key', () => {
    // 2026-10-25: 03:00 CEST → 02:00 CET, so 02:30 local happens at 00:30Z and 01:30Z.
    expect(localSlotKey(d('2026-10-25T00:30:00Z'), BERLIN)).toBe('2026-10-25T02:30');
    expect(localSlotKey(d('2026-10-25T01:30:00Z'), BERLIN)).toBe('2026-10-25T02:30');
    expect(localSlotKey(d('2026-10-25T00:30:00Z'), 'UTC')).toBe('2026-10-25T00:30');
  });
});

describe('lastSlotAtOrBefore', () => {
  test('UTC', () => {
    expect(lastSlotAtOrBefore('0 9 * * *', 'UTC', d('2026-11-24T10:15:30Z'))).toEqual(
      d('2026-11-24T09:00:00Z'),
    );
    expect(lastSlotAtOrBefore('0 9 * * *', 'UTC', d('2026-11-24T09:00:00Z'))).toEqual(
      d('2026-11-24T09:00:00Z'),
    );
    expect(lastSlotAtOrBefore('0 9 * * *', 'UTC', d('2026-11-24T08:59:59Z'))).toEqual(
      d('2026-11-23T09:00:00Z'),
    );
    // Weekdays only: on Monday morning the last slot is Friday's.
    expect(lastSlotAtOrBefore('0 9 * * 1-5', 'UTC', d('2026-11-23T08:00:00Z'))).toEqual(
      d('2026-11-20T09:00:00Z'),
    );
  });

  test('Europe/Berlin, winter and summer time', () => {
    expect(lastSlotAtOrBefore('0 9 * * *', BERLIN, d('2026-11-24T10:15:00Z'))).toEqual(
      d('2026-11-24T08:00:00Z'),
    );
    expect(lastSlotAtOrBefore('0 9 * * *', BERLIN, d('2026-07-01T10:00:00Z'))).toEqual(
      d('2026-07-01T07:00:00Z'),
    );
    expect(lastSlotAtOrBefore('0 9 * * *', BERLIN, d('2026-11-24T07:59:00Z'))).toEqual(
      d('2026-11-23T08:00:00Z'),
    );
  });

  test('across the fall-back the latest instant of 02:30 is found; both map to one key', () => {
    const late = lastSlotAtOrBefore('30 2 * * *', BERLIN, d('2026-10-25T03:00:00Z'));
    expect(late).toEqual(d('2026-10-25T01:30:00Z'));
    const early = lastSlotAtOrBefore('30 2 * * *', BERLIN, d('2026-10-25T01:00:00Z'));
    expect(early).toEqual(d('2026-10-25T00:30:00Z'));
    expect(localSlotKey(early!, BERLIN)).toBe(localSlotKey(late!, BERLIN));
  });

  test('nothing within maxDays → undefined', () => {
    expect(lastSlotAtOrBefore('0 9 1 1 *', 'UTC', d('2026-11-24T10:00:00Z'))).toBeUndefined();
    expect(lastSlotAtOrBefore('0 9 * * *', 'UTC', d('2026-11-24T08:00:00Z'), 0)).toBeUndefined();
  });
});

describe('scheduleJob (node-cron under fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function runFor(
    expression: string,
    timeZone: string,
    from: string,
    hours: number,
  ): Promise<{ at: string; slot: string }[]> {
    vi.useFakeTimers({ now: d(from) });
    const runs: { at: string; slot: string }[] = [];
    const errors: unknown[] = [];
    const task = scheduleJob(
      {
        name: `test-${expression}`,
        expression,
        timeZone,
        run: async (date) => {
          runs.push({ at: new Date().toISOString(), slot: localSlotKey(date, timeZone) });
        },
      },
      (error) => errors.push(error),
    );
    try {
      await vi.advanceTimersByTimeAsync(hours * 3_600_000);
    } finally {
      await task.destroy();
    }
    expect(errors).toEqual([]);
    return runs;
  }

  test('fires at the configured local time in the configured zone', async () => {
    // 09:00 Europe/Berlin in November is 08:00Z; starting at 06:00Z, two days.
    const runs = await runFor('0 9 * * *', BERLIN, '2026-11-24T06:00:00Z', 48);
    expect(runs).toEqual([
      { at: '2026-11-24T08:00:00.000Z', slot: '2026-11-24T09:00' },
      { at: '2026-11-25T08:00:00.000Z', slot: '2026-11-25T09:00' },
    ]);
    const utc = await runFor('0 9 * * *', 'UTC', '2026-11-24T06:00:00Z', 24);
    expect(utc).toEqual([{ at: '2026-11-24T09:00:00.000Z', slot: '2026-11-24T09:00' }]);
  });

  test('errors go to onError and the schedule keeps running', async () => {
    vi.useFakeTimers({ now: d('2026-11-24T08:58:00Z') });
    const errors: unknown[] = [];
    let calls = 0;
    const task = scheduleJob(
      {
        name: 'failing',
        expression: '* * * * *',
        timeZone: 'UTC',
        run: async () => {
          calls += 1;
          throw new Error('boom');
        },
      },
      (error) => errors.push(error),
    );
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    await task.destroy();
    expect(calls).toBe(3);
    expect(errors).toHaveLength(3);
  });

  test('the DST fall-back night yields one run per local 02:30 slot', async () => {
    const runs = await runFor('30 2 * * *', BERLIN, '2026-10-24T22:00:00Z', 6);
    expect(runs.map((r) => r.slot)).toEqual(['2026-10-25T02:30']);
  });
});

describe('Jobs.digest dedupes by local slot key', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('both UTC instants of 02:30 on 2026-10-25 in Europe/Berlin post one digest', async () => {
    h = await startHarness({ DIGEST_CRON: '30 2 * * *', DIGEST_TIMEZONE: BERLIN });
    const first = await h.bot.jobs.digest({ slot: d('2026-10-25T00:30:00Z') });
    const second = await h.bot.jobs.digest({ slot: d('2026-10-25T01:30:00Z') });
    expect(first.posted).toBe(true);
    expect(second.posted).toBe(false);
    const digests = h.world.slack
      .messagesIn(SANDBOX.digestChannel)
      .filter((m) => m.text?.startsWith('Invitation digest'));
    expect(digests).toHaveLength(1);
    expect((await h.bot.store.jobRun('digest')).lastSlot).toBe('2026-10-25T02:30');
    // The next day's slot posts again.
    const next = await h.bot.jobs.digest({ slot: d('2026-10-26T01:30:00Z') });
    expect(next.posted).toBe(true);
  });
});
