import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { SandboxSession } from '../session.ts';
import { type Outcome, SlackSide } from './slack-side.ts';

/**
 * The browser sandbox's HTTP server: the page (static files under public/,
 * preact and htm straight from node_modules, no build step) and a small JSON
 * API the page calls. Listens on 127.0.0.1 only: it acts as Slack for anyone
 * who can reach it.
 */

const here = dirname(fileURLToPath(import.meta.url));
const PUBLIC = join(here, 'public');
const MODULES = join(here, '..', '..', '..', 'node_modules');
const VENDOR: Record<string, string> = {
  '/vendor/preact.mjs': join(MODULES, 'preact', 'dist', 'preact.mjs'),
  '/vendor/hooks.mjs': join(MODULES, 'preact', 'hooks', 'dist', 'hooks.mjs'),
  '/vendor/htm.mjs': join(MODULES, 'htm', 'dist', 'htm.module.js'),
};
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
const MAX_BODY = 256 * 1024;
/** A submit may carry files (base64): room for a cohort CSV over the bot's 2 MB limit. */
const MAX_SUBMIT_BODY = 4 * 1024 * 1024;

const userId = z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id (U…)');
const viewId = z.string().regex(/^V[A-Z0-9]{2,30}$/, 'must be a view id (V…)');
const values = z.record(z.string(), z.record(z.string(), z.unknown()));
const where = z.union([
  z.object({ viewId }),
  z.object({
    channel: z.string().min(1).max(30),
    ts: z.string().regex(/^\d+\.\d+$/),
    ephemeral: z.boolean().optional(),
  }),
]);
const Requests = {
  '/api/type': z.object({ as: userId, channel: z.string().max(30), text: z.string().max(4000) }),
  '/api/act': z.object({
    as: userId,
    where,
    action: z.looseObject({ type: z.string().min(1), action_id: z.string().min(1).max(255) }),
    values: values.optional(),
  }),
  '/api/type-into': z.object({
    as: userId,
    viewId,
    input: z.object({ block_id: z.string(), action_id: z.string(), value: z.string().max(3000) }),
    values,
  }),
  '/api/submit': z.object({
    as: userId,
    viewId,
    values,
    uploads: z
      .array(
        z.object({
          block_id: z.string().min(1).max(255),
          action_id: z.string().min(1).max(255),
          files: z
            .array(z.object({ name: z.string().min(1).max(255), content: z.base64() }))
            .min(1)
            .max(10),
        }),
      )
      .max(20)
      .optional(),
  }),
  '/api/close': z.object({ as: userId, viewId, all: z.boolean() }),
  '/api/home': z.object({ as: userId }),
  '/api/switch': z.discriminatedUnion('name', [
    z.object({ name: z.literal('accept-latest') }),
    z.object({ name: z.literal('fail-next-sms') }),
    z.object({ name: z.literal('latency'), ms: z.number().int().min(0).max(10_000) }),
    z.object({ name: z.literal('digest'), as: userId }),
  ]),
} as const;
type Routes = typeof Requests;

export type WebServer = { url: string; close(): Promise<void> };

export async function startWebServer(
  session: SandboxSession,
  options: { port?: number; host?: string } = {},
): Promise<WebServer> {
  const side = new SlackSide(session);
  const handlers: {
    [K in keyof Routes]: (body: z.infer<Routes[K]>) => Promise<Outcome> | Outcome;
  } = {
    '/api/type': (b) => side.type(b.as, b.channel, b.text),
    '/api/act': (b) =>
      side.act(b.as, b.where, b.action as Parameters<SlackSide['act']>[2], b.values),
    '/api/type-into': (b) => side.typeInto(b.as, b.viewId, b.input, b.values),
    '/api/submit': (b) =>
      side.submit(
        b.as,
        b.viewId,
        b.values,
        (b.uploads ?? []).map((u) => ({
          ...u,
          files: u.files.map((f) => ({ name: f.name, content: Buffer.from(f.content, 'base64') })),
        })),
      ),
    '/api/close': (b) => side.close(b.as, b.viewId, b.all),
    '/api/home': (b) => side.openHome(b.as),
    '/api/switch': (b) => {
      switch (b.name) {
        case 'accept-latest':
          return side.acceptLatest();
        case 'fail-next-sms':
          return side.failNextSms();
        case 'latency':
          return side.setLatency(b.ms);
        case 'digest':
          return side.digestNow(b.as);
      }
    },
  };

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    headers = {},
  ) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, body: unknown) =>
    send(
      res,
      status,
      TYPES.js!.replace('text/javascript', 'application/json'),
      JSON.stringify(body),
    );

  const readBody = async (req: IncomingMessage, max: number) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > max) throw new RangeError(`request body over ${max / 1024} KiB`);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/api/state') {
      const me = userId.safeParse(url.searchParams.get('as'));
      if (!me.success)
        return json(res, 400, { ok: false, message: 'as: must be a Slack user id (U…)' });
      const text = JSON.stringify(side.snapshot(me.data));
      const etag = `"${createHash('sha1').update(text).digest('base64url')}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag });
        return res.end();
      }
      return send(res, 200, 'application/json; charset=utf-8', text, { etag });
    }
    if (req.method === 'GET' && path === '/api/file') {
      // A file the bot shared, from the simulator's state (the bot token never reaches the page).
      const me = userId.safeParse(url.searchParams.get('as'));
      const id = url.searchParams.get('id') ?? '';
      if (!me.success || !/^F[A-Z0-9]{2,30}$/.test(id))
        return json(res, 400, { ok: false, message: 'as and id: a Slack user id and a file id' });
      const file = side.fileFor(me.data, id);
      if (!file) return send(res, 404, 'text/plain', 'No such file in your conversations');
      const type = /\.csv$/i.test(file.name)
        ? 'text/csv; charset=utf-8'
        : 'application/octet-stream';
      const ascii = file.name.replace(/[^\w.-]/g, '_');
      return send(res, 200, type, file.content, {
        'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
        'x-content-type-options': 'nosniff',
      });
    }
    if (req.method === 'POST' && Object.hasOwn(Requests, path)) {
      const route = path as keyof Routes;
      let raw: unknown;
      try {
        raw = JSON.parse(await readBody(req, route === '/api/submit' ? MAX_SUBMIT_BODY : MAX_BODY));
      } catch (error) {
        return json(res, 400, {
          ok: false,
          message: `body: ${error instanceof RangeError ? error.message : 'not JSON'}`,
        });
      }
      const parsed = Requests[route].safeParse(raw);
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; ');
        return json(res, 400, { ok: false, message });
      }
      const handler = handlers[route] as (body: unknown) => Promise<Outcome> | Outcome;
      return json(res, 200, await handler(parsed.data));
    }
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'Method Not Allowed');
    if (path === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    const file =
      path === '/'
        ? join(PUBLIC, 'index.html')
        : (VENDOR[path] ??
          (/^\/[a-z-]+\.(js|css)$/.test(path) ? join(PUBLIC, path.slice(1)) : undefined));
    if (!file) return send(res, 404, 'text/plain', 'Not Found');
    try {
      const body = await readFile(file);
      return send(res, 200, TYPES[file.split('.').pop()!] ?? 'application/octet-stream', body);
    } catch {
      return send(res, 404, 'text/plain', 'Not Found');
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent)
        json(res, 500, { ok: false, message: `the sandbox failed: ${message}` });
      else res.end();
    });
  });
  server.keepAliveTimeout = 1_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
