import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultQueue, sleep } from '../http.ts';
import { isObj } from './blockkit-fields.ts';
import { type Args, fail, type Method, type Reply, sendJson } from './reply.ts';
import type { SlackCall, SlackFault, SlackSimulatorOptions } from './types.ts';
import type { Workspace } from './workspace.ts';

/**
 * The Web API endpoint `/api/<method>`: reads form-encoded bodies (nested fields
 * JSON-encoded, as @slack/web-api sends them) or JSON bodies (token only in the
 * `Authorization` header), applies latency and faults, checks the token and the
 * scopes, runs the method and records the call.
 */

/** Form fields @slack/web-api JSON-encodes that the simulated methods read. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

const REDACTED = '[redacted]';

const parseArgs = (
  req: IncomingMessage,
  text: string,
  query: URLSearchParams,
): { args: Args; json: boolean; error?: string } => {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const args: Args = Object.fromEntries(query);
  if (text.length === 0) return { args, json: false };
  if (type === 'application/json') {
    try {
      const body: unknown = JSON.parse(text);
      if (!isObj(body)) return { args, json: true, error: 'invalid_json' };
      return { args: { ...args, ...body }, json: true };
    } catch {
      return { args, json: true, error: 'invalid_json' };
    }
  }
  if (type !== 'application/x-www-form-urlencoded' && type !== '') {
    return { args, json: false, error: 'invalid_form_data' };
  }
  for (const [key, value] of new URLSearchParams(text)) {
    let parsed: unknown = value;
    if (JSON_FIELDS.has(key) && /^\s*[[{]/.test(value)) {
      try {
        parsed = JSON.parse(value);
      } catch {
        // Left as the raw string; the method answers invalid_blocks_format / invalid_arguments.
      }
    }
    args[key] = parsed;
  }
  return { args, json: false };
};

export function createWebApi(
  ws: Workspace,
  options: SlackSimulatorOptions,
  methods: Record<string, Method>,
) {
  const { scopes } = ws;
  const calls: SlackCall[] = [];
  const faults = new FaultQueue<SlackFault>();
  let latency = 0;
  let revoked = false;

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    text: string,
    query: URLSearchParams,
  ) => {
    const parsed = parseArgs(req, text, query);
    const args = parsed.args;
    const header = req.headers.authorization;
    let token: string | undefined;
    if (header !== undefined) token = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    else if (!parsed.json && typeof args.token === 'string') token = args.token;

    const respond = (reply: Reply) => {
      const status = reply.status ?? 200;
      const recorded: Args = { ...args };
      if ('token' in recorded) recorded.token = REDACTED;
      calls.push({
        method,
        args: recorded,
        token: token === undefined ? undefined : REDACTED,
        at: ws.now(),
        status,
        response: reply.body,
      });
      const headers = { ...reply.headers };
      if (reply.body.ok === true) headers['x-oauth-scopes'] = [...scopes].join(',');
      sendJson(res, status, reply.body, headers);
    };

    if (latency > 0) await sleep(latency);
    const fault = faults.take((f) => !f.method || f.method === method);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status === 429) {
      return respond({
        status: 429,
        headers: { 'retry-after': String(fault.retryAfter ?? 1) },
        body: { ok: false, error: 'ratelimited' },
      });
    }
    if (fault?.error) return respond(fail(fault.error));

    const entry = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!entry) return respond(fail('unknown_method', { req_method: method }));
    if (parsed.error) return respond(fail(parsed.error));
    if (token === undefined || token === '') return respond(fail('not_authed'));
    // apps.connections.open takes the app-level token; every other method the bot token.
    const expected = method === 'apps.connections.open' ? options.appToken : options.botToken;
    if (token !== expected) return respond(fail('invalid_auth'));
    if (revoked) return respond(fail('token_revoked'));
    if (entry.scopes.length > 0 && !entry.scopes.some((s) => scopes.has(s))) {
      return respond(
        fail('missing_scope', { needed: entry.scopes[0], provided: [...scopes].join(',') }),
      );
    }
    respond(entry.handler(args));
  };

  return {
    calls,
    handle,
    callsTo: (method: string) => calls.filter((c) => c.method === method),
    addFault: (fault: SlackFault) => {
      faults.add(fault);
    },
    clearFaults: () => {
      faults.clear();
    },
    setLatency: (ms: number) => {
      latency = ms;
    },
    revokeToken: () => {
      revoked = true;
    },
  };
}
