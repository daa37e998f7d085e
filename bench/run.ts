import type { Row } from './common.ts';

/** Runs every benchmark in turn and prints one summary table. Benchmarks, not tests: exit 0. */

const benches: [string, () => Promise<Row[]>][] = [
  ['ack', async () => (await import('./ack.ts')).run()],
  ['pipeline', async () => (await import('./pipeline.ts')).run()],
  ['store', async () => (await import('./store.ts')).run()],
  ['digest', async () => (await import('./digest.ts')).run()],
  ['startup', async () => (await import('./startup.ts')).run()],
];

const only = process.argv.slice(2);
const rows: Row[] = [];
const started = performance.now();
for (const [name, run] of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  const t = performance.now();
  process.stdout.write(`${name}… `);
  try {
    const result = await run();
    rows.push(...result);
    process.stdout.write(`${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    for (const row of result) console.log(`  ${row.metric}: ${row.value} (target ${row.target})`);
  } catch (error) {
    process.stdout.write('failed\n');
    console.error(error);
    rows.push({ bench: name, metric: 'error', value: String(error), target: '—', ok: false });
  }
}

const cells = rows.map((r) => [
  r.bench,
  r.metric,
  r.value,
  r.target,
  r.ok === undefined ? '' : r.ok ? 'ok' : 'MISS',
]);
const header = ['bench', 'metric', 'value', 'target', ''];
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`\n${line(header)}`);
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const c of cells) console.log(line(c));
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(0);
