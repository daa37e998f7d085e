import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SlackDriver } from '../src/sandbox/driver.ts';
import { SANDBOX, startWorld, type World } from '../src/sandbox/world.ts';
import { median, ms, openModals, percentile, type Row, uniqueValues } from './common.ts';

/**
 * Ack latency of `/onboard` and of a valid view_submission at 50 concurrent
 * signed requests, for the real bot and for a bare Bolt app that only acks.
 * Each app runs in its own process, as in production; the simulators and the
 * signed-request driver run here. Reported twice: as the sender sees it, and
 * inside the app (request arrival → response end, through Node's http
 * diagnostics channels). Rounds alternate which app goes first.
 */

const CONCURRENCY = 50;
const ROUNDS = 6;
const TARGET_RATIO = 1.2;

type Child = {
  driver: SlackDriver;
  call: (message: string) => Promise<Record<string, unknown>>;
  stop: () => void;
};

/** Starts the bot or the bare app in a child process (as in production). */
async function spawnApp(
  mode: 'bot' | 'bare',
  env: Record<string, string>,
  world: World,
): Promise<Child> {
  const child = fork(fileURLToPath(new URL('./ack-app.ts', import.meta.url)), [mode], {
    env: { ...process.env, ...env, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Record<string, unknown>));
      child.once('exit', (code) => reject(new Error(`${mode} app exited with ${code}`)));
    });
  const { port } = (await next()) as { port: number };
  return {
    driver: new SlackDriver({
      url: `http://127.0.0.1:${port}/slack/events`,
      signingSecret: SANDBOX.signingSecret,
      slack: world.slack,
      teamId: SANDBOX.teamId,
    }),
    call: (message) => {
      const answer = next();
      child.send(message);
      return answer;
    },
    stop: () => child.kill('SIGTERM'),
  };
}

export async function run(): Promise<Row[]> {
  const world = await startWorld();
  const bot = await spawnApp('bot', world.env, world);
  const bare = await spawnApp('bare', world.env, world);
  const targets = { bot, bare } as const;
  const client = {
    command: { bot: [] as number[], bare: [] as number[] },
    submit: { bot: [] as number[], bare: [] as number[] },
  };
  const server = {
    command: { bot: [] as number[], bare: [] as number[] },
    submit: { bot: [] as number[], bare: [] as number[] },
  };
  try {
    // Round -1 is an untimed warm-up; rounds alternate which app goes first.
    for (let round = -1; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? (['bot', 'bare'] as const) : (['bare', 'bot'] as const);
      for (const who of order) {
        const { driver, call } = targets[who];
        await call('samples'); // reset
        const commands = await Promise.all(
          Array.from({ length: CONCURRENCY }, () => driver.command(SANDBOX.admin, '')),
        );
        if (commands.some((r) => r.status !== 200)) throw new Error(`${who}: /onboard not 200`);
        const commandServer = ((await call('samples')).samples as number[]) ?? [];
        // Distinct modals for each submission, opened untimed through the real bot.
        const viewIds = await openModals(bot.driver, world, CONCURRENCY);
        await call('samples'); // reset
        const submits = await Promise.all(
          viewIds.map((id) => driver.submitView(id, SANDBOX.admin, uniqueValues())),
        );
        const bad = submits.find(
          (r) =>
            r.status !== 200 ||
            (who === 'bot' &&
              (r.body as { response_action?: string })?.response_action !== 'update'),
        );
        if (bad) throw new Error(`${who}: view_submission answered ${bad.status}: ${bad.text}`);
        const submitServer = ((await call('samples')).samples as number[]) ?? [];
        await bot.call('settle');
        if (round >= 0) {
          client.command[who].push(...commands.map((r) => r.ms));
          client.submit[who].push(...submits.map((r) => r.ms));
          server.command[who].push(...commandServer);
          server.submit[who].push(...submitServer);
        }
      }
    }
  } finally {
    bot.stop();
    bare.stop();
    await world.close();
  }

  const rows: Row[] = [];
  for (const kind of ['command', 'submit'] as const) {
    const label = kind === 'command' ? '/onboard' : 'view_submission';
    for (const [where, data] of [
      ['client', client],
      ['server', server],
    ] as const) {
      const b = data[kind].bot;
      const a = data[kind].bare;
      for (const [name, pick] of [
        ['p50', (x: number[]) => median(x)],
        ['p99', (x: number[]) => percentile(x, 99)],
      ] as const) {
        const [vb, va] = [pick(b), pick(a)];
        rows.push({
          bench: 'ack',
          metric: `${label} ${name} bot / bare, ${where === 'client' ? 'as the sender sees it' : 'inside the app'} (n=${b.length})`,
          value: `${ms(vb)} / ${ms(va)} = ${(vb / va).toFixed(2)}×`,
          target: `≤ ${TARGET_RATIO}×`,
          ok: vb <= TARGET_RATIO * va,
        });
      }
    }
  }
  return rows;
}

if (import.meta.main) {
  console.table(await run());
}
