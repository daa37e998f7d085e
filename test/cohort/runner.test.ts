import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { systemClock } from '../../src/onboarding/clock.ts';
import type { CohortRow, CohortTally } from '../../src/onboarding/cohort/model.ts';
import { OnboardingService } from '../../src/onboarding/service.ts';
import { SANDBOX } from '../../src/sandbox/world.ts';
import { parseCohortCsv } from '../../src/slack/cohort/csv.ts';
import { planCohort } from '../../src/slack/cohort/plan.ts';
import { type Domain, request, startDomain } from '../onboarding/setup.ts';

let domain: Domain | undefined;
afterEach(async () => {
  await domain?.close();
  domain = undefined;
});

const CSV = [
  'first_name,last_name,email,mobile,channels',
  'Ada,Lovelace,ada@example.com,+4915112345601,sms+email',
  'Grace,Hopper,grace@example.com,+4915112345602,email',
  'Alan,Turing,alan@example.com,+4915112345603,',
  'Ada,Again,ADA@example.com,+4915112345604,sms',
  'Bad,Phone,bad@example.com,12345,sms',
  'Edsger,Dijkstra,edsger@example.com,+4915112345605,fax',
].join('\n');

/** A service over the domain's store that records every progress report. */
function cohortService(d: Domain, concurrency = 1) {
  const reports: { state: string; tally: CohortTally; final: boolean }[] = [];
  const service = new OnboardingService({
    store: d.store,
    providers: d.providers,
    clock: systemClock,
    logger: createLogger('error'),
    cohortConcurrency: concurrency,
    onCohortProgress: (run, tally, final) => reports.push({ state: run.state, tally, final }),
  });
  return { service, reports };
}

async function plan(service: OnboardingService, text = CSV) {
  const parsed = parseCohortCsv(text, 500);
  if (!parsed.ok) throw new Error(parsed.error);
  return planCohort(parsed.rows, service, { enabled: ['sms', 'email'], defaultLifetimeDays: 7 });
}

describe('cohort plan', () => {
  test('uses the form rules per row, names row and column, skips duplicates with the reason', async () => {
    domain = await startDomain();
    const existing = request({ person: { ...request().person, email: 'alan@example.com' } });
    await domain.service.submit(existing);
    const { rows, invalid } = await plan(domain.service);
    expect(invalid).toEqual([
      {
        line: 6,
        problems: [{ column: 'mobile', message: expect.stringMatching(/international/) }],
      },
      { line: 7, problems: [{ column: 'channels', message: 'Use sms, email or sms+email.' }] },
    ]);
    const summary = rows.map((r: CohortRow) => [r.row, r.request ? 'onboard' : r.skipped]);
    expect(summary).toEqual([
      [2, 'onboard'],
      [3, 'onboard'],
      [4, expect.stringMatching(/already being onboarded/)],
      [5, 'same e-mail as row 2'],
      [6, expect.stringMatching(/^invalid mobile/)],
      [7, expect.stringMatching(/^invalid channels/)],
    ]);
    expect(rows[0]?.request).toMatchObject({
      person: { login: 'ada.lovelace', phone: '+4915112345601' },
      channels: ['sms', 'email'],
      lifetimeDays: 7,
    });
    expect(rows[1]?.request?.channels).toEqual(['email']);
  });

  test('a suggested login already in use gets the next free suffix', async () => {
    domain = await startDomain();
    const taken = request();
    await domain.service.submit({ ...taken, person: { ...taken.person, login: 'ada.lovelace' } });
    const { rows } = await plan(
      domain.service,
      'first_name,last_name,email,mobile\nAda,Lovelace,a2@example.com,+4915112345601\n',
    );
    expect(rows[0]?.request?.person.login).toBe('ada.lovelace2');
  });
});

describe('cohort run', () => {
  test('onboards every row once, reports progress, survives a restart before it is driven', async () => {
    domain = await startDomain();
    const first = cohortService(domain);
    const { rows } = await plan(first.service);
    const draft = await first.service.cohorts.draft(SANDBOX.admin, rows);
    const { started } = await first.service.cohorts.confirm(draft.id, SANDBOX.admin);
    expect(started).toBe(true);
    expect((await first.service.cohorts.confirm(draft.id, SANDBOX.admin)).started).toBe(false);
    // "Crash" here: confirmed, nothing created yet. A new process resumes it.
    await domain.restart();
    const second = cohortService(domain);
    const [done] = await second.service.cohorts.resume();
    expect(done?.state).toBe('done');
    const records = await second.service.cohorts.load(done!);
    expect([...records.values()].map((r) => r.state)).toEqual(['pending', 'pending', 'pending']);
    for (const r of records.values()) {
      expect(domain.counts(r.person)).toEqual({
        sipUsers: 1,
        invites: 1,
        sms: r.channels.includes('sms') ? 1 : 0,
        emails: 1,
      });
    }
    const final = second.reports.at(-1)!;
    expect(final).toMatchObject({ final: true, state: 'done' });
    expect(final.tally).toEqual({ total: 3, done: 3, invited: 3, failed: 0, skipped: 3 });
    // Driving again (a second resume) repeats nothing.
    await second.service.cohorts.drive(done!.id);
    for (const r of records.values()) expect(domain.counts(r.person).sipUsers).toBe(1);
  });

  test('a failed SMS is named; Retry failed sends only that one again', async () => {
    domain = await startDomain();
    const { service, reports } = cohortService(domain);
    const { rows } = await plan(service);
    // Rows run one at a time: the first SMS sent is Ada's (row 2); Grace has e-mail only.
    domain.world.usermgmt.addFault({
      method: 'POST',
      route: '/UserMgmt/SendSmsInvite',
      status: 500,
    });
    const draft = await service.cohorts.draft(SANDBOX.admin, rows);
    await service.cohorts.confirm(draft.id, SANDBOX.admin);
    const run = await service.cohorts.drive(draft.id);
    expect(reports.at(-1)?.tally).toMatchObject({ done: 3, invited: 2, failed: 1 });
    const records = [...(await service.cohorts.load(run)).values()];
    const ada = records.find((r) => r.person.firstName === 'Ada')!;
    expect(ada.deliveries.sms.status).toBe('failed');
    const smsBefore = domain.world.usermgmt.sent.length;
    await service.cohorts.retryFailed(run.id, SANDBOX.admin);
    expect(domain.world.usermgmt.sent.length).toBe(smsBefore + 1);
    expect(reports.at(-1)).toMatchObject({ final: true, tally: { invited: 3, failed: 0 } });
    expect(domain.counts(ada.person)).toEqual({ sipUsers: 1, invites: 1, sms: 1, emails: 1 });
    await expect(service.cohorts.retryFailed(run.id, SANDBOX.admin)).rejects.toThrow(
      /Nothing failed/,
    );
  });

  test('only the uploader can start a draft; a discarded draft cannot be started', async () => {
    domain = await startDomain();
    const { service } = cohortService(domain);
    const { rows } = await plan(service);
    const draft = await service.cohorts.draft(SANDBOX.admin, rows);
    await expect(service.cohorts.confirm(draft.id, 'UOTHER')).rejects.toThrow(
      /Only the admin who uploaded/,
    );
    await service.cohorts.discard(draft.id);
    await expect(service.cohorts.confirm(draft.id, SANDBOX.admin)).rejects.toThrow(/was closed/);
  });
});
