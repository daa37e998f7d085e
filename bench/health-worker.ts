import { parentPort, workerData } from 'node:worker_threads';

/**
 * Worker thread for bench/procs.ts pollInWorker: a GET every `everyMs` on a
 * fixed schedule, whether or not the previous one has answered (a stalled
 * server then shows as many slow samples, not one), each timed from its send.
 */

const { url, everyMs } = workerData as { url: string; everyMs: number };
const samples: number[] = [];
let errors = 0;
const outstanding = new Set<Promise<void>>();

const timer = setInterval(() => {
  const started = performance.now();
  const done = fetch(url)
    .then(async (response) => {
      await response.text();
      if (response.ok) samples.push(performance.now() - started);
      else errors += 1;
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
  parentPort!.postMessage({ samples, errors });
});
