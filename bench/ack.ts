import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver } from '@slack/bolt';
import { SlackDriver } from '../src/sandbox/driver.ts';
import { SANDBOX } from '../src/sandbox/world.ts';
import { onboardModal } from '../src/slack/views/onboard.ts';
import {
  median,
  ms,
  openModals,
  percentile,
  type Row,
  startRig,
  uniqueValues,
  until,
} from './common.ts';

/**
 * Ack latency of `/onboard` and of a valid view_submission at 50 concurrent
 * signed requests, for the real bot and for a bare Bolt app that only acks,
 * both against the same Slack simulator, rounds interleaved.
 */

const CONCURRENCY = 50;
const ROUNDS = 6;
const TARGET_RATIO = 1.2;

export async function run(): Promise<Row[]> {
  const rig = await startRig();
  const { world, bot } = rig;

  const bare = new App({
    token: SANDBOX.slackBotToken,
    receiver: new HTTPReceiver({
      signingSecret: SANDBOX.signingSecret,
      endpoints: '/slack/events',
    }),
    clientOptions: { slackApiUrl: world.slack.url },
  });
  bare.command('/onboard', async ({ ack }) => {
    await ack();
  });
  bare.view(/.*/, async ({ ack }) => {
    await ack();
  });
  // Diagnostic only: a bare app that also opens the modal, as the bot's command must.
  const bareOpen = new App({
    token: SANDBOX.slackBotToken,
    receiver: new HTTPReceiver({
      signingSecret: SANDBOX.signingSecret,
      endpoints: '/slack/events',
    }),
    clientOptions: { slackApiUrl: world.slack.url },
  });
  bareOpen.command('/onboard', async ({ ack, client, command }) => {
    await Promise.all([
      ack(),
      client.views.open({
        trigger_id: command.trigger_id,
        view: onboardModal(['sms', 'email'], { lifetimeDays: 7 }),
      }),
    ]);
  });
  bareOpen.view(/.*/, async ({ ack }) => {
    await ack();
  });
  const driverFor = async (app: App) => {
    const server = (await app.start(0)) as Server;
    return new SlackDriver({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
      signingSecret: SANDBOX.signingSecret,
      slack: world.slack,
      teamId: SANDBOX.teamId,
    });
  };

  const targets = {
    bot: rig.driver,
    bare: await driverFor(bare),
    bareOpen: await driverFor(bareOpen),
  } as const;
  const samples = {
    command: { bot: [] as number[], bare: [] as number[], bareOpen: [] as number[] },
    submit: { bot: [] as number[], bare: [] as number[], bareOpen: [] as number[] },
  };

  /** Lets the bot finish its after-ack work so rounds don't overlap. */
  const settle = async () => {
    await until(() => bot.store.all().every((r) => r.state !== 'provisioning'), 30_000, 10);
    await bot.store.flush();
  };

  try {
    // Warm-up: one untimed round of each against each target.
    for (let round = -1; round < ROUNDS; round += 1) {
      const order =
        round % 2 === 0
          ? (['bot', 'bare', 'bareOpen'] as const)
          : (['bareOpen', 'bare', 'bot'] as const);
      for (const who of order) {
        const driver = targets[who];
        const commands = await Promise.all(
          Array.from({ length: CONCURRENCY }, () => driver.command(SANDBOX.admin, '')),
        );
        if (commands.some((r) => r.status !== 200)) throw new Error(`${who}: /onboard not 200`);
        await settleViews(world.slack.views.length);
        // Distinct modals for each submission, opened untimed through the real bot.
        const viewIds = await openModals(rig, CONCURRENCY);
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
        await settle();
        if (round >= 0) {
          samples.command[who].push(...commands.map((r) => r.ms));
          samples.submit[who].push(...submits.map((r) => r.ms));
        }
      }
    }
  } finally {
    await bare.stop();
    await bareOpen.stop();
    await rig.close();
  }

  const rows: Row[] = [];
  for (const kind of ['command', 'submit'] as const) {
    const label = kind === 'command' ? '/onboard' : 'view_submission';
    const b = samples[kind].bot;
    const a = samples[kind].bare;
    const p50 = [median(b), median(a)] as const;
    const p99 = [percentile(b, 99), percentile(a, 99)] as const;
    rows.push(
      {
        bench: 'ack',
        metric: `${label} p50 bot / bare (n=${b.length})`,
        value: `${ms(p50[0])} / ${ms(p50[1])} = ${(p50[0] / p50[1]).toFixed(2)}×`,
        target: `≤ ${TARGET_RATIO}×`,
        ok: p50[0] <= TARGET_RATIO * p50[1],
      },
      {
        bench: 'ack',
        metric: `${label} p99 bot / bare`,
        value: `${ms(p99[0])} / ${ms(p99[1])} = ${(p99[0] / p99[1]).toFixed(2)}×`,
        target: `≤ ${TARGET_RATIO}×`,
        ok: p99[0] <= TARGET_RATIO * p99[1],
      },
    );
  }
  const diag = samples.command.bareOpen;
  rows.push({
    bench: 'ack',
    metric: '/onboard p50 / p99, bare app + views.open (diagnostic)',
    value: `${ms(median(diag))} / ${ms(percentile(diag, 99))}`,
    target: '—',
  });
  return rows;

  /** Waits for the commands' views.open calls (real bot only) to land. */
  async function settleViews(count: number) {
    await new Promise((r) => setTimeout(r, 50));
    let last = -1;
    await until(
      () => {
        const now = world.slack.views.length;
        const stable = now === last && now >= count;
        last = now;
        return stable;
      },
      10_000,
      50,
    );
  }
}

if (import.meta.main) {
  console.table(await run());
}
