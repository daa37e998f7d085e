import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { OnboardingRecord } from '../src/onboarding/model.ts';
import { emptyDatabase } from '../src/store/schema.ts';
import { Store } from '../src/store/store.ts';
import { makeRecords, median, ms, percentile, type Row, tempDataFile } from './common.ts';

/**
 * Store with 1k, 10k and 50k records: load time, latency of one `update`
 * (journal append + fsync), the longest event-loop stall while writing, the
 * same for a compaction (the full snapshot rewrite through lowdb), the update
 * latency while a compaction runs (appends must not wait for it), and the
 * indexed open-record queries.
 */

const SIZES = [1_000, 10_000, 50_000];
const STALL_TARGET_MS = 20;
const UPDATE_P99_TARGET_MS = 5;
const OPEN_TARGET_MS = 1_000;
const UPDATES = 100;

/** Largest gap between 1 ms interval ticks beyond the 1 ms period. */
function driftProbe() {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return {
    stop: () => {
      clearInterval(timer);
      return worst;
    },
  };
}

const bench = (draft: OnboardingRecord) => {
  draft.audit.push({ at: new Date().toISOString(), by: 'system', action: 'bench' });
};

export async function run(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of SIZES) {
    const file = tempDataFile();
    const records = makeRecords(size);
    writeFileSync(file, JSON.stringify({ ...emptyDatabase(), onboardings: records }));
    const loadStarted = performance.now();
    const store = await Store.open(file);
    const loadMs = performance.now() - loadStarted;

    const updates = UPDATES;
    const latencies: number[] = [];
    // One untimed write first (JIT warm-up).
    await store.update(
      records[0]!.id,
      (d) => {
        d.note = 'warm-up';
      },
      new Date(),
    );
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    const probe = driftProbe();
    histogram.enable();
    for (let i = 0; i < updates; i += 1) {
      const id = records[Math.floor((i / updates) * size)]!.id;
      const started = performance.now();
      await store.update(id, bench, new Date());
      latencies.push(performance.now() - started);
    }
    histogram.disable();
    const probeStall = probe.stop();
    const stall = Math.max(histogram.max / 1e6 - 1, probeStall);

    // Compaction: the lowdb snapshot rewrite (in the background every 1000 changes and at close).
    const compactHistogram = monitorEventLoopDelay({ resolution: 1 });
    const compactProbe = driftProbe();
    compactHistogram.enable();
    const compactStarted = performance.now();
    await store.compact();
    const compactMs = performance.now() - compactStarted;
    compactHistogram.disable();
    const compactStall = Math.max(compactHistogram.max / 1e6 - 1, compactProbe.stop());

    // Updates while a compaction runs: served between batches, never behind the snapshot.
    const during: number[] = [];
    const compacting = store.compact();
    let compactionDone = false;
    void compacting.finally(() => {
      compactionDone = true;
    });
    for (let i = 0; i < updates && !compactionDone; i += 1) {
      const started = performance.now();
      await store.update(records[i]!.id, bench, new Date());
      during.push(performance.now() - started);
    }
    await compacting;

    const queryStarted = performance.now();
    const open = await store.listOpen();
    await store.findOpen({ login: records[size - 1]!.person.login });
    await store.countByState();
    const queryMs = performance.now() - queryStarted;
    await store.close();
    // A restart: the store opens its own snapshot (checksummed at close, so not validated again).
    const reopenStarted = performance.now();
    const reopened = await Store.open(file);
    const reopenMs = performance.now() - reopenStarted;
    await reopened.close();

    const n = `${size / 1000}k`;
    const p99 = percentile(latencies, 99);
    const stallTarget = `≤ ${STALL_TARGET_MS} ms`;
    rows.push(
      {
        bench: 'store',
        metric: `${n}: first start on a file written by hand (validated in full)`,
        value: ms(loadMs),
        target: '—',
      },
      {
        bench: 'store',
        metric: `${n}: start after a restart (Store.open of its own snapshot)`,
        value: ms(reopenMs),
        target: size === 50_000 ? `≤ ${OPEN_TARGET_MS} ms` : '—',
        ok: size === 50_000 ? reopenMs <= OPEN_TARGET_MS : undefined,
      },
      {
        bench: 'store',
        metric: `${n}: update p99 (median ${ms(median(latencies))}, n=${updates})`,
        value: ms(p99),
        target: `≤ ${UPDATE_P99_TARGET_MS} ms`,
        ok: p99 <= UPDATE_P99_TARGET_MS,
      },
      {
        bench: 'store',
        metric: `${n}: longest event-loop stall while writing`,
        value: ms(stall),
        target: stallTarget,
        ok: stall <= STALL_TARGET_MS,
      },
      {
        bench: 'store',
        metric: `${n}: longest event-loop stall while compacting (compaction ${ms(compactMs, 0)})`,
        value: ms(compactStall),
        target: stallTarget,
        ok: compactStall <= STALL_TARGET_MS,
      },
      {
        bench: 'store',
        metric: `${n}: update median / max while compacting (n=${during.length})`,
        value: during.length ? `${ms(median(during))} / ${ms(Math.max(...during))}` : '—',
        target: '—',
      },
      {
        bench: 'store',
        metric: `${n}: listOpen (${open.length}) + findOpen + countByState`,
        value: ms(queryMs, 2),
        target: '—',
      },
    );
  }
  return rows;
}

if (import.meta.main) {
  console.table(await run());
}
