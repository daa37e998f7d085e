import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorld } from '../src/sandbox/world.ts';
import { median, ms, type Row, tempDataFile } from './common.ts';

/**
 * Start-to-ready of `npm start`'s code path: spawn `node src/main.ts` with the
 * world's env and time spawn → the "bot ready" log line on stderr.
 */

const RUNS = 5;
const TARGET_MS = 1_000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function once(env: Record<string, string>): Promise<{ readyMs: number; startupMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'info', PORT: '0', DATA_FILE: tempDataFile() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    return await new Promise((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(
        () => reject(new Error(`no "bot ready" in 10 s:\n${buffer}`)),
        10_000,
      );
      child.once('exit', (code) => reject(new Error(`exited ${code} before ready:\n${buffer}`)));
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        const readyAt = performance.now();
        buffer += chunk;
        const line = buffer.split('\n').find((l) => l.includes('bot ready'));
        if (!line) return;
        clearTimeout(timer);
        const startupMs = Number((JSON.parse(line) as { startupMs?: number }).startupMs);
        resolve({ readyMs: readyAt - started, startupMs });
      });
    });
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function run(): Promise<Row[]> {
  const world = await startWorld();
  const ready: number[] = [];
  const inner: number[] = [];
  try {
    for (let i = 0; i < RUNS; i += 1) {
      const r = await once(world.env);
      ready.push(r.readyMs);
      inner.push(r.startupMs);
    }
  } finally {
    await world.close();
  }
  const m = median(ready);
  return [
    {
      bench: 'startup',
      metric: `spawn → "bot ready", median of ${RUNS} (${ready.map((t) => t.toFixed(0)).join(', ')})`,
      value: ms(m, 0),
      target: `well under ${TARGET_MS} ms`,
      ok: m < TARGET_MS,
    },
    {
      bench: 'startup',
      metric: 'of which startBot (startupMs in the log line), median',
      value: ms(median(inner), 0),
      target: '—',
    },
  ];
}

if (import.meta.main) {
  console.table(await run());
}
