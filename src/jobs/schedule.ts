import cron, { type ScheduledTask } from 'node-cron';

/**
 * Cron slots. node-cron never replays a missed run, so the jobs remember the
 * last slot they covered; a slot is identified by its local wall-clock time in
 * the job's time zone, so the repeated hour of a DST change cannot post twice.
 */

/** `2026-11-24T09:00` in `timeZone`. */
export function localSlotKey(date: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    slotFormat(timeZone)
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** One formatter per time zone (lastSlotAtOrBefore formats minute after minute). */
const slotFormats = new Map<string, Intl.DateTimeFormat>();
function slotFormat(timeZone: string): Intl.DateTimeFormat {
  let format = slotFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    slotFormats.set(timeZone, format);
  }
  return format;
}

/** The most recent minute at or before `now` that `expression` matches in `timeZone` (within `maxDays`). */
export function lastSlotAtOrBefore(
  expression: string,
  timeZone: string,
  now: Date,
  maxDays = 8,
): Date | undefined {
  const task = cron.createTask(expression, () => undefined, { timezone: timeZone });
  try {
    const start = Math.floor(now.getTime() / 60_000) * 60_000;
    for (let t = start; t > start - maxDays * 86_400_000; t -= 60_000) {
      const date = new Date(t);
      if (task.match(date)) return date;
    }
    return undefined;
  } finally {
    void task.destroy();
  }
}

export type JobSpec = {
  name: string;
  expression: string;
  timeZone: string;
  run: (scheduledFor: Date) => Promise<unknown>;
};

/** Schedules a job with an explicit time zone, a name and no overlapping runs. */
export function scheduleJob(spec: JobSpec, onError: (error: unknown) => void): ScheduledTask {
  return cron.schedule(
    spec.expression,
    async (context) => {
      try {
        await spec.run(context.date);
      } catch (error) {
        onError(error);
      }
    },
    { name: spec.name, timezone: spec.timeZone, noOverlap: true },
  );
}
