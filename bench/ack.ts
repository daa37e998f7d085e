import type { DriverResponse } from '../src/sandbox/driver.ts';
import { median, ms, percentile, type Row, tempDataFile, uniqueValues } from './common.ts';
import { freshDatabase, startPostgres } from './postgres.ts';
import { type App, type Sender, spawnApp, spawnSim } from './procs.ts';

/**
 * Ack latency of `/onboard` (50 concurrent) and of valid view submissions
 * (one at a time, and 20 concurrent; each starts a real onboarding), for the
 * real bot and for a bare Bolt app that only acks. The bot, the bare app and
 * the simulators each run in their own process; signed requests go from here
 * over keep-alive connections. Reported as the sender sees it and inside the
 * app (request arrival → response end, Node's http diagnostics channels).
 * Rounds alternate which app goes first; round -1 is an untimed warm-up.
 * With `postgres`, the bot keeps its records in a durable PostgreSQL (replicas
 * need their acks within the same targets) and the rows are `ack-pg`'s.
 */

const COMMANDS = 50;
const SUBMITS = 20;
const ROUNDS = 10;
const SEQUENTIAL = 100;
const RATIO = 1.2;
const SLACK_MS = 5;

type Who = 'bot' | 'bare';
/** Per app: ack times, and the CPU its threads spent while the timed requests ran. */
type Samples = Record<
  Who,
  { client: number[]; server: number[]; cpu: { main: number; bot: number; requests: number } }
>;
const samples = (): Samples => ({
  bot: { client: [], server: [], cpu: { main: 0, bot: 0, requests: 0 } },
  bare: { client: [], server: [], cpu: { main: 0, bot: 0, requests: 0 } },
});

export async function run(options: { postgres?: boolean } = {}): Promise<Row[]> {
  const postgres = options.postgres ? await startPostgres() : undefined;
  const sim = await spawnSim();
  const bot = await spawnApp(
    'bot',
    postgres
      ? {
          ...sim.env,
          DATABASE_URL: await freshDatabase(postgres.url, 'ack'),
          DATA_FILE: tempDataFile(),
        }
      : sim.env,
  );
  const bare = await spawnApp('bare', sim.env);
  const apps: Record<Who, App> = { bot, bare };
  const senders: Record<Who, Sender> = { bot: sim.sender(bot.url), bare: sim.sender(bare.url) };
  const data = { command: samples(), submit: samples(), sequential: samples() };

  /** `n` fresh modals of the bot's, opened untimed through the bot when the pool runs short. */
  async function modals(n: number): Promise<string[]> {
    const open = await sim.request<number>('openModals');
    for (let missing = n - open; missing > 0; missing -= COMMANDS) {
      await senders.bot.commands(Math.min(COMMANDS, missing));
    }
    return senders.bot.takeModals(n);
  }

  /** One timed step: resets the app's server-side samples, runs `send`, checks, records. */
  async function timed(
    who: Who,
    into: Samples | undefined,
    send: () => Promise<DriverResponse[]>,
    check: (r: DriverResponse) => boolean,
  ) {
    await apps[who].call('samples');
    const answers = await send();
    const bad = answers.find((r) => !check(r));
    if (bad) throw new Error(`${who} answered ${bad.status}: ${bad.text.slice(0, 200)}`);
    const { samples: server, cpu } = await apps[who].call<{
      samples: number[];
      cpu: { main: number; bot: number };
    }>('samples');
    into?.[who].client.push(...answers.map((r) => r.ms));
    into?.[who].server.push(...server);
    if (into) {
      into[who].cpu.main += cpu.main;
      into[who].cpu.bot += cpu.bot;
      into[who].cpu.requests += answers.length;
    }
  }

  const ok = (r: DriverResponse) => r.status === 200;
  const onboarded = (who: Who) => (r: DriverResponse) =>
    r.status === 200 &&
    (who === 'bare' || (r.body as { response_action?: string })?.response_action === 'update');

  try {
    for (let round = -1; round < ROUNDS; round += 1) {
      const order: Who[] = round % 2 === 0 ? ['bot', 'bare'] : ['bare', 'bot'];
      const into = (d: Samples) => (round >= 0 ? d : undefined);
      for (const who of order) {
        await timed(who, into(data.command), () => senders[who].commands(COMMANDS), ok);
      }
      for (const who of order) {
        const ids = await modals(SUBMITS);
        await timed(
          who,
          into(data.submit),
          () => senders[who].submits(ids, uniqueValues),
          onboarded(who),
        );
        await bot.call('settle');
      }
    }
    // One at a time, alternating; the bot's earlier onboardings may still be running meanwhile.
    for (let i = -2; i < SEQUENTIAL; i += 1) {
      for (const who of i % 2 === 0 ? (['bot', 'bare'] as const) : (['bare', 'bot'] as const)) {
        const ids = await modals(1);
        await timed(
          who,
          i >= 0 ? data.sequential : undefined,
          () => senders[who].submits(ids, uniqueValues),
          onboarded(who),
        );
      }
    }
    await bot.call('settle');
  } finally {
    await Promise.all([bot.stop(), bare.stop()]);
    await sim.close();
    await postgres?.stop();
  }

  const rows: Row[] = [];
  // BENCH_VERBOSE: CPU per request of each thread while the timed requests ran (a bot's pipelines
  // started meanwhile included), to tell an app's own cost from its waiting.
  if (process.env.BENCH_VERBOSE) {
    for (const [kind, d] of Object.entries(data)) {
      for (const who of ['bot', 'bare'] as const) {
        const { main, bot: worker, requests } = d[who].cpu;
        const per = (ms: number) => (requests ? (ms / requests).toFixed(2) : '—');
        console.error(
          `${kind} ${who}: CPU per request, main thread ${per(main)} ms, bot thread ${per(worker)} ms`,
        );
      }
    }
  }
  const kinds = [
    ['command', `/onboard, ${COMMANDS} concurrent`],
    ['submit', `valid submission, ${SUBMITS} concurrent`],
    ['sequential', 'valid submission, one at a time'],
  ] as const;
  for (const [kind, label] of kinds) {
    for (const where of ['client', 'server'] as const) {
      const b = data[kind].bot[where];
      const a = data[kind].bare[where];
      const [vb, va] = [percentile(b, 99), percentile(a, 99)];
      const limit = Math.max(RATIO * va, va + SLACK_MS);
      rows.push({
        bench: postgres ? 'ack-pg' : 'ack',
        metric: `${postgres ? 'bot on PostgreSQL, ' : ''}${label}: ack p99 ${where === 'client' ? 'as the sender sees it' : 'inside the app'} (n=${b.length})`,
        value: `${ms(vb)} (p50 ${ms(median(b))})`,
        bare: `${ms(va)} (p50 ${ms(median(a))})`,
        target: `≤ max(${RATIO}× bare, bare + ${SLACK_MS} ms) = ${ms(limit)}`,
        ok: vb <= limit,
      });
    }
  }
  return rows;
}

if (import.meta.main) {
  console.table(await run());
}
