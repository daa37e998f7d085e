import ky, { HTTPError, isKyError, type KyInstance, NetworkError, TimeoutError } from 'ky';
import type { z } from 'zod';
import { keepAliveFetch } from '../net/keep-alive.ts';
import { redact } from '../redact.ts';
import { gateFor, retryAfterMs } from './rate-gate.ts';

/**
 * The shared HTTP layer of every upstream client: one ky instance per API,
 * per-attempt and total timeouts, a retry policy that only repeats what is safe
 * to repeat, zod-validated answers and one error type.
 */

export type ApiName = 'opentact' | 'usermgmt' | 'slyk';

export type UpstreamErrorKind =
  /** The API answered with an error status or an error body. */
  | 'http'
  /** The connection failed; a POST may or may not have landed. */
  | 'network'
  /** No answer in time; a POST may or may not have landed. */
  | 'timeout'
  /** The API answered 2xx with something that is not what its document promises. */
  | 'invalid-response';

export type UpstreamErrorInit = {
  api: ApiName;
  operation: string;
  kind: UpstreamErrorKind;
  status?: number | undefined;
  message: string;
  fields?: Record<string, string> | undefined;
};

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly api: ApiName;
  readonly operation: string;
  readonly kind: UpstreamErrorKind;
  readonly status: number | undefined;
  /** What the API said, secret-free. */
  readonly upstreamMessage: string;
  /** Per-field messages where the API gives them (Opentact's `fields`), or our own validation. */
  readonly fields: Record<string, string>;

  constructor(init: UpstreamErrorInit) {
    const upstreamMessage = redact(init.message);
    const where = init.status ? ` (HTTP ${init.status})` : '';
    super(`${API_TITLES[init.api]} ${init.operation} failed${where}: ${upstreamMessage}`);
    this.api = init.api;
    this.operation = init.operation;
    this.kind = init.kind;
    this.status = init.status;
    this.upstreamMessage = upstreamMessage;
    this.fields = Object.fromEntries(
      Object.entries(init.fields ?? {}).map(([key, value]) => [key, redact(value)]),
    );
  }

  /**
   * `unknown` when the request may have taken effect although no definite
   * answer came back: a time-out after sending, a connection reset, a 2xx
   * whose body is cut off or unreadable, a gateway time-out (504). Only a
   * definite answer (a 4xx, a 5xx from the service itself) is `failed`.
   */
  get outcome(): 'failed' | 'unknown' {
    if (this.kind === 'timeout') return 'unknown';
    if (this.kind === 'network') return this.notSent ? 'failed' : 'unknown';
    if (this.kind === 'invalid-response') return 'unknown';
    return this.status === 504 ? 'unknown' : 'failed';
  }

  /** True when a non-idempotent call may have taken effect even though it failed here. */
  get outcomeUnknown(): boolean {
    return this.outcome === 'unknown';
  }

  /** The request certainly never reached the service (the connection was refused). */
  get notSent(): boolean {
    return this.kind === 'network' && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(this.upstreamMessage);
  }

  /** The service said the thing exists already (e.g. Opentact's "login already exists"). */
  get conflict(): boolean {
    return this.kind === 'http' && this.status === 409;
  }

  /** True when trying again later may help (rate limits, outages, time-outs). */
  get transient(): boolean {
    const status = this.status ?? 0;
    return (
      this.kind === 'network' ||
      this.kind === 'timeout' ||
      status === 408 ||
      status === 429 ||
      status >= 500
    );
  }

  toLogFields() {
    return {
      api: this.api,
      operation: this.operation,
      kind: this.kind,
      status: this.status,
      fields: this.fields,
    };
  }
}

export const API_TITLES: Record<ApiName, string> = {
  opentact: 'Opentact',
  usermgmt: 'Identity platform',
  slyk: 'Slyk',
};

export type HttpClientOptions = {
  api: ApiName;
  baseUrl: string;
  headers: Record<string, string>;
  /** Per attempt. */
  timeoutMs?: number;
  /** All attempts and waits together. */
  totalTimeoutMs?: number;
  /** Retries after the first attempt, for idempotent methods only. */
  retries?: number;
  /** Cap on a server's Retry-After. */
  maxRetryAfterMs?: number;
  /** Cap on the exponential back-off between retries. */
  backoffLimitMs?: number;
  /** Reads the API's error body into a message and per-field errors. */
  parseError: (
    status: number,
    body: unknown,
  ) => { message: string; fields?: Record<string, string> };
  /** Answers that are errors even with a 2xx status (e.g. `success: false`). */
  errorInBody?: (
    body: unknown,
  ) => { message: string; status?: number; fields?: Record<string, string> } | undefined;
  /** Told about every call that ends in an error (metrics); must be cheap and not throw. */
  onError?: ((error: UpstreamError) => void) | undefined;
};

/** The knobs a caller may turn on a client (tests shorten them; production keeps the defaults). */
export type HttpTuning = Partial<
  Pick<
    HttpClientOptions,
    'timeoutMs' | 'totalTimeoutMs' | 'retries' | 'maxRetryAfterMs' | 'backoffLimitMs' | 'onError'
  >
>;

export type RequestOptions = {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  operation: string;
  searchParams?: URLSearchParams | Record<string, string>;
  json?: unknown;
};

export const RETRY_STATUS = [408, 429, 500, 502, 503, 504];

export type HttpClient = {
  readonly api: ApiName;
  /** Sends a request and parses the answer with `schema`. */
  request<S extends z.ZodType>(options: RequestOptions, schema: S): Promise<z.output<S>>;
  /** Sends a request that answers with no body (e.g. 204). */
  requestEmpty(options: RequestOptions): Promise<void>;
};

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const retry = {
    limit: options.retries ?? 2,
    methods: ['get', 'patch', 'delete', 'head', 'put'],
    statusCodes: RETRY_STATUS,
    afterStatusCodes: [413, 429, 503],
    maxRetryAfter: options.maxRetryAfterMs ?? 30_000,
    backoffLimit: options.backoffLimitMs ?? 5_000,
    retryOnTimeout: true,
    jitter: true,
  };
  // A POST is repeated only after a 429: the service said it did not process it. Anything else
  // that may have landed is the caller's to look up (the step engine).
  const postRetry = {
    ...retry,
    methods: ['post'],
    statusCodes: [429],
    retryOnTimeout: false,
    shouldRetry: ({ error }: { error: Error }) =>
      error instanceof HTTPError && error.response.status === 429 ? undefined : false,
  };
  const gate = gateFor(options.baseUrl);
  const pool = keepAliveFetch();
  const instance: KyInstance = ky.create({
    prefix: `${options.baseUrl.replace(/\/+$/, '')}/`,
    headers: { accept: 'application/json', ...options.headers },
    timeout: options.timeoutMs ?? 10_000,
    totalTimeout: options.totalTimeoutMs ?? 30_000,
    throwHttpErrors: true,
    retry,
    // Reused connections (src/net/keep-alive.ts): a fresh TCP + TLS handshake per call otherwise.
    // Every answer, retries included, tells the gate the API's pace. Here rather than in an
    // afterResponse hook: ky hands each hook a clone of the response, whose body it tees.
    fetch: async (input, init) => {
      const response = await pool(input, init);
      gate.answered(
        response.status,
        retryAfterMs(response.headers.get('retry-after'), retry.maxRetryAfter),
      );
      return response;
    },
    // ky's own retry (after its Retry-After wait) keeps the API's pace too.
    hooks: { beforeRetry: [() => gate.wait()] },
  });

  async function send(request: RequestOptions): Promise<{ status: number; text: string }> {
    // Outside ky's time-outs: a request held back by a 429 elsewhere has not been sent yet.
    await gate.wait();
    try {
      const response = await instance(request.path.replace(/^\//, ''), {
        method: request.method,
        ...(request.method === 'post' ? { retry: postRetry } : {}),
        ...(request.searchParams ? { searchParams: request.searchParams } : {}),
        ...(request.json !== undefined ? { json: request.json } : {}),
      });
      try {
        return { status: response.status, text: await response.text() };
      } catch {
        // The status arrived but the body did not: the request was processed, its answer lost.
        throw new UpstreamError({
          api: options.api,
          operation: request.operation,
          kind: 'invalid-response',
          status: response.status,
          message: 'the answer was cut off',
        });
      }
    } catch (error) {
      throw toUpstreamError(error, request.operation);
    }
  }

  function toUpstreamError(error: unknown, operation: string): UpstreamError {
    const base = { api: options.api, operation };
    if (error instanceof UpstreamError) return error;
    if (error instanceof HTTPError) {
      const status = error.response.status;
      let body: unknown = error.data;
      if (typeof body === 'string') body = tryJson(body) ?? body;
      const parsed = safeParseError(status, body);
      return new UpstreamError({ ...base, kind: 'http', status, ...parsed });
    }
    if (error instanceof TimeoutError) {
      return new UpstreamError({ ...base, kind: 'timeout', message: 'no answer in time' });
    }
    if (error instanceof NetworkError || (isKyError(error) && !(error instanceof HTTPError))) {
      return new UpstreamError({ ...base, kind: 'network', message: describeNetworkError(error) });
    }
    if (error instanceof TypeError) {
      return new UpstreamError({ ...base, kind: 'network', message: describeNetworkError(error) });
    }
    return new UpstreamError({
      ...base,
      kind: 'network',
      message: error instanceof Error ? error.message : String(error),
    });
  }

  function safeParseError(status: number, body: unknown) {
    try {
      return options.parseError(status, body);
    } catch {
      return { message: `unexpected error answer (HTTP ${status})` };
    }
  }

  function checkBody(operation: string, status: number, body: unknown) {
    const inBody = options.errorInBody?.(body);
    if (inBody) {
      throw new UpstreamError({
        api: options.api,
        operation,
        kind: 'http',
        status: inBody.status ?? status,
        message: inBody.message,
        fields: inBody.fields,
      });
    }
  }

  const client: HttpClient = {
    api: options.api,
    async request(request, schema) {
      const { status, text } = await send(request);
      const body = tryJson(text);
      if (body === undefined) {
        throw new UpstreamError({
          api: options.api,
          operation: request.operation,
          kind: 'invalid-response',
          status,
          message:
            text.length === 0 ? 'empty answer where JSON was expected' : 'answer is not valid JSON',
        });
      }
      checkBody(request.operation, status, body);
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const where = parsed.error.issues
          .slice(0, 3)
          .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
          .join('; ');
        throw new UpstreamError({
          api: options.api,
          operation: request.operation,
          kind: 'invalid-response',
          status,
          message: `answer does not match the documented shape (${where})`,
        });
      }
      return parsed.data;
    },
    async requestEmpty(request) {
      const { status, text } = await send(request);
      if (text.length > 0) checkBody(request.operation, status, tryJson(text));
    },
  };
  const { onError } = options;
  if (!onError) return client;
  // Each call's final error (after ky's retries) is reported once.
  const observed = <T>(call: Promise<T>): Promise<T> =>
    call.catch((error: unknown) => {
      if (error instanceof UpstreamError) onError(error);
      throw error;
    });
  return {
    api: client.api,
    request: (request, schema) => observed(client.request(request, schema)),
    requestEmpty: (request) => observed(client.requestEmpty(request)),
  };
}

function tryJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeNetworkError(error: unknown): string {
  return describeSocketError(error) ?? 'the connection broke';
}

/** "could not connect (ECONNREFUSED)" or "the connection broke (ECONNRESET)", from fetch's cause chain. */
export function describeSocketError(error: unknown): string | undefined {
  let cause: unknown = error;
  for (let depth = 0; cause && depth < 5; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) {
      return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(code)
        ? `could not connect (${code})`
        : `the connection broke (${code})`;
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Builds a URL path from a template, encoding every parameter. */
export function path(strings: TemplateStringsArray, ...params: string[]): string {
  return strings.reduce(
    (out, part, index) =>
      out + part + (index < params.length ? encodeURIComponent(params[index]!) : ''),
    '',
  );
}
