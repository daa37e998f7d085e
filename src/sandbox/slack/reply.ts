import type { ServerResponse } from 'node:http';
import { validateMessageBlocks } from './blockkit.ts';
import type { Json } from './blockkit-fields.ts';
import { MAX_MESSAGE_TEXT } from './types.ts';

/**
 * How a Web API method answers, as Slack does: HTTP 200 `{ ok: true, … }` or
 * `{ ok: false, error }` (rate limits: 429 + `Retry-After`), plus the argument
 * readers and the text/blocks checks the methods share.
 */

export type Args = Record<string, unknown>;
export type Reply = { status?: number; body: Json; headers?: Record<string, string> };
export type Result<T> = { reply: Reply; value?: undefined } | { reply?: undefined; value: T };
/** A Web API method: the scopes that allow it (any one of them) and its handler. */
export type Method = { scopes: string[]; handler: (args: Args) => Reply };

export const ok = (body: Json = {}): Reply => ({ body: { ok: true, ...body } });
export const fail = (error: string, extra: Json = {}): Reply => ({
  body: { ok: false, error, ...extra },
});
export const invalidArgs = (messages: string[]): Reply =>
  fail('invalid_arguments', {
    response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) },
  });
export const missing = (field: string) => invalidArgs([`missing required field: ${field}`]);
export const invalidBlocks = (errors: string[]): Reply =>
  fail('invalid_blocks', {
    errors,
    response_metadata: { messages: errors.map((m) => `[ERROR] ${m}`) },
  });

/** A string argument; numbers as sent in JSON bodies count, empty strings do not. */
export const arg = (args: Args, key: string): string | undefined => {
  const v = args[key];
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') return String(v);
  return undefined;
};
export const flag = (args: Args, key: string) =>
  args[key] === true || args[key] === 'true' || args[key] === '1';

/** Text and blocks checks shared by chat.postMessage/postEphemeral/update and response_url. */
export const checkContent = (args: Args, requireContent: boolean): Reply | undefined => {
  const text = args.text;
  const blocks = args.blocks;
  if (text !== undefined && typeof text !== 'string') return fail('invalid_arguments');
  if (blocks !== undefined && !Array.isArray(blocks)) return fail('invalid_blocks_format');
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  if (requireContent && !text && !hasBlocks) return fail('no_text');
  if (typeof text === 'string' && text.length > MAX_MESSAGE_TEXT) return fail('msg_too_long');
  if (blocks !== undefined) {
    const errors = validateMessageBlocks(blocks);
    if (errors.length > 0) return invalidBlocks(errors);
  }
  return undefined;
};

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};
