import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { runBotThread } from '../src/thread/bot-worker.ts';
import { threadCpuMs } from './thread-cpu.ts';

/**
 * The bot's worker thread as `npm start` runs it (src/thread/bot-worker.ts),
 * plus what bench/ack-app.ts asks of it: 'settle' (every onboarding out of
 * `provisioning`, the store flushed), 'cpu' (this thread's CPU time since the
 * last 'cpu'), 'mem' (this thread's heap after a full
 * GC) and 'loop' (this event loop's delay since the last 'loop').
 */

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const bot = await runBotThread(parentPort!);
let cpuSince: NodeJS.CpuUsage | undefined;

parentPort!.on('message', async (message: { t: string; bench?: string }) => {
  if (message.t !== 'bench') return;
  if (message.bench === 'cpu') {
    const cpu = threadCpuMs(cpuSince);
    cpuSince = cpu.now;
    parentPort!.postMessage({ t: 'bench', ms: cpu.ms });
  } else if (message.bench === 'settle') {
    // Through the store's port, so that it works on lowdb and PostgreSQL alike.
    while ((await bot.store.countByState()).provisioning > 0) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await bot.store.flush();
    parentPort!.postMessage({ t: 'bench', settled: true });
  } else if (message.bench === 'mem' || message.bench === 'mem-now') {
    if (message.bench === 'mem') (globalThis as { gc?: () => void }).gc?.();
    // BENCH_VERBOSE: each V8 space's committed and used size (MB), for looking into the heap.
    const spaces = process.env.BENCH_VERBOSE
      ? Object.fromEntries(
          getHeapSpaceStatistics().map((s) => [
            `space:${s.space_name}`,
            `${(s.space_size / 2 ** 20).toFixed(1)} / ${(s.space_used_size / 2 ** 20).toFixed(1)}`,
          ]),
        )
      : {};
    parentPort!.postMessage({ t: 'bench', ...process.memoryUsage(), ...spaces });
  } else if (message.bench === 'loop') {
    parentPort!.postMessage({ t: 'bench', p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 });
    loop.reset();
  }
});
