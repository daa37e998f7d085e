import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { resolve } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { waitFor } from '../../src/sandbox/driver.ts';

/**
 * The thread split of `npm start` (src/thread/): the main thread serves the
 * door, the bot's thread answers through it. Run as a process of its own
 * (the main side exits the process with its worker's exit code).
 */

const SECRET = 'thread-test-signing-secret-000000';
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
});

async function start(env: Record<string, string> = {}) {
  const proc = spawn(process.execPath, [resolve('test/thread/door-main.ts')], {
    env: { ...process.env, TEST_SIGNING_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  proc.stdout!.on('data', (chunk) => {
    out += String(chunk);
  });
  proc.stderr!.on('data', (chunk) => {
    out += String(chunk);
  });
  const port = await waitFor(() => /listening (\d+)/.exec(out)?.[1], 10_000);
  const exit = new Promise<number | null>((r) => proc.once('exit', r));
  return { base: `http://127.0.0.1:${port}`, exit, pid: proc.pid! };
}

/** Each thread's nice value by its name (MainThread, WorkerThread, …), from /proc. */
function niceByThread(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name's closing parenthesis; nice is field 19 of the line.
    const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    out[readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()] = nice;
  }
  return out;
}

function signed(body: string, secret = SECRET) {
  const ts = Math.floor(Date.now() / 1000);
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': sig,
    },
    body,
  };
}

test("a checked Slack request reaches the bot's thread as sent, and its answer comes back as written", async () => {
  const { base } = await start();
  const body = JSON.stringify({ type: 'url_verification', challenge: 'c', note: 'é ✓' });
  const answer = await fetch(`${base}/slack/events?x=1`, signed(body));
  expect(answer.status).toBe(201);
  expect(answer.headers.get('x-seen')).toBe('POST');
  expect(await answer.json()).toEqual({ url: '/slack/events?x=1', type: 'application/json', body });
  // The front door still refuses, in the main thread, what is not Slack's.
  expect((await fetch(`${base}/slack/events`, signed(body, 'another-secret'))).status).toBe(401);
  expect((await fetch(`${base}/health`)).status).toBe(200);
  expect(await (await fetch(`${base}/metrics`)).text()).toBe('served 1\n');
});

test("/health answers at once while the bot's thread is busy, from its last report", async () => {
  const { base } = await start();
  const busy = fetch(
    `${base}/slack/events`,
    signed(JSON.stringify({ type: 'url_verification', challenge: 'c', block: 1_500 })),
  );
  await new Promise((r) => setTimeout(r, 200));
  const before = performance.now();
  const health = await fetch(`${base}/health`);
  const took = performance.now() - before;
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ ok: true, served: 0 });
  // Well inside the 1.5 s the bot's thread is stuck for (not a timing target: a wide bound).
  expect(took).toBeLessThan(750);
  expect((await busy).status).toBe(201);
  // The next report (every 250 ms) says so.
  await waitFor(
    async () => ((await (await fetch(`${base}/health`)).json()) as { served: number }).served === 1,
    2_000,
  );
});

test("/health says 503 when the bot's thread has sent no report for too long (stuck)", async () => {
  const { base } = await start({ TEST_STALE_MS: '400' });
  const busy = fetch(
    `${base}/slack/events`,
    signed(JSON.stringify({ type: 'url_verification', challenge: 'c', block: 1_500 })),
  );
  await new Promise((r) => setTimeout(r, 900));
  const stuck = await fetch(`${base}/health`);
  expect(stuck.status).toBe(503);
  expect(await stuck.json()).toMatchObject({
    ok: false,
    error: expect.stringMatching(/^the bot has not answered for \d+ s$/),
  });
  await busy;
  // It reports again once its event loop runs.
  await waitFor(async () => (await fetch(`${base}/health`)).status === 200, 2_000);
});

test("SIGTERM goes to the bot's thread; the process exits with that thread's exit code", async () => {
  const { exit } = await start();
  child!.kill('SIGTERM');
  expect(await exit).toBe(3);
});

test('the main thread loads no fetch or WebSocket code: an ESM import of node:http would', () => {
  // `import { createServer } from 'node:http'` reads every export, and `WebSocket` is a lazy
  // getter that loads Node's bundled undici (about 14 MB): the door takes it by getBuiltinModule.
  const script = `
    await import(${JSON.stringify(new URL('../../src/thread/main-side.ts', import.meta.url).href)});
    const bundled = () => process.moduleLoadList.some((m) => m.includes('deps/undici'));
    const before = bundled();
    await import('node:http');
    console.log(JSON.stringify({ before, afterEsmImport: bundled() }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({
    before: false,
    afterEsmImport: true,
  });
});

test("the HTTP thread takes the nice value it is given, and the bot's thread keeps its own", async () => {
  // The child's threads start at this thread's nice value; a higher one is allowed to anyone.
  const own = getPriority();
  const lower = await start({ TEST_NICE: String(own + 5) });
  expect(niceByThread(lower.pid)).toMatchObject({ MainThread: own + 5, WorkerThread: own });
  child?.kill('SIGKILL');
  // A negative one needs root, CAP_SYS_NICE or RLIMIT_NICE; without them the thread keeps its own.
  const privileged =
    spawnSync(process.execPath, ['-e', 'require("node:os").setPriority(-5)']).status === 0;
  const higher = await start({ TEST_NICE: '-5' });
  expect(niceByThread(higher.pid)).toMatchObject({
    MainThread: privileged ? -5 : own,
    WorkerThread: own,
  });
  expect((await fetch(`${higher.base}/health`)).status).toBe(200);
});
