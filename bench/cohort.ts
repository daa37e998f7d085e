import { ms, percentile, type Row, tempDataFile } from './common.ts';
import { spawnApp, spawnSim } from './procs.ts';

/**
 * A cohort of BENCH_COHORT_ROWS (default 500) through `/onboard bulk` (an
 * uploaded CSV), with every upstream simulator limited to 20 requests a
 * second. The floor is the busiest API's calls ÷ the limit: the bot cannot be
 * faster than that, and should not be much slower. Meanwhile `/onboard` is
 * sent every 250 ms and its ack timed against the same bot's idle acks.
 */

const ROWS = Number(process.env.BENCH_COHORT_ROWS ?? 500);
const LIMIT = 20;
const RATIO_TARGET = 1.15;

const csv = () =>
  [
    'first_name,last_name,email,mobile',
    ...Array.from(
      { length: ROWS },
      (_, i) => `Bench${i},Cohort,bench${i}@example.com,+447700${String(900000 + i).slice(-6)}`,
    ),
  ].join('\n');

export async function run(): Promise<Row[]> {
  const sim = await spawnSim();
  const bot = await spawnApp('bot', { ...sim.env, DATA_FILE: tempDataFile() });
  const sender = sim.sender(bot.url);
  try {
    // Idle acks of /onboard, for comparison with the acks during the run.
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) await sender.command(''); // warm-up
    for (let i = 0; i < 40; i++) idle.push((await sender.command('')).ms);

    await sim.request('rateLimit', { perSecond: LIMIT });
    await sender.command('bulk');
    const [viewId] = await sender.takeModals(61).then((ids) => ids.slice(-1));
    const state = await sim.request('uploadCsv', { userId: 'U0ADMIN01', csv: csv() });
    const [uploaded] = await sender.submits([viewId!], () => ({
      cohort_file: { cohort_file_input: state as Record<string, unknown> },
      cohort_text: { cohort_text_input: { type: 'plain_text_input', value: null } },
    }));
    // The file is read after the ack, behind a pushed view that the preview then replaces.
    const externalId = (uploaded?.body as { view?: { external_id?: string } })?.view?.external_id;
    const confirmId = await sim.request<string>('viewIs', {
      externalId,
      callbackId: 'cohort_confirm',
      timeoutMs: 60_000,
    });
    await sim.request('forget');
    const started = performance.now();
    await sender.submits([confirmId], () => ({}));

    const during: number[] = [];
    let done = false;
    const probe = (async () => {
      while (!done) {
        during.push((await sender.command('')).ms);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const outcome = await sim.request<{ text: string; updates: number[] }>('cohortDone', {
      userId: 'U0ADMIN01',
    });
    const wall = (performance.now() - started) / 1000;
    done = true;
    await probe;

    const served = await sim.request<Record<string, { served: number; limited: number }>>('served');
    const busiest = Math.max(...Object.values(served).map((s) => s.served));
    const floor = busiest / LIMIT;
    const tally = await sim.request<{ sipUsers: number; sipLogins: number; sms: number }>('tally');
    const gaps = outcome.updates.slice(1).map((t, i) => t - outcome.updates[i]!);
    const minGap = gaps.length > 0 ? Math.min(...gaps) : Number.POSITIVE_INFINITY;
    const idleP99 = percentile(idle, 99);
    const duringP99 = percentile(during, 99);
    const ackTarget = Math.max(idleP99 * 1.2, idleP99 + 5);
    const limited = Object.values(served).reduce((n, s) => n + s.limited, 0);
    return [
      {
        bench: 'cohort',
        metric: `${ROWS} rows at ${LIMIT} req/s per API: wall time ÷ floor (${floor.toFixed(1)} s)`,
        value: `${(wall / floor).toFixed(2)}× (${wall.toFixed(1)} s; ${limited} answers were 429)`,
        target: `≤ ${RATIO_TARGET}×`,
        ok: wall / floor <= RATIO_TARGET,
      },
      {
        bench: 'cohort',
        metric: 'rows lost / duplicated upstream',
        value: `${ROWS - tally.sipLogins} / ${tally.sipUsers - tally.sipLogins}`,
        target: '0 / 0',
        ok: tally.sipLogins === ROWS && tally.sipUsers === ROWS && tally.sms === ROWS,
      },
      {
        bench: 'cohort',
        metric: `progress updates (${outcome.updates.length}): shortest gap`,
        value: Number.isFinite(minGap) ? ms(minGap, 0) : '—',
        target: '≥ 1000 ms (1 a second)',
        ok: minGap >= 1000,
      },
      {
        bench: 'cohort',
        metric: '/onboard ack p99 during the run (idle)',
        value: `${ms(duringP99)} (${ms(idleP99)})`,
        target: `≤ ${ms(ackTarget)}`,
        ok: duringP99 <= ackTarget,
      },
    ];
  } finally {
    await bot.stop();
    await sim.close();
  }
}
