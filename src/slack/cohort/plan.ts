import type { CohortRow } from '../../onboarding/cohort/model.ts';
import { type Channel, displayName } from '../../onboarding/model.ts';
import { isOpen } from '../../onboarding/policy.ts';
import type { OnboardingService } from '../../onboarding/service.ts';
import { INPUT, type InputBlockId } from '../ids.ts';
import { type SendSchedule, validateInput, withSuffix } from '../validation.ts';
import type { Column, CsvRow } from './csv.ts';

/** A row the form's rules refuse: its line, and each problem by column. */
export type InvalidRow = { line: number; problems: { column: Column; message: string }[] };

export type CohortPlan = {
  /** Rows to onboard and rows skipped with their reason, in file order. */
  rows: CohortRow[];
  invalid: InvalidRow[];
};

const COLUMN_OF: Partial<Record<InputBlockId, Column>> = {
  [INPUT.firstName]: 'first_name',
  [INPUT.lastName]: 'last_name',
  [INPUT.email]: 'email',
  [INPUT.phone]: 'mobile',
  [INPUT.login]: 'login',
  [INPUT.lifetime]: 'lifetime_days',
  [INPUT.channels]: 'channels',
  [INPUT.startDate]: 'start_date',
};

/** `sms`, `email`, `sms+email` (any order, `+`, `,` or `&` between) → the form's choice value. */
function channelValue(raw: string | undefined, enabled: Channel[]): string | undefined {
  const wanted = raw
    ? raw
        .toLowerCase()
        .split(/[+,&\s]+/)
        .filter(Boolean)
    : enabled;
  const set = new Set(wanted.map((w) => (w === 'e-mail' || w === 'mail' ? 'email' : w)));
  if ([...set].some((c) => c !== 'sms' && c !== 'email')) return 'invalid';
  if (set.has('sms') && set.has('email')) return 'both';
  return set.has('sms') ? 'sms' : set.has('email') ? 'email' : undefined;
}

/**
 * Checks every row with the form's rules, then against the file itself and
 * the open onboardings: an invalid row is listed with its problems; a row
 * repeating another row's or an open onboarding's e-mail or login is skipped
 * with the reason. An empty login gets the suggestion, made unique.
 */
export async function planCohort(
  csv: CsvRow[],
  service: OnboardingService,
  options: { enabled: Channel[]; defaultLifetimeDays: number; schedule?: SendSchedule },
): Promise<CohortPlan> {
  const rows: CohortRow[] = [];
  const invalid: InvalidRow[] = [];
  const emails = new Map<string, number>();
  const logins = new Map<string, number>();
  for (const { line, values } of csv) {
    const channels = channelValue(values.channels, options.enabled);
    const result = validateInput(
      {
        [INPUT.firstName]: values.first_name,
        [INPUT.lastName]: values.last_name,
        [INPUT.email]: values.email,
        [INPUT.phone]: values.mobile,
        [INPUT.login]: values.login,
        [INPUT.lifetime]: values.lifetime_days ?? String(options.defaultLifetimeDays),
        [INPUT.channels]: channels === 'invalid' ? undefined : channels,
        [INPUT.startDate]: values.start_date,
      },
      options.enabled,
      {
        loginTaken: (login) => logins.has(login),
        ...(options.schedule ? { schedule: options.schedule } : {}),
      },
    );
    if (!result.ok) {
      const problems = Object.entries(result.errors).map(([blockId, message]) => ({
        column: COLUMN_OF[blockId as InputBlockId] ?? 'channels',
        message:
          blockId === INPUT.channels && channels === 'invalid'
            ? 'Use sms, email or sms+email.'
            : String(message),
      }));
      invalid.push({ line, problems });
      const name = `${values.first_name ?? ''} ${values.last_name ?? ''}`.trim() || '(no name)';
      const first = problems[0];
      rows.push({
        row: line,
        name,
        email: values.email ?? '',
        skipped: `invalid ${first?.column}: ${first?.message}`,
        invalid: true,
      });
      continue;
    }
    const { person, lifetimeDays, startAt } = result.input;
    const base = { row: line, name: displayName(person), email: person.email };
    const sameEmail = emails.get(person.email);
    const sameLogin = values.login ? logins.get(person.login.toLowerCase()) : undefined;
    if (sameEmail !== undefined || sameLogin !== undefined) {
      rows.push({
        ...base,
        skipped: `same ${sameEmail !== undefined ? 'e-mail' : 'login'} as row ${sameEmail ?? sameLogin}`,
      });
      continue;
    }
    const open = await service.lookup(person.email);
    if (open && isOpen(open) && open.person.email.toLowerCase() === person.email) {
      rows.push({
        ...base,
        skipped: `already being onboarded (${displayName(open.person)}, ${open.state})`,
      });
      continue;
    }
    let login = person.login;
    const clash = await service.loginInUse(login);
    if (clash && values.login) {
      rows.push({
        ...base,
        skipped: `login ${login} is already used for ${displayName(clash.person)} (${clash.state})`,
      });
      continue;
    }
    // A suggested login taken by an existing onboarding gets the next free suffix.
    let taken = Boolean(clash);
    for (let n = 2; taken && n < 50; n += 1) {
      login = withSuffix(person.login, n);
      taken = logins.has(login) || Boolean(await service.loginInUse(login));
    }
    emails.set(person.email, line);
    logins.set(login.toLowerCase(), line);
    rows.push({
      ...base,
      request: {
        person: { ...person, login },
        lifetimeDays,
        channels: result.input.channels,
        ...(startAt ? { startAt: startAt.toISOString() } : {}),
      },
    });
  }
  return { rows, invalid };
}
