import { type ChildProcess, fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { setGlobalDispatcher } from 'undici';
import { keepAliveAgent } from '../src/net/keep-alive.ts';
import { type DriverResponse, SlackDriver } from '../src/sandbox/driver.ts';
import type { SlackSimulator } from '../src/sandbox/slack/index.ts';
import { SANDBOX } from '../src/sandbox/world.ts';

/**
 * The processes of a benchmark: the simulators (bench/sim-server.ts), the bot
 * or a bare Bolt app (bench/ack-app.ts), each in its own process as in
 * production; a signed-request sender here; a /health poller in a worker thread.
 */

// The sender's fetch (SlackDriver) keeps its connections to the apps between rounds, as Slack does.
setGlobalDispatcher(keepAliveAgent({ connections: 64 }));

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

type Values = Record<string, Record<string, unknown>>;

/** Request/answer over a child's IPC channel, matched by id. */
function rpc(child: ChildProcess, name: string) {
  let seq = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m) => {
    const { id, result, error } = m as { id?: number; result?: unknown; error?: string };
    const entry = id === undefined ? undefined : waiting.get(id);
    if (!entry) return;
    waiting.delete(id!);
    if (error) entry.reject(new Error(`${name}: ${error}`));
    else entry.resolve(result);
  });
  child.once('exit', (code) => {
    for (const entry of waiting.values()) entry.reject(new Error(`${name} exited with ${code}`));
    waiting.clear();
  });
  return <T>(op: string, args: Record<string, unknown> = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      seq += 1;
      waiting.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id: seq, op, ...args });
    });
}

function firstMessage<T>(child: ChildProcess, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before ready`)));
  });
}

export type Sim = {
  pid: number;
  env: Record<string, string>;
  request: <T>(op: string, args?: Record<string, unknown>) => Promise<T>;
  /** Signed requests to the app at `url`, with Slack's state kept in the simulator process. */
  sender(url: string): Sender;
  close(): Promise<void>;
};

export async function spawnSim(): Promise<Sim> {
  const child = fork(here('./sim-server.ts'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { env } = await firstMessage<{ env: Record<string, string> }>(child, 'sim-server');
  const request = rpc(child, 'sim-server');
  return {
    pid: child.pid!,
    env,
    request,
    sender: (url) => new Sender(url, request),
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ op: 'close' });
      await exited;
    },
  };
}

/**
 * A SlackDriver whose simulator lives in the sim process: the ids and views a
 * payload needs are fetched from it before the timed request, so the driver
 * still builds every payload exactly as the tests do.
 */
export class Sender {
  private readonly triggers: string[] = [];
  private readonly urls: string[] = [];
  private readonly views = new Map<string, { view: unknown; triggerId: string }>();
  private readonly request: Sim['request'];
  readonly driver: SlackDriver;

  constructor(url: string, request: Sim['request']) {
    this.request = request;
    const stub = {
      mintTriggerId: (o: { viewId?: string } = {}) =>
        o.viewId ? this.views.get(o.viewId)!.triggerId : this.triggers.shift()!,
      responseUrl: () => this.urls.shift()!,
      viewPayload: (id: string) => this.views.get(id)?.view,
      applyViewAck: (viewId: string, ack: unknown) => {
        this.views.delete(viewId);
        void this.request('applyViewAck', { viewId, ack });
        return [];
      },
    };
    this.driver = new SlackDriver({
      url,
      signingSecret: SANDBOX.signingSecret,
      slack: stub as unknown as SlackSimulator,
      teamId: SANDBOX.teamId,
    });
  }

  /** `n` concurrent `/onboard` commands from the admin. */
  async commands(n: number): Promise<DriverResponse[]> {
    const minted = await this.request<{ triggerId: string; responseUrl: string }[]>('mint', {
      userId: SANDBOX.admin,
      n,
    });
    for (const m of minted) {
      this.triggers.push(m.triggerId);
      this.urls.push(m.responseUrl);
    }
    return Promise.all(minted.map(() => this.driver.command(SANDBOX.admin, '')));
  }

  /** Concurrent submissions of the modals `viewIds`, each with its own values. */
  async submits(viewIds: string[], values: () => Values): Promise<DriverResponse[]> {
    const prepared = await this.request<{ viewId: string; view: unknown; triggerId: string }[]>(
      'prepare',
      { viewIds, userId: SANDBOX.admin },
    );
    for (const p of prepared) this.views.set(p.viewId, p);
    return Promise.all(viewIds.map((id) => this.driver.submitView(id, SANDBOX.admin, values())));
  }

  /** One `/onboard <text>` from the admin. */
  async command(text: string): Promise<DriverResponse> {
    const [minted] = await this.request<{ triggerId: string; responseUrl: string }[]>('mint', {
      userId: SANDBOX.admin,
      n: 1,
    });
    this.triggers.push(minted!.triggerId);
    this.urls.push(minted!.responseUrl);
    return this.driver.command(SANDBOX.admin, text);
  }

  /** `n` open modals (in creation order), each handed out once. */
  takeModals(n: number): Promise<string[]> {
    return this.request<string[]>('takeModals', { n });
  }

  /** Resolves once the bot has sent each onboarding's result (views.update of its modal). */
  finished(viewIds: string[], timeoutMs = 60_000): Promise<void> {
    return this.request('finished', { viewIds, timeoutMs });
  }
}

export type App = {
  pid: number;
  port: number;
  url: string;
  /** The app's IPC: 'samples' (server-side ack times since the last call), 'settle', 'mem'. */
  call: <T = Record<string, unknown>>(message: string) => Promise<T>;
  stop(): Promise<void>;
};

/** The V8 flags of `npm start` (see package.json "start" and the README's performance section). */
export const BOT_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * The environment `npm start` adds: Node's compile cache, so that a start after the first
 * loads neither the type stripper (about 17 MB per thread) nor compiles the modules again, and
 * glibc's fixed mmap threshold (README, "Memory settings").
 */
export const BOT_NODE_ENV = {
  MALLOC_MMAP_THRESHOLD_: '131072',
  NODE_COMPILE_CACHE: fileURLToPath(
    new URL('../node_modules/.cache/node-compile-cache', import.meta.url),
  ),
};

/** Node flags the bot has been started with once in this run (see spawnApp). */
const compiled = new Set<string>();

/** The bot or a bare Bolt app (bench/ack-app.ts) in a child process, with the simulators' env. */
export async function spawnApp(
  mode: 'bot' | 'bare',
  env: Record<string, string>,
  execArgv: string[] = [],
): Promise<App> {
  // A bot measured on a cold compile cache (flags of its own, a changed file) would carry Node's
  // TypeScript stripper, about 17 MB per thread that `npm start` after `npm ci` does not (see
  // src/compile-cache.ts): a first start with those flags, untimed, fills it.
  const key = execArgv.join(' ');
  if (mode === 'bot' && !compiled.has(key)) {
    compiled.add(key);
    await (await launch(mode, env, execArgv)).stop();
  }
  return launch(mode, env, execArgv);
}

async function launch(
  mode: 'bot' | 'bare',
  env: Record<string, string>,
  execArgv: string[],
): Promise<App> {
  // The bot runs with the flags `npm start` gives it (package.json), the bare app with none.
  const flags = mode === 'bot' ? BOT_NODE_FLAGS : [];
  const child = fork(here('./ack-app.ts'), [mode], {
    env: {
      ...process.env,
      ...(mode === 'bot' ? BOT_NODE_ENV : {}),
      ...env,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    },
    // BENCH_BOT_ARGV: extra Node flags for the bot (e.g. --cpu-prof) when looking into a figure.
    execArgv: [
      ...process.execArgv,
      ...flags,
      ...execArgv,
      ...(mode === 'bot' ? (process.env.BENCH_BOT_ARGV?.split(' ').filter(Boolean) ?? []) : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await firstMessage<{ port: number }>(child, `${mode} app`);
  const queue: ((m: unknown) => void)[] = [];
  child.on('message', (m) => queue.shift()?.(m));
  return {
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}/slack/events`,
    call: <T>(message: string) =>
      new Promise<T>((resolve) => {
        queue.push(resolve as (m: unknown) => void);
        child.send(message);
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * CPU time (ms, user + system) of a process and its living descendants, from /proc: with
 * PostgreSQL that is the postmaster and its backends. Ticks are 1/100 s on Linux (CLK_TCK).
 */
export function treeCpuMs(root: number): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // After the command's closing parenthesis: state ppid … utime(14) stime(15) cutime cstime.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parent.set(Number(entry), Number(f[1]));
    ticks.set(Number(entry), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, t] of ticks) if (inTree(pid)) total += t;
  return total * 10;
}

/** VmHWM (peak resident set) and VmRSS of a process, in MB (Linux /proc). */
export function memoryOf(pid: number): { peakMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/** Polls `url` every `everyMs` from a worker thread (its own event loop), once its first GET is answered. */
export async function pollInWorker(url: string, everyMs: number) {
  type Polled = { samples: number[]; at: number[]; errors: number };
  const worker = new Worker(here('./health-worker.ts'), { workerData: { url, everyMs } });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    stop: () =>
      new Promise<Polled>((resolve, reject) => {
        worker.once('message', (m) => {
          resolve(m as Polled);
          void worker.terminate();
        });
        worker.once('error', reject);
        worker.postMessage('stop');
      }),
  };
}
