import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, ms, type Row, sleep } from './common.ts';
import { BOT_NODE_ENV, BOT_NODE_FLAGS, spawnSim } from './procs.ts';

/**
 * `npm start`'s code path as a process: `node src/main.ts` in a directory
 * whose .env points at the simulators (in their own process), as
 * test/e2e/main-process.test.ts runs it. Times spawn → the "bot ready" log
 * line, then, once the bot has been idle for a moment, SIGTERM → exit.
 */

const RUNS = 5;
const READY_TARGET_MS = 1_000;
const SHUTDOWN_TARGET_MS = 1_000;
const IDLE_MS = 500;
const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');

type Run = { readyMs: number; startupMs: number; shutdownMs: number; code: number | null };

async function once(env: Record<string, string>): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'onboard-bench-start-'));
  const dotenv = { ...env, PORT: '0', LOG_LEVEL: 'info', DATA_FILE: join(dir, 'db.json') };
  writeFileSync(
    join(dir, '.env'),
    Object.entries(dotenv)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  const started = performance.now();
  // Only PATH and HOME from outside (and what `npm start` sets): the rest comes from the .env file.
  const child = spawn(process.execPath, [...BOT_NODE_FLAGS, main], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...BOT_NODE_ENV },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let exitedAt = 0;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitedAt = performance.now();
      resolve(code);
    }),
  );
  try {
    const ready = await new Promise<{ readyMs: number; startupMs: number }>((resolve, reject) => {
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
        child.stderr.removeAllListeners('data');
        child.stderr.resume();
        const startupMs = Number((JSON.parse(line) as { startupMs?: number }).startupMs);
        resolve({ readyMs: readyAt - started, startupMs });
      });
    });
    await sleep(IDLE_MS);
    const signalled = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    return { ...ready, shutdownMs: exitedAt - signalled, code };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export async function run(): Promise<Row[]> {
  const sim = await spawnSim();
  const runs: Run[] = [];
  try {
    for (let i = 0; i < RUNS; i += 1) runs.push(await once(sim.env));
  } finally {
    await sim.close();
  }
  const list = (pick: (r: Run) => number) => runs.map((r) => pick(r).toFixed(0)).join(', ');
  const ready = median(runs.map((r) => r.readyMs));
  const worstShutdown = Math.max(...runs.map((r) => r.shutdownMs));
  const codes = [...new Set(runs.map((r) => r.code))].join(', ');
  return [
    {
      bench: 'startup',
      metric: `spawn → "bot ready", median of ${RUNS} (${list((r) => r.readyMs)})`,
      value: ms(ready, 0),
      target: `≤ ${READY_TARGET_MS} ms`,
      ok: ready <= READY_TARGET_MS,
    },
    {
      bench: 'startup',
      metric: 'of which startBot (startupMs in the log line), median',
      value: ms(median(runs.map((r) => r.startupMs)), 0),
      target: '—',
    },
    {
      bench: 'shutdown',
      metric: `idle bot: SIGTERM → exit, worst of ${RUNS} (${list((r) => r.shutdownMs)}; exit code ${codes})`,
      value: ms(worstShutdown, 0),
      target: `≤ ${SHUTDOWN_TARGET_MS} ms, exit 0`,
      ok: worstShutdown <= SHUTDOWN_TARGET_MS && codes === '0',
    },
  ];
}

if (import.meta.main) {
  console.table(await run());
}
