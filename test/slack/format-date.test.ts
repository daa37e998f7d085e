import { expect, test } from 'vitest';
import { formatDate, slackDate } from '../../src/slack/views/blocks.ts';

test('dates for people are to the minute, per time zone (a cache of formatted minutes mixes neither)', () => {
  expect(formatDate('2026-12-01T09:00:30Z')).toBe('Tue, 1 Dec 2026, 09:00 UTC');
  expect(formatDate('2026-12-01T09:00:59.999Z')).toBe('Tue, 1 Dec 2026, 09:00 UTC');
  expect(formatDate('2026-12-01T09:01:00Z')).toBe('Tue, 1 Dec 2026, 09:01 UTC');
  expect(formatDate('2026-12-01T09:00:30Z', 'Europe/Berlin')).toBe('Tue, 1 Dec 2026, 10:00');
  expect(formatDate(new Date('2026-12-01T09:00:30Z'), 'America/New_York')).toBe(
    'Tue, 1 Dec 2026, 04:00',
  );
  // Many minutes later the cache has been cleared and refilled; answers stay the same.
  for (let m = 0; m < 2_500; m++) formatDate(new Date(Date.UTC(2026, 0, 1) + m * 60_000));
  expect(formatDate('2026-12-01T09:00:30Z')).toBe('Tue, 1 Dec 2026, 09:00 UTC');
  expect(slackDate('2026-12-01T09:00:30Z')).toBe(
    `<!date^${Date.parse('2026-12-01T09:00:30Z') / 1000}^{date_short_pretty} {time}|Tue, 1 Dec 2026, 09:00 UTC>`,
  );
});
