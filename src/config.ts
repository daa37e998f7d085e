import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import type { LogLevel } from './log.ts';
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
  inviteTtlDays: number;
  expiryWarningDays: number;
  /** Closed onboardings older than this move to the archive file. */
  archiveAfterDays: number;
  dataFile: string;
  /** When set, records live in PostgreSQL (several bot processes may share it) instead of DATA_FILE. */
  databaseUrl: string | undefined;
  logLevel: LogLevel;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const optional = (schema: z.ZodString) => z.preprocess(blankToUndefined, schema.optional());

const url = (what: string) =>
  z
    .string()
    .trim()
    .refine((value) => URL.canParse(value) && /^https?:/.test(value), {
      message: `should be an http(s) URL to ${what}, e.g. https://example.com`,
    })
    .transform((value) => value.replace(/\/+$/, ''));

const positiveInt = (what: string, def: number, max: number) =>
  z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ message: `should be a whole number of ${what}` })
      .int({ message: `should be a whole number of ${what}` })
      .min(1, { message: `should be at least 1 ${what}` })
      .max(max, { message: `should be at most ${max} ${what}` })
      .default(def),
  );

const slackId = /^[UW][A-Z0-9]{2,}$/;

const EnvSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string({ message: 'is required: the bot token (xoxb-…) from OAuth & Permissions' })
    .regex(/^xoxb-/, { message: 'should be a bot token starting with xoxb-' }),
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
  OPENTACT_TOKEN: z
    .string({ message: 'is required: the Opentact JWT sent as X-Auth-Token' })
    .min(1, { message: 'is required: the Opentact JWT sent as X-Auth-Token' }),
  OPENTACT_SIP_CONNECTION_UUID: z
    .string({ message: 'is required: the UUID of the SIP connection new users join' })
    .regex(UUID, {
      message: 'should be a lower-case UUID like 66eb0a8a-571e-41b1-8f50-4d97275cfab7',
    }),
  OPENTACT_SIP_DOMAIN: optional(
    z
      .string()
      .regex(/^[a-z0-9.-]+$/i, { message: 'should be a SIP domain like abc.sip.opentact.org' }),
  ),
  USERMGMT_API_URL: z.preprocess(blankToUndefined, url('the identity platform').optional()),
  USERMGMT_TOKEN: optional(z.string()),
  SLYK_API_URL: z.preprocess(blankToUndefined, url('the Slyk API').default('https://api.slyk.io')),
  SLYK_API_KEY: optional(z.string()),
  ONBOARDING_ADMINS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean),
      )
      .refine((ids) => ids.every((id) => slackId.test(id)), {
        message: 'should be comma-separated Slack user IDs like U012ABCDEF,U034GHIJKL',
      })
      .default([]),
  ),
  DIGEST_CHANNEL: optional(
    z.string().regex(/^[CG][A-Z0-9]{2,}$/, { message: 'should be a channel ID like C0123456789' }),
  ),
  DIGEST_CRON: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine((value) => cron.validate(value), {
        message: 'should be a cron expression like "0 9 * * *" (minute hour day month weekday)',
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
  INVITE_TTL_DAYS: positiveInt('days', 7, 365),
  EXPIRY_WARNING_DAYS: positiveInt('days', 2, 365),
  ARCHIVE_AFTER_DAYS: positiveInt('days', 90, 3650),
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

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Parses an environment into a Config, or throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? 'environment');
      // Messages come from the schema above and never include the value itself.
      const missing = blankToUndefined(env[name]) === undefined;
      const message =
        missing && !issue.message.startsWith('is required') ? 'is required' : issue.message;
      problems.push(`${name} ${message}`);
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const mode = e.SLACK_APP_TOKEN ? 'socket' : 'http';
  if (mode === 'http' && !e.SLACK_SIGNING_SECRET) {
    problems.push(
      'SLACK_SIGNING_SECRET is required in HTTP mode (set it, or set SLACK_APP_TOKEN to use Socket Mode)',
    );
  }
  if (e.USERMGMT_API_URL && !e.USERMGMT_TOKEN) {
    problems.push('USERMGMT_TOKEN is required when USERMGMT_API_URL is set (the bearer token)');
  }
  if (e.USERMGMT_TOKEN && !e.USERMGMT_API_URL) {
    problems.push('USERMGMT_API_URL is required when USERMGMT_TOKEN is set');
  }
  if (problems.length > 0) throw new ConfigError(problems);

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
    inviteTtlDays: e.INVITE_TTL_DAYS,
    expiryWarningDays: e.EXPIRY_WARNING_DAYS,
    archiveAfterDays: e.ARCHIVE_AFTER_DAYS,
    dataFile: resolve(e.DATA_FILE),
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
  };
}

/** The password inside a PostgreSQL URL (a secret like the tokens). */
function databasePassword(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const password = new URL(url).password;
  return password ? decodeURIComponent(password) : undefined;
}

/** Reads `.env` (when present) into process.env, then parses process.env. */
export function loadConfigFromProcess(envFile = '.env'): Config {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return loadConfig(process.env);
}
