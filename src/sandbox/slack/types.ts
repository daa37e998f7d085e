/**
 * The Slack simulator's public types (what tests, the driver and the web sandbox
 * read) and the documented limits it enforces.
 */

export type SimUser = {
  id: string;
  name: string;
  realName?: string;
  displayName?: string;
  email?: string;
  isAdmin?: boolean;
  isOwner?: boolean;
  isPrimaryOwner?: boolean;
  isRestricted?: boolean;
  isBot?: boolean;
  deleted?: boolean;
  /** IANA zone, default `Europe/London`. */
  tz?: string;
};

export type SimChannel = {
  id: string;
  name: string;
  isPrivate?: boolean;
  /** Whether the bot is a member (DMs opened by the bot always are). */
  isMember?: boolean;
  isArchived?: boolean;
  isIm?: boolean;
  isMpim?: boolean;
  /** The other party of a DM. */
  user?: string;
  /** Human members; when set, `chat.postEphemeral` checks the target user against it. */
  members?: string[];
};

export type SimMessage = {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  /** Author: the bot user id for everything the bot posts. */
  user: string;
  botId?: string;
  threadTs?: string;
  edited?: { user: string; ts: string };
  deleted?: boolean;
  /** Ids of files shared with the message (files.completeUploadExternal). */
  files?: string[];
  via: 'chat.postMessage' | 'response_url' | 'seed' | 'files.completeUploadExternal';
};

export type SimEphemeral = {
  channel: string;
  user: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  via: 'chat.postEphemeral' | 'response_url';
};

export type SimView = {
  id: string;
  type: 'modal' | 'home';
  /** Whose view: the trigger's user for modals, `user_id` for home tabs. */
  userId?: string;
  hash: string;
  externalId?: string;
  rootViewId: string;
  previousViewId: string | null;
  /** The view as the bot last sent it. */
  view: Record<string, unknown>;
  /** Every version the bot sent (open/push/publish, then each update). */
  history: Record<string, unknown>[];
  closed: boolean;
};

export type SlackCall = {
  method: string;
  /** Parsed arguments: form fields (JSON fields parsed) or the JSON body; `token` masked. */
  args: Record<string, unknown>;
  /** `'[redacted]'` when a token was sent (header or form field), else undefined. */
  token: string | undefined;
  at: number;
  /** HTTP status answered. */
  status: number;
  response: Record<string, unknown>;
};

export type SlackFault = {
  /** Web API method (`chat.postMessage`); any method when absent. */
  method?: string;
  /** Answer HTTP 200 `{ ok: false, error }`. */
  error?: string;
  /** Answer HTTP 429 `{ ok: false, error: 'ratelimited' }` with `Retry-After`. */
  status?: 429;
  /** Seconds, default 1. */
  retryAfter?: number;
  /** How many matching calls this fault applies to. Default 1. */
  times?: number;
  /** Waits before answering (or before the real handler when neither error nor status). */
  delayMs?: number;
};

export type ResponseUrlPost = {
  id: string;
  /** Parsed JSON body (the raw text when unparsable). */
  body: unknown;
  at: number;
  status: number;
  error?: string;
};

export type SlackSimulatorOptions = {
  botToken: string;
  /** App-level token (`xapp-…`) accepted by `apps.connections.open` (Socket Mode). */
  appToken?: string;
  teamId?: string;
  teamName?: string;
  teamDomain?: string;
  botUserId?: string;
  botId?: string;
  botName?: string;
  appId?: string;
  users?: SimUser[];
  channels?: SimChannel[];
  /**
   * The bot token's scopes. Methods check them (`missing_scope`), and `users.info`
   * only shows emails with `users:read.email`. Defaults to DEFAULT_SCOPES.
   */
  scopes?: string[];
  /**
   * Opt-in per-channel limit on `chat.postMessage` (Slack: "1 message per second
   * per channel, short bursts allowed"): more than `max` accepted posts in the
   * last `windowMs` answer 429.
   */
  channelRateLimit?: { max: number; windowMs: number };
  /**
   * Opt-in limit on `chat.update` per channel (Slack's Tier 3 budget, ~50 a minute,
   * is shared by a workspace's updates): more than `max` in `windowMs` answer 429.
   */
  updateRateLimit?: { max: number; windowMs: number };
  /** User groups (`S…`) and their members, for usergroups.users.list. */
  userGroups?: Record<string, string[]>;
  /** Clock in ms; drives ts values, trigger and response_url expiry. */
  now?: () => number;
};

export const DEFAULT_SCOPES = [
  'chat:write',
  'commands',
  'users:read',
  'users:read.email',
  'im:write',
  'im:read',
  'channels:read',
  'groups:read',
  'mpim:read',
  'channels:join',
  'files:read',
  'files:write',
];

/** Trigger ids expire 3 s after the interaction (views.open docs). */
export const TRIGGER_TTL_MS = 3_000;
/** A response_url may be used up to 5 times within 30 minutes (handling interactions docs). */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** Modal stacks hold at most 3 views (views.push docs). */
export const VIEW_STACK_LIMIT = 3;

/** Message `text` limit (chat.postMessage: "truncated … over 40,000 characters"; we reject). */
export const MAX_MESSAGE_TEXT = 40_000;
