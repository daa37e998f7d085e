import { type Bot, startBot } from '../../src/bot.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { SlackDriver } from '../../src/sandbox/driver.ts';
import { SANDBOX, startWorld, type World } from '../../src/sandbox/world.ts';

export type Harness = { world: World; bot: Bot; driver: SlackDriver; close(): Promise<void> };

/** The real bot (HTTP mode) against a fresh world of simulators. */
export async function startHarness(
  env: Record<string, string | undefined> = {},
  options: { dataFile?: string; world?: World; now?: () => Date; postIntervalMs?: number } = {},
): Promise<Harness> {
  const world =
    options.world ?? (await startWorld(options.dataFile ? { dataFile: options.dataFile } : {}));
  const config = loadConfig({ ...world.env, ...env });
  const bot = await startBot(config, {
    schedule: false,
    postIntervalMs: options.postIntervalMs ?? 0,
    logger: createLogger('error'),
    ...(options.now ? { clock: options.now } : {}),
  });
  const driver = new SlackDriver({
    url: `http://127.0.0.1:${bot.port}/slack/events`,
    signingSecret: SANDBOX.signingSecret,
    slack: world.slack,
    teamId: SANDBOX.teamId,
  });
  return {
    world,
    bot,
    driver,
    async close() {
      await bot.stop(2_000);
      if (!options.world) await world.close();
    },
  };
}

/** Waits until `check` returns a truthy value (the bot works after its ack). */
export async function eventually<T>(
  check: () => T | undefined | false,
  timeoutMs = 5_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Modal state values as Slack sends them. */
export function modalValues(input: {
  first?: string;
  last?: string;
  email?: string;
  phone?: string;
  login?: string;
  lifetime?: string;
  channels?: string;
  note?: string;
}) {
  const text = (value: string | undefined, type = 'plain_text_input') => ({
    type,
    value: value ?? null,
  });
  return {
    first_name: { first_name_input: text(input.first ?? 'Ada') },
    last_name: { last_name_input: text(input.last ?? 'Lovelace') },
    email: { email_input: text(input.email ?? 'ada@example.com', 'email_text_input') },
    phone: { phone_input: text(input.phone ?? '+4915112345678') },
    login: { login_input: text(input.login) },
    lifetime: { lifetime_input: text(input.lifetime ?? '7', 'number_input') },
    channels: {
      channels_input: {
        type: 'radio_buttons',
        selected_option:
          input.channels === 'none'
            ? null
            : { value: input.channels ?? 'both', text: { type: 'plain_text', text: 'x' } },
      },
    },
    note: { note_input: text(input.note) },
  };
}
