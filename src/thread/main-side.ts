import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { createLogger, type Logger } from '../log.ts';
import { redact } from '../redact.ts';
import { createFrontDoor } from '../slack/front-door.ts';
import { setThreadNice } from './priority.ts';
import type { ForwardedAnswer, ToMain, ToWorker } from './protocol.ts';

/** /health says 503 when the bot thread has sent no report for this long (it is stuck). */
const STALE_MS = 5_000;
/** Bolt answers within 3 s; a request still unanswered after this gets a 503, never a hang. */
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * The main thread of `npm start`: the bot runs in a worker thread (`entry`),
 * and this thread only serves its HTTP door — /health from the bot's last
 * report, /metrics and Slack requests by message. Under load the bot's event
 * loop is busy with onboardings; a load balancer's probe, answered here, does
 * not wait behind them. Signals are passed on; the process exits with the
 * worker's exit code.
 */
export function runBotInWorker(
  entry: URL,
  options: { onListening?: (port: number) => void; staleMs?: number } = {},
): Worker {
  const staleMs = options.staleMs ?? STALE_MS;
  const worker = new Worker(entry);
  let server: Server | undefined;
  let log: Logger = createLogger('info');
  let nextId = 0;
  const pending = new Map<number, { res: ServerResponse; timer: NodeJS.Timeout }>();
  const metrics = new Map<number, (m: ToMain) => void>();
  const send = (message: ToWorker) => worker.postMessage(message);
  let health: Record<string, unknown> = {};
  let reportedAt = Date.now();

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const id = ++nextId;
    const timer = setTimeout(() => {
      log.warn('the bot thread did not answer a Slack request in 10 s; answered 503');
      answer({ t: 'answer', id, status: 503, headers: {}, body: '' });
    }, ANSWER_TIMEOUT_MS);
    pending.set(id, { res, timer });
    send({
      t: 'slack',
      id,
      method: req.method ?? 'POST',
      url: req.url ?? '/',
      headers: req.headers,
      body: (req as IncomingMessage & { rawBody: Buffer }).rawBody.toString('utf8'),
    });
  };
  const answer = (message: ForwardedAnswer) => {
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (waiting.res.headersSent) return;
    waiting.res.writeHead(message.status, message.headers);
    waiting.res.end(message.body || undefined);
  };
  const askMetrics = () =>
    new Promise<{ contentType: string; body: string }>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        metrics.delete(id);
        reject(new Error('the bot thread did not answer in 5 s'));
      }, 5_000);
      metrics.set(id, (m) => {
        clearTimeout(timer);
        if (m.t === 'metrics') resolve({ contentType: m.contentType, body: m.body });
        else reject(new Error(m.t === 'metrics-failed' ? m.message : 'unexpected answer'));
      });
      send({ t: 'metrics', id });
    });

  worker.on('message', (message: ToMain) => {
    switch (message.t) {
      case 'serve': {
        log = createLogger(message.logLevel);
        // Here, after the bot's thread was started: a thread takes its creator's nice value.
        setThreadNice(message.nice, log);
        health = message.health;
        reportedAt = Date.now();
        const door = createFrontDoor({
          logger: log,
          health: () => {
            const silentMs = Date.now() - reportedAt;
            if (silentMs <= staleMs) return health;
            return {
              ...health,
              ok: false,
              error: `the bot has not answered for ${Math.round(silentMs / 1000)} s`,
            };
          },
          ...(message.metrics ? { metrics: askMetrics } : {}),
          ...(message.signingSecret
            ? { slack: { signingSecret: message.signingSecret, listener: forward } }
            : {}),
        });
        server = door;
        door.once('error', (error: NodeJS.ErrnoException) =>
          send({
            t: 'listen-failed',
            message: error.message,
            ...(error.code ? { code: error.code } : {}),
          }),
        );
        door.listen(message.port, () => {
          const { port } = door.address() as AddressInfo;
          send({ t: 'listening', port });
          options.onListening?.(port);
        });
        break;
      }
      case 'health':
        health = message.health;
        reportedAt = Date.now();
        break;
      case 'answer':
        answer(message);
        break;
      case 'metrics':
      case 'metrics-failed':
        metrics.get(message.id)?.(message);
        metrics.delete(message.id);
        break;
      case 'close':
        server?.close();
        server?.closeIdleConnections();
        break;
      case 'close-all':
        server?.closeAllConnections();
        break;
    }
  });
  // An uncaught error in the bot ends its thread (exit code 1), as it would have ended the process.
  worker.on('error', (error) => {
    process.stderr.write(
      `${redact(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
  });
  worker.on('exit', (code) => {
    for (const id of pending.keys())
      answer({ t: 'answer', id, status: 503, headers: {}, body: '' });
    server?.closeAllConnections();
    process.exit(code);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      send({ t: 'stop', signal });
      // The bot thread exits within 10 s on its own; this is for one whose event loop is stuck.
      setTimeout(() => {
        log.error('the bot thread did not stop in 12 s; exiting');
        process.exit(1);
      }, 12_000).unref();
    });
  }
  return worker;
}
