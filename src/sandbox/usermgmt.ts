import {
  createSimServer,
  type SimRequest,
  type SimResponse,
  SimRouter,
  type SimServer,
  UUID_RE,
} from './http.ts';

/**
 * Contract simulator of the identity platform's "Send Invitation SMS" (document 003).
 *
 * Decisions where the document is silent:
 * - Every answer of the platform is the "API-Result" `{ Result, Error }`, errors included:
 *   401 (no or wrong bearer token) answers `{ Result: null, Error: { Message } }`.
 * - A missing or malformed `ID` answers **200** with an `Error`, like any other failure: the
 *   document lists only "Status Code: 200 … API-Result". The query name is matched
 *   case-insensitively (the platform's binder is; the client sends `ID`), the UUID too.
 * - The platform only knows its own users. Which ids exist is asked of `knownUsers(id)` first
 *   (so the demo can wire it to the Opentact simulator), then of the ids given to
 *   `registerUser(id, phone)`. Unknown → 200 with `Error: { Message: 'User not found' }`.
 * - Success is `{ Result: { Sent: true, ID }, Error: null }`; the document only says
 *   "standard result", so the client must not depend on `Sent`.
 */

export type SentSms = { id: string; phone: string | undefined; at: string };

export type UserMgmtSimulatorOptions = {
  token: string;
  /** true/false: the platform knows / does not know the user; undefined: ask the registry. */
  knownUsers?: (id: string) => boolean | undefined;
  now?: () => Date;
};

export type UserMgmtSimulator = SimServer & {
  /** Every SMS invitation "sent", oldest first. */
  readonly sent: SentSms[];
  /** Makes a user known to the platform (ids are compared lower-case). */
  registerUser(id: string, phone?: string): void;
  /** Forgets sent SMS, registered users, calls and faults. */
  reset(): void;
};

export const USERMGMT_SEND_SMS_PATH = '/UserMgmt/SendSmsInvite';

const apiResultError = (message: string) => ({ Result: null, Error: { Message: message } });

export function createUserMgmtSimulator(options: UserMgmtSimulatorOptions): UserMgmtSimulator {
  const now = options.now ?? (() => new Date());
  const sent: SentSms[] = [];
  const users = new Map<string, string | undefined>();

  // Doc: "SECURITY: bearerAuth" — `Authorization: Bearer <token>`.
  const authenticate = (req: SimRequest): SimResponse | undefined => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match?.[1] === options.token) return undefined;
    return {
      status: 401,
      headers: { 'www-authenticate': 'Bearer' },
      body: apiResultError(header ? 'Invalid or expired access token' : 'Authorization required'),
    };
  };

  const isKnown = (id: string) => options.knownUsers?.(id) ?? users.has(id);

  const router = new SimRouter().on('POST', USERMGMT_SEND_SMS_PATH, (req) => {
    // Doc: "ID (query, Required): User UUID to send invitation to".
    const id = queryParam(req.query, 'ID')?.trim().toLowerCase();
    if (!id) return { status: 200, body: apiResultError('Missing required parameter: ID') };
    if (!UUID_RE.test(id)) {
      return { status: 200, body: apiResultError('Parameter ID must be a UUID') };
    }
    // Doc: "Error (object): Error message text on failure, may be null" — with HTTP 200.
    if (!isKnown(id)) return { status: 200, body: apiResultError('User not found') };
    sent.push({ id, phone: users.get(id), at: now().toISOString() });
    // Doc: "Result (object): Standard result", "Error … may be null".
    return { status: 200, body: { Result: { Sent: true, ID: id }, Error: null } };
  });

  const server = createSimServer(
    {
      name: 'usermgmt',
      authenticate,
      errorBody: (_status, message) => apiResultError(message),
    },
    router,
  );

  return Object.assign(server, {
    sent,
    registerUser(id: string, phone?: string) {
      users.set(id.toLowerCase(), phone);
    },
    reset() {
      sent.length = 0;
      users.clear();
      server.calls.length = 0;
      server.clearFaults();
    },
  });
}

/** The value of a query parameter whose name matches case-insensitively. */
function queryParam(query: URLSearchParams, name: string): string | undefined {
  const direct = query.get(name);
  if (direct !== null) return direct;
  for (const [key, value] of query) {
    if (key.toLowerCase() === name.toLowerCase()) return value;
  }
  return undefined;
}
