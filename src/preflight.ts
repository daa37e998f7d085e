import type { Config } from './config.ts';
import { describeSocketError, UpstreamError } from './providers/http.ts';
import { createOpentactClient } from './providers/opentact.ts';
import { createSlykClient } from './providers/slyk.ts';
import { redact } from './redact.ts';

/**
 * Start-up checks: one cheap, read-only call per credential, so that a wrong token stops the
 * start with a line naming its variable instead of surfacing as the first onboarding's failure.
 *
 * - A definite refusal (Slack's invalid_auth, an HTTP 401/403, an unknown SIP connection) is
 *   `fatal`: main.ts prints it and exits 78.
 * - A service that cannot be reached (refused connection, time-out, 5xx, 429) is not: the bot
 *   starts degraded, with a `note` for the start log, and the dependency is `unreachable`.
 * - UserMgmt is `unchecked`: its document (003) has SendSmsInvite only, no read to try a token on.
 */

export type DependencyName = 'slack' | 'slackApp' | 'opentact' | 'slyk' | 'usermgmt';
/** `disabled`: not configured (HTTP mode has no app token; no Slyk key; no UserMgmt). */
export type DependencyStatus = 'ok' | 'unreachable' | 'unchecked' | 'disabled';

export type Preflight = {
  /** One line each, naming the variable to fix. Non-empty → do not start. */
  fatal: string[];
  dependencies: Record<DependencyName, DependencyStatus>;
  /** Degraded dependencies, one line each for the start log. */
  notes: string[];
};

export type PreflightOptions = {
  /** For the Slack calls (Opentact and Slyk are checked through their own clients). */
  fetch?: typeof fetch;
  /** Per check; the checks run in parallel. */
  timeoutMs?: number;
};

type Outcome = { status: DependencyStatus; fatal?: string; note?: string };

const DEFAULT_TIMEOUT_MS = 5_000;

export async function runPreflight(
  config: Config,
  options: PreflightOptions = {},
): Promise<Preflight> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const slack = (method: string, token: string) =>
    slackCall(options.fetch ?? fetch, config.slack.apiUrl, method, token, timeoutMs);
  const guard = (name: string, check: () => Promise<Outcome>) =>
    check().catch(
      (error: unknown): Outcome => ({
        status: 'unreachable',
        note: `${name} could not be checked at start (${describe(error, timeoutMs)})`,
      }),
    );
  const [slackBot, slackApp, opentact, slyk] = await Promise.all([
    guard('Slack', () => checkSlackBot(slack, config.slack.botToken)),
    config.slack.appToken
      ? guard('Slack (Socket Mode)', () => checkSlackApp(slack, config.slack.appToken!))
      : Promise.resolve<Outcome>({ status: 'disabled' }),
    guard('Opentact', () => checkOpentact(config, timeoutMs)),
    config.slyk
      ? guard('Slyk', () => checkSlyk(config.slyk!, timeoutMs))
      : Promise.resolve<Outcome>({ status: 'disabled' }),
  ]);
  const usermgmt: Outcome = { status: config.usermgmt ? 'unchecked' : 'disabled' };
  const outcomes = { slack: slackBot, slackApp, opentact, slyk, usermgmt };
  const all = Object.values(outcomes);
  return {
    fatal: all.flatMap((o) => (o.fatal ? [redact(o.fatal)] : [])),
    dependencies: Object.fromEntries(
      Object.entries(outcomes).map(([name, o]) => [name, o.status]),
    ) as Record<DependencyName, DependencyStatus>,
    notes: all.flatMap((o) => (o.note ? [redact(o.note)] : [])),
  };
}

// ——— Slack ———

type SlackAnswer = { ok: true } | { ok: false; error: string } | { unreachable: string };
type SlackCall = (method: string, token: string) => Promise<SlackAnswer>;

/** Answers that say the token itself is wrong; anything else (ratelimited, internal_error) is not. */
const REFUSED = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
  'missing_scope',
  'no_permission',
  'access_denied',
  'ekm_access_denied',
  'org_login_required',
  'enterprise_is_restricted',
  'two_factor_setup_required',
]);

async function slackCall(
  doFetch: typeof fetch,
  apiUrl: string,
  method: string,
  token: string,
  timeoutMs: number,
): Promise<SlackAnswer> {
  try {
    const response = await doFetch(`${apiUrl}/${method}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status === 429 || response.status >= 500) {
      return { unreachable: `HTTP ${response.status}` };
    }
    const body = (await response.json().catch(() => undefined)) as
      | { ok?: unknown; error?: unknown }
      | undefined;
    if (typeof body?.ok !== 'boolean') {
      return { unreachable: `HTTP ${response.status} without a Slack API answer` };
    }
    return body.ok ? { ok: true } : { ok: false, error: String(body.error ?? 'unknown_error') };
  } catch (error) {
    return { unreachable: describe(error, timeoutMs) };
  }
}

function slackOutcome(answer: SlackAnswer, variable: string, fix: string): Outcome {
  if ('unreachable' in answer) {
    return {
      status: 'unreachable',
      note: `Slack could not be reached at start (${answer.unreachable}); Slack calls will fail until it is`,
    };
  }
  if (answer.ok) return { status: 'ok' };
  if (REFUSED.has(answer.error)) {
    return {
      status: 'unreachable',
      fatal: `${variable} was refused by Slack (${answer.error}): ${fix}`,
    };
  }
  return {
    status: 'unreachable',
    note: `Slack answered the start-up check of ${variable} with ${answer.error}; it is retried on use`,
  };
}

async function checkSlackBot(slack: SlackCall, botToken: string): Promise<Outcome> {
  return slackOutcome(
    await slack('auth.test', botToken),
    'SLACK_BOT_TOKEN',
    'copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions again',
  );
}

/** apps.connections.open only hands out a WebSocket URL; it is not opened here. */
async function checkSlackApp(slack: SlackCall, appToken: string): Promise<Outcome> {
  return slackOutcome(
    await slack('apps.connections.open', appToken),
    'SLACK_APP_TOKEN',
    'create an app-level token with the connections:write scope (Basic Information → App-Level Tokens)',
  );
}

// ——— Opentact and Slyk, through the clients the bot uses (same headers, same error reading) ———

const tuning = (timeoutMs: number) => ({ timeoutMs, totalTimeoutMs: timeoutMs, retries: 0 });

function upstreamOutcome(
  title: string,
  error: unknown,
  timeoutMs: number,
  consequence: string,
  fatal: (status: number, said: string) => string | undefined,
): Outcome {
  if (error instanceof UpstreamError && error.kind === 'http' && error.status !== undefined) {
    const said = `HTTP ${error.status}: ${error.upstreamMessage}`;
    const line = fatal(error.status, said);
    if (line) return { status: 'unreachable', fatal: line };
    if (!error.transient) {
      return {
        status: 'unreachable',
        note: `${title} answered the start-up check with ${said}; ${consequence} until that is fixed`,
      };
    }
    return {
      status: 'unreachable',
      note: `${title} could not be reached at start (${said}); ${consequence} until it is`,
    };
  }
  return {
    status: 'unreachable',
    note: `${title} could not be reached at start (${describe(error, timeoutMs)}); ${consequence} until it is`,
  };
}

async function checkOpentact(config: Config, timeoutMs: number): Promise<Outcome> {
  const client = createOpentactClient({
    baseUrl: config.opentact.apiUrl,
    token: config.opentact.token,
    sipConnectionUuid: config.opentact.sipConnectionUuid,
    http: tuning(timeoutMs),
  });
  try {
    await client.listSipUsers(); // 001: GET /sip/connection/{uuid}/users
    return { status: 'ok' };
  } catch (error) {
    return upstreamOutcome(
      'Opentact',
      error,
      timeoutMs,
      'onboardings will fail',
      (status, said) => {
        if (status === 401 || status === 403) {
          return `OPENTACT_TOKEN was refused by Opentact (${said}): set it to a current Opentact JWT`;
        }
        if (status === 404) {
          return `OPENTACT_SIP_CONNECTION_UUID is not a SIP connection Opentact knows (${said}): check the UUID (and OPENTACT_API_URL)`;
        }
        return undefined;
      },
    );
  }
}

async function checkSlyk(slyk: NonNullable<Config['slyk']>, timeoutMs: number): Promise<Outcome> {
  const client = createSlykClient({
    baseUrl: slyk.apiUrl,
    apiKey: slyk.apiKey,
    http: tuning(timeoutMs),
  });
  try {
    await client.listInvites({ page: { size: 1 } }); // 004: GET /invites?page[size]=1
    return { status: 'ok' };
  } catch (error) {
    return upstreamOutcome(
      'Slyk',
      error,
      timeoutMs,
      'e-mail invitations will fail',
      (status, said) =>
        status === 401 || status === 403
          ? `SLYK_API_KEY was refused by Slyk (${said}): set it to a current Slyk API key, or unset it to disable e-mail invitations`
          : undefined,
    );
  }
}

// ——— what went wrong on the wire, without the request (which carries the token) ———

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof UpstreamError) {
    return error.kind === 'timeout' ? `no answer in ${timeoutMs} ms` : error.upstreamMessage;
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer in ${timeoutMs} ms`;
  }
  return describeSocketError(error) ?? (error instanceof Error ? error.message : String(error));
}
