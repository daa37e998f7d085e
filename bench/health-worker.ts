import { parentPort, workerData } from 'node:worker_threads';

/**
 * Worker thread for bench/procs.ts pollInWorker: a GET every `everyMs` on a
 * fixed schedule, whether or not the previous one has answered (a stalled
 * server then shows as many slow samples, not one), each timed from its send.
 * One untimed GET first: the worker's own fetch is cold (about 100–200 ms for
 * its first call), which is the poller's start-up, not the server's answer.
 */

const { url, everyMs } = workerData as { url: string; everyMs: number };
const samples: number[] = [];
/** When each sample was sent (performance.now() of this thread). */
const at: number[] = [];
let errors = 0;
const outstanding = new Set<Promise<void>>();

await (await fetch(url)).text();
parentPort!.postMessage('ready');

const timer = setInterval(() => {
  const started = performance.now();
  const done = fetch(url)
    .then(async (response) => {
      await response.text();
      if (response.ok) {
        samples.push(performance.now() - started);
        at.push(started);
      } else errors += 1;
    })
    .catch(() => {
      errors += 1;
    })
    .finally(() => outstanding.delete(done));
  outstanding.add(done);
}, everyMs);

parentPort!.on('message', async () => {
  clearInterval(timer);
  await Promise.all(outstanding);
  parentPort!.postMessage({ samples, at, errors });
});
