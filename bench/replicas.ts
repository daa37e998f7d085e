import { median, ms, percentile, type Row, tempDataFile, uniqueValues } from './common.ts';
import { freshDatabase, query, startPostgres } from './postgres.ts';
import { type App, type Sender, type Sim, spawnApp, spawnSim, treeCpuMs } from './procs.ts';

/**
 * Onboardings per second and submission-ack p99 for three setups: one bot on
 * lowdb, one on PostgreSQL, two replicas sharing one PostgreSQL database with
 * the signed requests spread round-robin over both. Each setup gets fresh
 * simulators and (for PostgreSQL) a fresh database on one embedded server;
 * at the end, what was created is counted to show nothing ran twice.
 */

const CONCURRENCY = 20;
const N = Number(process.env.BENCH_REPLICA_ONBOARDINGS ?? 200);
const WARMUP = 20;
const SCALE_TARGET = 1.5;

type Tally = { sipUsers: number; sipLogins: number; sms: number };
/** CPU per measured onboarding (ms): the bots together, PostgreSQL, the simulators (the sender, in this process, is not counted). */
type Cpu = { bots: number; postgres: number; sim: number };
/** Per measured onboarding, from pg_stat_database: commits (an autocommit statement is one), rows written. */
type Db = { commits: number; written: number };
type Result = {
  rate: number;
  cpu: Cpu;
  db?: Db;
  submitMs: number[];
  serverMs: number[];
  tally: Tally;
  records?: { total: number; keys: number; logins: number; pending: number };
};

/**
 * The database's counters. A backend reports its statistics at most once a second, and an
 * idle one after 10 s, so this waits 11 s first: only with BENCH_VERBOSE.
 */
async function dbCounts(url: string): Promise<Db> {
  await new Promise((r) => setTimeout(r, 11_000));
  const [row] = await query<{ commits: string; written: string }>(
    url,
    `SELECT xact_commit AS commits, tup_inserted + tup_updated + tup_deleted AS written
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  return { commits: Number(row!.commits), written: Number(row!.written) };
}

/**
 * `count` onboardings, CONCURRENCY at a time, as load.ts runs them; every
 * signed request goes to the next sender in turn. Returns the wall time and
 * the submission acks as the sender saw them.
 */
async function onboard(senders: Sender[], count: number) {
  let turn = 0;
  const next = () => senders[turn++ % senders.length]!;
  const submitMs: number[] = [];
  const started = performance.now();
  let begun = 0;
  const lane = async () => {
    while (begun < count) {
      begun += 1;
      const [command] = await next().commands(1);
      if (command!.status !== 200) throw new Error(`/onboard answered ${command!.status}`);
      const ids = await senders[0]!.takeModals(1);
      const [answer] = await next().submits(ids, uniqueValues);
      if ((answer!.body as { response_action?: string })?.response_action !== 'update') {
        throw new Error(`submission answered ${answer!.status}: ${answer!.text.slice(0, 200)}`);
      }
      submitMs.push(answer!.ms);
      await senders[0]!.finished(ids);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return { wallMs: performance.now() - started, submitMs };
}

async function setup(
  replicas: number,
  databaseUrl: string | undefined,
  postgresPid: number,
): Promise<Result> {
  const sim: Sim = await spawnSim();
  const apps: App[] = [];
  try {
    const env = databaseUrl
      ? { ...sim.env, DATABASE_URL: databaseUrl, DATA_FILE: tempDataFile() }
      : { ...sim.env, DATA_FILE: tempDataFile() };
    // One after another: the first runs the migrations.
    for (let i = 0; i < replicas; i += 1) apps.push(await spawnApp('bot', env));
    const senders = apps.map((app) => sim.sender(app.url));
    await onboard(senders, WARMUP);
    for (const app of apps) await app.call('samples'); // reset
    const cpu = (): Cpu => ({
      bots: apps.reduce((sum, app) => sum + treeCpuMs(app.pid), 0),
      postgres: databaseUrl ? treeCpuMs(postgresPid) : 0,
      sim: treeCpuMs(sim.pid),
    });
    const counted = databaseUrl && process.env.BENCH_VERBOSE ? databaseUrl : undefined;
    const dbBefore = counted ? await dbCounts(counted) : undefined;
    const before = cpu();
    const { wallMs, submitMs } = await onboard(senders, N);
    const after = cpu();
    const dbAfter = counted ? await dbCounts(counted) : undefined;
    if (counted) {
      // Where the statements went, per table (cumulative since the database was made).
      console.log(
        `${replicas} replica(s):`,
        await query(
          counted,
          `SELECT relname, seq_scan, idx_scan, n_tup_ins, n_tup_upd, n_tup_del
             FROM pg_stat_user_tables ORDER BY relname`,
        ),
      );
    }
    const serverMs: number[] = [];
    for (const app of apps)
      serverMs.push(...(await app.call<{ samples: number[] }>('samples')).samples);
    const tally = await sim.request<Tally>('tally');
    const result: Result = {
      rate: (N / wallMs) * 1000,
      cpu: {
        bots: (after.bots - before.bots) / N,
        postgres: (after.postgres - before.postgres) / N,
        sim: (after.sim - before.sim) / N,
      },
      submitMs,
      serverMs,
      tally,
    };
    if (dbBefore && dbAfter) {
      result.db = {
        commits: (dbAfter.commits - dbBefore.commits) / N,
        written: (dbAfter.written - dbBefore.written) / N,
      };
    }
    if (databaseUrl) {
      const [r] = await query<{ total: number; keys: number; logins: number; pending: number }>(
        databaseUrl,
        `SELECT count(*)::int AS total, count(DISTINCT submission_key)::int AS keys,
                count(DISTINCT login_lower)::int AS logins,
                count(*) FILTER (WHERE state = 'pending')::int AS pending
           FROM onboardings`,
      );
      result.records = r!;
    }
    return result;
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await sim.close();
  }
}

export async function run(): Promise<Row[]> {
  const postgres = await startPostgres();
  const results: Record<'lowdb' | 'pg' | 'two', Result> = {} as never;
  try {
    results.lowdb = await setup(1, undefined, postgres.pid);
    results.pg = await setup(1, await freshDatabase(postgres.url, 'one'), postgres.pid);
    results.two = await setup(2, await freshDatabase(postgres.url, 'two'), postgres.pid);
  } finally {
    await postgres.stop();
  }

  const total = WARMUP + N;
  const rows: Row[] = [];
  const labels = {
    lowdb: 'one bot, lowdb',
    pg: 'one bot, PostgreSQL',
    two: 'two replicas, one PostgreSQL (round-robin)',
  } as const;
  for (const key of ['lowdb', 'pg', 'two'] as const) {
    const r = results[key];
    const scale = r.rate / results.lowdb.rate;
    rows.push({
      bench: 'replicas',
      metric: `${labels[key]}: onboardings/s (${N} at ${CONCURRENCY} concurrent${key === 'lowdb' ? '' : `; ${scale.toFixed(2)}× lowdb`})`,
      value: `${r.rate.toFixed(1)}/s`,
      target:
        key === 'two'
          ? `≥ ${SCALE_TARGET}× lowdb = ${(SCALE_TARGET * results.lowdb.rate).toFixed(1)}/s`
          : '—',
      ok: key === 'two' ? scale >= SCALE_TARGET : undefined,
    });
    rows.push({
      bench: 'replicas',
      metric: `${labels[key]}: CPU per onboarding — bot${key === 'two' ? 's' : ''}, PostgreSQL, simulators`,
      value: `${r.cpu.bots.toFixed(1)}, ${r.cpu.postgres.toFixed(1)}, ${r.cpu.sim.toFixed(1)} ms`,
      target: '—',
    });
    if (r.db) {
      rows.push({
        bench: 'replicas',
        metric: `${labels[key]}: PostgreSQL commits and rows written per onboarding`,
        value: `${r.db.commits.toFixed(1)}, ${r.db.written.toFixed(1)}`,
        target: '—',
      });
    }
    rows.push({
      bench: 'replicas',
      metric: `${labels[key]}: submission ack p99 as the sender sees it (n=${r.submitMs.length})`,
      value: `${ms(percentile(r.submitMs, 99))} (p50 ${ms(median(r.submitMs))})`,
      target: '—',
    });
    rows.push({
      bench: 'replicas',
      metric: `${labels[key]}: ack p99 inside the app, commands and submissions together (n=${r.serverMs.length})`,
      value: `${ms(percentile(r.serverMs, 99))} (p50 ${ms(median(r.serverMs))})`,
      target: '—',
    });
  }
  rows.push({
    bench: 'replicas',
    metric:
      'note: no bare Bolt app runs in this benchmark, so the ack targets (≤ max(1.2× bare, bare + 5 ms)) are judged by `ack` (lowdb) and `ack-pg` (PostgreSQL)',
    value: '—',
    target: '—',
  });

  // Exactly once: every onboarding (warm-up included) made one record, one SIP user, one SMS.
  const two = results.two;
  const rec = two.records!;
  const duplicated =
    Math.max(0, rec.total - rec.keys) +
    Math.max(0, two.tally.sipUsers - two.tally.sipLogins) +
    Math.max(0, two.tally.sms - total) +
    Math.max(0, rec.total - total);
  const complete = rec.total === total && rec.pending === total && two.tally.sipUsers === total;
  rows.push({
    bench: 'replicas',
    metric: `two replicas, ${total} onboardings: records (distinct keys, logins; pending), SIP users, SMS`,
    value: `${rec.total} (${rec.keys}, ${rec.logins}; ${rec.pending}), ${two.tally.sipUsers}, ${two.tally.sms}: ${duplicated} duplicated`,
    target: `${total} each, 0 duplicated`,
    ok: duplicated === 0 && complete && two.tally.sms === total,
  });
  return rows;
}

if (import.meta.main) {
  console.table(await run());
}
