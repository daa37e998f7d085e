import { stringify } from 'node:querystring';
import {
  type Logger,
  type WebAPICallResult,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRequestError,
  WebClient,
  type WebClientOptions,
} from '@slack/web-api';
import { type Dispatcher, request } from 'undici';

export type SlackClientOptions = {
  apiUrl: string;
  timeoutMs: number;
  retry: { retries: number; factor: number; minTimeout: number; maxTimeout: number };
  logger: Logger;
  /** The connection pool for the calls (keep-alive, src/net/keep-alive.ts). */
  dispatcher: Dispatcher;
  /** The library's own path (file uploads) calls this. */
  fetch: typeof fetch;
  /** Each failed attempt: the method and a short error label (metrics). */
  failed?: (method: string, error: string) => void;
};

/**
 * The Web API client of every call the bot makes, with the one call every
 * method goes through done here. The library's `apiCall` serialises each
 * request body, its headers and each result for its debug log
 * (`JSON.stringify(redact(…))`), debug on or off: for a message with blocks,
 * more CPU than the HTTP call itself. What is kept from the library: the
 * form-encoded body (objects as JSON), the bearer token, a time-out per
 * attempt, retries of a 429 (after its Retry-After), of other non-200s and of
 * network errors with the same backoff, and the same error classes
 * (`error.data.error` for Slack's `ok: false`). Not kept: the library's queue,
 * which paused every call of the client during one call's rate limit (the
 * outbox paces channel posts itself), and `team_id`, which the bot's
 * single-workspace client never had. File uploads still take the library's path.
 */
export class SlackWebClient extends WebClient {
  readonly #o: SlackClientOptions;
  readonly #base: string;

  constructor(token: string | undefined, options: SlackClientOptions) {
    const library: WebClientOptions = {
      slackApiUrl: `${options.apiUrl.replace(/\/+$/, '')}/`,
      timeout: options.timeoutMs,
      retryConfig: options.retry,
      rejectRateLimitedCalls: false,
      logger: options.logger,
      fetch: options.fetch,
    };
    super(token, library);
    this.#o = options;
    this.#base = library.slackApiUrl!;
  }

  override async apiCall(method: string, options: Record<string, unknown> = {}) {
    if (method === 'files.uploadV2' || Object.values(options).some(isBinary)) {
      return super.apiCall(method, options);
    }
    const token = typeof options.token === 'string' ? options.token : this.token;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
    const body = formBody(options);
    const url = `${this.#base}${method}`;
    const { retries, factor, minTimeout, maxTimeout } = this.#o.retry;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(method, url, headers, body);
      if ('result' in outcome) return this.#settle(method, outcome.result);
      if (attempt >= retries) throw outcome.retry;
      await sleep(Math.min(minTimeout * factor ** attempt, maxTimeout));
    }
  }

  /** One HTTP attempt: the parsed answer, an error worth another attempt, or a throw. */
  async #attempt(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<{ result: Result } | { retry: Error }> {
    const signal = AbortSignal.timeout(this.#o.timeoutMs);
    let status: number;
    let answerHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const answer = await request(url, {
        method: 'POST',
        headers,
        body,
        signal,
        dispatcher: this.#o.dispatcher,
      });
      status = answer.statusCode;
      answerHeaders = answer.headers;
      text = await answer.body.text();
    } catch (error) {
      // As fetch fails, so the error reads the same whichever path made the call.
      const original: Error = signal.aborted
        ? (signal.reason as Error)
        : new TypeError('fetch failed', { cause: error });
      this.#o.failed?.(method, original.name === 'TimeoutError' ? 'timeout' : 'request_failed');
      this.#o.logger.warn('http request failed', original.message);
      return { retry: new WebAPIRequestError(original) };
    }
    if (status === 429) {
      this.#o.failed?.(method, 'ratelimited');
      const header = answerHeaders['retry-after'];
      const seconds = retryAfter(header);
      if (seconds === undefined) {
        throw new Error(
          `Retry header did not contain a valid timeout (url: ${url}, retry-after header: ${header ?? null})`,
        );
      }
      this.#o.logger.info(
        `API Call failed due to rate limiting. Will retry in ${seconds} seconds.`,
      );
      await sleep(seconds * 1000);
      return {
        retry: new Error(`A rate limit was exceeded (url: ${url}, retry-after: ${seconds})`),
      };
    }
    if (status !== 200) {
      this.#o.failed?.(method, `http_${status}`);
      return { retry: new WebAPIHTTPError(status, '', flat(answerHeaders), text) };
    }
    let result: Result;
    try {
      result = JSON.parse(text) as Result;
    } catch {
      result = { ok: false, error: text };
    }
    result.response_metadata ??= {};
    const scopes = answerHeaders['x-oauth-scopes'];
    if (typeof scopes === 'string')
      result.response_metadata.scopes = scopes.trim().split(/\s*,\s*/);
    const accepted = answerHeaders['x-accepted-oauth-scopes'];
    if (typeof accepted === 'string') {
      result.response_metadata.acceptedScopes = accepted.trim().split(/\s*,\s*/);
    }
    return { result };
  }

  /** Slack's warnings go to the log; `ok: false` becomes the library's platform error. */
  #settle(method: string, result: Result): WebAPICallResult {
    for (const warning of result.response_metadata?.warnings ?? []) {
      this.#o.logger.warn(`${method}: ${warning}`);
    }
    if (!result.ok) {
      const code = typeof result.error === 'string' ? result.error : 'unknown_error';
      this.#o.failed?.(method, code);
      this.#o.logger.debug(`apiCall('${method}') failed: ${code}`);
      throw new WebAPIPlatformError(result as never);
    }
    // Which calls were made, for LOG_LEVEL=debug; never a body (the library logged them all).
    this.#o.logger.debug(`apiCall('${method}') ok`);
    return result;
  }
}

/** As the library encodes it: absent values dropped, objects and arrays as JSON. */
function formBody(options: Record<string, unknown>): string {
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === null) continue;
    fields[key] =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? value
        : JSON.stringify(value);
  }
  return stringify(fields);
}

function isBinary(value: unknown): boolean {
  return (
    Buffer.isBuffer(value) ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as { pipe?: unknown }).pipe === 'function')
  );
}

/** Retry-After in whole seconds, read as the library reads it. */
function retryAfter(header: string | string[] | undefined): number | undefined {
  const seconds = Number.parseInt(Array.isArray(header) ? (header[0] ?? '') : (header ?? ''), 10);
  return Number.isNaN(seconds) ? undefined : Math.max(0, seconds);
}

function flat(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

type Result = WebAPICallResult & { error?: unknown };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
