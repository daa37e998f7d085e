import { Counter, type Registry } from 'prom-client';
import { PREFIX } from './prefix.ts';

/** A bounded, secret-free label: Slack method names and error codes are short snake/dot words. */
const label = (value: string | undefined) =>
  value && /^[A-Za-z0-9_.]{1,64}$/.test(value) ? value : 'other';

/**
 * Counts failed Slack Web API calls by method and error code, at the `fetch`
 * the WebClient is given: Bolt builds a client per workspace from the same
 * options, so every call of the bot passes here. Each HTTP attempt is counted
 * (a 429 that the client then retries counts once as `ratelimited`).
 */
export function slackMetrics(registry: Registry, apiUrl: string) {
  const errors = new Counter({
    name: `${PREFIX}slack_api_errors_total`,
    help: 'Slack Web API calls that failed, by method and error code (ok:false codes, ratelimited, http_<status>, timeout, request_failed).',
    labelNames: ['method', 'error'] as const,
    registers: [registry],
  });
  const base = apiUrl.replace(/\/+$/, '');
  const failed = (method: string, error: string) =>
    errors.inc({ method: label(method), error: label(error) });

  return {
    /** One failed call, counted by the client that made it. */
    failed,
    /** `fetch`, observed; the answer goes back to the client untouched and unwaited. */
    observe(inner: typeof fetch): typeof fetch {
      return async (input, init) => {
        const url =
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        // Only Web API methods (not upload URLs or anything absolute).
        if (!url.startsWith(`${base}/`)) return inner(input, init);
        const method = url.slice(base.length + 1).split(/[/?#]/)[0] ?? '';
        let response: Response;
        try {
          response = await inner(input, init);
        } catch (error) {
          const name = (error as { name?: string } | undefined)?.name;
          failed(method, name === 'TimeoutError' ? 'timeout' : 'request_failed');
          throw error;
        }
        if (response.status === 429) failed(method, 'ratelimited');
        else if (response.status !== 200) failed(method, `http_${response.status}`);
        else if (/json/.test(response.headers.get('content-type') ?? '')) {
          void platformError(response.clone()).then((code) => {
            if (code) failed(method, code);
          });
        }
        return response;
      };
    },
  };
}

/** The `error` of an `{ ok: false }` answer (read from a copy, parsed only when it is one). */
async function platformError(copy: Response): Promise<string | undefined> {
  try {
    const text = await copy.text();
    if (!/"ok"\s*:\s*false/.test(text)) return undefined;
    const body = JSON.parse(text) as { ok?: unknown; error?: unknown };
    return body.ok === false ? String(body.error ?? 'unknown_error') : undefined;
  } catch {
    return undefined;
  }
}
