import { webApi } from '@slack/bolt';
import { createLogger } from '../src/log.ts';
import { selectDigest } from '../src/onboarding/digest.ts';
import { SANDBOX, startWorld } from '../src/sandbox/world.ts';
import { Notifier } from '../src/slack/notifier.ts';
import { digestBlocks, digestText } from '../src/slack/views/lists.ts';
import { Store } from '../src/store/store.ts';
import { makeRecords, median, ms, type Row, tempDataFile } from './common.ts';

/**
 * selectDigest + digestBlocks over 10k records, and the posting pace of five
 * digests through Notifier.post (default 1000 ms spacing) to one channel.
 */

const RECORDS = 10_000;
const ITERATIONS = 10;
const TARGET_MS = 100;
const POSTS = 5;

export async function run(): Promise<Row[]> {
  const now = new Date('2026-11-24T09:00:00Z');
  const records = makeRecords(RECORDS, now.getTime());
  const times: number[] = [];
  let blocks: ReturnType<typeof digestBlocks> = [];
  let text = '';
  for (let i = 0; i < ITERATIONS; i += 1) {
    const started = performance.now();
    const digest = selectDigest(records, now, { warningDays: 2 });
    blocks = digestBlocks(
      digest,
      'times in your time zone · schedule 0 9 * * * (UTC)',
      (verb, id) => `${id}.${verb}`,
    );
    times.push(performance.now() - started);
    text = digestText(digest);
  }
  const first = times[0]!;
  const worst = Math.max(...times);

  // Posting pace against the Slack simulator.
  const world = await startWorld();
  const store = await Store.open(tempDataFile());
  let maxInWindow = Number.NaN;
  let spanMs = Number.NaN;
  try {
    const notifier = new Notifier({
      client: new webApi.WebClient(SANDBOX.slackBotToken, { slackApiUrl: world.slack.url }),
      remember: async () => undefined,
      seal: (verb, id) => `${id}.${verb}`,
      logger: createLogger('error'),
      clock: () => new Date(),
      auditChannel: undefined,
      outbox: store, // unused: no audit channel
    });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: POSTS }, () => notifier.post(SANDBOX.digestChannel, text, blocks)),
    );
    spanMs = performance.now() - started;
    maxInWindow = world.slack.maxPostsInWindow(1000);
  } finally {
    await store.close();
    await world.close();
  }

  return [
    {
      bench: 'digest',
      metric: `selectDigest + digestBlocks, ${RECORDS / 1000}k records: median / first / worst`,
      value: `${ms(median(times))} / ${ms(first)} / ${ms(worst)}`,
      target: `≤ ${TARGET_MS} ms`,
      ok: worst <= TARGET_MS,
    },
    {
      bench: 'digest',
      metric: `${POSTS} posts to one channel: maxPostsInWindow(1000) (span ${ms(spanMs, 0)})`,
      value: String(maxInWindow),
      target: '≤ 1',
      ok: maxInWindow <= 1,
    },
  ];
}

if (import.meta.main) {
  console.table(await run());
}
