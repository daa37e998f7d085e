import { parentPort } from 'node:worker_threads';
import { createLogger } from '../../src/log.ts';
import { serveThroughMain } from '../../src/thread/worker-side.ts';

/**
 * A bot thread for test/thread/thread.test.ts: its door answers a Slack
 * request with what it received, and `{"block": ms}` keeps this thread busy
 * (its event loop stuck) for that long before it answers.
 */
let served = 0;
const serve = serveThroughMain(parentPort!, {
  logLevel: 'error',
  nice: Number(process.env.TEST_NICE ?? 0),
});
const door = await serve(
  {
    health: () => ({ served }),
    metrics: async () => ({ contentType: 'text/plain', body: `served ${served}\n` }),
    slack: {
      signingSecret: process.env.TEST_SIGNING_SECRET!,
      listener: (req, res) => {
        served += 1;
        const body = (req as unknown as { rawBody: Buffer }).rawBody.toString();
        const block = (JSON.parse(body) as { block?: number }).block ?? 0;
        const until = Date.now() + block;
        while (Date.now() < until) {
          // busy: the event loop cannot run
        }
        res.writeHead(201, { 'content-type': 'application/json', 'x-seen': req.method ?? '' });
        res.end(JSON.stringify({ url: req.url, type: req.headers['content-type'], body }));
      },
    },
  },
  0,
  createLogger('error'),
);
parentPort!.on('message', (m: { t: string }) => {
  if (m.t === 'stop') {
    door.close();
    process.exit(3);
  }
});
