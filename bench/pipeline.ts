import { SANDBOX } from '../src/sandbox/world.ts';
import { median, ms, openModals, type Row, startRig, uniqueValues } from './common.ts';

/**
 * Submission → result (the record leaves `provisioning`) with 100 ms on every
 * simulated upstream call, against the dependency chain
 * user → invite → max(SMS, e-mail create + send) = 100 + 100 + max(100, 200).
 */

const LATENCY = 100;
const CHAIN = LATENCY + LATENCY + Math.max(LATENCY, 2 * LATENCY);
const RUNS = 5;
const TARGET_RATIO = 1.1;

export async function run(): Promise<Row[]> {
  const rig = await startRig();
  const { world, bot, driver } = rig;
  world.opentact.server.setLatency(LATENCY);
  world.usermgmt.setLatency(LATENCY);
  world.slyk.setLatency(LATENCY);
  const times: number[] = [];
  try {
    for (let i = -1; i < RUNS; i += 1) {
      const [viewId] = await openModals(rig.driver, rig.world, 1);
      const started = performance.now();
      const submitted = driver.submitView(viewId!, SANDBOX.admin, uniqueValues());
      // Poll the store every ~1 ms for the state change.
      const finished = await new Promise<number>((resolve, reject) => {
        const timer = setInterval(() => {
          const record = bot.lowdb!.all().find((x) => x.submissionKey === viewId);
          if (record && record.state !== 'provisioning') {
            clearInterval(timer);
            if (record.state !== 'pending') reject(new Error(`pipeline ended ${record.state}`));
            resolve(performance.now());
          }
        }, 1);
      });
      const ack = await submitted;
      if (ack.status !== 200) throw new Error(`submission answered ${ack.status}`);
      if (i >= 0) times.push(finished - started);
      await bot.store.flush();
    }
  } finally {
    await rig.close();
  }
  const m = median(times);
  return [
    {
      bench: 'pipeline',
      metric: `submission → result, median of ${RUNS} (${times.map((t) => t.toFixed(0)).join(', ')})`,
      value: `${ms(m)} = ${(m / CHAIN).toFixed(2)}× chain (${CHAIN} ms)`,
      target: `≤ ${TARGET_RATIO}× (${(CHAIN * TARGET_RATIO).toFixed(0)} ms)`,
      ok: m <= CHAIN * TARGET_RATIO,
    },
  ];
}

if (import.meta.main) {
  console.table(await run());
}
