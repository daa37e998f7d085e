import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import type { ModalView } from '@slack/types';
import { runBotInWorker } from '../src/thread/main-side.ts';
import { threadCpuMs } from './thread-cpu.ts';

/**
 * Child process for bench/ack.ts: runs either the real bot or a bare Bolt app
 * (its /onboard acks and opens a one-input modal, its submissions only ack),
 * in its own process (as in production), and measures each request's ack
 * time server-side: from the request's arrival to the end of the response,
 * through Node's http diagnostics channels.
 *
 * argv[2]: 'bot' | 'bare'. Environment: the sandbox world's env.
 * IPC: sends { port } when ready; answers 'samples' with the times since the
 * last call (and each thread's CPU time meanwhile), 'settle' once every
 * onboarding left `provisioning`, and 'mem'
 * with process.memoryUsage() after a full GC (when started with --expose-gc),
 * 'loop' with the event-loop delay (p99, max in ms) since the last 'loop'.
 * The bot runs as `npm start` runs it: in a worker thread (bench/bot-thread.ts),
 * its HTTP door in this one; the event-loop delay and heap are that thread's.
 */

const mode = process.argv[2];
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const started = new WeakMap<ServerResponse, number>();
let samples: number[] = [];
subscribe('http.server.request.start', (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  if (request.url?.startsWith('/slack/events')) started.set(response, performance.now());
});
subscribe('http.server.response.finish', (message) => {
  const { response } = message as { response: ServerResponse };
  const at = started.get(response);
  if (at !== undefined) samples.push(performance.now() - at);
});

/** The bare app's modal (bench/sim-server.ts leaves it out of the bot's pool of modals). */
const BARE_MODAL: ModalView = {
  type: 'modal',
  callback_id: 'bare_modal',
  title: { type: 'plain_text', text: 'Onboard' },
  submit: { type: 'plain_text', text: 'Submit' },
  blocks: [
    {
      type: 'input',
      block_id: 'name',
      label: { type: 'plain_text', text: 'Name' },
      element: { type: 'plain_text_input', action_id: 'value' },
    },
  ],
};

let port: number;
/** The bot's worker thread; undefined for the bare app. */
let worker: Worker | undefined;
if (mode === 'bot') {
  // As `npm start` runs it (src/main.ts): the bot in a worker, its HTTP door in this thread.
  // LOG_LEVEL: 'error' unless BENCH_LOG_LEVEL asks for more (bench/procs.ts), when looking into a run.
  port = await new Promise<number>((resolve) => {
    worker = runBotInWorker(new URL('./bot-thread.ts', import.meta.url), { onListening: resolve });
  });
} else {
  // Loaded only here: in bot mode this thread must carry no more than `npm start`'s does.
  const { App, HTTPReceiver } = await import('@slack/bolt');
  const app = new App({
    token: process.env.SLACK_BOT_TOKEN!,
    receiver: new HTTPReceiver({
      signingSecret: process.env.SLACK_SIGNING_SECRET!,
      endpoints: '/slack/events',
    }),
    clientOptions: { slackApiUrl: `${process.env.SLACK_API_URL}/` },
  });
  // The bare app the issue compares with: its /onboard opens a one-input modal (after the ack, as
  // the bot does), its view_submission acks with nothing.
  app.command('/onboard', async ({ ack, body, client }) => {
    await ack();
    await client.views.open({ trigger_id: body.trigger_id, view: BARE_MODAL }).catch(() => {});
  });
  app.view(/.*/, async ({ ack }) => {
    await ack();
  });
  const server = (await app.start(0)) as Server;
  port = (server.address() as AddressInfo).port;
}

/** Asks the bot's thread (bench/bot-thread.ts) and waits for its answer. */
const askBot = (what: string) =>
  new Promise<Record<string, unknown>>((resolve) => {
    const listen = (m: { t: string }) => {
      if (m.t !== 'bench') return;
      worker!.off('message', listen);
      resolve(m as Record<string, unknown>);
    };
    worker!.on('message', listen);
    worker!.postMessage({ t: 'bench', bench: what });
  });

let cpuSince: NodeJS.CpuUsage | undefined;

process.on('message', async (message) => {
  if (message === 'samples') {
    // With the ack times, this thread's CPU since the last call (and the bot thread's, for the bot).
    const main = threadCpuMs(cpuSince);
    cpuSince = main.now;
    const bot = worker ? ((await askBot('cpu')).ms as number) : 0;
    process.send!({ samples, cpu: { main: main.ms, bot } });
    samples = [];
  } else if (message === 'settle') {
    if (worker) await askBot('settle');
    process.send!({ settled: true });
  } else if (message === 'loop') {
    // The bot's event loop: its worker thread's (this thread only serves HTTP).
    if (worker) {
      if (process.env.BENCH_VERBOSE)
        console.error('main thread loop', loop.percentile(99) / 1e6, loop.max / 1e6);
      process.send!(await askBot('loop'));
    } else process.send!({ p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 });
    loop.reset();
  } else if (message === 'mem' || message === 'mem-now') {
    if (message === 'mem') (globalThis as { gc?: () => void }).gc?.();
    const heap = worker ? await askBot(message) : process.memoryUsage();
    process.send!({
      ...heap,
      ...(process.env.BENCH_VERBOSE ? { ...mappings(), ...mainHeap() } : {}),
    });
  } else if (message === 'exit') {
    process.exit(0);
  }
});
process.send!({ port });

/** This (the door's) thread's own V8 heap, beside the bot thread's. */
function mainHeap(): Record<string, number> {
  const { heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const mb = (n: number) => n / 2 ** 20;
  return {
    'main:heapTotal': mb(heapTotal),
    'main:heapUsed': mb(heapUsed),
    'main:external': mb(external),
    'main:arrayBuffers': mb(arrayBuffers),
  };
}

/** Resident memory by kind of mapping (/proc/self/smaps), for looking into an RSS figure. */
function mappings(): Record<string, number> {
  const out: Record<string, number> = {};
  let name = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[3]!.includes('/') ? 'file' : head[3]! || 'anon';
      // Anonymous mappings by size: V8 takes its heap 256 KB pages at a time, glibc's thread
      // arenas are up to 64 MB each, large buffers get mappings of their own.
      const kb = (Number.parseInt(head[2]!, 16) - Number.parseInt(head[1]!, 16)) / 1024;
      if (name === 'anon')
        name = `anon ${kb === 256 ? '=256K' : kb < 1024 ? '<1M' : kb < 8192 ? '1-8M' : kb <= 65536 ? '8-64M' : '>64M'}`;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[`rss:${name}`] = (out[`rss:${name}`] ?? 0) + Number(rss[1]) / 1024;
  }
  return out;
}
