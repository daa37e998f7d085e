import { test, vi } from 'vitest';
import { localSlotKey, scheduleJob } from '../../src/jobs/schedule.ts';
test('probe', async () => {
  vi.useFakeTimers({ now: new Date('2026-10-24T22:00:00Z') });
  const seen: string[] = [];
  const task = scheduleJob({ name: 'p', expression: '30 2 * * *', timeZone: 'Europe/Berlin', run: async (d) => { seen.push(`${d.toISOString()} now=${new Date().toISOString()} ${localSlotKey(d, 'Europe/Berlin')}`); } }, (e) => seen.push(String(e)));
  await vi.advanceTimersByTimeAsync(6 * 3_600_000);
  await task.destroy();
  vi.useRealTimers();
  console.log(seen);
});
