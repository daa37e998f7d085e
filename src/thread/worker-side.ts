import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MessagePort } from 'node:worker_threads';
import type { LogLevel } from '../log.ts';
import type { Door, Serve } from '../slack/app.ts';
import type { ForwardedAnswer, ForwardedRequest, ToMain, ToWorker } from './protocol.ts';

/** How often the worker tells the main thread what /health should say. */
const HEALTH_EVERY_MS = 250;

/**
 * The bot's side of the thread split: its door is served by the main thread.
 * Slack requests arrive as messages, already checked by the front door, and go
 * to Bolt's own request listener; what Bolt writes is sent back. The health
 * report is pushed every 250 ms, so /health is answered without a round trip
 * to a thread that may be busy.
 */
export function serveThroughMain(
  port: MessagePort,
  { logLevel, nice }: { logLevel: LogLevel; nice: number },
): Serve {
  const send = (message: ToMain) => port.postMessage(message);
  return (door, wanted) =>
    new Promise((resolve, reject) => {
      const timer = setInterval(
        () => send({ t: 'health', health: door.health() }),
        HEALTH_EVERY_MS,
      );
      timer.unref();
      port.on('message', (message: ToWorker) => {
        if (message.t === 'listening') {
          resolve({
            port: message.port,
            close: () => {
              clearInterval(timer);
              send({ t: 'close' });
            },
            closeAll: () => send({ t: 'close-all' }),
          });
        } else if (message.t === 'listen-failed') {
          clearInterval(timer);
          reject(Object.assign(new Error(message.message), { code: message.code }));
        } else if (message.t === 'slack' && door.slack) {
          void answer(door.slack.listener, message).then(send);
        } else if (message.t === 'metrics') {
          metricsFor(door, message.id).then(send);
        }
      });
      send({
        t: 'serve',
        port: wanted,
        logLevel,
        nice,
        ...(door.slack ? { signingSecret: door.slack.signingSecret } : {}),
        metrics: door.metrics !== undefined,
        health: door.health(),
      });
    });
}

function metricsFor(door: Door, id: number): Promise<ToMain> {
  if (!door.metrics) return Promise.resolve({ t: 'metrics-failed', id, message: 'no metrics' });
  return door.metrics().then(
    ({ contentType, body }) => ({ t: 'metrics', id, contentType, body }),
    (error: unknown) => ({ t: 'metrics-failed', id, message: String(error) }),
  );
}

/**
 * Runs a forwarded request through Bolt's HTTP listener. The request carries
 * its body as `rawBody`, which Bolt reads instead of the stream; the response
 * records what Bolt writes (it uses writeHead, setHeader and end).
 */
export function answer(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  request: ForwardedRequest,
): Promise<ForwardedAnswer> {
  return new Promise((resolve) => {
    const headers: ForwardedAnswer['headers'] = {};
    let status = 200;
    const res = {
      headersSent: false,
      get statusCode() {
        return status;
      },
      set statusCode(value: number) {
        status = value;
      },
      setHeader(name: string, value: string | number | string[]) {
        headers[name.toLowerCase()] = value;
        return res;
      },
      getHeader: (name: string) => headers[name.toLowerCase()],
      writeHead(code: number, more?: Record<string, string | number | string[]>) {
        status = code;
        for (const [name, value] of Object.entries(more ?? {})) headers[name.toLowerCase()] = value;
        res.headersSent = true;
        return res;
      },
      end(chunk?: string | Buffer) {
        res.headersSent = true;
        const body = chunk === undefined ? '' : chunk.toString();
        resolve({ t: 'answer', id: request.id, status, headers, body });
        return res;
      },
    };
    const req = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      rawBody: Buffer.from(request.body, 'utf8'),
    };
    try {
      listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    } catch {
      // Bolt answers its own errors; this is only for one it throws before it can.
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
}
