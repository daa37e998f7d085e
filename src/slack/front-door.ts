import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from '../log.ts';
import { isHandled, payloadProblem } from './middleware/payload-guard.ts';
import { isSignedBySlack } from './signature.ts';

// Not `import { createServer } from 'node:http'`: an ESM import reads every export of the
// module, and its lazy `WebSocket` loads Node's bundled undici (about 14 MB of this thread's
// memory) for nothing.
const { createServer } = process.getBuiltinModule('node:http');

/**
 * The bot's HTTP server. `/health` (and `/metrics`) in both modes; in HTTP mode
 * `POST /slack/events` is checked here — size, signature, shape — and only
 * then handed to Bolt's receiver with the body it already read. Every request
 * gets an answer: a 4xx for what cannot be handled, never a 5xx or a hang.
 */
export type FrontDoorOptions = {
  logger: Logger;
  health: () => Record<string, unknown>;
  /** HTTP mode: the signing secret and Bolt's request listener. */
  slack?: { signingSecret: string; listener: (req: IncomingMessage, res: ServerResponse) => void };
  bodyLimitBytes?: number;
  /** GET /metrics: the Prometheus text (src/metrics/), when the bot keeps metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
};

const EVENTS_PATH = '/slack/events';

export function createFrontDoor(options: FrontDoorOptions): Server {
  const limit = options.bodyLimitBytes ?? 1_000_000;
  const log = options.logger;
  const answer = (res: ServerResponse, status: number, body?: unknown) => {
    if (res.headersSent) return;
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      // A 503 takes a replica whose store does not answer out of a load balancer's rotation.
      const body = { ok: true, ...options.health() };
      answer(res, body.ok === false ? 503 : 200, body);
      return;
    }
    if (path === '/metrics' && options.metrics && (req.method === 'GET' || req.method === 'HEAD')) {
      options
        .metrics()
        .then(({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        })
        .catch((error: unknown) => {
          log.warn('metrics could not be rendered', { error: String(error) });
          answer(res, 503);
        });
      return;
    }
    if (path !== EVENTS_PATH || !options.slack) return answer(res, 404);
    if (req.method !== 'POST') return answer(res, 405);
    const slack = options.slack;
    readBody(req, limit)
      .then((raw) => {
        if (raw === undefined) return answer(res, 413);
        const text = raw.toString('utf8');
        if (!signed(req, text, slack.signingSecret)) {
          log.debug('refused an unsigned or stale Slack request');
          return answer(res, 401);
        }
        const parsed = parse(req, text);
        const problem = typeof parsed === 'string' ? parsed : payloadProblem(parsed.body);
        if (problem) {
          log.warn('refused a malformed Slack request', { problem });
          return answer(res, 400, { error: problem });
        }
        // Nothing of ours handles it: acknowledge now instead of letting Bolt time out.
        if (
          typeof parsed !== 'string' &&
          !parsed.ssl &&
          !isHandled(parsed.body as Record<string, unknown>)
        ) {
          return answer(res, 200);
        }
        (req as IncomingMessage & { rawBody: Buffer }).rawBody = raw;
        slack.listener(req, res);
      })
      .catch((error: unknown) => {
        log.warn('a Slack request could not be read', { error: String(error) });
        answer(res, 400);
      });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  return server;
}

/** The body, or undefined when it exceeds `limit` (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function signed(req: IncomingMessage, body: string, signingSecret: string): boolean {
  const signature = req.headers['x-slack-signature'];
  const timestamp = Number(req.headers['x-slack-request-timestamp']);
  if (typeof signature !== 'string' || !Number.isFinite(timestamp)) return false;
  // Slack's ssl_check is unsigned; Bolt answers it (and strips anything smuggled with it).
  if (isSslCheck(req, body)) return true;
  return isSignedBySlack(signingSecret, timestamp, body, signature);
}

function isSslCheck(req: IncomingMessage, body: string): boolean {
  return (
    contentType(req) === 'application/x-www-form-urlencoded' &&
    // The full parse only for a body that may be one (it is a second parse of every payload).
    /(?:^|&)ssl_check=/.test(body) &&
    parseQuery(body).ssl_check === '1'
  );
}

const contentType = (req: IncomingMessage) =>
  String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();

/** Parses the body the way Bolt will; a string says why it cannot be. */
function parse(req: IncomingMessage, text: string): { body: unknown; ssl?: boolean } | string {
  const type = contentType(req);
  try {
    if (type === 'application/x-www-form-urlencoded') {
      const form = parseQuery(text);
      if (form.ssl_check === '1') return { body: {}, ssl: true };
      if (!('payload' in form)) return { body: form };
      if (typeof form.payload !== 'string') return 'more than one payload';
      return { body: JSON.parse(form.payload) };
    }
    if (type === 'application/json') return { body: JSON.parse(text) };
    return `unsupported content type ${type || '(none)'}`;
  } catch {
    return 'the body is not valid JSON';
  }
}
