import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { SlackDriver } from '../../src/sandbox/driver.ts';
import { SANDBOX, type World } from '../../src/sandbox/world.ts';

/** Helpers of the process-level tests (crash, cohort crash, replica processes, main process). */

/** A small seeded PRNG: the same seed gives the same kill plans. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A port that was free a moment ago: fixed for the test, so restarted bots keep it. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

/** Writes `env` as the `.env` file in `dir`: all a spawned main.ts is configured by. */
export function writeDotEnv(dir: string, env: Record<string, string>): void {
  writeFileSync(
    join(dir, '.env'),
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
}

/** Signed requests to a bot process listening on `port` of this machine. */
export function driverOn(port: number | string, slack: World['slack']): SlackDriver {
  return new SlackDriver({
    url: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SANDBOX.signingSecret,
    slack,
    teamId: SANDBOX.teamId,
  });
}

export type Person = { first: string; last: string; email: string; phone: string; login: string };

const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Perlman'];

/** The i-th distinct person (name pair, e-mail, login of 7..15 chars, phone all unique). */
export function person(i: number): Person {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  const n = String(i).padStart(3, '0');
  return {
    first,
    last: i >= FIRST.length * LAST.length ? `${last}-${n}` : last,
    email: `${first}.${last}.${n}@example.com`.toLowerCase(),
    phone: `+4915112345${n}`,
    login: `${first[0]}${last.slice(0, 8)}${n}`.toLowerCase(),
  };
}

export type StoredRecord = { id: string; state: string; person: { email: string; login: string } };

/**
 * The records in the data files as the store would rebuild them: the snapshot's `onboardings`,
 * then `<file>.journal.old` and `<file>.journal` lines (later ones win). A torn last journal
 * line (a kill mid-append) is ignored, as the store does; anything else unparsable throws.
 */
export function loadRecords(file: string): Map<string, StoredRecord> {
  const records = new Map<string, StoredRecord>();
  const fail = (why: string): never => {
    throw new Error(`data files not loadable: ${why}`);
  };
  if (existsSync(file)) {
    let snapshot: { onboardings?: unknown };
    try {
      snapshot = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      return fail(`${file}: ${(error as Error).message}`);
    }
    if (!Array.isArray(snapshot.onboardings)) fail(`${file} has no onboardings array`);
    for (const record of snapshot.onboardings as StoredRecord[]) records.set(record.id, record);
  }
  for (const path of [`${file}.journal.old`, `${file}.journal`]) {
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    for (const [index, line] of lines.entries()) {
      if (line.trim() === '') continue;
      let entry: { t?: string; record?: StoredRecord };
      try {
        entry = JSON.parse(line);
      } catch {
        return fail(`${path} line ${index + 1} is not JSON`);
      }
      if (entry.t === 'record' && entry.record?.id) records.set(entry.record.id, entry.record);
    }
  }
  return records;
}

/** One process of the bot. */
export type Life = {
  gen: number;
  child: ChildProcess;
  ready: boolean;
  /** Killed by the test (SIGKILL): its exit restarts the bot. */
  killed: boolean;
  stderr: string;
};

/**
 * Runs `node src/main.ts` in `dir` (its .env configures it) and restarts it on the same data
 * file and port whenever the test kills it. A process that exits by itself is fatal: exit 78
 * means the data files were not loadable.
 */
export class Supervisor {
  readonly lives: Life[] = [];
  fatal: Error | undefined;
  onReady: ((life: Life) => void) | undefined;
  private stopping = false;

  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  get current(): Life | undefined {
    return this.lives.at(-1);
  }

  /** Running, ready, and not being killed. */
  get up(): boolean {
    const life = this.current;
    return Boolean(life?.ready && !life.killed && life.child.exitCode === null);
  }

  spawn(): Life {
    const child = spawn(process.execPath, [resolve('src/main.ts')], {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const life: Life = {
      gen: this.lives.length + 1,
      child,
      ready: false,
      killed: false,
      stderr: '',
    };
    this.lives.push(life);
    child.stderr!.on('data', (chunk) => {
      life.stderr += String(chunk);
      if (!life.ready && !life.killed && life.stderr.includes('HTTP mode on port')) {
        life.ready = true;
        this.onReady?.(life);
      }
    });
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      if (life.killed) {
        this.spawn();
        return;
      }
      const why = code === 78 ? 'data files not loadable: ' : '';
      this.fatal ??= new Error(
        `${why}bot run ${life.gen} exited by itself (${code ?? signal}) ` +
          `${life.ready ? 'after' : 'before'} it was ready:\n${life.stderr.slice(-2_000)}`,
      );
    });
    return life;
  }

  /** SIGKILL, synchronously. false when there was no running, ready bot to kill. */
  kill(): boolean {
    if (!this.up) return false;
    const life = this.current!;
    life.killed = true;
    life.child.kill('SIGKILL');
    return true;
  }

  /** Waits until a bot is up; throws what made it impossible. */
  async whenUp(timeoutMs = 15_000): Promise<Life> {
    const deadline = Date.now() + timeoutMs;
    while (!this.up) {
      if (this.fatal) throw this.fatal;
      if (Date.now() > deadline) throw new Error(`the bot was not ready within ${timeoutMs} ms`);
      await sleep(5);
    }
    return this.current!;
  }

  /** SIGTERM without a restart; resolves with the exit code. */
  async stop(): Promise<number | null> {
    this.stopping = true;
    const life = this.current;
    if (!life || life.child.exitCode !== null || life.child.signalCode !== null) return null;
    const exited = new Promise<number | null>((r) => life.child.once('exit', (code) => r(code)));
    life.child.kill('SIGTERM');
    const code = await exited;
    return code;
  }

  /** Lets the next spawn be supervised again (after a stop). */
  resume(): void {
    this.stopping = false;
  }

  /** afterAll: no process outlives the test. */
  killAll(): void {
    this.stopping = true;
    for (const life of this.lives) {
      if (life.child.exitCode === null && life.child.signalCode === null) {
        life.child.kill('SIGKILL');
      }
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `key×count` for every key that occurs more than once. */
export function duplicates<T>(items: Iterable<T>, key: (item: T) => string | undefined): string[] {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k}×${n}`);
}

/** Rejects after `ms` (the driver's fetch has no timeout of its own). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Whether a fetch failed because nothing listened (the request never reached a bot). */
export function refused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  return (
    cause?.code === 'ECONNREFUSED' || Boolean(cause?.errors?.some((e) => e.code === 'ECONNREFUSED'))
  );
}
