import { afterEach, expect, test } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { systemClock } from '../../src/onboarding/clock.ts';
import { OnboardingService } from '../../src/onboarding/service.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';
import { parseCohortCsv } from '../../src/slack/cohort/csv.ts';
import { planCohort } from '../../src/slack/cohort/plan.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { freshDatabaseUrl } from '../helpers/postgres.ts';
import { providersFor } from '../onboarding/setup.ts';

/** Two replicas (two services, each its own pool and owner id) on one PostgreSQL database. */
let world: World | undefined;
const stores: PostgresStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await world?.close();
});

const LEASE_MS = 400;

async function replica(url: string, w: World) {
  const store = await PostgresStore.open(url);
  stores.push(store);
  const reports: boolean[] = [];
  const service = new OnboardingService({
    store,
    providers: providersFor(w),
    clock: systemClock,
    logger: createLogger('error'),
    leaseMs: LEASE_MS,
    cohortConcurrency: 2,
    onCohortProgress: (_run, _tally, final) => reports.push(final),
  });
  return { service, reports };
}

async function startedRun(service: OnboardingService, rows: number, name = 'Rep') {
  const csv = [
    'first_name,last_name,email,mobile',
    ...Array.from(
      { length: rows },
      (_, i) =>
        `${name}${i},Cohort,${name.toLowerCase()}${i}@example.com,+44770090${String(i).padStart(4, '0')}`,
    ),
  ].join('\n');
  const parsed = parseCohortCsv(csv, 500);
  if (!parsed.ok) throw new Error(parsed.error);
  const plan = await planCohort(parsed.rows, service, {
    enabled: ['sms', 'email'],
    defaultLifetimeDays: 7,
  });
  const draft = await service.cohorts.draft(SANDBOX.admin, plan.rows);
  return (await service.cohorts.confirm(draft.id, SANDBOX.admin)).run;
}

test('one replica drives a cohort; the other leaves it alone, then takes it over when it stops', async () => {
  world = await startWorld();
  world.opentact.server.setLatency(30);
  const url = await freshDatabaseUrl('cohort_replicas');
  const a = await replica(url, world);
  const b = await replica(url, world);
  const run = await startedRun(a.service, 6);

  const driving = a.service.cohorts.drive(run.id);
  await new Promise((r) => setTimeout(r, 50));
  // B sees the run running but held: it does not drive it.
  const [seen] = await b.service.cohorts.resume();
  expect(seen?.state).toBe('running');
  expect(b.reports).toEqual([]);
  expect((await driving).state).toBe('done');
  expect(a.reports.at(-1)).toBe(true);
  expect(world.opentact.state.users.size).toBe(6);

  // A replica that died holding a run: its claims stop; B takes the run over within two periods.
  const second = await startedRun(a.service, 3, 'Take');
  const now = Date.now();
  await stores[0]!.claimJobSlot('cohort-run', `${second.id}:${Math.floor(now / LEASE_MS)}`);
  await stores[0]!.claimJobSlot(
    'cohort-run',
    `${second.id}:${Math.floor((now + LEASE_MS) / LEASE_MS)}`,
  );
  expect((await b.service.cohorts.resume())[0]?.state).toBe('running'); // still held
  await new Promise((r) => setTimeout(r, 2 * LEASE_MS + 50));
  const [taken] = await b.service.cohorts.resume();
  expect(taken?.state).toBe('done');
  expect(b.reports.at(-1)).toBe(true);
  expect(world.opentact.state.users.size).toBe(9);
  const logins = [...world.opentact.state.users.values()].map((u) => u.login);
  expect(new Set(logins).size).toBe(9);
});
