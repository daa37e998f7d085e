import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import {
  cronFrequencyWarning,
  databasePassword,
  isTimeZone,
  secondsProblem,
} from './config-checks.ts';
import {
  blankToUndefined,
  channelId,
  idList,
  optional,
  positiveInt,
  required,
  slackId,
  UUID,
  url,
} from './config-fields.ts';
import type { LogLevel } from './log.ts';
import { LIFETIME_DAYS } from './onboarding/limits.ts';
import { registerSecret } from './redact.ts';

/**
 * The only reader of process.env. Everything else receives a typed Config.
 */

export type Config = {
  slack: {
    botToken: string;
    signingSecret: string | undefined;
    appToken: string | undefined;
    mode: 'socket' | 'http';
    apiUrl: string;
    port: number;
  };
  opentact: {
    apiUrl: string;
    token: string;
    sipConnectionUuid: string;
    sipDomain: string | undefined;
  };
  /** undefined → the SMS channel is disabled. */
  usermgmt: { apiUrl: string; token: string } | undefined;
  /** undefined → the e-mail channel is disabled. */
  slyk: { apiUrl: string; apiKey: string } | undefined;
  /** Empty → workspace admins and owners (checked with users.info). */
  admins: string[];
  digest: { channel: string | undefined; cron: string; timezone: string };
  approvals: {
    /** Slack users (U…/W…) who may request onboardings that an admin approves. */
    requesters: string[];
    /** User groups (S…) whose members may request (usergroups.users.list, cached). */
    requesterGroups: string[];
    /** Where requests wait: APPROVAL_CHANNEL, else DIGEST_CHANNEL. */
    channel: string | undefined;
    /** An admin's own onboarding needs a second admin too. */
    requireApproval: boolean;
    ttlDays: number;
  };
  inviteTtlDays: number;
  expiryWarningDays: number;
  /** Closed onboardings older than this move to the archive file. */
  archiveAfterDays: number;
  /** One automatic reminder this many hours before an invite expires; 0: none. */
  reminderHoursBeforeExpiry: number;
  /** Local hour (digest time zone) at which scheduled invitations go out. */
  sendHour: number;
  /** Onboardings provisioning at once; the rest wait, recorded, in order. */
  onboardingConcurrency: number;
  /** Onboardings run against the built-in simulators before the bot listens (src/warmup.ts); 0: none. */
  warmupOnboardings: number;
  /** Linux nice value of `npm start`'s HTTP thread (src/thread/main-side.ts); 0 leaves it alone. */
  httpThreadNice: number;
  /** With a shared store: how long a replica's claim on a record lasts unrenewed (failover time). */
  leaseSeconds: number;
  /** Cohort uploads: most rows in one file, rows of one run in flight at once. */
  bulk: { maxRows: number; concurrency: number };
  dataFile: string;
  /** When set, records live in PostgreSQL (several bot processes may share it) instead of DATA_FILE. */
  databaseUrl: string | undefined;
  logLevel: LogLevel;
  /** Accepted but worth a line in the start log (e.g. a digest more often than hourly). */
  warnings: string[];
};

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

const NICE_MESSAGE =
  'should be a whole number from -20 to 19 (a Linux nice value; lower runs sooner, 0 leaves it alone)';

const EnvSchema = z.object({
  SLACK_BOT_TOKEN: required(
    z
      .string({ message: 'is required: the bot token (xoxb-…) from OAuth & Permissions' })
      .regex(/^xoxb-/, { message: 'should be a bot token starting with xoxb-' }),
  ),
  SLACK_SIGNING_SECRET: optional(
    z.string().regex(/^[A-Za-z0-9]{16,}$/, {
      message: 'should be the signing secret from Basic Information (letters and digits)',
    }),
  ),
  SLACK_APP_TOKEN: optional(
    z.string().regex(/^xapp-/, { message: 'should be an app-level token starting with xapp-' }),
  ),
  SLACK_API_URL: z.preprocess(
    blankToUndefined,
    url('the Slack Web API').default('https://slack.com/api'),
  ),
  PORT: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ message: 'should be a TCP port number' })
      .int({ message: 'should be a TCP port number' })
      .min(0, { message: 'should be a TCP port number (0–65535)' })
      .max(65535, { message: 'should be a TCP port number (0–65535)' })
      .default(3000),
  ),
  OPENTACT_API_URL: z.preprocess(
    blankToUndefined,
    url('the Opentact REST API').default('https://api.opentact.org/rest'),
  ),
  OPENTACT_TOKEN: required(
    z.string({ message: 'is required: the Opentact JWT sent as X-Auth-Token' }),
  ),
  // Opentact's UUIDs are lower-case; one pasted in upper case is the same UUID.
  OPENTACT_SIP_CONNECTION_UUID: required(
    z
      .string({ message: 'is required: the UUID of the SIP connection new users join' })
      .trim()
      .toLowerCase()
      .regex(UUID, { message: 'should be a UUID like 66eb0a8a-571e-41b1-8f50-4d97275cfab7' }),
  ),
  OPENTACT_SIP_DOMAIN: optional(
    z
      .string()
      .regex(/^[a-z0-9.-]+$/i, { message: 'should be a SIP domain like abc.sip.opentact.org' }),
  ),
  USERMGMT_API_URL: z.preprocess(blankToUndefined, url('the identity platform').optional()),
  USERMGMT_TOKEN: optional(z.string()),
  SLYK_API_URL: z.preprocess(blankToUndefined, url('the Slyk API').default('https://api.slyk.io')),
  SLYK_API_KEY: optional(z.string()),
  ONBOARDING_ADMINS: idList(
    slackId,
    'should be comma-separated Slack user IDs like U012ABCDEF,U034GHIJKL',
  ),
  DIGEST_CHANNEL: optional(
    z.string().regex(channelId, { message: 'should be a channel ID like C0123456789' }),
  ),
  ONBOARDING_REQUESTERS: idList(
    /^[UWS][A-Z0-9]{2,}$/,
    'should be comma-separated Slack user IDs (U…) or user-group IDs (S…) like U012ABCDEF,S0123GROUP',
  ),
  APPROVAL_CHANNEL: optional(
    z.string().regex(channelId, { message: 'should be a channel ID like C0123456789' }),
  ),
  REQUIRE_APPROVAL: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() || undefined : value),
    z
      .enum(['true', 'false'], { message: 'should be true or false' })
      .default('false')
      .transform((value) => value === 'true'),
  ),
  APPROVAL_TTL_DAYS: positiveInt('day', 7, 90),
  DIGEST_CRON: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine((value) => cron.validate(value), {
        message: 'should be a cron expression like "0 9 * * *" (minute hour day month weekday)',
      })
      .superRefine((value, ctx) => {
        const problem = secondsProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('0 9 * * *'),
  ),
  DIGEST_TIMEZONE: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine(isTimeZone, { message: 'should be an IANA time zone like Europe/Berlin or UTC' })
      .default('UTC'),
  ),
  INVITE_TTL_DAYS: positiveInt(
    'day',
    7,
    LIFETIME_DAYS.max,
    LIFETIME_DAYS.min,
    " (an invite's lifetime, as in the form and Extend)",
  ),
  EXPIRY_WARNING_DAYS: positiveInt('day', 2, 365),
  ARCHIVE_AFTER_DAYS: positiveInt('day', 90, 3650),
  REMINDER_HOURS_BEFORE_EXPIRY: positiveInt('hour', 24, 2160, 0),
  SEND_HOUR: positiveInt('hour', 9, 23, 0, ' (a local hour, 0–23)'),
  ONBOARDING_CONCURRENCY: positiveInt('onboarding', 8, 100),
  WARMUP_ONBOARDINGS: positiveInt('onboarding', 3, 50, 0),
  HTTP_THREAD_NICE: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ message: NICE_MESSAGE })
      .int({ message: NICE_MESSAGE })
      .min(-20, { message: NICE_MESSAGE })
      .max(19, { message: NICE_MESSAGE })
      .default(-10),
  ),
  LEASE_SECONDS: positiveInt('second', 30, 300, 2),
  BULK_MAX_ROWS: positiveInt('row', 500, 5000),
  BULK_CONCURRENCY: positiveInt('onboarding', 4, 100),
  DATABASE_URL: optional(
    z.string().refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
      message: 'should be a PostgreSQL URL like postgres://user:password@host:5432/db',
    }),
  ),
  DATA_FILE: z.preprocess(blankToUndefined, z.string().default('data/db.json')),
  LOG_LEVEL: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() || undefined : value),
    z
      .enum(['debug', 'info', 'warn', 'error'], { message: 'should be debug, info, warn or error' })
      .default('info'),
  ),
});

type Env = z.output<typeof EnvSchema>;
type VarName = keyof typeof EnvSchema.shape;
const VAR_ORDER = Object.keys(EnvSchema.shape) as VarName[];

/** Values .env.example ships with: they pass the format checks, so they are refused by name. */
const EXAMPLE_PLACEHOLDERS: Partial<Record<VarName, string>> = {
  SLACK_BOT_TOKEN: 'xoxb-your-bot-token',
};
/** Shapes of a placeholder someone typed (`your-token`, `changeme`, `<token>`, `xoxb-...`). */
const PLACEHOLDER = /your[-_]|change[-_]?me|^<.*>$|\.\.\.|…/i;
const SECRET_VARS: Partial<Record<VarName, string>> = {
  SLACK_BOT_TOKEN: 'the Bot User OAuth Token (xoxb-…) from OAuth & Permissions',
  SLACK_SIGNING_SECRET: 'the Signing Secret from Basic Information',
  SLACK_APP_TOKEN: 'an app-level token (xapp-…) from Basic Information',
  OPENTACT_TOKEN: 'the Opentact JWT',
  USERMGMT_TOKEN: "the identity platform's bearer token",
  SLYK_API_KEY: 'the Slyk API key',
};

const present = (env: Record<string, string | undefined>, name: VarName) =>
  blankToUndefined(env[name]) !== undefined;

/**
 * Parses an environment into a Config, or throws ConfigError naming every bad variable — all of
 * them in one round: the per-variable checks, placeholders and cross-variable rules together.
 * No message contains a value (secrets among them).
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const byVar = new Map<VarName, string>();
  const add = (name: VarName, message: string) => {
    if (!byVar.has(name)) byVar.set(name, `${name} ${message}`);
  };
  for (const [name, what] of Object.entries(SECRET_VARS) as [VarName, string][]) {
    const value = env[name]?.trim();
    if (!value) continue;
    if (value === EXAMPLE_PLACEHOLDERS[name]) {
      add(name, `is still the placeholder from .env.example: set it to ${what}`);
    } else if (PLACEHOLDER.test(value)) {
      add(name, `looks like a placeholder, not a real value: set it to ${what}`);
    }
  }
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? 'environment') as VarName;
      // Messages come from the schema above and never include the value itself.
      const missing = !present(env, name);
      add(
        name,
        missing && !issue.message.startsWith('is required') ? 'is required' : issue.message,
      );
    }
  }
  // Cross-variable rules read only whether a variable is set, so they run even when others failed.
  if (!present(env, 'SLACK_APP_TOKEN') && !present(env, 'SLACK_SIGNING_SECRET')) {
    add(
      'SLACK_SIGNING_SECRET',
      'is required in HTTP mode (set it, or set SLACK_APP_TOKEN to use Socket Mode)',
    );
  }
  if (present(env, 'USERMGMT_API_URL') && !present(env, 'USERMGMT_TOKEN')) {
    add('USERMGMT_TOKEN', 'is required when USERMGMT_API_URL is set (the bearer token)');
  }
  if (present(env, 'USERMGMT_TOKEN') && !present(env, 'USERMGMT_API_URL')) {
    add('USERMGMT_API_URL', 'is required when USERMGMT_TOKEN is set');
  }
  const approvals =
    (present(env, 'ONBOARDING_REQUESTERS') || /^\s*true\s*$/i.test(env.REQUIRE_APPROVAL ?? '')) &&
    !present(env, 'APPROVAL_CHANNEL') &&
    !present(env, 'DIGEST_CHANNEL');
  if (approvals) {
    add(
      'APPROVAL_CHANNEL',
      'is required when ONBOARDING_REQUESTERS or REQUIRE_APPROVAL=true is set (or set DIGEST_CHANNEL): requests wait there for an admin',
    );
  }
  if (byVar.size > 0 || !parsed.success) {
    const rank = (name: VarName) => VAR_ORDER.indexOf(name) >>> 0; // unknown names last
    throw new ConfigError(
      [...byVar].sort(([a], [b]) => rank(a) - rank(b)).map(([, problem]) => problem),
    );
  }
  const e: Env = parsed.data;
  const mode = e.SLACK_APP_TOKEN ? 'socket' : 'http';
  const warnings = [
    cronFrequencyWarning(e.DIGEST_CRON),
    e.REQUIRE_APPROVAL && e.ONBOARDING_ADMINS.length === 1
      ? 'REQUIRE_APPROVAL=true with one admin in ONBOARDING_ADMINS: nobody can approve that admin’s own onboardings'
      : undefined,
  ].filter((w): w is string => Boolean(w));

  for (const secret of [
    e.SLACK_BOT_TOKEN,
    e.SLACK_SIGNING_SECRET,
    e.SLACK_APP_TOKEN,
    e.OPENTACT_TOKEN,
    e.USERMGMT_TOKEN,
    e.SLYK_API_KEY,
    databasePassword(e.DATABASE_URL),
  ]) {
    registerSecret(secret);
  }

  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      mode,
      apiUrl: e.SLACK_API_URL,
      port: e.PORT,
    },
    opentact: {
      apiUrl: e.OPENTACT_API_URL,
      token: e.OPENTACT_TOKEN,
      sipConnectionUuid: e.OPENTACT_SIP_CONNECTION_UUID,
      sipDomain: e.OPENTACT_SIP_DOMAIN,
    },
    usermgmt:
      e.USERMGMT_API_URL && e.USERMGMT_TOKEN
        ? { apiUrl: e.USERMGMT_API_URL, token: e.USERMGMT_TOKEN }
        : undefined,
    slyk: e.SLYK_API_KEY ? { apiUrl: e.SLYK_API_URL, apiKey: e.SLYK_API_KEY } : undefined,
    admins: e.ONBOARDING_ADMINS,
    digest: { channel: e.DIGEST_CHANNEL, cron: e.DIGEST_CRON, timezone: e.DIGEST_TIMEZONE },
    approvals: {
      requesters: e.ONBOARDING_REQUESTERS.filter((id) => !id.startsWith('S')),
      requesterGroups: e.ONBOARDING_REQUESTERS.filter((id) => id.startsWith('S')),
      channel: e.APPROVAL_CHANNEL ?? e.DIGEST_CHANNEL,
      requireApproval: e.REQUIRE_APPROVAL,
      ttlDays: e.APPROVAL_TTL_DAYS,
    },
    inviteTtlDays: e.INVITE_TTL_DAYS,
    expiryWarningDays: e.EXPIRY_WARNING_DAYS,
    archiveAfterDays: e.ARCHIVE_AFTER_DAYS,
    reminderHoursBeforeExpiry: e.REMINDER_HOURS_BEFORE_EXPIRY,
    sendHour: e.SEND_HOUR,
    onboardingConcurrency: e.ONBOARDING_CONCURRENCY,
    warmupOnboardings: e.WARMUP_ONBOARDINGS,
    httpThreadNice: e.HTTP_THREAD_NICE,
    leaseSeconds: e.LEASE_SECONDS,
    bulk: { maxRows: e.BULK_MAX_ROWS, concurrency: e.BULK_CONCURRENCY },
    dataFile: resolve(e.DATA_FILE),
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    warnings,
  };
}

/** Reads `.env` (when present) into process.env, then parses process.env. */
export function loadConfigFromProcess(envFile = '.env'): Config {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return loadConfig(process.env);
}
