/** Checks of single variables that need more than a pattern (src/config.ts uses them). */

// ——— DIGEST_CRON: node-cron takes an optional sixth, leading seconds field ———

/** How many values a numeric cron field (`*`, `5`, `1-5`, `0-30/15`, `0,30`) matches; undefined if unread. */
function fieldCount(field: string, min: number, max: number): number | undefined {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const from = m[1] === '*' ? min : Number(m[1]);
    const to = m[2] ? Number(m[2]) : m[1] === '*' || m[3] ? max : from;
    const step = m[3] ? Number(m[3]) : 1;
    if (step < 1) return undefined;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values.size;
}

/** The jobs work in whole-minute slots (src/jobs/schedule.ts): a seconds field other than 0 breaks them. */
export function secondsProblem(expression: string): string | undefined {
  const fields = expression.split(/\s+/);
  if (fields.length !== 6 || /^0+$/.test(fields[0]!)) return undefined;
  const five = 'use five fields (minute hour day month weekday) like "0 9 * * *"';
  return fieldCount(fields[0]!, 0, 59) === 1
    ? `has a seconds field (six fields); the digest runs on whole minutes: ${five}`
    : `fires more than once a minute (its first of six fields is seconds): ${five}`;
}

export function cronFrequencyWarning(expression: string): string | undefined {
  const fields = expression.split(/\s+/);
  const perHour = fieldCount(fields[fields.length - 5] ?? '', 0, 59);
  if (perHour === undefined || perHour <= 1) return undefined;
  const often = perHour === 60 ? 'every minute' : `${perHour} times an hour`;
  return `DIGEST_CRON "${expression}" fires ${often}; fine for demos and tests, but a workspace wants a daily digest like "0 9 * * *"`;
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The password inside a PostgreSQL URL (a secret like the tokens). */
export function databasePassword(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const password = new URL(url).password;
  return password ? decodeURIComponent(password) : undefined;
}
