import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny HTTP framework for the contract simulators: a router with `:param`
 * segments, a log of every call (what the upstream received), and faults that
 * tests and the demo can inject per route.
 */

export type SimRequest = {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Raw body text. */
  text: string;
  /** Parsed JSON body, `undefined` when absent, the symbol INVALID_JSON when unparsable. */
  body: unknown;
};

export const INVALID_JSON = Symbol('invalid-json');

export type SimResponse = {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

export type Handler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export type RecordedCall = {
  method: string;
  /** The route pattern when a route matched (e.g. `/invites/:code`), else the concrete path. */
  path: string;
  /** The concrete path that was called. */
  url: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  at: number;
};

export type Fault = {
  /** Matches the request method (upper-case). Any when absent. */
  method?: string;
  /** Matches the route pattern (e.g. `/invites/:code`) or the concrete path. Any when absent. */
  route?: string;
  /** How many matching calls this fault applies to. Default 1. */
  times?: number;
  /** Answer with this status (and `body`, or the API's error shape built by `errorBody`). */
  status?: number;
  body?: unknown;
  /** Adds a Retry-After header (seconds). */
  retryAfter?: number;
  /** Waits before answering (or before passing on to the real handler when no status). */
  delayMs?: number;
  /** Answers 200 with a body that is not JSON. */
  malformed?: boolean;
  /** Never answers (the connection is held until the server closes). */
  hang?: boolean;
  /**
   * The real handler runs first (the request takes effect), then its answer is damaged:
   * - `truncate`: real status and headers, but only the first half of the body, with a
   *   content-length that matches what is sent (a cutting proxy): the client reads a complete,
   *   unparsable 2xx body. An empty answer (e.g. 204) has nothing to cut: the connection is
   *   reset instead (logged with status 0), the client sees a network error.
   * - `late`: the answer is held for `delayMs` before being written (a client with a shorter
   *   timeout gives up although the request took effect).
   * - `reset`: the socket is destroyed without an answer (logged with status 0).
   * With `after`, `delayMs` is waited after the handler, and `status`, `malformed` and `hang`
   * cannot be combined.
   */
  after?: 'truncate' | 'late' | 'reset';
};

export type ArrivedCall = { method: string; path: string; url: string };

type Route = { method: string; pattern: string; regex: RegExp; keys: string[]; handler: Handler };

export type SimServer = {
  readonly name: string;
  readonly url: string;
  readonly calls: RecordedCall[];
  /** Calls whose route pattern or path matches. */
  callsTo(method: string, route: string): RecordedCall[];
  addFault(fault: Fault): void;
  clearFaults(): void;
  /**
   * Called synchronously as each request arrives (body read; before latency, faults and the
   * handler). Returns the unsubscribe function.
   */
  onArrival(listener: (call: ArrivedCall) => void): () => void;
  /** Latency added to every call (the benchmarks use it). */
  setLatency(ms: number): void;
  /**
   * At most `perSecond` calls are served in any second; the rest answer 429 with
   * `Retry-After` (the API's error shape), as a rate-limited service does. `undefined` lifts it.
   */
  setRateLimit(perSecond: number | undefined): void;
  start(port?: number): Promise<string>;
  close(): Promise<void>;
};

export type SimServerOptions = {
  name: string;
  /** Path prefix the routes live under (e.g. `/rest` for Opentact). */
  basePath?: string;
  /** Returns a response when the request is not authenticated. */
  authenticate?: (req: SimRequest) => SimResponse | undefined;
  /** The API's error body for a status (used by faults and 404s). */
  errorBody: (status: number, message: string) => unknown;
  /** Header names whose values are masked in the call log. */
  secretHeaders?: string[];
};

/**
 * Faults waiting to be applied: each matches some calls and is used up after `times` of them
 * (default 1). The HTTP simulators and the Slack simulator keep theirs in one.
 */
export class FaultQueue<F extends { times?: number }> {
  #faults: (F & { left: number })[] = [];
  add(fault: F): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }
  clear(): void {
    this.#faults = [];
  }
  /** The first waiting fault `matches` accepts, counted as used once. */
  take(matches: (fault: F) => boolean): F | undefined {
    const fault = this.#faults.find((f) => f.left > 0 && matches(f));
    if (fault) fault.left -= 1;
    this.#faults = this.#faults.filter((f) => f.left > 0);
    return fault;
  }
}

export class SimRouter {
  readonly routes: Route[] = [];
  on(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const source = pattern
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          keys.push(segment.slice(1));
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}/?$`), keys, handler });
    return this;
  }
  match(method: string, path: string) {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, index) => {
        params[key] = decodeURIComponent(m[index + 1]!);
      });
      return { route, params, pathMatched };
    }
    return { route: undefined, params: {}, pathMatched };
  }
}

export function createSimServer(options: SimServerOptions, router: SimRouter): SimServer {
  const calls: RecordedCall[] = [];
  const routePatterns: string[] = [];
  const faults = new FaultQueue<Fault>();
  let latency = 0;
  let perSecond: number | undefined;
  /** When the calls of the last second were served (the rate limit's sliding window). */
  const served: number[] = [];
  const overLimit = (): number | undefined => {
    if (perSecond === undefined) return undefined;
    const now = Date.now();
    while (served.length > 0 && now - served[0]! >= 1_000) served.shift();
    if (served.length < perSecond) {
      served.push(now);
      return undefined;
    }
    return 1_000 - (now - served[0]!);
  };
  let server: Server | undefined;
  let url = '';
  const hanging = new Set<ServerResponse>();
  /** Answers held by `after: 'late'` faults, cancelled at close. */
  const held = new Set<{ timer: NodeJS.Timeout; res: ServerResponse }>();
  const arrivalListeners = new Set<(call: ArrivedCall) => void>();
  const basePath = options.basePath ?? '';
  const secretHeaders = new Set(
    ['authorization', 'x-auth-token', 'apikey', ...(options.secretHeaders ?? [])].map((h) =>
      h.toLowerCase(),
    ),
  );

  const serialise = (response: SimResponse) => {
    const headers: Record<string, string> = { ...response.headers };
    let payload = '';
    if (response.body !== undefined) {
      if (typeof response.body === 'string' && headers['content-type']) payload = response.body;
      else {
        payload = JSON.stringify(response.body);
        headers['content-type'] ??= 'application/json; charset=utf-8';
      }
    }
    return { headers, payload };
  };

  const send = (res: ServerResponse, response: SimResponse) => {
    const { headers, payload } = serialise(response);
    res.writeHead(response.status, headers);
    res.end(payload);
  };

  const hold = (res: ServerResponse, ms: number) =>
    new Promise<void>((resolvePromise) => {
      const entry = {
        res,
        timer: setTimeout(() => {
          held.delete(entry);
          resolvePromise();
        }, ms),
      };
      held.add(entry);
    });

  /** Delivers the handler's answer damaged as an `after` fault says. */
  const damage = async (
    res: ServerResponse,
    response: SimResponse,
    fault: Fault,
    record: (status: number) => void,
  ) => {
    const { headers, payload } = serialise(response);
    const bytes = Buffer.from(payload, 'utf8');
    const resets = fault.after === 'reset' || (fault.after === 'truncate' && bytes.length === 0);
    record(resets ? 0 : response.status);
    if (fault.delayMs) await hold(res, fault.delayMs);
    if (res.destroyed || !res.socket || res.socket.destroyed) return; // the client gave up, or close()
    if (resets) {
      res.destroy();
      return;
    }
    if (fault.after === 'late') {
      send(res, response);
      return;
    }
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    res.writeHead(response.status, { ...headers, 'content-length': String(cut.length) });
    res.end(cut);
  };

  const takeFault = (method: string, pattern: string | undefined, path: string) =>
    faults.take(
      (f) =>
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.route || f.route === pattern || f.route === path),
    );

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const parsedUrl = new URL(req.url ?? '/', 'http://sim.local');
    const method = (req.method ?? 'GET').toUpperCase();
    let body: unknown;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = INVALID_JSON;
      }
    }
    const fullPath = parsedUrl.pathname;
    const path = fullPath.startsWith(basePath) ? fullPath.slice(basePath.length) || '/' : fullPath;
    const { route, params, pathMatched } = fullPath.startsWith(basePath)
      ? router.match(method, path)
      : { route: undefined, params: {}, pathMatched: false };
    const simReq: SimRequest = {
      method,
      path,
      params,
      query: parsedUrl.searchParams,
      headers: req.headers,
      text,
      body,
    };

    const record = (status: number) => {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        headers[key] = secretHeaders.has(key) ? '[redacted]' : String(value);
      }
      calls.push({
        method,
        path: route?.pattern ?? path,
        url: path,
        query: Object.fromEntries(parsedUrl.searchParams),
        headers,
        body: body === INVALID_JSON ? text : body,
        status,
        at: Date.now(),
      });
    };

    const arrived: ArrivedCall = { method, path: route?.pattern ?? path, url: path };
    for (const listener of [...arrivalListeners]) {
      try {
        listener(arrived);
      } catch (error) {
        // A broken test listener must fail the test run, not turn into a simulated 500.
        queueMicrotask(() => {
          throw error;
        });
      }
    }

    if (latency > 0) await sleep(latency);
    const waitMs = overLimit();
    if (waitMs !== undefined) {
      record(429);
      send(res, {
        status: 429,
        headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
        body: options.errorBody(429, 'rate limit exceeded'),
      });
      return;
    }
    const fault = takeFault(method, route?.pattern, path);
    if (fault?.delayMs && !fault.after) await sleep(fault.delayMs);
    if (fault?.hang) {
      record(0);
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault?.malformed) {
      record(200);
      send(res, {
        status: 200,
        body: '{"success": tru',
        headers: { 'content-type': 'application/json' },
      });
      return;
    }
    if (fault?.status) {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      record(fault.status);
      send(res, {
        status: fault.status,
        headers,
        body: fault.body ?? options.errorBody(fault.status, `simulated ${fault.status}`),
      });
      return;
    }

    const response = await answer(simReq, route, pathMatched);
    if (fault?.after) {
      await damage(res, response, fault, record);
      return;
    }
    record(response.status);
    send(res, response);
  };

  /** The real answer: authentication, routing, the handler (a throw is a 500). */
  const answer = async (
    simReq: SimRequest,
    route: Route | undefined,
    pathMatched: boolean,
  ): Promise<SimResponse> => {
    const unauth = options.authenticate?.(simReq);
    if (unauth) return unauth;
    if (!route) {
      const status = pathMatched ? 405 : 404;
      return {
        status,
        body: options.errorBody(status, pathMatched ? 'Method not allowed' : 'Not found'),
      };
    }
    try {
      return await route.handler(simReq);
    } catch (error) {
      return {
        status: 500,
        body: options.errorBody(500, error instanceof Error ? error.message : 'error'),
      };
    }
  };

  for (const route of router.routes) routePatterns.push(route.pattern);

  return {
    name: options.name,
    get url() {
      return url;
    },
    calls,
    callsTo: (method, route) =>
      calls.filter(
        (c) =>
          c.method === method.toUpperCase() &&
          (c.path === route || c.url === route || matchesPattern(route, c.url)),
      ),
    addFault: (fault) => {
      if (fault.after && (fault.status || fault.malformed || fault.hang)) {
        throw new Error(
          `fault after: '${fault.after}' cannot be combined with status, malformed or hang`,
        );
      }
      if (fault.after === 'late' && !fault.delayMs) {
        throw new Error("fault after: 'late' needs delayMs");
      }
      faults.add(fault);
    },
    clearFaults: () => {
      faults.clear();
    },
    onArrival: (listener) => {
      arrivalListeners.add(listener);
      return () => {
        arrivalListeners.delete(listener);
      };
    },
    setRateLimit: (limit) => {
      perSecond = limit;
      served.length = 0;
    },
    setLatency: (ms) => {
      latency = ms;
    },
    start: (port = 0) =>
      new Promise((resolvePromise, reject) => {
        server = createServer((req, res) => {
          handle(req, res).catch((error: unknown) => {
            if (!res.headersSent)
              send(res, { status: 500, body: options.errorBody(500, String(error)) });
          });
        });
        server.keepAliveTimeout = 1_000;
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          const address = server!.address() as AddressInfo;
          url = `http://127.0.0.1:${address.port}${basePath}`;
          resolvePromise(url);
        });
      }),
    close: () =>
      new Promise((resolvePromise) => {
        for (const res of hanging) res.destroy();
        for (const entry of held) {
          clearTimeout(entry.timer);
          entry.res.destroy();
        }
        held.clear();
        if (!server) return resolvePromise();
        server.closeAllConnections();
        server.close(() => resolvePromise());
      }),
  };
}

function matchesPattern(pattern: string, path: string): boolean {
  if (!pattern.includes(':')) return false;
  const regex = new RegExp(
    `^${pattern
      .split('/')
      .map((s) => (s.startsWith(':') ? '[^/]+' : s))
      .join('/')}$`,
  );
  return regex.test(path);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** ISO 8601 date-time as OpenAPI's `date-time` (RFC 3339) requires. */
export const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
