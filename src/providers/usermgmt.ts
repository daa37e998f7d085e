import { z } from 'zod';
import { registerSecret } from '../redact.ts';
import { createHttpClient, type HttpTuning } from './http.ts';

/**
 * Identity platform user management (document 003, "Send Invitation SMS").
 *
 * Readings of the document (it is short; everything not below is as written):
 * - `POST /UserMgmt/SendSmsInvite?ID=<user uuid>`, bearer token (doc: "SECURITY: bearerAuth").
 *   No request body is documented, so none is sent.
 * - The only documented answer is 200 "API-Result" `{ Result, Error }`; a non-null `Error` is a
 *   failure even with HTTP 200 (doc: "Error (object): Error message text on failure, may be
 *   null"). Any other status (401, 403, 5xx, …) is an error as usual.
 * - `Error` is "an object containing error message text" without a named property. We read, in
 *   order: a plain string; `Message` (the platform's PascalCase style, like `Result`/`Error`);
 *   `message`; `ErrorMessage`; `Description`; then `Code`/`ErrorCode` alone. An error object
 *   without any of these still fails, with a generic message.
 * - The document's sample answer is `{ "Result": {}, "Error": {} }`, a placeholder for both
 *   properties. So an *empty* `Error: {}` next to a present `Result` is read as success (the
 *   sample's shape); an empty `Error: {}` with no `Result` is a failure.
 * - Not in the document, tolerated: the platform family's generic envelope `{ success: false,
 *   Message }` is read as a failure too.
 * - Content type is documented as `*\/*`: the answer is parsed as JSON whatever its header says.
 * - The call sends an SMS, so it is a POST that is never retried here (the shared layer retries
 *   only idempotent methods). A time-out or 5xx leaves the outcome unknown
 *   (`UpstreamError.outcomeUnknown`); the caller decides whether to send again.
 */

export type UserMgmtClientOptions = {
  baseUrl: string;
  /** Bearer token of a system administrator or a user with user-management permission. */
  token: string;
  http?: HttpTuning;
};

export type SmsInviteResult = {
  /** The platform's `Result` object ("standard result"), `{}` when it sent none. */
  result: Record<string, unknown>;
};

export type UserMgmtClient = {
  /** Sends the SMS invitation to the platform user `userId` (a UUID). */
  sendSmsInvite(userId: string): Promise<SmsInviteResult>;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_MESSAGE = 300;

/** Doc: "Response Schema: UserMgmtInviteUsers" — `Result` (object), `Error` (may be null). */
const sendSmsInviteAnswer = z.looseObject({
  Result: z.record(z.string(), z.unknown()).nullable(),
  Error: z.unknown().optional(),
});

const MESSAGE_KEYS = ['Message', 'message', 'ErrorMessage', 'Description', 'description'];
const CODE_KEYS = ['Code', 'ErrorCode', 'code'];

/** The text of the platform's `Error` value (see the readings above). */
export function readPlatformError(error: unknown): string {
  if (typeof error === 'string') return clip(error.trim() || 'the platform reported an error');
  if (error && typeof error === 'object') {
    const record = error as Record<string, unknown>;
    for (const key of MESSAGE_KEYS) {
      const value = record[key];
      if (typeof value === 'string' && value.trim()) return clip(value.trim());
    }
    for (const key of CODE_KEYS) {
      const value = record[key];
      if (typeof value === 'string' || typeof value === 'number') return `error code ${value}`;
    }
  }
  return 'the platform reported an error without a message';
}

/** A failure carried by a 2xx answer, or undefined when the answer is a success. */
function errorInBody(body: unknown): { message: string } | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  if (record.success === false) {
    return { message: readPlatformError(record.Error ?? record.Message ?? record.message) };
  }
  const error = record.Error;
  if (error === null || error === undefined) return undefined;
  const emptyObject =
    typeof error === 'object' && !Array.isArray(error) && Object.keys(error).length === 0;
  if (emptyObject && record.Result !== null && record.Result !== undefined) return undefined;
  return { message: readPlatformError(error) };
}

function parseError(status: number, body: unknown): { message: string } {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const error = record.Error ?? record.Message ?? record.message ?? record.error;
    if (error !== undefined && error !== null) return { message: readPlatformError(error) };
  }
  if (typeof body === 'string' && body.trim() && body.length <= MAX_MESSAGE && !/</.test(body)) {
    return { message: body.trim() };
  }
  if (status === 401) return { message: 'the access token was rejected' };
  if (status === 403) return { message: 'the token lacks user-management permission' };
  return { message: `unexpected answer (HTTP ${status})` };
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

export function createUserMgmtClient(options: UserMgmtClientOptions): UserMgmtClient {
  registerSecret(options.token);
  const http = createHttpClient({
    api: 'usermgmt',
    baseUrl: options.baseUrl,
    headers: { authorization: `Bearer ${options.token}` },
    ...options.http,
    parseError,
    errorInBody,
  });

  return {
    async sendSmsInvite(userId) {
      // Doc: "ID (query, Required): User UUID to send invitation to". A malformed id is a bug in
      // the caller, not something to send to the platform.
      if (!UUID.test(userId)) throw new TypeError('sendSmsInvite: userId must be a UUID');
      const answer = await http.request(
        {
          method: 'post',
          path: '/UserMgmt/SendSmsInvite',
          operation: 'SendSmsInvite',
          searchParams: { ID: userId },
        },
        sendSmsInviteAnswer,
      );
      return { result: answer.Result ?? {} };
    },
  };
}
