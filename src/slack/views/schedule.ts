const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad = (n: string) => n.padStart(2, '0');

/**
 * A cron expression in words for the digest header ("every day at 09:00
 * UTC"). The common shapes get a sentence; anything else is shown as written.
 */
export function describeSchedule(cron: string, timeZone: string): string {
  const [minute, hour, day, month, weekday] = cron.trim().split(/\s+/);
  const num = /^\d+$/;
  if (day === '*' && month === '*' && minute && hour) {
    if (minute === '*' && hour === '*' && weekday === '*') return 'every minute';
    const every = /^\*\/(\d+)$/.exec(minute);
    if (every && hour === '*' && weekday === '*') return `every ${every[1]} minutes`;
    if (num.test(minute) && hour === '*' && weekday === '*') return `every hour at :${pad(minute)}`;
    if (num.test(minute) && num.test(hour)) {
      const at = `at ${pad(hour)}:${pad(minute)} ${timeZone}`;
      if (weekday === '*') return `every day ${at}`;
      if (weekday === '1-5') return `on weekdays ${at}`;
      if (weekday && num.test(weekday)) return `every ${WEEKDAYS[Number(weekday) % 7]} ${at}`;
    }
  }
  return `on the schedule ${cron} (${timeZone})`;
}
