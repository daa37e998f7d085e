import { runBotInWorker } from '../../src/thread/main-side.ts';

/** The main thread of test/thread/thread.test.ts: prints the port once the door listens. */
runBotInWorker(new URL('./door-worker.ts', import.meta.url), {
  onListening: (port) => process.stdout.write(`listening ${port}\n`),
  staleMs: Number(process.env.TEST_STALE_MS ?? 5_000),
});
