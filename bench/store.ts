import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { OnboardingRecord } from '../src/onboarding/model.ts';
import { emptyDatabase } from '../src/store/schema.ts';
import { Store } from '../src/store/store.ts';
import { makeRecords, median, ms, percentile, type Row, tempDataFile } from './common.ts';
import { BOT_NODE_ENV, BOT_NODE_FLAGS } from './procs.ts';

/**
 * Store with 1k, 10k and 50k records: load time, latency of one `update`
 * (journal append + fsync), the longest event-loop stall while writing, the
 * same for a compaction (the full snapshot rewrite through lowdb), the update
 * latency while a compaction runs (appends must not wait for it), and the
 * indexed open-record queries.
 *
 * Each start is a fresh process with the bot's Node flags, as a real start
 * is: first on a file written by hand (validated in full, then rewritten in
 * the store's own form), then a restart on the store's own snapshot, which is
 * the store a running bot has and where the targets apply.
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

type Phase = {
  loadMs: number;
  latencies: number[];
  stall: number;
  compactMs: number;
  compactStall: number;
  during: number[];
  queryMs: number;
  open: number;
};

/** One start of the store in this process: open, updates, compactions, queries, close. */
async function measure(file: string, size: number): Promise<Phase> {
  const loadStarted = performance.now();
  const store = await Store.open(file);
  const loadMs = performance.now() - loadStarted;
  const ids = JSON.parse(readFileSync(`${file}.ids`, 'utf8')) as string[];
  // Let the start's background work (warming open records, a first snapshot) settle.
  await store.compact();
  const latencies: number[] = [];
  // One untimed write first (JIT warm-up).
  await store.update(
    ids[0]!,
    (d) => {
      d.note = 'warm-up';
    },
    new Date(),
  );
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const probe = driftProbe();
  histogram.enable();
  for (let i = 0; i < UPDATES; i += 1) {
    const started = performance.now();
    await store.update(ids[Math.floor((i / UPDATES) * size)]!, bench, new Date());
    latencies.push(performance.now() - started);
  }
  histogram.disable();
  const stall = Math.max(histogram.max / 1e6 - 1, probe.stop());

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
  for (let i = 0; i < UPDATES && !compactionDone; i += 1) {
    const started = performance.now();
    await store.update(ids[i]!, bench, new Date());
    during.push(performance.now() - started);
  }
  await compacting;

  const queryStarted = performance.now();
  const open = await store.listOpen();
  await store.findOpen({ login: (await store.get(ids[size - 1]!))!.person.login });
  await store.countByState();
  const queryMs = performance.now() - queryStarted;
  await store.close();
  return { loadMs, latencies, stall, compactMs, compactStall, during, queryMs, open: open.length };
}

/** `measure` in a fresh Node process with the bot's flags and environment. */
function inChild(file: string, size: number): Phase {
  const out = execFileSync(
    process.execPath,
    [...BOT_NODE_FLAGS, fileURLToPath(import.meta.url), '--child', file, String(size)],
    { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, ...BOT_NODE_ENV } },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as Phase;
}

export async function run(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of SIZES) {
    const file = tempDataFile();
    const records = makeRecords(size);
    writeFileSync(file, JSON.stringify({ ...emptyDatabase(), onboardings: records }));
    writeFileSync(`${file}.ids`, JSON.stringify(records.map((r) => r.id)));
    const first = inChild(file, size);
    const again = inChild(file, size);
    const n = `${size / 1000}k`;
    const p99 = percentile(again.latencies, 99);
    const stallTarget = `≤ ${STALL_TARGET_MS} ms`;
    rows.push(
      {
        bench: 'store',
        metric: `${n}: first start on a file written by hand (validated in full; update p99 ${ms(percentile(first.latencies, 99))}, compaction stall ${ms(first.compactStall)} then)`,
        value: ms(first.loadMs),
        target: '—',
      },
      {
        bench: 'store',
        metric: `${n}: start after a restart (Store.open of its own snapshot, a fresh process)`,
        value: ms(again.loadMs),
        target: size === 50_000 ? `≤ ${OPEN_TARGET_MS} ms` : '—',
        ok: size === 50_000 ? again.loadMs <= OPEN_TARGET_MS : undefined,
      },
      {
        bench: 'store',
        metric: `${n}: update p99 (median ${ms(median(again.latencies))}, n=${UPDATES})`,
        value: ms(p99),
        target: `≤ ${UPDATE_P99_TARGET_MS} ms`,
        ok: p99 <= UPDATE_P99_TARGET_MS,
      },
      {
        bench: 'store',
        metric: `${n}: longest event-loop stall while writing`,
        value: ms(again.stall),
        target: stallTarget,
        ok: again.stall <= STALL_TARGET_MS,
      },
      {
        bench: 'store',
        metric: `${n}: longest event-loop stall while compacting (compaction ${ms(again.compactMs, 0)})`,
        value: ms(again.compactStall),
        target: stallTarget,
        ok: again.compactStall <= STALL_TARGET_MS,
      },
      {
        bench: 'store',
        metric: `${n}: update median / max while compacting (n=${again.during.length})`,
        value: again.during.length
          ? `${ms(median(again.during))} / ${ms(Math.max(...again.during))}`
          : '—',
        target: '—',
      },
      {
        bench: 'store',
        metric: `${n}: listOpen (${again.open}) + findOpen + countByState`,
        value: ms(again.queryMs, 2),
        target: '—',
      },
    );
  }
  return rows;
}

if (import.meta.main) {
  const [flag, file, size] = process.argv.slice(2);
  if (flag === '--child') console.log(JSON.stringify(await measure(file!, Number(size))));
  else console.table(await run());
}
