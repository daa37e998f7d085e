import { ms, percentile, type Row, tempDataFile, uniqueValues } from './common.ts';
import { memoryOf, pollInWorker, type Sender, spawnApp, spawnSim } from './procs.ts';

/**
 * The bot under sustained load: onboardings at 20 concurrent (each one is
 * `/onboard` → modal → valid submission → the result in the modal), with
 * `GET /health` polled every 10 ms from a worker thread during the first 200.
 * Then memory: the bot's peak RSS (VmHWM) over that load, and its RSS after
 * 200 and after BENCH_ONBOARDINGS (default 2,000) onboardings, each read after
 * the work has settled and a full GC, so that growth means retained memory.
 */

const CONCURRENCY = 20;
const FIRST = 200;
const TOTAL = Math.max(FIRST, Number(process.env.BENCH_ONBOARDINGS ?? 2_000));
const HEALTH_EVERY_MS = 10;
const HEALTH_TARGET_MS = 20;
const PEAK_TARGET_MB = 150;
const GROWTH_TARGET = 0.1;
/** How long the bot is left idle after the load before its RSS is read again. */
const IDLE_MS = 20_000;

/** Runs `count` onboardings, `CONCURRENCY` at a time; resolves with their wall time. */
async function onboard(sender: Sender, count: number): Promise<number> {
  const started = performance.now();
  let begun = 0;
  const lane = async () => {
    while (begun < count) {
      begun += 1;
      const [command] = await sender.commands(1);
      if (command!.status !== 200) throw new Error(`/onboard answered ${command!.status}`);
      const ids = await sender.takeModals(1);
      const [answer] = await sender.submits(ids, uniqueValues);
      if ((answer!.body as { response_action?: string })?.response_action !== 'update') {
        throw new Error(`submission answered ${answer!.status}: ${answer!.text.slice(0, 200)}`);
      }
      await sender.finished(ids);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return performance.now() - started;
}

/** Slow /health samples by when they were sent: a warm-up tail or a steady one. */
function printTimeline(polled: { samples: number[]; at: number[] }) {
  const t0 = polled.at[0] ?? 0;
  console.error(
    `  first samples: ${polled.samples
      .slice(0, 12)
      .map((x) => x.toFixed(0))
      .join(' ')}`,
  );
  const buckets = new Map<number, number[]>();
  polled.samples.forEach((s, i) => {
    const b = Math.floor(((polled.at[i] ?? 0) - t0) / 250);
    buckets.set(b, [...(buckets.get(b) ?? []), s]);
  });
  for (const [b, s] of buckets) {
    console.error(
      `  ${(b * 250).toString().padStart(5)} ms: n=${s.length} max ${Math.max(...s).toFixed(0)} ms, >20 ms: ${s.filter((x) => x > 20).length}`,
    );
  }
}

export async function run(): Promise<Row[]> {
  const sim = await spawnSim();
  // For scale: what a Bolt app that only acks holds at rest in the same runtime.
  const bare = await spawnApp('bare', sim.env);
  await new Promise((r) => setTimeout(r, 200));
  const bareIdle = memoryOf(bare.pid);
  await bare.stop();
  const bot = await spawnApp('bot', { ...sim.env, DATA_FILE: tempDataFile() }, ['--expose-gc']);
  const sender = sim.sender(bot.url);
  /** RSS once the bot is idle: store flushed, a full GC done. */
  const settledRss = async () => {
    await bot.call('settle');
    await new Promise((r) => setTimeout(r, 500));
    const heap = await bot.call<NodeJS.MemoryUsage>('mem');
    if (process.env.BENCH_VERBOSE) console.error('bot memory', memoryOf(bot.pid), heap);
    return { ...memoryOf(bot.pid), heapMb: heap.heapUsed / 2 ** 20 };
  };
  try {
    const idle = memoryOf(bot.pid);
    await bot.call('loop'); // reset
    const health = await pollInWorker(`http://127.0.0.1:${bot.port}/health`, HEALTH_EVERY_MS);
    // BENCH_VERBOSE: the bot thread's heap (no GC first) every 250 ms, to tell a heap peak from a native one.
    const heapPeak = { heapTotal: 0, heapUsed: 0, external: 0, rss: 0 };
    const heapWatch = process.env.BENCH_VERBOSE
      ? setInterval(async () => {
          const m = await bot.call<NodeJS.MemoryUsage>('mem-now');
          for (const k of Object.keys(heapPeak) as (keyof typeof heapPeak)[]) {
            heapPeak[k] = Math.max(heapPeak[k], m[k] / 2 ** 20);
          }
        }, 250)
      : undefined;
    const firstMs = await onboard(sender, FIRST);
    clearInterval(heapWatch);
    if (heapWatch) console.error('bot thread peaks (MB, sampled):', heapPeak);
    const polled = await health.stop();
    if (process.env.BENCH_VERBOSE) printTimeline(polled);
    const loop = await bot.call<{ p99: number; max: number }>('loop');
    const peak = memoryOf(bot.pid).peakMb;
    const after200 = await settledRss();
    await sim.request('forget');
    let restMs = 0;
    for (let done = FIRST; done < TOTAL; done += 500) {
      restMs += await onboard(sender, Math.min(500, TOTAL - done));
      await sim.request('forget'); // the simulators' call logs, not the bot's memory
      if (process.env.BENCH_VERBOSE) await settledRss();
    }
    const afterAll = await settledRss();
    // Then idle, with no GC forced: what V8 gives back by itself (its memory reducer runs a
    // memory-reducing GC once the process has been idle for a while).
    const idleTrace: number[] = [];
    for (let t = 0; t < IDLE_MS; t += 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      idleTrace.push(Math.round(memoryOf(bot.pid).rssMb));
    }
    if (process.env.BENCH_VERBOSE) console.error('idle RSS each second:', idleTrace.join(' '));
    const idleAfter = memoryOf(bot.pid);
    const p99 = percentile(polled.samples, 99);
    const growth = afterAll.rssMb / after200.rssMb - 1;
    const rate = (n: number, t: number) => (t > 0 ? `${((n / t) * 1000).toFixed(0)}/s` : '—');
    return [
      {
        bench: 'load',
        metric: `${FIRST} onboardings at ${CONCURRENCY} concurrent: wall time (${rate(FIRST, firstMs)})`,
        value: ms(firstMs, 0),
        target: '—',
      },
      {
        bench: 'load',
        metric: `GET /health p99 during them, every ${HEALTH_EVERY_MS} ms from a worker thread (n=${polled.samples.length}, ${polled.errors} errors)`,
        value: `${ms(p99)} (max ${ms(Math.max(...polled.samples))})`,
        target: `≤ ${HEALTH_TARGET_MS} ms`,
        ok: p99 <= HEALTH_TARGET_MS && polled.errors === 0,
      },
      {
        bench: 'load',
        metric: "the bot's event-loop delay meanwhile: p99 (max), inside the bot",
        value: `${ms(loop.p99)} (max ${ms(loop.max)})`,
        target: '—',
      },
      {
        bench: 'load',
        metric: `bot peak RSS (VmHWM) over them (idle before: ${idle.rssMb.toFixed(0)} MB)`,
        value: `${peak.toFixed(0)} MB`,
        bare: `${bareIdle.rssMb.toFixed(0)} MB idle`,
        target: `≤ ${PEAK_TARGET_MB} MB`,
        ok: peak <= PEAK_TARGET_MB,
      },
      {
        bench: 'load',
        metric: `bot RSS after ${FIRST} → ${TOTAL} onboardings, settled (heap ${after200.heapMb.toFixed(0)} → ${afterAll.heapMb.toFixed(0)} MB; ${TOTAL - FIRST} more at ${rate(TOTAL - FIRST, restMs)})`,
        value: `${after200.rssMb.toFixed(0)} → ${afterAll.rssMb.toFixed(0)} MB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%)`,
        target: `≤ +${GROWTH_TARGET * 100}%`,
        ok: growth <= GROWTH_TARGET,
      },
      {
        bench: 'load',
        metric: `bot RSS ${IDLE_MS / 1000} s after them, idle (no GC forced)`,
        value: `${idleAfter.rssMb.toFixed(0)} MB (${((idleAfter.rssMb / after200.rssMb - 1) * 100).toFixed(1)}% from ${FIRST})`,
        target: '—',
      },
    ];
  } finally {
    await bot.stop();
    await sim.close();
  }
}

if (import.meta.main) {
  console.table(await run());
}
