import type { Row } from './common.ts';

/**
 * Runs every benchmark in turn and prints one summary table: each figure
 * beside its target (✓ met, ✗ missed) and, where the target compares with it,
 * the bare Bolt app's figure from the same run. `npm run bench [name…]` runs
 * only the named ones. Benchmarks, not tests: exit 0 whatever the figures.
 */

const benches: [string, () => Promise<Row[]>][] = [
  ['ack', async () => (await import('./ack.ts')).run()],
  ['load', async () => (await import('./load.ts')).run()],
  ['store', async () => (await import('./store.ts')).run()],
  ['startup', async () => (await import('./startup.ts')).run()],
  ['pipeline', async () => (await import('./pipeline.ts')).run()],
  ['digest', async () => (await import('./digest.ts')).run()],
  ['replicas', async () => (await import('./replicas.ts')).run()],
  ['ack-pg', async () => (await import('./ack.ts')).run({ postgres: true })],
  ['cohort', async () => (await import('./cohort.ts')).run()],
];

const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? '✓' : '✗');
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
    for (const row of result) {
      const bare = row.bare ? `, bare Bolt ${row.bare}` : '';
      console.log(
        `  ${mark(row.ok) || '·'} ${row.metric}: ${row.value}${bare} (target ${row.target})`,
      );
    }
  } catch (error) {
    process.stdout.write('failed\n');
    console.error(error);
    rows.push({ bench: name, metric: 'error', value: String(error), target: '—', ok: false });
  }
}

const header = ['bench', 'metric', 'bot', 'bare Bolt', 'target', ''];
const cells = rows.map((r) => [r.bench, r.metric, r.value, r.bare ?? '', r.target, mark(r.ok)]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`\n${line(header)}`);
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const c of cells) console.log(line(c));
const missed = rows.filter((r) => r.ok === false).length;
const met = rows.filter((r) => r.ok === true).length;
console.log(
  `\n${met} targets met, ${missed} missed; total ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(0);
